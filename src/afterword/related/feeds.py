"""RSS/Atom feeds and sitemaps polled for a site's articles (outbound connections only then).

A site lists its feeds in ``Site.settings["related"]["feeds"]`` and sitemaps in
``["sitemaps"]``. A sitemap names pages only, so each new or changed page (by ``lastmod``)
is fetched, at most ``MAX_PAGES`` a poll: its ``<article>`` text and meta tags are read as
related.js would; a page that answers 410 is removed; one without ``<article>`` is a skip.
Each poll fetches every document with a connect/read timeout and an overall deadline, reads
at most ``MAX_FEED_BYTES``,
parses it with the importers' hardened XML reader (no DTDs, no entity expansion), and
stores each item through the same door as pushed articles, so exclusions (URL pattern,
tag, age) and removals apply unchanged. A feed that hangs, is too big, or is not RSS/Atom
is a skip with its reason on the admin's skips page, never an exception for the caller:
one bad feed does not stop the others.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from afterword.db.models import RelatedArticle, Site
from afterword.importers.core import html_to_text, parse_time
from afterword.importers.xmlstream import ImportFileError, parse
from afterword.related.api import canonical_url
from afterword.related.skips import record_skip
from afterword.related.store import (
    MAX_BODY,
    ArticleIn,
    ArticleRefused,
    _aware,
    set_status,
    upsert_article,
)
from afterword.sites import origin_of

MAX_FEED_BYTES = 5_000_000
MAX_PAGES = 200  # sitemap pages fetched per poll; the rest wait for the next one
TIMEOUT = 10.0  # seconds to connect, and between two reads
DEADLINE = 30.0  # seconds for a whole feed, however slowly it trickles in
PREFIXES = {"http://www.w3.org/2005/Atom": "", "http://purl.org/rss/1.0/modules/content/":
            "content", "http://purl.org/dc/elements/1.1/": "dc"}
ITEMS = {"item", "entry"}  # RSS, Atom
SITEMAP = {"http://www.sitemaps.org/schemas/sitemap/": ""}


class FeedSkipped(Exception):
    """A feed that gave no articles, with the reason shown to the site owner."""


@dataclass(slots=True)
class PollResult:
    stored: dict[str, int] = field(default_factory=dict)  # outcome -> count
    skipped: list[str] = field(default_factory=list)  # "feed url: reason"


def feeds_of(site: Site, kind: str = "feeds") -> list[str]:
    return [str(u) for u in ((site.settings or {}).get("related") or {}).get(kind, [])][:20]


class Gone(Exception):
    """The page answered 410 Gone: it was removed on purpose."""


def fetch(url: str, client: httpx.Client) -> bytes:
    """The document's bytes, within the size cap and the deadline, or :class:`FeedSkipped`."""
    started = time.monotonic()
    try:
        with client.stream("GET", url) as response:
            if response.status_code == 410:
                raise Gone(url)
            if response.status_code != 200:
                raise FeedSkipped(f"answered HTTP {response.status_code}")
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_FEED_BYTES:
                    raise FeedSkipped(f"larger than {MAX_FEED_BYTES:,} bytes")
                if time.monotonic() - started > DEADLINE:
                    raise FeedSkipped(f"took longer than {DEADLINE:.0f} s")
            return bytes(data)
    except httpx.TimeoutException:
        raise FeedSkipped("did not answer in time (connect or read timeout)") from None
    except httpx.HTTPError as exc:
        raise FeedSkipped(f"could not be fetched ({type(exc).__name__})") from None


def items(data: bytes) -> list[dict[str, object]]:
    """The RSS or Atom entries of ``data`` as plain fields, or :class:`FeedSkipped`."""
    found: list[dict[str, object]] = []
    entry: dict[str, object] | None = None
    root = None
    try:
        for event, element, depth in parse(io.BytesIO(data), PREFIXES, MAX_BODY * 4, "feed"):
            if root is None:
                root = element.tag
                if root not in {"rss", "feed", "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"}:
                    raise FeedSkipped(f"not an RSS or Atom feed (the document is <{root}>)")
            if element.tag in ITEMS:
                if event == "start":
                    entry = {"tags": []}
                elif entry is not None:
                    found.append(entry)
                    entry = None
            elif event == "end" and entry is not None:
                _field(entry, element.tag, element.text, element.attrs)
    except ImportFileError as exc:
        raise FeedSkipped(f"the feed is not well-formed XML: {exc}") from None
    if root is None:
        raise FeedSkipped("the feed is empty")
    return found


