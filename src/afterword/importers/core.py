"""What every importer shares: one record type, and the writer that turns records into comments.

A file is imported in one transaction: :func:`run_import` commits only when the whole file
was read, so a truncated or hostile file leaves nothing behind. Each record is keyed by
``(site, source, source id)`` in ``import_keys``; a second run finds the keys and adds
nothing. Spam keeps its status (it is never published by an import), IPs are anonymised
before they are stored, and every record that is not imported is counted by reason and
named by its line or id.
"""

from __future__ import annotations

import html as htmllib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import nh3
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from afterword.comments.pipeline import Policy
from afterword.comments.render import _ATTRIBUTES, _SCHEMES, _TAGS, REL, clean, render
from afterword.comments.store import Rejected, thread_url
from afterword.db.models import Comment, ImportKey, Site, Thread
from afterword.privacy.ip import anonymize_ip

MAX_TEXT = 100_000          # characters; ten times what the widget accepts
FUTURE_SLACK = timedelta(days=1)  # clocks and time zones of old exports are rarely exact
STATUSES = ("published", "pending", "spam", "deleted")
MAX_REJECTS_SHOWN = 50
TOO_LONG = (f"comment longer than {MAX_TEXT} characters", "too long")


@dataclass(slots=True)
class Record:
    """One comment as read from an export, before any checks."""

    source_id: str
    where: str                      # "line 12" or "comment 7": how a reject is named
    thread_url: str
    thread_title: str = ""
    thread_closed: bool = False
    thread_created: datetime | None = None
    parent_id: str | None = None
    status: str = "published"
    kind: str = "comment"           # comment | pingback | trackback
    author: str = ""
    email: str = ""
    website: str = ""
    text: str = ""
    html: str | None = None         # from sources that store HTML (sanitised on write);
    #                                 None: rendered from ``text`` like a new comment
    ip: str = ""
    created_at: datetime | None = None
    edited_at: datetime | None = None
    likes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # stored columns a source carries
    problem: tuple[str, str] | None = None  # (reason, code) when the reader already knows


@dataclass
class Report:
    """Counts by outcome and the named rejects, for the command line and the tests."""

    counts: Counter[str] = field(default_factory=Counter)
    rejects: list[str] = field(default_factory=list)

    def reject(self, where: str, reason: str, code: str) -> None:
        self.counts[f"skipped: {code}"] += 1
        if len(self.rejects) < MAX_REJECTS_SHOWN:
            self.rejects.append(f"{where}: {reason}")

    @property
    def imported(self) -> int:
        return sum(n for k, n in self.counts.items() if k.startswith("imported"))

    def lines(self) -> list[str]:
        out = [f"{name}\t{count}" for name, count in sorted(self.counts.items())]
        hidden = sum(n for k, n in self.counts.items() if k.startswith("skipped")) - len(
            self.rejects)
        out += [f"rejected {line}" for line in self.rejects]
        if hidden > 0:
            out.append(f"... and {hidden} more rejected")
        return out


def sanitize(markup: str) -> str:
    """The allow-list of Afterword's own comments applied to HTML from a file."""
    return nh3.clean(clean(markup), tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES,
                     link_rel=REL, strip_comments=True)


def paragraphs(markup: str) -> str:
    """HTML from another system laid out as WordPress displays it: blank lines make
    paragraphs, single line breaks ``<br>`` (the writer then applies :func:`sanitize`)."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", markup.replace("\r\n", "\n"))]
    wrapped = "".join(f"<p>{p}</p>" if not p.lstrip().lower().startswith("<p") else p
                      for p in parts if p)
    return re.sub(r"(?<!>)\n(?!<)", "<br>\n", wrapped)


def html_to_text(markup: str) -> str:
    """The words of an HTML comment, for search, spam learning and the author's edits."""
    stripped = nh3.clean(re.sub(r"(?i)<br\s*/?>|</p>", "\n", markup), tags=set())
    return htmllib.unescape(stripped).strip()


def parse_time(value: str) -> datetime | None:
    """ISO 8601 or WordPress's ``YYYY-MM-DD HH:MM:SS``; naive times are UTC."""
    value = value.strip()
    if not value or value.startswith("0000-00-00"):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(slots=True)
class _Placed:
    id: int
    parent_id: int | None
    root_id: int | None
    depth: int


_COMMENTS = Comment.__table__
_KEYS = ImportKey.__table__
# Built once: per-row ORM statement construction cost more than SQLite's own work.
_INSERT_COMMENT = _COMMENTS.insert().returning(_COMMENTS.c.id)
_INSERT_KEYS = _KEYS.insert()
_FIND_KEY = select(_KEYS.c.comment_id).where(
    _KEYS.c.site_id == bindparam("site"), _KEYS.c.source == bindparam("source"),
    _KEYS.c.source_id == bindparam("source_id"))
