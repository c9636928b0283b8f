"""Articles in the database, and the per-worker indexes that follow them.

The database is the truth: every accepted article is a row, written before the answer.
Each worker keeps one :class:`RelatedIndex` per site in memory and catches up with the
rows whose ``seq`` is newer than what it has applied, at most every ``REFRESH_SECONDS``, so
an article pushed to one worker shows up in every worker's lists within about a second
and a restart simply rebuilds from the rows. A large site's first build (about 30 s at
100,000 articles) runs in a background thread: requests meanwhile get an empty list at
once rather than waiting, and the index catches up from where its rows were read.
Results are cached per index version, so a change invalidates them without any
cross-process signalling.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from afterword.db.models import RelatedArticle, RelatedState, Site
from afterword.related.index import Doc, Hit, Options, RelatedIndex

REFRESH_SECONDS = 0.5
MAX_ARTICLES = 200_000  # per site; beyond it new articles are refused with a reason
MAX_BODY = 60_000  # characters of article text kept; enough for relatedness
CACHE_SIZE = 4096
INLINE_BUILD = 5000  # articles: a smaller site's first build is quick enough to wait for

log = logging.getLogger(__name__)


class ArticleRefused(Exception):
    """An article that is not indexed, with the reason shown to the site owner."""


@dataclass(frozen=True, slots=True)
class Exclusions:
    """A site's rules (``Site.settings["related"]``) for articles never to index or show."""

    url_patterns: tuple[str, ...] = ()
    tags: frozenset[str] = frozenset()
    max_age_days: float | None = None

    @classmethod
    def of(cls, site: Site) -> Exclusions:
        conf: dict[str, Any] = (site.settings or {}).get("related", {})
        age = conf.get("max_age_days")
        return cls(tuple(conf.get("exclude_urls", ())),
                   frozenset(t.lower() for t in conf.get("exclude_tags", ())),
                   float(age) if age else None)

    def reason(self, url: str, tags: list[str], published: datetime | None) -> str | None:
        for pattern in self.url_patterns:
            if fnmatch.fnmatchcase(url, pattern):
                return f"URL matches excluded pattern {pattern!r}"
        hit = self.tags & {t.lower() for t in tags}
        if hit:
            return f"excluded tag {min(hit)!r}"
        if (self.max_age_days and published is not None
                and published < datetime.now(UTC) - timedelta(days=self.max_age_days)):
            return f"older than {self.max_age_days:g} days"
        return None


@dataclass(slots=True)
class ArticleIn:
    url: str
    title: str = ""
    description: str = ""
    body: str = ""
    tags: list[str] = field(default_factory=list)
    image: str = ""
    published_at: datetime | None = None
    modified_at: datetime | None = None


def _aware(when: datetime | None) -> datetime | None:
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def _next_seq(session: Session, site_id: int) -> int:
    # UPDATE first so concurrent writers serialise on the state row (PostgreSQL row lock,
    # SQLite database lock); the first article of a site inserts it.
    result = session.execute(update(RelatedState).where(RelatedState.site_id == site_id)
                             .values(seq=RelatedState.seq + 1))
    if result.rowcount == 0:
        session.add(RelatedState(site_id=site_id, seq=1))
        session.flush()
        return 1
    return _seq(session, site_id)


def _seq(session: Session, site_id: int) -> int:
    """The site's article sequence number: 0 before its first article."""
    return session.scalar(select(RelatedState.seq).where(RelatedState.site_id == site_id)) or 0


def upsert_article(session: Session, site: Site, article: ArticleIn, source: str) -> str:
    """Store (or update) an article; returns ``indexed``, ``unchanged`` or ``excluded``.

    Raises :class:`ArticleRefused` for a removed article or a full site. The caller commits.
    """
    published = _aware(article.published_at)
    modified = _aware(article.modified_at)
    row = session.scalar(select(RelatedArticle).where(
        RelatedArticle.site_id == site.id, RelatedArticle.url == article.url))
    if row is not None and row.status == "removed":
        raise ArticleRefused("article was removed; restore it with the API or CLI first")
    if row is not None and source == "page" and row.status == "indexed" and (
            modified is None or row.modified_at is None or _aware(row.modified_at) >= modified):
        return "unchanged"  # a page seen again: only a newer modified date re-indexes it
    excluded = Exclusions.of(site).reason(article.url, article.tags, published)
    if row is None:
        count = _seq(session, site.id)
        if count >= MAX_ARTICLES and _live_count(session, site.id) >= MAX_ARTICLES:
            raise ArticleRefused(f"site has {MAX_ARTICLES} articles, the most kept per site")
        row = RelatedArticle(site_id=site.id, url=article.url)
        session.add(row)
    row.title = article.title[:300]
    row.description = article.description[:1000]
    row.body = article.body[:MAX_BODY]
    row.tags = [t[:100] for t in article.tags[:50]]
    row.image = article.image[:2048]
    row.published_at = published
    row.modified_at = modified
    row.status = "excluded" if excluded else "indexed"
    row.source = source
    row.updated_at = datetime.now(UTC)
    row.seq = _next_seq(session, site.id)
    return "excluded" if excluded else "indexed"