def _field(entry: dict[str, object], tag: str, text: str, attrs: dict[str, str]) -> None:
    if tag == "link":  # Atom: <link rel="alternate" href>; RSS: <link>url</link>
        if attrs.get("href") and attrs.get("rel", "alternate") == "alternate":
            entry["link"] = attrs["href"]
        elif text.strip():
            entry.setdefault("link", text.strip())
    elif tag == "category":
        entry["tags"].append((attrs.get("term") or text).strip())  # type: ignore[union-attr]
    elif tag in {"title", "description", "summary", "content", "content:encoded", "pubDate",
                 "published", "updated", "dc:date"}:
        entry.setdefault(tag, text)


def _article(entry: dict[str, object]) -> ArticleIn | None:
    url = canonical_url(str(entry.get("link", "")))
    if url is None:
        return None
    body = str(entry.get("content:encoded") or entry.get("content") or "")
    summary = str(entry.get("description") or entry.get("summary") or "")
    when = str(entry.get("pubDate") or entry.get("published") or entry.get("dc:date") or "")
    return ArticleIn(url=url, title=html_to_text(str(entry.get("title", "")))[:300],
                     description=html_to_text(summary)[:1000],
                     body=html_to_text(body or summary)[:MAX_BODY],
                     tags=[t for t in entry["tags"] if t][:50],  # type: ignore[union-attr]
                     published_at=_when(when),
                     modified_at=_when(str(entry.get("updated") or "")))


