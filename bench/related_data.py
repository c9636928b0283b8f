"""Loaders for the related-posts evaluation sets in ``shared/datasets-related``.

Both loaders return plain records (id, title, body, tags, label/links) so the quality and
speed benchmarks index exactly the same text. 20 Newsgroups posts lose their headers the way
scikit-learn's ``remove=("headers",)`` does (everything up to the first blank line), as the
dataset README asks: otherwise ``From``/``Organization`` leak the author into the ranking.
"""

from __future__ import annotations

import html
import os
import re
import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("AFTERWORD_SHARED_DIR", REPO.parent / "shared"))


@dataclass(slots=True)
class Post:
    id: str
    title: str
    body: str
    tags: list[str] = field(default_factory=list)
    label: str = ""
    published: datetime | None = None


def newsgroups(split: str) -> list[Post]:
    """The 20 Newsgroups by-date ``train`` or ``test`` split, headers stripped, in file order.

    The Subject line is kept as the post's title (an article has one); the published TF-IDF
    baseline (P@10 0.729) is reproduced exactly with title + body this way.
    """
    path = shared_dir() / "datasets-related" / "20newsgroups-bydate" / "20news-bydate.tar.gz"
    prefix = f"20news-bydate-{split}/"
    posts = []
    with tarfile.open(path) as tar:
        for member in tar:
            if not member.isfile() or not member.name.startswith(prefix):
                continue
            group = member.name.split("/")[1]
            raw = tar.extractfile(member).read().decode("latin-1")
            headers, _blank, body = raw.partition("\n\n")
            subject = next((line[8:].strip() for line in headers.split("\n")
                            if line.startswith("Subject:")), "")
            posts.append(Post(id=member.name, title=subject, body=body, label=group))
    return posts


_TAG = re.compile(r"<([^<>]+)>")


def beer() -> tuple[list[Post], dict[str, set[str]]]:
    """Stack Exchange beer questions and the gold links between them (both directions)."""
    root = shared_dir() / "datasets-related" / "beer-stackexchange"
    posts = []
    for _, row in ET.iterparse(root / "Posts.xml"):
        if row.tag == "row" and row.get("PostTypeId") == "1":
            posts.append(Post(
                id=row.get("Id"), title=row.get("Title", ""),
                body=row.get("Body", ""),
                tags=_TAG.findall(html.unescape(row.get("Tags", ""))),
                published=datetime.fromisoformat(row.get("CreationDate")),
            ))
        row.clear()
    present = {p.id for p in posts}
    links: dict[str, set[str]] = {}
    for _, row in ET.iterparse(root / "PostLinks.xml"):
        if row.tag != "row":
            continue
        a, b = row.get("PostId"), row.get("RelatedPostId")
        if a in present and b in present and a != b:
            links.setdefault(a, set()).add(b)
            links.setdefault(b, set()).add(a)
    return posts, links
