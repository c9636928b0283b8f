"""Markdown to safe HTML for comments.

Two independent layers: markdown-it never passes raw HTML through (``html=False``), and
nh3 (ammonia) then keeps only an allow-list of tags, attributes and URL schemes. Either
alone would stop a script; both together also stop whatever a future parser bug lets by.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

# Block-level headings, rules and images have no place in a comment: they turn a reply
# into a banner or a tracking pixel. What remains is what people write in emails.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
_md.disable(["heading", "lheading", "hr", "image", "html_block", "html_inline"])

_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
_SCHEMES = {"http", "https", "mailto"}
REL = "nofollow ugc noopener"
# Built once: handing nh3 the allow-lists on every call cost more than the cleaning itself.
_cleaner = nh3.Cleaner(tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES, link_rel=REL,
                       strip_comments=True)


def clean(value: str) -> str:
    """Text safe for every database and for nh3: no NUL (PostgreSQL refuses it), no lone
    surrogates (JSON can carry them; UTF-8 cannot)."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii():
        value = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return value


# What makes a text more than plain words in Markdown: a character with a meaning (emphasis,
# code, links, escapes, entities, raw HTML, fences, tables), a line that does not open with
# a letter (lists, quotes, headings, indented code, rules) or ends in a space (hard breaks).
_NOT_PLAIN = re.compile(r"[\\`*_\[\]<>&~|]|^(?![^\W\d_]|$)| $", re.MULTILINE)
_PARAGRAPH_BREAK = re.compile(r"\n\n+")


def render(text: str) -> str:
    """The comment's Markdown source as sanitised HTML; links get ``rel="nofollow ugc noopener"``.

    Most comments are plain words: for those the HTML is built directly, which is what
    markdown-it and nh3 make of them (paragraphs, line breaks; tests/comments/test_render.py
    checks it against both on generated texts) at a tenth of the cost. ``isprintable`` keeps
    out what nh3 would escape or the parser treat as space (no-break and other spaces,
    controls, format characters).
    """
    text = clean(text)
    if _NOT_PLAIN.search(text) is None and text.replace("\n", "").isprintable():
        return "".join("<p>" + paragraph.replace("\n", "<br>\n") + "</p>\n"
                       for paragraph in _PARAGRAPH_BREAK.split(text.strip("\n")) if paragraph)
    return markdown_html(text)


def markdown_html(text: str) -> str:
    """Any (cleaned) text through markdown-it, then nh3."""
    return _cleaner.clean(_md.render(text))


def has_links(text: str, html: str) -> bool:
    """Whether the comment, from its source and its :func:`render` output, contains a link
    (the ``links`` moderation policy)."""
    return "<a " in html or "http://" in text or "https://" in text or "www." in text