def _when(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        return parsedate_to_datetime(value)  # RSS: RFC 822
    except (TypeError, ValueError):
        return parse_time(value)  # Atom: ISO 8601; None when neither


def sitemap_pages(data: bytes) -> list[tuple[str, datetime | None]]:
    """``(loc, lastmod)`` of a sitemap's pages, or :class:`FeedSkipped`."""
    pages: list[tuple[str, datetime | None]] = []
    root, loc, lastmod = None, "", None
    try:
        for event, element, _depth in parse(io.BytesIO(data), SITEMAP, 4096, "sitemap"):
            if root is None:
                root = element.tag
                if root != "urlset":
                    raise FeedSkipped(f"not a sitemap of pages (the document is <{root}>)")
            if event != "end":
                continue
            if element.tag == "loc":
                loc = element.text.strip()
            elif element.tag == "lastmod":
                lastmod = parse_time(element.text)
            elif element.tag == "url":
                pages.append((loc, lastmod))
                loc, lastmod = "", None
    except ImportFileError as exc:
        raise FeedSkipped(f"the sitemap is not well-formed XML: {exc}") from None
    if root is None:
        raise FeedSkipped("the sitemap is empty")
    return pages


class _Page(HTMLParser):
    """The parts of an HTML page related.js reports: meta tags and the <article> text."""

    SKIP = frozenset({"script", "style", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.tags: list[str] = []
        self.title: list[str] = []
        self.text: list[str] = []
        self.in_article = self.in_title = self.skipping = 0
        self.has_article = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta":
            key = a.get("property") or a.get("name") or ""
            if key == "article:tag":
                self.tags.append(a.get("content", ""))
            elif key:
                self.meta.setdefault(key, a.get("content", ""))
        elif tag == "article":
            self.in_article += 1
            self.has_article = True
        elif tag == "title":
            self.in_title += 1
        elif tag in self.SKIP:
            self.skipping += 1
        elif tag in {"p", "br", "div", "li", "h1", "h2", "h3"} and self.in_article:
            self.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "article" and self.in_article:
            self.in_article -= 1
        elif tag == "title" and self.in_title:
            self.in_title -= 1
        elif tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.in_title:
            self.title.append(data)
        if self.in_article and sum(map(len, self.text)) < MAX_BODY:
            self.text.append(data)


def page_article(url: str, data: bytes) -> ArticleIn:
    """A fetched page as an article, or :class:`FeedSkipped` when it has no ``<article>``."""
    page = _Page()
    page.feed(data.decode("utf-8", "replace"))
    page.close()
    if not page.has_article:
        raise FeedSkipped("the page has no <article> element")
    m = page.meta
    return ArticleIn(url=url, title=(m.get("og:title") or "".join(page.title)).strip()[:300],
                     description=(m.get("og:description") or m.get("description", ""))[:1000],
                     body="".join(page.text).strip()[:MAX_BODY],
                     tags=[t for t in page.tags if t][:50], image=m.get("og:image", "")[:2048],
                     published_at=parse_time(m.get("article:published_time", "")),
                     modified_at=parse_time(m.get("article:modified_time", "")))


def _poll_sitemap(session: Session, site: Site, sitemap: str, client: httpx.Client,
                  result: PollResult) -> None:
    known = {row.url: row for row in session.scalars(
        select(RelatedArticle).where(RelatedArticle.site_id == site.id))}
    fetched = 0
    for loc, lastmod in sitemap_pages(fetch(sitemap, client)):
        url = canonical_url(loc)
        row = known.get(url or "")
        if url is None or origin_of(url) not in set(site.allowed_origins or ()) | {
                origin_of(site.url)}:
            outcome = "not on the site"
        elif row is not None and row.status == "removed":
            outcome = "removed earlier"  # stays removed until restored by hand
        elif row is not None and (lastmod is None or (
                row.modified_at is not None and _aware(row.modified_at) >= lastmod)):
            outcome = "unchanged"
        elif fetched >= MAX_PAGES:
            outcome = "left for the next poll"
        else:
            fetched += 1
            outcome = _store_page(session, site, url, client)
        result.stored[outcome] = result.stored.get(outcome, 0) + 1
        session.commit()


def _store_page(session: Session, site: Site, url: str, client: httpx.Client) -> str:
    try:
        article = page_article(url, fetch(url, client))
        if not (article.title or article.body):
            raise FeedSkipped("nothing to index: the page has no title and no article text")
        return upsert_article(session, site, article, source="feed")
    except Gone:
        return "removed" if set_status(session, site, url, "removed") else "gone"
    except (FeedSkipped, ArticleRefused) as exc:
        record_skip(session, site.id, "feed", url, str(exc))
        return "skipped"


def poll_site(session: Session, site: Site, client: httpx.Client | None = None) -> PollResult:
    """Fetch and store every feed of ``site``; commits after each feed."""
    result = PollResult()
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=True,
                                    headers={"user-agent": "Afterword related-posts feed poller"})
    try:
        for sitemap in feeds_of(site, "sitemaps"):
            try:
                _poll_sitemap(session, site, sitemap, client, result)
            except (FeedSkipped, Gone) as exc:
                reason = str(exc) if isinstance(exc, FeedSkipped) else "answered HTTP 410"
                result.skipped.append(f"{sitemap}: {reason}")
                record_skip(session, site.id, "feed", sitemap, reason)
                session.commit()
        for feed in feeds_of(site):
            try:
                entries = items(fetch(feed, client))
                if not entries:
                    raise FeedSkipped("the feed lists no items")
            except Gone:
                result.skipped.append(f"{feed}: answered HTTP 410")
                record_skip(session, site.id, "feed", feed, "answered HTTP 410")
                session.commit()
                continue
            except FeedSkipped as exc:
                result.skipped.append(f"{feed}: {exc}")
                record_skip(session, site.id, "feed", feed, str(exc))
                session.commit()
                continue
            for entry in entries:
                article = _article(entry)
                if article is None:
                    outcome = "no link"
                else:
                    try:
                        outcome = upsert_article(session, site, article, source="feed")
                    except ArticleRefused as exc:
                        record_skip(session, site.id, "feed", article.url, str(exc))
                        outcome = "refused"
                result.stored[outcome] = result.stored.get(outcome, 0) + 1
            session.commit()
    finally:
        if own:
            client.close()
    return result
