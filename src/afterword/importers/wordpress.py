"""WordPress export files (WXR 1.0 to 1.2): comments under each item's ``wp:comment``.

``wp:comment_approved`` is ``1`` (published), ``0`` (pending), ``spam`` or ``trash``
(deleted); ``wp:comment_type`` ``pingback`` / ``trackback`` keep their type (or are skipped
on request). Items are streamed: a comment is written as soon as its element closes, and
the parent map is dropped at the end of each item (WordPress parents never cross posts).

Known quirks handled: HTML entities and bare ``&`` outside CDATA (repaired by
:mod:`.xmlstream`), empty or zero ``comment_id`` (keyed by a digest of the comment instead),
``0000-00-00`` GMT dates (the local date is used), replies whose parent is missing.
"""

from __future__ import annotations

import hashlib
from typing import BinaryIO

from afterword.importers.core import (
    MAX_TEXT,
    TOO_LONG,
    Record,
    Writer,
    html_to_text,
    paragraphs,
    parse_time,
)
from afterword.importers.xmlstream import ImportFileError, parse

PREFIXES = {"http://wordpress.org/export/": "wp", "http://purl.org/rss/1.0/modules/content/":
            "content", "http://purl.org/dc/elements/1.1/": "dc",
            "http://wordpress.org/export/1.2/excerpt/": "excerpt"}
STATUS = {"1": "published", "approve": "published", "0": "pending", "hold": "pending",
          "spam": "spam", "trash": "deleted", "post-trashed": "deleted"}
KINDS = {"": "comment", "comment": "comment", "pingback": "pingback", "trackback": "trackback"}


def _record(item: dict[str, str], c: dict[str, str], line: int, oversize: bool) -> Record:
    raw_id = c.get("wp:comment_id", "").strip()
    post = item.get("wp:post_id", "").strip() or item.get("link", "")
    content = c.get("wp:comment_content", "")
    if raw_id in ("", "0"):  # some plugins export comments without ids: key them by content
        digest = hashlib.sha256("\x1f".join((c.get("wp:comment_author", ""), c.get(
            "wp:comment_date", ""), content)).encode()).hexdigest()[:24]
        source_id = f"{post}:h{digest}"
    else:
        source_id = f"{post}:{raw_id}"
    parent = c.get("wp:comment_parent", "").strip()
    approved = c.get("wp:comment_approved", "1").strip()
    kind = KINDS.get(c.get("wp:comment_type", "").strip(), "comment")
    created = parse_time(c.get("wp:comment_date_gmt", "")) or parse_time(
        c.get("wp:comment_date", ""))
    record = Record(
        source_id=source_id, where=f"line {line} (wp:comment {raw_id or '(no id)'})",
        thread_url=item.get("link", "").strip(), thread_title=item.get("title", ""),
        thread_closed=item.get("wp:comment_status", "open").strip() == "closed",
        parent_id=f"{post}:{parent}" if parent not in ("", "0") else None,
        status=STATUS.get(approved, ""), kind=kind,
        author=c.get("wp:comment_author", "").strip(),
        email=c.get("wp:comment_author_email", "").strip(),
        website=c.get("wp:comment_author_url", "").strip(),
        text=html_to_text(content), html=paragraphs(content),
        ip=c.get("wp:comment_author_IP", "").strip(), created_at=created)
    if oversize:
        record.problem = TOO_LONG
    elif approved not in STATUS:
        record.problem = f"unknown wp:comment_approved {approved[:20]!r}", "unknown status"
    return record


def read(stream: BinaryIO, writer: Writer) -> None:
    """Stream a WXR file into ``writer``; raises :class:`ImportFileError` for a bad file."""
    item: dict[str, str] | None = None
    comment: dict[str, str] | None = None
    comment_line, oversize, item_depth = 0, False, 0
    seen_root = False
    for event, element, depth in parse(stream, PREFIXES, MAX_TEXT + 1, "WordPress export"):
        if not seen_root:
            if element.tag != "rss":
                local = element.tag.rpartition("}")[2]
                raise ImportFileError(f"line {element.line}: not a WordPress export (WXR): "
                                      f"the document starts with <{local}>, not <rss>")
            seen_root = True
        tag = element.tag
        if event == "start":
            if tag == "item":
                item, item_depth = {}, depth
            elif tag == "wp:comment" and item is not None:
                comment, comment_line, oversize = {}, element.line, False
            continue
        if tag == "item":
            item = None
            writer.end_scope()
        elif tag == "wp:comment" and comment is not None and item is not None:
            writer.add(_record(item, comment, comment_line, oversize))
            comment = None
        elif comment is not None and depth == item_depth + 2:
            comment[tag] = element.text
            oversize = oversize or element.oversize
        elif item is not None and depth == item_depth + 1:
            item[tag] = element.text[:2048]
    if not seen_root:
        raise ImportFileError("the file is empty")
