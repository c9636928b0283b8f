"""Threads and comments in the database: lookups, keyset pages, counts, status changes.

Reads use Core selects of the few columns a page shows (no ORM objects), because the first
page of a thread is the hottest request Afterword serves.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Connection, TextClause, event, insert, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session, object_session

from afterword.db.models import Comment, Site, Thread
from afterword.sites import SiteError, normalise_site_url

Sort = Literal["newest", "oldest", "top"]
T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


class Rejected(Exception):
    """A request refused for a reason the person can act on; ``message`` is shown as is."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def bad_input(message: str) -> Rejected:
    return Rejected(400, message)


@lru_cache(maxsize=8192)
def thread_url(site_url: str, url: str) -> str:
    """The canonical form of an article URL, which must lie under the site's URL.

    Scheme and host case, default ports and the fragment never name a different article;
    http and https do not either (a site moving to https keeps its threads). Cached: a
    listing page asks for the counts of the same URLs on every view.
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


@dataclass(frozen=True, slots=True)
class SiteRow:
    """What the comment doors need of a site, read without building an ORM object."""

    id: int
    url: str
    name: str
    settings: dict[str, Any]


_SITE = text("SELECT id, url, name, settings FROM sites WHERE url = :url").columns(
    Site.id, Site.url, Site.name, Site.settings)
_THREAD = text("SELECT id, url, title, comment_count, closed, created_at FROM threads "
               "WHERE site_id = :site AND url = :url").columns(
    Thread.id, Thread.url, Thread.title, Thread.comment_count, Thread.closed, Thread.created_at)


def find_site(conn: Connection | Session, site_url: str) -> SiteRow | None:
    try:
        url = normalise_site_url(site_url)
    except SiteError:
        return None
    row = conn.execute(_SITE, {"url": url}).first()
    return SiteRow(row.id, row.url, row.name, row.settings or {}) if row else None


@dataclass(frozen=True, slots=True)
class ThreadRow:
    id: int
    url: str
    title: str
    comment_count: int
    closed: bool
    created_at: datetime


def find_thread(conn: Connection | Session, site_id: int, url: str) -> ThreadRow | None:
    row = conn.execute(_THREAD, {"site": site_id, "url": url}).first()
    return ThreadRow(*row) if row else None


@dataclass(frozen=True, slots=True)
class ThreadState:
    """What posting needs of a thread: its id and whether it still takes comments."""

    id: int
    closed: bool
    created_at: datetime


# A new comment needs both, and they come in one statement.
_SITE_AND_THREAD = text(
    "SELECT sites.id, sites.url, sites.name, sites.settings, threads.id AS thread_id, "
    "threads.closed, threads.created_at FROM sites "
    "LEFT JOIN threads ON threads.site_id = sites.id AND threads.url = :thread "
    "WHERE sites.url = :site").columns(
    id=Site.id.type, url=Site.url.type, name=Site.name.type, settings=Site.settings.type,
    thread_id=Thread.id.type, closed=Thread.closed.type, created_at=Thread.created_at.type)


def find_site_and_thread(conn: Connection, site_url: str, article_url: str) -> tuple[
        SiteRow, str, ThreadState | None]:
    """The site registered as ``site_url``, the canonical URL of its article ``article_url``
    and that article's thread if it has one yet. Raises :class:`Rejected` for an unknown
    site (404) or an article URL outside it (400)."""
    try:
        base = normalise_site_url(site_url)
    except SiteError:
        raise Rejected(404, "unknown site") from None
    try:
        url, bad = thread_url(base, article_url), None
    except Rejected as exc:  # said only once the site is known to exist
        url, bad = "", exc
    row = conn.execute(_SITE_AND_THREAD, {"site": base, "thread": url}).first()
    if row is None:
        raise Rejected(404, "unknown site")
    if bad is not None:
        raise bad
    thread = None if row.thread_id is None else ThreadState(
        row.thread_id, row.closed, row.created_at)
    return SiteRow(row.id, row.url, row.name, row.settings or {}), url, thread


def create_thread(conn: Connection, site_id: int, url: str, title: str) -> ThreadState:
    """The thread for ``url``, created (and committed) on its first comment."""
    try:
        conn.execute(insert(Thread).values(site_id=site_id, url=url, title=title[:300]))
        conn.commit()
    except IntegrityError:  # another request created it a moment ago
        conn.rollback()
    found = find_thread(conn, site_id, url)
    assert found is not None
    return ThreadState(found.id, found.closed, found.created_at)


# How long a worker trusts what it read of a site and its threads for posting. A change
# made through this process's ORM (the admin's site settings, a moderator closing a thread)
# is seen by the next comment (see _note_change); one made elsewhere (another worker, the
# CLI, SQL by hand) within this many seconds, as for the moderators' rules
# (afterword.moderation.rules.CACHE_SECONDS).
CACHE_SECONDS = 5.0
_MAX_KEPT = 10_000  # entries per kind; a full cache starts again empty
_generation = 0  # moves on every committed ORM change to a site or a thread


class PostingLookups:
    """The site and thread of each new comment, read from the database once per
    ``CACHE_SECONDS`` (and after any change this process commits to a site or thread).

    Every comment needs both, and reading them was 8 % of a comment's instructions (SQL,
    and SQLAlchemy turning the row into typed values), while a site's row changes only when
    an admin saves it and a thread's when a moderator closes it. Only rows found are kept:
    an article without a thread is looked up again until its first comment creates one
    (:meth:`created`).
    """

    def __init__(self) -> None:
        self._sites: dict[str, tuple[float, int, SiteRow]] = {}
        self._threads: dict[tuple[int, str], tuple[float, int, ThreadState]] = {}

    def site_and_thread(self, conn: Connection, site_url: str, article_url: str) -> tuple[
            SiteRow, str, ThreadState | None]:
        """:func:`find_site_and_thread`, from what was read before while it is fresh."""
        now, generation = time.monotonic(), _generation
        site = _fresh(self._sites.get(site_url), now, generation)
        if site is not None:
            url = thread_url(site.url, article_url)
            thread = _fresh(self._threads.get((site.id, url)), now, generation)
            if thread is not None:
                return site, url, thread
        site, url, thread = find_site_and_thread(conn, site_url, article_url)
        _keep(self._sites, site_url, (now + CACHE_SECONDS, generation, site))
        if thread is not None:
            _keep(self._threads, (site.id, url), (now + CACHE_SECONDS, generation, thread))
        return site, url, thread

    def created(self, conn: Connection, site_id: int, url: str, title: str) -> ThreadState:
        """:func:`create_thread`, remembered for the next comments."""
        now, generation = time.monotonic(), _generation
        thread = create_thread(conn, site_id, url, title)
        _keep(self._threads, (site_id, url), (now + CACHE_SECONDS, generation, thread))
        return thread


def _fresh(entry: tuple[float, int, T] | None, now: float, generation: int) -> T | None:
    if entry is None or entry[0] <= now or entry[1] != generation:
        return None
    return entry[2]


def _keep(kept: dict[K, V], key: K, value: V) -> None:
    if len(kept) >= _MAX_KEPT and key not in kept:
        kept.clear()
    kept[key] = value


_CHANGED = "afterword.comments.site_or_thread_changed"


@event.listens_for(Site, "after_insert")
@event.listens_for(Site, "after_update")
@event.listens_for(Site, "after_delete")
@event.listens_for(Thread, "after_update")
@event.listens_for(Thread, "after_delete")
def _note_change(_mapper: Any, _connection: Any, target: Any) -> None:
    session = object_session(target)
    if session is not None:
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_change(state: ORMExecuteState) -> None:
    """``session.execute(update(Site)...)`` changes rows without loading them."""
    if (state.is_update or state.is_delete) and any(
            mapper.class_ in (Site, Thread) for mapper in state.all_mappers):
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    # After the commit, not at the flush: a comment read in between would keep the old row.
    global _generation
    if session.info.pop(_CHANGED, False):
        _generation += 1


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)


_COLUMNS = (Comment.id, Comment.parent_id, Comment.depth, Comment.status, Comment.author,
            Comment.website, Comment.html, Comment.created_at, Comment.edited_at, Comment.likes)
# Deleted comments stay listed: a placeholder keeps their replies in place.
_SELECT = ("SELECT id, parent_id, depth, status, author, website, html, created_at, edited_at, "
           "likes, root_id FROM comments WHERE status IN ('published', 'deleted') AND ")


def _typed(sql: str) -> TextClause:
    # Hand-written SQL for the hottest reads: building and caching an expression tree per
    # request cost more than the query itself. Typed columns keep dates right on both databases.
    return text(sql).columns(*_COLUMNS, Comment.root_id)


# Each keyset predicate matches an index (thread_id, depth, [likes,] id): a range scan that
# stops after LIMIT rows, whatever the size of the thread.
_ROOTS = {
    ("newest", False): _typed(_SELECT + "thread_id = :thread AND depth = 0 "
                              "ORDER BY id DESC LIMIT :n"),
    ("newest", True): _typed(_SELECT + "thread_id = :thread AND depth = 0 AND id < :after "
                             "ORDER BY id DESC LIMIT :n"),
    ("oldest", False): _typed(_SELECT + "thread_id = :thread AND depth = 0 ORDER BY id LIMIT :n"),
    ("oldest", True): _typed(_SELECT + "thread_id = :thread AND depth = 0 AND id > :after "
                             "ORDER BY id LIMIT :n"),
    ("top", False): _typed(_SELECT + "thread_id = :thread AND depth = 0 "
                           "ORDER BY likes DESC, id DESC LIMIT :n"),
    ("top", True): _typed(_SELECT + "thread_id = :thread AND depth = 0 "
                          "AND (likes, id) < (:likes, :after) ORDER BY likes DESC, id DESC LIMIT :n"),
}
_REPLIES_AFTER = _typed(_SELECT + "root_id = :root AND thread_id = :thread AND id > :after "
                        "ORDER BY id LIMIT :n")


@lru_cache(maxsize=128)
def _replies_of(roots: int) -> TextClause:
    """One statement for the replies of ``roots`` roots, at most ``:n`` each."""
    inner = _SELECT + "root_id = :r{i} ORDER BY id LIMIT :n"
    parts = [f"SELECT * FROM ({inner.format(i=i)}) AS r{i}" for i in range(roots)]
    return _typed(" UNION ALL ".join(parts))


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
    params: dict[str, Any] = {"thread": thread_id, "n": limit + 1}
    if cursor:
        after = decode_cursor(sort, cursor)
        params["after"] = after[-1]
        if sort == "top":
            params["likes"] = after[0]
    rows = conn.execute(_ROOTS[sort, bool(cursor)], params).all()
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
    params: dict[str, Any] = {f"r{i}": root for i, root in enumerate(root_ids)}
    params["n"] = per_root + 1
    rows = conn.execute(_replies_of(len(root_ids)), params).all()
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
    after = decode_cursor("oldest", cursor)[0] if cursor else 0
    rows = conn.execute(_REPLIES_AFTER, {"root": root_id, "thread": thread_id, "after": after,
                                         "n": limit + 1}).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor("oldest", rows[-1]) if more and rows else None


# The URL list goes as one parameter: binding a hundred separate ones cost more than the
# query itself. SQLite unpacks a JSON array; PostgreSQL takes an array.
_COUNTS = {
    "sqlite": text("SELECT url, comment_count FROM threads WHERE site_id = :site "
                   "AND url IN (SELECT value FROM json_each(:urls))"),
    "postgresql": text("SELECT url, comment_count FROM threads WHERE site_id = :site "
                       "AND url = ANY(:urls)"),
}


def counts(session: Session, site_id: int, urls: dict[str, str]) -> dict[str, int]:
    """Published comment counts keyed by the URLs as given (``urls``: given -> canonical)."""
    wanted = sorted(set(urls.values()) - {""})
    found: dict[str, int] = {}
    if wanted:
        dialect = session.get_bind().dialect.name
        param = json.dumps(wanted) if dialect == "sqlite" else wanted
        found = dict(session.execute(_COUNTS[dialect], {"site": site_id, "urls": param}).all())
    return {given: found.get(canonical, 0) for given, canonical in urls.items()}


def set_status(session: Session, comment: Comment, status: str) -> None:
    """Change a comment's status and keep its thread's published count right.

    Every status change (moderation, deletion, erasure) goes through here so that the
    counts shown on listing pages never drift.
    """
    delta = (status == "published") - (comment.status == "published")
    if status != comment.status:
        comment.status_at = datetime.now(UTC)
    comment.status = status
    if delta:
        session.execute(update(Thread).where(Thread.id == comment.thread_id)
                        .values(comment_count=Thread.comment_count + delta))
