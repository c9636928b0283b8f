"""Shared by the importer tests: run an import the way the CLI does, and read the result."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from afterword.db.models import Comment, Site, Thread
from afterword.importers import disqus, native, run_import, wordpress

FIXTURES = Path(__file__).with_name("fixtures")
SITE = "https://blog.example"


def import_file(sessions, path: Path, source: str, site_url: str = SITE, skip=()):
    module = {"wordpress": wordpress, "disqus": disqus, "afterword": native}[source]
    with sessions() as session, path.open("rb") as stream:
        site = session.scalar(select(Site).where(Site.url == site_url))
        return run_import(session, site, source, lambda w: module.read(stream, w), skip)


def comments(sessions, site_url: str = SITE) -> list[dict]:
    """Every comment of the site with its thread, as plain dicts, oldest first."""
    with sessions() as session:
        rows = session.execute(
            select(Comment, Thread.url, Thread.title, Thread.closed)
            .join(Thread, Thread.id == Comment.thread_id).join(Site, Site.id == Comment.site_id)
            .where(Site.url == site_url).order_by(Comment.created_at, Comment.id)).all()
        by_id = {c.id: c for c, *_ in rows}
        out = []
        for c, url, title, closed in rows:
            parent = by_id.get(c.parent_id)
            out.append({"id": c.id, "author": c.author, "email": c.email, "text": c.text,
                        "html": c.html, "status": c.status, "ip": c.ip, "ip_hash": c.ip_hash,
                        "website": c.website, "depth": c.depth,
                        "parent": parent.author if parent else None, "thread": url,
                        "title": title, "closed": closed, "created": c.created_at,
                        "type": (c.spam_submission or {}).get("comment_type", "comment")})
        return out


def counts(sessions, site_url: str = SITE) -> dict[str, int]:
    with sessions() as session:
        return dict(session.execute(select(Thread.url, Thread.comment_count).join(
            Site, Site.id == Thread.site_id).where(Site.url == site_url)).all())