def _live_count(session: Session, site_id: int) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(RelatedArticle).where(
        RelatedArticle.site_id == site_id, RelatedArticle.status == "indexed")) or 0


def set_status(session: Session, site: Site, url: str, status: str) -> bool:
    """Mark an article ``removed`` (gone, unpublished) or back to ``indexed``; False if unknown."""
    row = session.scalar(select(RelatedArticle).where(
        RelatedArticle.site_id == site.id, RelatedArticle.url == url))
    if row is None:
        return False
    row.status = status
    row.updated_at = datetime.now(UTC)
    row.seq = _next_seq(session, site.id)
    return True


def _doc(row: RelatedArticle) -> Doc:
    return Doc(key=row.url, title=row.title, description=row.description, body=row.body,
               tags=list(row.tags or ()), published=_aware(row.published_at))


@dataclass(frozen=True, slots=True)
class Related:
    url: str
    title: str
    image: str
    published_at: datetime | None
    score: float


class _SiteIndex:
    def __init__(self) -> None:
        self.index = RelatedIndex()
        self.seq = -1
        self.checked = float("-inf")
        self.meta: dict[str, tuple[str, str, datetime | None]] = {}
        self.cache: OrderedDict[tuple[Any, ...], list[Related]] = OrderedDict()
        self.lock = threading.Lock()
        self.building: threading.Thread | None = None


class RelatedService:
    """One per app (worker): the site indexes, kept in step with the database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._sites: dict[int, _SiteIndex] = {}
        self._lock = threading.Lock()

    def _site(self, site_id: int) -> _SiteIndex:
        with self._lock:
            return self._sites.setdefault(site_id, _SiteIndex())

    def refresh(self, site_id: int, force: bool = False) -> _SiteIndex:
        """Apply the rows changed since this worker last looked (at most every 0.5 s)."""
        state = self._site(site_id)
        if not force and time.monotonic() - state.checked < REFRESH_SECONDS:
            return state
        with state.lock:
            if state.building is not None or (
                    not force and time.monotonic() - state.checked < REFRESH_SECONDS):
                return state
            with self.sessions() as session:
                current = _seq(session, site_id)
                if current != state.seq:
                    if state.seq < 0 and _live_count(session, site_id) > INLINE_BUILD:
                        state.building = threading.Thread(
                            target=self._build, args=(site_id, state),
                            name=f"related-build-{site_id}", daemon=True)
                        state.building.start()
                        return state
                    self._apply(session, site_id, state)
                    state.seq = current
            state.checked = time.monotonic()
        return state

    def _build(self, site_id: int, state: _SiteIndex) -> None:
        """A site's first index, off the request path; refresh() goes on from its seq."""
        try:
            with self.sessions() as session:
                # The seq first: rows changed after it are applied again by the next
                # refresh, which is harmless; rows missed would not be.
                current = _seq(session, site_id)
                fresh = _SiteIndex()
                self._apply(session, site_id, fresh)
            with state.lock:
                state.index, state.meta, state.seq = fresh.index, fresh.meta, current
                state.cache.clear()
                state.checked = float("-inf")
        except Exception:  # the next request starts another attempt
            log.exception("building the related-posts index of site %s failed", site_id)
        finally:
            state.building = None

    @staticmethod
    def _apply(session: Session, site_id: int, state: _SiteIndex) -> None:
        first = state.seq < 0
        query = select(RelatedArticle).where(RelatedArticle.site_id == site_id)
        if first:
            query = query.where(RelatedArticle.status == "indexed")
        else:
            query = query.where(RelatedArticle.seq > state.seq)
        rows = session.scalars(query.order_by(RelatedArticle.seq)).all()
        if first:
            state.index.rebuild([_doc(r) for r in rows])
        for row in rows:
            if row.status == "indexed":
                if not first:
                    state.index.add(_doc(row))
                state.meta[row.url] = (row.title, row.image, _aware(row.published_at))
            else:
                state.index.remove(row.url)
                state.meta.pop(row.url, None)
        state.cache.clear()

    def related(self, site_id: int, url: str, limit: int,
                options: Options | None = None) -> list[Related]:
        state = self.refresh(site_id)
        key = (url, limit, options)
        with state.lock:
            hit = state.cache.get(key)
            if hit is not None:
                state.cache.move_to_end(key)
                return hit
            opts = options or Options()
            hits: list[Hit] = state.index.related(
                url, Options(limit, opts.min_score, opts.recency_half_life_days,
                             opts.recency_weight, opts.diversity))
            out = [Related(h.key, *state.meta[h.key], round(h.score, 4))
                   for h in hits if h.key in state.meta]
            state.cache[key] = out
            if len(state.cache) > CACHE_SIZE:
                state.cache.popitem(last=False)
            return out
