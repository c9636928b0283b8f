"""``afterword related ...``: load WordPress posts, remove or restore articles, counts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from afterword.errors import AfterwordError

related_app = typer.Typer(help="Related posts: the articles each site's lists are drawn from.",
                          no_args_is_help=True)

ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", "-c", help="TOML configuration file (also AFTERWORD_CONFIG).", dir_okay=False)]
SiteArg = Annotated[str, typer.Argument(help="The site's URL, as given to `sites add`.")]


def _sessions(config: Path | None):
    from afterword.cli import _database, _settings

    return _database(_settings(config))[1]


@related_app.command("import-wxr")
def import_wxr(site: SiteArg, path: Annotated[Path, typer.Argument(dir_okay=False)],
               config: ConfigOpt = None) -> None:
    """Index the published posts and pages of a WordPress export file."""
    from afterword.related.wxr import import_wxr_posts
    from afterword.sites import require_site

    if not path.is_file():
        raise AfterwordError(f"{path}: no such file")
    with _sessions(config)() as session:
        result = import_wxr_posts(session, require_site(session, site), path)
        session.commit()
    typer.echo(f"indexed {result.indexed}, excluded {result.excluded}, "
               f"skipped {result.skipped} (not published posts), refused {result.refused}")


def _set(site: str, url: str, status: str, config: Path | None) -> None:
    from afterword.related.api import canonical_url
    from afterword.related.store import set_status
    from afterword.sites import require_site

    page = canonical_url(url)
    with _sessions(config)() as session:
        if page is None or not set_status(session, require_site(session, site), page, status):
            raise AfterwordError(f"no such article: {url}")
        session.commit()
    typer.echo(f"{page}: {status}")


@related_app.command()
def remove(site: SiteArg, url: str, config: ConfigOpt = None) -> None:
    """Stop showing an article (gone or unpublished); page reports will not bring it back."""
    _set(site, url, "removed", config)


@related_app.command()
def restore(site: SiteArg, url: str, config: ConfigOpt = None) -> None:
    """Show a removed article again."""
    _set(site, url, "indexed", config)


@related_app.command()
def stats(site: SiteArg, config: ConfigOpt = None) -> None:
    """How many articles the site has, by status and by source."""
    from sqlalchemy import func, select

    from afterword.db.models import RelatedArticle
    from afterword.sites import require_site

    with _sessions(config)() as session:
        site_id = require_site(session, site).id
        rows = session.execute(select(RelatedArticle.status, RelatedArticle.source, func.count())
                               .where(RelatedArticle.site_id == site_id)
                               .group_by(RelatedArticle.status, RelatedArticle.source)).all()
    for status, source, count in sorted(rows):
        typer.echo(f"{status:9} {source:5} {count}")
    if not rows:
        typer.echo("no articles yet")


@related_app.command("poll-feeds")
def poll_feeds(site: Annotated[str | None, typer.Argument(
        help="Only this site (default: every site with feeds).")] = None,
        config: ConfigOpt = None) -> None:
    """Fetch the RSS/Atom feeds and sitemaps in the sites' related settings now.

    The app also polls them every `related_poll_minutes`; this runs a round at once (or from
    cron when that is 0). A feed that hangs, is too big or is not a feed is listed on the
    admin's skips page and the others go on.
    """
    from afterword.related.feeds import poll_site
    from afterword.related.poller import sites_with_feeds
    from afterword.sites import require_site

    with _sessions(config)() as session:
        sites = [require_site(session, site)] if site else sites_with_feeds(session)
        for s in sites:
            result = poll_site(session, s)
            counts = ", ".join(f"{k} {v}" for k, v in sorted(result.stored.items())) or "nothing"
            typer.echo(f"{s.url}: {counts}")
            for line in result.skipped:
                typer.echo(f"  skipped {line}")
