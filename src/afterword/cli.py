"""The ``afterword`` command line.

Every expected failure (bad configuration, unreachable database, port in use, unknown site)
ends as one line ``afterword: error: ...`` and a non-zero exit, never a traceback.
Set ``AFTERWORD_DEBUG=1`` to see the traceback of an unexpected error.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from afterword import __version__
from afterword.config import Settings, load_settings
from afterword.errors import AfterwordError
from afterword.importers.cli import export, import_app
from afterword.moderation.cli import mail_app
from afterword.privacy.cli import maintenance, privacy_app
from afterword.related.cli import related_app
from afterword.spam.cli import app as spam_app

app = typer.Typer(
    name="afterword",
    help="Afterword: self-hosted comments and Akismet-compatible spam protection.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
config_app = typer.Typer(help="Inspect the effective configuration.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
sites_app = typer.Typer(help="Sites whose comments or checks Afterword handles.",
                        no_args_is_help=True)
keys_app = typer.Typer(help="Akismet-compatible API keys (12 characters, one site each).",
                       no_args_is_help=True)
users_app = typer.Typer(help="Admin accounts (owners and moderators).", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(sites_app, name="sites")
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.add_typer(mail_app, name="mail")
app.add_typer(import_app, name="import")
app.add_typer(privacy_app, name="privacy")
app.add_typer(related_app, name="related")
app.add_typer(spam_app, name="spam")
app.command("export")(export)
app.command("maintenance")(maintenance)

ConfigOpt = Annotated[
    Optional[Path],
    typer.Option("--config", "-c", help="TOML configuration file (also AFTERWORD_CONFIG).",
                 dir_okay=False),
]


def _settings(config: Path | None, **overrides: object) -> Settings:
    return load_settings(config, **overrides)


def _database(settings: Settings, migrate: bool = True):
    """Connect (and by default migrate) the configured database; returns a session factory."""
    from afterword.db.migrate import upgrade
    from afterword.db.session import check_connection, create_db_engine, make_session_factory

    engine = create_db_engine(settings.database_url)
    check_connection(engine)
    if migrate:
        upgrade(engine)
    return engine, make_session_factory(engine)


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(f"afterword {__version__}")
        raise typer.Exit()


@app.command()
def serve(
    config: ConfigOpt = None,
    host: Annotated[Optional[str], typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[Optional[int], typer.Option(help="TCP port.", min=1, max=65535)] = None,
    workers: Annotated[Optional[int], typer.Option(help="Worker processes.", min=1, max=64)] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Serve the demo site at /.")] = False,
) -> None:
    """Migrate the database and serve the API, the widget and the admin over HTTP."""
    import uvicorn

    from afterword.logs import configure_logging
    from afterword.web.app import create_app

    overrides = {"host": host, "port": port, "workers": workers, "demo": demo or None}
    settings = _settings(config, **overrides)
    # Worker processes rebuild settings from the environment: hand them the same overrides.
    for name, value in overrides.items():
        if value is not None:
            os.environ[f"AFTERWORD_{name.upper()}"] = str(value).lower() if isinstance(
                value, bool) else str(value)
    configure_logging(settings.log_level, settings.log_format)
    _ = settings.secret  # fail now, not on the first request, if data_dir is not writable
    engine, sessions = _database(settings)
    if settings.demo:
        from afterword.web.demo import seed_demo

        with sessions() as session:
            password = seed_demo(session, settings)
        if password:
            typer.echo(
                f"Created admin account 'admin' with password: {password}\n"
                "(shown once; change it with `afterword users reset admin`)"
            )
    _check_port_free(settings.host, settings.port)
    typer.echo(f"Afterword {__version__} serving on http://{settings.host}:{settings.port}/")
    common = dict(host=settings.host, port=settings.port, log_config=None, access_log=False,
                  proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips)
    if settings.workers == 1:
        uvicorn.run(create_app(settings, engine), **common)
    else:
        uvicorn.run("afterword.web.app:app_from_environment", factory=True,
                    workers=settings.workers, **common)


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise AfterwordError(
                    f"port {port} on {host} is already in use (choose another with --port)"
                ) from None
            raise AfterwordError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


@config_app.command("show")
def config_show(config: ConfigOpt = None) -> None:
    """Print the effective configuration as JSON, secrets masked."""
    typer.echo(json.dumps(_settings(config).public_dict(), indent=2))


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None) -> None:
    """Apply all migrations (also done automatically by `serve`)."""
    from afterword.db.migrate import current_revision

    engine, _ = _database(_settings(config))
    typer.echo(f"database at revision {current_revision(engine)}")


@sites_app.command("add")
def sites_add(
    url: Annotated[str, typer.Argument(help="The site's base URL, e.g. https://example.org")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    config: ConfigOpt = None,
) -> None:
    """Register a site."""
    from afterword.sites import add_site

    _, sessions = _database(_settings(config))
    with sessions() as session:
        site = add_site(session, url, name)
        session.commit()
        typer.echo(f"added site {site.url} (id {site.id})")


@sites_app.command("list")
def sites_list(config: ConfigOpt = None) -> None:
    """List sites with their live key count."""
    from sqlalchemy import select

    from afterword.db.models import Site

    _, sessions = _database(_settings(config))
    with sessions() as session:
        for site in session.scalars(select(Site).order_by(Site.id)):
            live = sum(1 for k in site.keys if k.revoked_at is None)
            typer.echo(f"{site.id}\t{site.url}\t{site.name}\t{live} key(s)")


SiteOpt = Annotated[str, typer.Option("--site", help="The site's URL, as given to `sites add`.")]


@keys_app.command("create")
def keys_create(site: SiteOpt, config: ConfigOpt = None) -> None:
    """Create an API key for a site and print it (it is stored hashed: copy it now)."""
    from afterword.sites import create_key, require_site

    _, sessions = _database(_settings(config))
    with sessions() as session:
        key = create_key(session, require_site(session, site))
        session.commit()
    typer.echo(key)


@keys_app.command("list")
def keys_list(site: SiteOpt, config: ConfigOpt = None) -> None:
    """List a site's keys by their last four characters."""
    from afterword.sites import require_site

    _, sessions = _database(_settings(config))
    with sessions() as session:
        for key in require_site(session, site).keys:
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "live"
            typer.echo(f"…{key.hint}\tcreated {key.created_at:%Y-%m-%d}\t{state}")


