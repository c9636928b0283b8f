"""Isso's SQLite database (``comments.db``): ``threads`` (uri, title) and ``comments``.

Isso stores Markdown (as Afterword does), the anonymised address, and ``mode`` 1 accepted,
2 pending, 4 deleted. The file is opened read-only; Isso keeps running undisturbed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

from afterword.importers.core import Record
from afterword.importers.xmlstream import ImportFileError

MODES = {1: "published", 2: "pending", 4: "deleted"}


def _time(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value), UTC) if value is not None else None  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def read(path: Path, site_url: str) -> Iterator[Record]:
    """Yield Isso's comments oldest first (parents before replies)."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        db.execute("SELECT 1 FROM comments JOIN threads ON threads.id = comments.tid LIMIT 1")
    except sqlite3.DatabaseError as exc:
        raise ImportFileError(f"{path}: not an Isso database ({exc})") from None
    columns = {row[1] for row in db.execute("PRAGMA table_info(comments)")}
    likes = "comments.likes" if "likes" in columns else "0"
    try:
        rows = db.execute(
            "SELECT comments.id, comments.parent, comments.created, comments.modified, "
            f"comments.mode, comments.remote_addr, comments.text, comments.author, "
            f"comments.email, comments.website, {likes}, threads.uri, threads.title "
            "FROM comments JOIN threads ON threads.id = comments.tid ORDER BY comments.id")
        for (cid, parent, created, modified, mode, ip, text, author, email, website, n_likes,
             uri, title) in rows:
            record = Record(
                source_id=str(cid), where=f"comment {cid}",
                thread_url=urljoin(site_url, uri or "/"),
                thread_title=title or "", parent_id=str(parent) if parent else None,
                status=MODES.get(mode, ""), author=author or "", email=email or "",
                website=website or "", text=text or "", ip=ip or "",
                created_at=_time(created), edited_at=_time(modified),
                likes=int(n_likes or 0))
            if mode not in MODES:
                record.problem = f"unknown Isso mode {mode!r}", "unknown status"
            yield record
    except sqlite3.DatabaseError as exc:
        raise ImportFileError(f"{path}: cannot read the Isso database ({exc})") from None
    finally:
        db.close()
