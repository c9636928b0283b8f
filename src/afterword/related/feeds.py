"""RSS and Atom feeds polled for a site's articles (outbound connections only then).

A site lists its feeds in ``Site.settings["related"]["feeds"]``. Each poll fetches every
feed with a connect/read timeout and an overall deadline, reads at most ``MAX_FEED_BYTES``,
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

import httpx
from sqlalchemy.orm import Session

from afterword.db.models import Site
from afterword.importers.core import html_to_text, parse_time
from afterword.importers.xmlstream import ImportFileError, parse
from afterword.related.api import canonical_url
from afterword.related.skips import record_skip
from afterword.related.store import MAX_BODY, ArticleIn, ArticleRefused, upsert_article

MAX_FEED_BYTES = 5_000_000
TIMEOUT = 10.0  # seconds to connect, and between two reads
DEADLINE = 30.0  # seconds for a whole feed, however slowly it trickles in
PREFIXES = {"http://www.w3.org/2005/Atom": "", "http://purl.org/rss/1.0/modules/content/":
            "content", "http://purl.org/dc/elements/1.1/": "dc"}
ITEMS = {"item", "entry"}  # RSS, Atom


class FeedSkipped(Exception):
    """A feed that gave no articles, with the reason shown to the site owner."""


@dataclass(slots=True)
class PollResult:
    stored: dict[str, int] = field(default_factory=dict)  # outcome -> count
    skipped: list[str] = field(default_factory=list)  # "feed url: reason"


def feeds_of(site: Site) -> list[str]:
    return [str(u) for u in ((site.settings or {}).get("related") or {}).get("feeds", [])][:20]


def fetch(url: str, client: httpx.Client) -> bytes:
    """The feed's bytes, within the size cap and the deadline, or :class:`FeedSkipped`."""
    started = time.monotonic()
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise FeedSkipped(f"the feed answered HTTP {response.status_code}")
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_FEED_BYTES:
                    raise FeedSkipped(f"the feed is larger than {MAX_FEED_BYTES:,} bytes")
                if time.monotonic() - started > DEADLINE:
                    raise FeedSkipped(f"the feed took longer than {DEADLINE:.0f} s")
            return bytes(data)
    except httpx.TimeoutException:
        raise FeedSkipped("the feed did not answer in time (connect or read timeout)") from None
    except httpx.HTTPError as exc:
        raise FeedSkipped(f"the feed could not be fetched ({type(exc).__name__})") from None


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


def poll_site(session: Session, site: Site, client: httpx.Client | None = None) -> PollResult:
    """Fetch and store every feed of ``site``; commits after each feed."""
    result = PollResult()
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=True,
                                    headers={"user-agent": "Afterword related-posts feed poller"})
    try:
        for feed in feeds_of(site):
            try:
                entries = items(fetch(feed, client))
                if not entries:
                    raise FeedSkipped("the feed lists no items")
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
