"""Disqus export files: ``<thread dsq:id>`` elements, then flat ``<post>`` elements that name
their thread and parent by ``dsq:id``.

``isSpam`` goes to the spam queue (never published, unlike several other importers) and
``isDeleted`` is stored deleted. A thread is found by its link, or by its identifier when
that is a URL or a path on the site.
"""

from __future__ import annotations

from typing import BinaryIO
from urllib.parse import urljoin

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

PREFIXES = {"http://disqus.com/disqus-internals": "dsq", "http://disqus.com": ""}


def _flag(value: str) -> bool:
    return value.strip().lower() == "true"


def _thread_url(site_url: str, link: str, identifier: str) -> str:
    if link.strip():
        return link.strip()
    ident = identifier.strip()
    if ident.startswith(("http://", "https://", "/")):
        return urljoin(site_url, ident)
    return ""


def read(stream: BinaryIO, writer: Writer) -> None:
    """Stream a Disqus export into ``writer``; raises :class:`ImportFileError` for a bad file."""
    threads: dict[str, tuple[str, str, bool]] = {}   # dsq:id -> (url, title, closed)
    current: dict[str, str] | None = None
    kind, attrs, line, oversize, top = "", {}, 0, False, 0
    seen_root = False
    for event, element, depth in parse(stream, PREFIXES, MAX_TEXT + 1, "Disqus export"):
        tag = element.tag
        if not seen_root:
            if tag != "disqus":
                raise ImportFileError(f"line {element.line}: not a Disqus export: the document "
                                      f"starts with <{tag.rpartition('}')[2]}>, not <disqus>")
            seen_root = True
            continue
        if event == "start":
            if depth == 2 and tag in ("thread", "post"):
                kind, current, line, oversize, top = tag, {}, element.line, False, depth
                attrs = element.attrs
            continue
        if current is None:
            continue
        if depth == top + 1:
            # <thread dsq:id="..."/> and <parent dsq:id="..."/> inside a post carry the id
            # as an attribute; <author> carries its fields one level deeper (kept below).
            current[tag] = element.attrs.get("dsq:id", element.text)
            oversize = oversize or element.oversize
        elif depth == top + 2:
            current[f"author.{tag}"] = element.text
        elif depth == top and tag == kind:
            dsq_id = attrs.get("dsq:id", "").strip()
            if kind == "thread":
                url = _thread_url(writer.site.url, current.get("link", ""),
                                  current.get("id", ""))
                threads[dsq_id] = (url, current.get("title", "")[:300],
                                   _flag(current.get("isClosed", "")))
            else:
                writer.add(_post(dsq_id, current, threads, line, oversize))
            current = None
    if not seen_root:
        raise ImportFileError("the file is empty")


def _post(dsq_id: str, p: dict[str, str], threads: dict[str, tuple[str, str, bool]],
          line: int, oversize: bool) -> Record:
    thread = threads.get(p.get("thread", "").strip())
    url, title, closed = thread or ("", "", False)
    status = ("spam" if _flag(p.get("isSpam", "")) else
              "deleted" if _flag(p.get("isDeleted", "")) else "published")
    message = p.get("message", "")
    record = Record(
        source_id=dsq_id, where=f"line {line} (post {dsq_id or '(no id)'})", thread_url=url,
        thread_title=title, thread_closed=closed,
        parent_id=p.get("parent", "").strip() or None, status=status,
        author=p.get("author.name", "").strip() or p.get("author.username", "").strip(),
        email=p.get("author.email", "").strip(), text=html_to_text(message),
        html=paragraphs(message),
        ip=p.get("ipAddress", "").strip(), created_at=parse_time(p.get("createdAt", "")))
    if oversize:
        record.problem = TOO_LONG
    elif thread is None:
        record.problem = "its thread is not in the file", "unknown thread"
    elif not url:
        record.problem = "its thread has neither a link nor a URL identifier", "no thread url"
    return record