@keys_app.command("revoke")
def keys_revoke(
    site: SiteOpt,
    hint: Annotated[str, typer.Argument(help="The key, or its last four characters.")],
    config: ConfigOpt = None,
) -> None:
    """Revoke a key: clients using it get `invalid` from then on."""
    from afterword.sites import SiteError, require_site, revoke_key

    _, sessions = _database(_settings(config))
    with sessions() as session:
        count = revoke_key(session, require_site(session, site), hint)
        if not count:
            raise SiteError(f"no live key ending in {hint[-4:]!r} for {site}")
        session.commit()
    typer.echo(f"revoked {count} key(s)")


PasswordOpt = Annotated[
    Optional[str],
    typer.Option("--password", help="Set this password instead of generating one "
                 "(prefer the generated one: it is not left in shell history)."),
]


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option(help="owner or moderator.")] = "moderator",
    email: Annotated[str, typer.Option(help="For notifications.")] = "",
    password: PasswordOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Create an admin account and print its password once."""
    from afterword.moderation.accounts import create_user, generate_password

    secret = password or generate_password()
    _, sessions = _database(_settings(config))
    with sessions() as session:
        create_user(session, username, secret, role=role, email=email)
        session.commit()
    typer.echo(f"created {role} {username!r}" + ("" if password else f" with password: {secret}"))


@users_app.command("reset")
def users_reset(username: str, password: PasswordOpt = None, config: ConfigOpt = None) -> None:
    """Set a new password for an account and print it once."""
    from afterword.moderation.accounts import generate_password, set_password

    secret = password or generate_password()
    _, sessions = _database(_settings(config))
    with sessions() as session:
        set_password(session, username, secret)
        session.commit()
    typer.echo(f"password of {username!r} reset" + ("" if password else f": {secret}"))


def main() -> None:
    """Entry point: run the CLI, turning expected failures into one line on stderr."""
    try:
        app()
    except AfterwordError as exc:
        typer.echo(f"afterword: error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last resort: one line, traceback on request
        if os.environ.get("AFTERWORD_DEBUG"):
            raise
        typer.echo(f"afterword: internal error: {type(exc).__name__}: {exc} "
                   "(set AFTERWORD_DEBUG=1 for the traceback)", err=True)
        sys.exit(1)
