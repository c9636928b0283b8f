"""Afterword's own JSON: ``afterword export`` writes it and ``afterword import afterword`` reads it.

Everything a comment row holds travels, except the keyed IP hash (it is tied to this
server's secret and expires with the key period anyway) and the numeric ids (renumbered on
import; the tree is rebuilt from ``parent``). The file is one JSON document, written one
thread per line, so both sides stream: export never holds more than one thread, and import
reads line by line when the layout is the one export writes (any other valid JSON
document is read whole).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterword.comments.store import Rejected
from afterword.db.models import Comment, Site, Thread
from afterword.importers.core import Record, Writer, parse_time
from afterword.importers.xmlstream import ImportFileError

FORMAT = "afterword-comments"
VERSION = 1
_EXTRA: dict[str, type | tuple[type, ...]] = {
    "spam_probability": (int, float), "spam_reasons": list, "spam_submission": dict}


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _comment(c: Comment) -> dict[str, Any]:
    return {"id": c.id, "parent": c.parent_id, "status": c.status, "author": c.author,
            "email": c.email, "website": c.website, "text": c.text, "html": c.html,
            "ip": c.ip, "user_agent": c.user_agent, "created": _iso(c.created_at),
            "edited": _iso(c.edited_at), "likes": c.likes,
            "spam_probability": c.spam_probability, "spam_reasons": c.spam_reasons,
            "spam_submission": c.spam_submission}


def export_site(session: Session, site: Site, out: IO[str]) -> int:
    """Write the site's threads and comments to ``out``; returns the number of comments."""
    head = {"format": FORMAT, "version": VERSION, "site": {"url": site.url, "name": site.name},
            "exported_at": datetime.now(UTC).isoformat()}
    out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "threads": [\n')
    total = 0
    first = True
    for thread in session.scalars(select(Thread).where(Thread.site_id == site.id)
                                  .order_by(Thread.id)).all():
        comments = [_comment(c) for c in session.scalars(
            select(Comment).where(Comment.thread_id == thread.id).order_by(Comment.id))]
        total += len(comments)
        line = json.dumps({"url": thread.url, "title": thread.title, "closed": thread.closed,
                           "created": _iso(thread.created_at), "comments": comments},
                          ensure_ascii=False)
        out.write(("" if first else ",\n") + line)
        first = False
        session.expunge_all()  # one thread at a time in memory
    out.write("\n]}\n")
    return total


def _open(stream: IO[bytes]) -> tuple[dict[str, Any], Iterator[Any]]:
    """The export's head and its threads, streamed when the file has export's layout."""
    first = stream.readline()
    head: Any = None
    if first.rstrip().endswith(b'"threads": ['):
        try:
            head = json.loads(first.rstrip()[:-len(b'"threads": [')].rstrip().rstrip(b",")
                              + b"}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            head = None
    if head is None:
        try:
            document = json.loads(first + stream.read())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ImportFileError(f"not an Afterword export: {exc}") from None
        _check_head(document)
        threads = document.get("threads")
        if not isinstance(threads, list):
            raise ImportFileError("not an Afterword export: no threads list")
        return document, iter(threads)
    _check_head(head)
    return head, _lines(stream)


def _lines(stream: IO[bytes]) -> Iterator[Any]:
    number = 1
    for raw in stream:
        number += 1
        text = raw.decode("utf-8", "replace").strip().removesuffix(",")
        if text == "]}":
            return
        if not text:
            continue
        try:
            yield json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFileError(f"line {number}: not valid JSON: {exc.msg}") from None
    raise ImportFileError(f"line {number}: the file ends early: truncated?")


def site_url_of(stream: IO[bytes]) -> str:
    """The URL of the site an export came from."""
    site = _open(stream)[0].get("site")
    url = site.get("url") if isinstance(site, dict) else None
    if not isinstance(url, str) or not url:
        raise ImportFileError("the export names no site; pass --site")
    return url


def _check_head(head: Any) -> None:
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise ImportFileError(f"not an Afterword export (expected \"format\": \"{FORMAT}\")")
    if head.get("version") != VERSION:
        raise ImportFileError(f"unsupported Afterword export version {head.get('version')!r}")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def read(stream: IO[bytes], writer: Writer) -> None:
    """Feed an Afterword export to ``writer``; raises :class:`ImportFileError` for a bad file."""
    for t_index, thread in enumerate(_open(stream)[1]):
        if not isinstance(thread, dict) or not isinstance(thread.get("comments"), list):
            raise ImportFileError(f"thread {t_index + 1}: expected an object with comments")
        url, title = _text(thread.get("url")), _text(thread.get("title"))
        closed, created = thread.get("closed") is True, parse_time(_text(thread.get("created")))
        try:
            writer.thread(url, title, closed, created)
        except Rejected as exc:
            writer.report.reject(f"thread {url!r}", exc.message, "url not on this site")
            continue
        for c in thread["comments"]:
            if not isinstance(c, dict):
                writer.report.reject(f"thread {url!r}", "a comment is not an object", "bad entry")
                continue
            extra = {k: c[k] for k, kind in _EXTRA.items() if isinstance(c.get(k), kind)}
            likes = c.get("likes")
            writer.add(Record(
                source_id=str(c.get("id", "")), where=f"comment {c.get('id')}", thread_url=url,
                thread_title=title, thread_closed=closed, thread_created=created,
                parent_id=str(c["parent"]) if c.get("parent") is not None else None,
                status=_text(c.get("status")), author=_text(c.get("author")),
                email=_text(c.get("email")), website=_text(c.get("website")),
                text=_text(c.get("text")), ip=_text(c.get("ip")),
                html=c["html"] if isinstance(c.get("html"), str) else None,
                created_at=parse_time(_text(c.get("created"))),
                edited_at=parse_time(_text(c.get("edited"))),
                likes=likes if isinstance(likes, int) and not isinstance(likes, bool) else 0,
                extra=extra | {"user_agent": _text(c.get("user_agent"))[:512]}))
        writer.end_scope()
