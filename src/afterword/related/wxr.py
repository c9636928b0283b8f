"""WordPress export (WXR) posts into the related index, for ``afterword import wordpress``.

The file is streamed with the importers' hardened expat reader (no DTDs, capped text, flat
memory), so a multi-gigabyte export costs one post at a time. Published posts and pages
become articles; drafts, attachments and menu items are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from afterword.db.models import Site
from afterword.importers.core import html_to_text, parse_time
from afterword.importers.wordpress import PREFIXES
from afterword.importers.xmlstream import parse
from afterword.related.api import canonical_url
from afterword.related.store import MAX_BODY, ArticleIn, ArticleRefused, upsert_article

POST_TYPES = {"post", "page"}


@dataclass(slots=True)
class WxrResult:
    indexed: int = 0
    excluded: int = 0
    skipped: int = 0
    refused: int = 0


def import_wxr_posts(session: Session, site: Site, path: str | Path) -> WxrResult:
    """Store the published posts of a WXR file as articles of ``site``; the caller commits.

    Raises ``ImportFileError`` (one line, with the line number) for a file that is not WXR.
    """
    result = WxrResult()
    item: dict[str, str] | None = None
    tags: list[str] = []
    depth_of_item = 0
    with open(path, "rb") as stream:
        for event, element, depth in parse(stream, PREFIXES, MAX_BODY * 4, "WordPress export"):
            if element.tag == "item":
                if event == "start":
                    item, tags, depth_of_item = {}, [], depth
                elif item is not None:
                    _store(session, site, item, tags, result)
                    item = None
            elif event == "end" and item is not None and depth == depth_of_item + 1:
                if element.tag == "category":
                    tags.append(element.text.strip())
                else:
                    item[element.tag] = element.text
    return result


def _store(session: Session, site: Site, item: dict[str, str], tags: list[str],
           result: WxrResult) -> None:
    url = canonical_url(item.get("link", ""))
    if (url is None or item.get("wp:status", "").strip() != "publish"
            or item.get("wp:post_type", "post").strip() not in POST_TYPES):
        result.skipped += 1
        return
    published = parse_time(item.get("wp:post_date_gmt", "")) or parse_time(
        item.get("wp:post_date", ""))
    article = ArticleIn(
        url=url, title=html_to_text(item.get("title", ""))[:300],
        description=html_to_text(item.get("excerpt:encoded", ""))[:1000],
        body=html_to_text(item.get("content:encoded", ""))[:MAX_BODY],
        tags=list(dict.fromkeys(t for t in tags if t))[:50],
        published_at=published,
        modified_at=parse_time(item.get("wp:post_modified_gmt", "")) or published)
    try:
        outcome = upsert_article(session, site, article, source="wxr")
    except ArticleRefused:
        result.refused += 1
        return
    if outcome == "excluded":
        result.excluded += 1
    else:
        result.indexed += 1