_FIND_PARENT = select(_COMMENTS.c.id, _COMMENTS.c.parent_id, _COMMENTS.c.root_id,
                      _COMMENTS.c.depth).join(_KEYS, _KEYS.c.comment_id == _COMMENTS.c.id).where(
    _KEYS.c.site_id == bindparam("site"), _KEYS.c.source == bindparam("source"),
    _KEYS.c.source_id == bindparam("source_id"))
KEY_BATCH = 1000
#: Exports repeat addresses (regulars, spam runs); parsing each with ipaddress is not free.
_anonymize = lru_cache(maxsize=65536)(anonymize_ip)


class Writer:
    """Writes records of one file for one site into the session (the caller commits)."""

    def __init__(self, session: Session, site: Site, source: str,
                 skip_kinds: Iterable[str] = ()) -> None:
        self.session = session
        self.site = site
        self.source = source
        self.skip_kinds = frozenset(skip_kinds)
        self.max_depth = Policy.of(site).max_depth
        self.report = Report()
        self.now = datetime.now(UTC)
        self._threads: dict[str, int] = {}
        self._placed: dict[str, _Placed] = {}
        self._waiting: dict[str, list[Record]] = {}   # parent source id -> its children
        self._keys: list[dict[str, Any]] = []          # import keys not yet written
        self._conn = session.connection()
        # A first import of this source has no earlier keys to look up, record by record.
        self._earlier = session.scalar(select(ImportKey.source_id).where(
            ImportKey.site_id == site.id, ImportKey.source == source).limit(1)) is not None

    # -- public surface ---------------------------------------------------------------------

    def add(self, record: Record) -> None:
        problem = record.problem or self._problem(record)
        if problem:
            self.report.reject(record.where, *problem)
            return
        if record.kind in self.skip_kinds:
            self.report.counts[f"skipped: {record.kind}"] += 1
            return
        if self._known(record.source_id):
            self.report.counts["already imported"] += 1
            return
        parent = None
        if record.parent_id:
            parent = self._parent(record.parent_id)
            if parent is None:  # not seen yet: wait for it (exports are not always in order)
                self._waiting.setdefault(record.parent_id, []).append(record)
                return
        self._insert(record, parent)

    def end_scope(self) -> None:
        """Replies whose parent never came are kept as top-level comments, and counted.

        WordPress exports have them when a parent was deleted from the database directly;
        losing the reply would lose someone's words, so it moves up instead.
        """
        while self._waiting:
            _, records = self._waiting.popitem()
            for record in records:
                self.report.counts["orphan replies made top-level"] += 1
                record.parent_id = None
                self._insert(record, None)
        self._write_keys()
        self._placed.clear()

    def _write_keys(self) -> None:
        if self._keys:
            self._conn.execute(_INSERT_KEYS, self._keys)
            self._keys = []

    def finish(self) -> Report:
        self.end_scope()
        count = (select(func.count()).where(Comment.thread_id == Thread.id,
                                            Comment.status == "published")
                 .scalar_subquery())
        self.session.execute(update(Thread).where(Thread.site_id == self.site.id)
                             .values(comment_count=count))
        return self.report

    # -- checks ---------------------------------------------------------------------------

    def _problem(self, record: Record) -> tuple[str, str] | None:
        if record.status not in STATUSES:
            return f"unknown status {record.status!r}", "unknown status"
        if not record.source_id:
            return "no id", "no id"
        if len(record.text) > MAX_TEXT or (record.html and len(record.html) > 2 * MAX_TEXT):
            return TOO_LONG
        if not record.text.strip() and record.status != "deleted":
            return "empty comment", "empty"
        if record.created_at is None:
            return "missing or unreadable date", "bad date"
        if record.created_at > self.now + FUTURE_SLACK:
            return f"date in the future ({record.created_at.isoformat()})", "future date"
        return None

    def _key(self, source_id: str) -> dict[str, Any]:
        return {"site": self.site.id, "source": self.source, "source_id": source_id}

    def _known(self, source_id: str) -> bool:
        if source_id in self._placed:
            return True
        return self._earlier and self._conn.execute(
            _FIND_KEY, self._key(source_id)).first() is not None

    def _parent(self, source_id: str) -> _Placed | None:
        found = self._placed.get(source_id)
        if found is not None or not self._earlier:
            return found
        row = self._conn.execute(_FIND_PARENT, self._key(source_id)).first()
        return _Placed(*row) if row else None

    # -- writing --------------------------------------------------------------------------

    def thread(self, url: str, title: str, closed: bool, created: datetime | None) -> int:
        """The id of the site's thread at ``url`` (canonical), created if new; raises
        :class:`Rejected` for a URL that is not on the site."""
        found = self._threads.get(url)  # the URL as the file spells it, seen before
        if found is not None:
            return found
        given, url = url, thread_url(self.site.url, url)
        found = self._threads.get(url)
        if found is not None:
            return found
        thread_id = self.session.scalar(select(Thread.id).where(
            Thread.site_id == self.site.id, Thread.url == url))
        if thread_id is None:
            thread_id = self.session.scalar(insert(Thread).values(
                site_id=self.site.id, url=url, title=clean(title)[:300], closed=closed,
                created_at=created or self.now).returning(Thread.id))
        self._threads[url] = self._threads[given] = thread_id
        return thread_id

    def _thread(self, record: Record) -> int | None:
        try:
            return self.thread(record.thread_url, record.thread_title, record.thread_closed,
                               record.thread_created or record.created_at)
        except Rejected as exc:
            self.report.reject(record.where, f"{exc.message}: {record.thread_url!r}",
                               "url not on this site")
            return None

    def _insert(self, record: Record, parent: _Placed | None) -> None:
        """Insert ``record``, then any replies that were waiting for it (without recursion:
        a long chain of out-of-order replies must not exhaust the stack)."""
        todo = [(record, parent)]
        while todo:
            record, parent = todo.pop()
            placed = self._insert_one(record, parent)
            for child in self._waiting.pop(record.source_id, ()):
                if placed is None:
                    self.report.reject(child.where, "its parent was rejected",
                                       "parent rejected")
                    self._drop_children(child)
                else:
                    todo.append((child, placed))

    def _insert_one(self, record: Record, parent: _Placed | None) -> _Placed | None:
        thread_id = self._thread(record)
        if thread_id is None:
            return None
        if parent is None:
            parent_id, root_id, depth = None, None, 0
        elif parent.depth + 1 >= self.max_depth:  # as deep as the site allows: a sibling
            parent_id, root_id, depth = parent.parent_id, parent.root_id, parent.depth
        else:
            parent_id, root_id, depth = parent.id, parent.root_id or parent.id, parent.depth + 1
        text = clean(record.text)
        html = render(text) if record.html is None else sanitize(record.html)
        if record.status == "deleted" and not text:
            html = ""
        extra = dict(record.extra)
        submission = extra.pop("spam_submission", None) or {}
        if record.kind != "comment":
            submission = {**submission, "comment_type": record.kind}
        comment_id = self._conn.execute(_INSERT_COMMENT, {
            "site_id": self.site.id, "thread_id": thread_id, "parent_id": parent_id,
            "root_id": root_id, "depth": depth, "status": record.status,
            "author": clean(record.author)[:100], "email": clean(record.email).strip()[:320],
            "website": clean(record.website)[:512], "text": text, "html": html,
            "ip": _anonymize(record.ip), "ip_hash": "", "user_agent": "",
            "created_at": record.created_at, "edited_at": record.edited_at,
            "likes": record.likes, "spam_probability": None, "spam_reasons": [],
            "spam_submission": submission, **extra}).scalar_one()
        self._keys.append({"site_id": self.site.id, "source": self.source,
                           "source_id": record.source_id, "comment_id": comment_id,
                           "created_at": self.now})
        if len(self._keys) >= KEY_BATCH:
            self._write_keys()
        self.report.counts[f"imported {record.status}"
                           + ("" if record.kind == "comment" else f" {record.kind}")] += 1
        placed = self._placed[record.source_id] = _Placed(comment_id, parent_id, root_id, depth)
        return placed

    def _drop_children(self, record: Record) -> None:
        todo = [record]
        while todo:
            for child in self._waiting.pop(todo.pop().source_id, ()):
                self.report.reject(child.where, "its parent was rejected", "parent rejected")
                todo.append(child)


def run_import(session: Session, site: Site, source: str, records: Iterator[Record] | Callable[
        [Writer], None], skip_kinds: Iterable[str] = ()) -> Report:
    """Feed a reader's records to a :class:`Writer` and commit once, at the end of the file.

    ``records`` is either an iterator of records, or a function that drives the writer
    itself (readers that know where their scopes end call ``writer.end_scope()``).
    """
    writer = Writer(session, site, source, skip_kinds)
    try:
        if callable(records):
            records(writer)
        else:
            for record in records:
                writer.add(record)
        report = writer.finish()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return report
