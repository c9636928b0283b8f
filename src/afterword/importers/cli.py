"""``afterword import wordpress|disqus|isso|afterword`` and ``afterword export``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from afterword.errors import AfterwordError

import_app = typer.Typer(
    help="Import comments (one transaction per file; re-running adds nothing twice).",
    no_args_is_help=True)

ConfigOpt = Annotated[Optional[Path], typer.Option(
    "--config", "-c", help="TOML configuration file (also AFTERWORD_CONFIG).", dir_okay=False)]
SiteOpt = Annotated[str, typer.Option("--site", help="The site's URL, as given to `sites add`.")]
FileArg = Annotated[Path, typer.Argument(help="The export file.", dir_okay=False)]
LearnOpt = Annotated[bool, typer.Option(
    "--learn", help="Teach the site's spam model from the imported spam and published comments.")]


def _run(path: Path, site_url: str, source: str, reader, config: Path | None, learn: bool,
         skip_kinds: tuple[str, ...] = (), create_site: bool = False):
    from afterword.cli import _database, _settings
    from afterword.importers.core import run_import
    from afterword.sites import add_site, get_site, require_site

    if not path.is_file():
        raise AfterwordError(f"{path}: no such file")
    _, sessions = _database(_settings(config))
    started = datetime.now(UTC)
    with sessions() as session:
        site = get_site(session, site_url) if create_site else require_site(session, site_url)
        if site is None:
            site = add_site(session, site_url)
            session.commit()
        try:
            report = run_import(session, site, source, lambda writer: reader(path, writer),
                                skip_kinds)
        except AfterwordError as exc:
            raise AfterwordError(f"{path}: {exc}; nothing was imported") from None
    for line in report.lines():
        typer.echo(line)
    if learn:
        from afterword.importers.learn import learn_from_import

        typer.echo(f"learned from\t{learn_from_import(sessions, site, source, started)}")
    return site, sessions


def _xml(module):
    def read(path: Path, writer) -> None:
        with path.open("rb") as stream:
            module.read(stream, writer)
    return read


@import_app.command("wordpress")
def import_wordpress(
    file: FileArg, site: SiteOpt, learn: LearnOpt = False,
    skip_pings: Annotated[bool, typer.Option(
        "--skip-pings", help="Leave out pingbacks and trackbacks.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Import a WordPress export (WXR, Tools > Export) for a site."""
    from afterword.importers import wordpress

    site_row, sessions = _run(file, site, "wordpress", _xml(wordpress), config, learn,
                              ("pingback", "trackback") if skip_pings else ())
    _related_posts(sessions, site_row, file)


def _related_posts(sessions, site, path: Path) -> None:
    """Hand the posts of the same file to related posts, when that part is installed."""
    try:
        from afterword.related import import_wxr_posts  # type: ignore[attr-defined]
    except ImportError:
        return
    with sessions() as session:
        result = import_wxr_posts(session, site, path)
        session.commit()
    for name in ("indexed", "excluded", "skipped", "refused"):
        typer.echo(f"related posts {name}\t{getattr(result, name)}")


@import_app.command("disqus")
def import_disqus(file: FileArg, site: SiteOpt, learn: LearnOpt = False,
                  config: ConfigOpt = None) -> None:
    """Import a Disqus export (XML) for a site; spam stays spam."""
    from afterword.importers import disqus

    _run(file, site, "disqus", _xml(disqus), config, learn)


@import_app.command("isso")
def import_isso(file: FileArg, site: SiteOpt, learn: LearnOpt = False,
                config: ConfigOpt = None) -> None:
    """Import Isso's SQLite database (comments.db) for a site."""
    from afterword.importers import isso

    def read(path: Path, writer) -> None:
        for record in isso.read(path, writer.site.url):
            writer.add(record)

    _run(file, site, "isso", read, config, learn)


@import_app.command("afterword")
def import_afterword(
    file: FileArg,
    site: Annotated[Optional[str], typer.Option(
        "--site", help="Import into this site instead of the one named in the file.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Import an `afterword export` file (the site is created if it does not exist)."""
    from afterword.importers import native

    if site is None:
        if not file.is_file():
            raise AfterwordError(f"{file}: no such file")
        with file.open("rb") as stream:
            site = native.site_url_of(stream)
    _run(file, site, "afterword", _xml(native), config, False, create_site=True)


def export(site: SiteOpt, config: ConfigOpt = None) -> None:
    """Write a site's threads and comments as JSON to standard output."""
    from afterword.cli import _database, _settings
    from afterword.importers.native import export_site
    from afterword.sites import require_site

    _, sessions = _database(_settings(config))
    with sessions() as session:
        count = export_site(session, require_site(session, site), sys.stdout)
    sys.stdout.flush()
    typer.echo(f"exported {count} comment(s)", err=True)
