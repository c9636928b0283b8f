"""Threads and comments in the database: lookups, keyset pages, counts, status changes.

Reads use Core selects of the few columns a page shows (no ORM objects), because the first
page of a thread is the hottest request Afterword serves.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Connection, select, update, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from afterword.db.models import Comment, Site, Thread
from afterword.sites import SiteError, get_site

Sort = Literal["newest", "oldest", "top"]
VISIBLE = ("published", "deleted")  # deleted ones stay as placeholders while they have replies


class Rejected(Exception):
    """A request refused for a reason the person can act on; ``message`` is shown as is."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def bad_input(message: str) -> Rejected:
    return Rejected(400, message)


def thread_url(site_url: str, url: str) -> str:
    """The canonical form of an article URL, which must lie under the site's URL.

    Scheme and host case, default ports and the fragment never name a different article;
    http and https do not either (a site moving to https keeps its threads).
    """
    site = urlsplit(site_url)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise bad_input("url is not a valid URL") from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise bad_input("url must be an absolute http(s) URL")
    if parts.hostname.lower() != site.hostname or _port(parts.scheme, port) != _port(
            site.scheme, site.port):
        raise bad_input("url does not belong to this site")
    path = parts.path or "/"
    base = site.path.rstrip("/")
    if base and not (path == base or path.startswith(base + "/")):
        raise bad_input("url does not belong to this site")
    return urlunsplit((site.scheme, site.netloc, path, parts.query, ""))


def _port(scheme: str, port: int | None) -> int | None:
    return None if port == {"http": 80, "https": 443}.get(scheme.lower()) else port


def find_site(session: Session, site_url: str) -> Site | None:
    try:
        return get_site(session, site_url)
    except SiteError:
        return None


@dataclass(frozen=True, slots=True)
class ThreadRow:
    id: int
    url: str
    title: str
    comment_count: int
    closed: bool


def find_thread(conn: Connection | Session, site_id: int, url: str) -> ThreadRow | None:
    row = conn.execute(
        select(Thread.id, Thread.url, Thread.title, Thread.comment_count, Thread.closed)
        .where(Thread.site_id == site_id, Thread.url == url)
    ).first()
    return ThreadRow(*row) if row else None


def get_or_create_thread(session: Session, site_id: int, url: str, title: str) -> ThreadRow:
    """The thread for ``url``, created (and committed) on its first comment."""
    found = find_thread(session, site_id, url)
    if found:
        return found
    session.add(Thread(site_id=site_id, url=url, title=title[:300]))
    try:
        session.commit()
    except IntegrityError:  # another request created it a moment ago
        session.rollback()
    found = find_thread(session, site_id, url)
    assert found is not None
    return found


_COLUMNS = (Comment.id, Comment.parent_id, Comment.depth, Comment.status, Comment.author,
            Comment.website, Comment.html, Comment.created_at, Comment.edited_at, Comment.likes)


def public(row: Any) -> dict[str, Any]:
    """A comment as anyone may see it; a deleted one keeps only its place in the tree."""
    deleted = row.status == "deleted"
    return {
        "id": row.id,
        "parent": row.parent_id,
        "depth": row.depth,
        "author": "" if deleted else row.author,
        "website": "" if deleted else row.website,
        "html": "" if deleted else row.html,
        "created": iso(row.created_at),
        "edited": iso(row.edited_at),
        "likes": row.likes,
        "deleted": deleted,
    }


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they are stored in UTC
        value = value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")


def encode_cursor(sort: str, row: Any) -> str:
    raw = f"{sort[0]}.{row.likes}.{row.id}" if sort == "top" else f"{sort[0]}.{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str) -> tuple[int, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, *numbers = raw.split(".")
        values = tuple(int(n) for n in numbers)
    except (ValueError, UnicodeDecodeError):
        raise bad_input("invalid cursor") from None
    if tag != sort[0] or len(values) != (2 if sort == "top" else 1):
        raise bad_input("cursor belongs to another sort order")
    return values


def roots_page(conn: Connection | Session, thread_id: int, sort: Sort, cursor: str | None,
               limit: int) -> tuple[list[Any], str | None]:
    """One page of top-level comments in ``sort`` order, and the cursor of the next page."""
    query = select(*_COLUMNS).where(Comment.thread_id == thread_id, Comment.depth == 0,
                                    Comment.status.in_(VISIBLE))
    after = decode_cursor(sort, cursor) if cursor else None
    if sort == "newest":
        if after:
            query = query.where(Comment.id < after[0])
        query = query.order_by(Comment.id.desc())
    elif sort == "oldest":
        if after:
            query = query.where(Comment.id > after[0])
        query = query.order_by(Comment.id.asc())
    else:
        if after:
            likes, last_id = after
            query = query.where((Comment.likes < likes)
                                | ((Comment.likes == likes) & (Comment.id < last_id)))
        query = query.order_by(Comment.likes.desc(), Comment.id.desc())
    rows = conn.execute(query.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(sort, rows[-1]) if more and rows else None


def replies(conn: Connection | Session, root_ids: Sequence[int], per_root: int) -> tuple[
        list[Any], set[int]]:
    """Replies of each root, oldest first, at most ``per_root`` each (one statement).

    Returns the rows and the roots that have more replies than were returned.
    """
    if not root_ids:
        return [], set()
    parts = [
        select(select(*_COLUMNS, Comment.root_id)
               .where(Comment.root_id == root, Comment.status.in_(VISIBLE))
               .order_by(Comment.id).limit(per_root + 1).subquery())
        for root in root_ids
    ]
    rows = conn.execute(parts[0] if len(parts) == 1 else union_all(*parts)).all()
    by_root: dict[int, list[Any]] = {}
    for row in rows:
        by_root.setdefault(row.root_id, []).append(row)
    more = {root for root, rs in by_root.items() if len(rs) > per_root}
    kept = [r for rs in by_root.values() for r in rs[:per_root]]
    kept.sort(key=lambda r: r.id)
    return kept, more


def replies_page(conn: Connection | Session, thread_id: int, root_id: int, cursor: str | None,
                 limit: int) -> tuple[list[Any], str | None]:
    """The replies of one root after ``cursor``, oldest first ("load more replies")."""
    query = select(*_COLUMNS).where(Comment.root_id == root_id, Comment.thread_id == thread_id,
                                    Comment.status.in_(VISIBLE))
    if cursor:
        query = query.where(Comment.id > decode_cursor("oldest", cursor)[0])
    rows = conn.execute(query.order_by(Comment.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor("oldest", rows[-1]) if more and rows else None


def counts(conn: Connection | Session, site_id: int, urls: dict[str, str]) -> dict[str, int]:
    """Published comment counts keyed by the URLs as given (``urls``: given -> canonical)."""
    found = dict(conn.execute(
        select(Thread.url, Thread.comment_count)
        .where(Thread.site_id == site_id, Thread.url.in_(set(urls.values())))
    ).all())
    return {given: found.get(canonical, 0) for given, canonical in urls.items()}


def set_status(session: Session, comment: Comment, status: str) -> None:
    """Change a comment's status and keep its thread's published count right.

    Every status change (moderation, deletion, erasure) goes through here so that the
    counts shown on listing pages never drift.
    """
    delta = (status == "published") - (comment.status == "published")
    comment.status = status
    if delta:
        session.execute(update(Thread).where(Thread.id == comment.thread_id)
                        .values(comment_count=Thread.comment_count + delta))
