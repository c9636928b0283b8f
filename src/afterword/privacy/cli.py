"""``afterword maintenance``, and ``afterword privacy export|erase`` for an admin acting for
a person."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

privacy_app = typer.Typer(help="A person's data: export or erase everything tied to an email.",
                          no_args_is_help=True)

ConfigOpt = Annotated[Optional[Path], typer.Option(
    "--config", "-c", help="TOML configuration file (also AFTERWORD_CONFIG).", dir_okay=False)]
SiteOpt = Annotated[str, typer.Option("--site", help="The site's URL, as given to `sites add`.")]
EmailOpt = Annotated[str, typer.Option("--email", help="The person's email address.")]


def _open(config: Path | None):
    from afterword.cli import _database, _settings

    settings = _settings(config)
    return settings, _database(settings)[1]


def maintenance(config: ConfigOpt = None) -> None:
    """Apply the retention limits now (the server also does it every interval)."""
    from afterword.privacy.retention import run_retention

    settings, sessions = _open(config)
    with sessions() as session:
        result = run_retention(session, settings)
    for name, count in result.items():
        typer.echo(f"{name}\t{count}")


@privacy_app.command("export")
def export(site: SiteOpt, email: EmailOpt, config: ConfigOpt = None) -> None:
    """Print everything a site holds about an email address, as JSON."""
    from afterword.privacy.rights import export_person
    from afterword.sites import require_site

    _, sessions = _open(config)
    with sessions() as session:
        data = export_person(session, require_site(session, site), email)
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@privacy_app.command("erase")
def erase(site: SiteOpt, email: EmailOpt, config: ConfigOpt = None) -> None:
    """Erase or anonymise (per `erasure_mode`) everything tied to an email address."""
    from afterword.privacy.rights import erase_person
    from afterword.sites import require_site

    settings, sessions = _open(config)
    with sessions() as session:
        entry = erase_person(session, require_site(session, site), email,
                             settings.erasure_mode, via="admin")
    typer.echo(f"{entry.comments} comment(s) {entry.mode}, {entry.records} other record(s) "
               "removed")
