"""Decoding the bodies Akismet clients send, whatever they got wrong.

Clients post ``application/x-www-form-urlencoded`` in the site's own charset (the WordPress
plugin says so in ``Content-Type`` and again in ``blog_charset``), PHP encodes arrays as
``name%5B0%5D=...``, and some send bytes that are not valid in any charset. The standard
parsers either reject such bodies or silently decode them as UTF-8; a spam check must answer
all of them, so this module never raises: undecodable bytes become U+FFFD and a percent sign
that starts no escape stays as it is.
"""

from __future__ import annotations

import codecs
from functools import lru_cache
from urllib.parse import unquote_to_bytes

__all__ = ["Fields", "charset_of", "parse_form"]

#: Field name -> its value, or all its values in order when the name was repeated.
Fields = dict[str, str | list[str]]

# A body of 1 MiB (the default limit) holds at most this many pairs worth keeping; a flood
# of empty pairs must not turn into a million dict entries.
_MAX_PAIRS = 2000
_PROBE = b"api_key=abc&blog=https%3A%2F%2Fx.example+1"


@lru_cache(maxsize=64)
def charset_of(declared: str) -> str:
    """A Python text codec for a declared charset; UTF-8 when unknown or unusable.

    ``codecs.lookup`` also knows transforms such as ``rot13`` and ``zlib`` that would turn the
    body into something else entirely, and a urlencoded body is ASCII at heart (names, ``=``,
    ``&``, the key), so only text encodings that leave ASCII alone are taken: not UTF-16.
    """
    name = declared.strip().strip("\"'").lower()
    if not name or name in ("utf-8", "utf8"):
        return "utf-8"
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return "utf-8"
    if not getattr(info, "_is_text_encoding", True):
        return "utf-8"
    try:
        ascii_safe = _PROBE.decode(info.name) == _PROBE.decode("ascii")
    except (UnicodeError, ValueError):
        return "utf-8"
    return info.name if ascii_safe else "utf-8"


def _content_type_charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value
    return ""


def _unquote(raw: bytes) -> bytes:
    """Percent escapes decoded. The C codec for backslash escapes does it several times faster
    than urllib's Python loop once each ``%`` is a ``\\x``; a urlencoded value holds no
    backslash of its own (clients send ``%5C``), and a ``%`` that starts no escape makes the
    codec refuse: both cases go to urllib, which keeps such a ``%`` as it is."""
    if b"\\" not in raw:
        try:
            return codecs.escape_decode(raw.replace(b"%", b"\\x"))[0]
        except ValueError:
            pass
    return unquote_to_bytes(raw)


def _text(data: bytes, charset: str) -> str:
    try:
        return data.decode(charset, "replace")
    except (LookupError, UnicodeError, ValueError):  # codecs with strict internals (idna)
        return data.decode("utf-8", "replace")


def _decode(raw: bytes, charset: str) -> str:
    data = raw.replace(b"+", b" ")
    if b"%" in data:
        data = _unquote(data)
    return _text(data, charset)


def _decode_all(raws: list[bytes], charset: str) -> list[str]:
    """``[_decode(raw, charset) for raw in raws]``, with one decoding call for all of them.

    Joined by ``&`` (which no raw part holds: the body was split on it), the parts are
    unescaped together by the C codec; each comes out two bytes shorter per escape, so its
    bytes are found again by counting. A backslash or a ``%`` that starts no escape takes
    the part by part way. (A WordPress check's 13 fields: 20-22 -> 14-17 µs.)"""
    blob = b"&".join(raws).replace(b"+", b" ")
    if b"%" not in blob and blob.isascii() and raws:  # names, mostly: split back as they are
        return blob.decode("ascii").split("&")
    if b"%" in blob:
        if b"\\" in blob:
            return [_decode(raw, charset) for raw in raws]
        try:
            blob = codecs.escape_decode(blob.replace(b"%", b"\\x"))[0]
        except ValueError:
            return [_decode(raw, charset) for raw in raws]
    bounds = []
    start = 0
    for raw in raws:
        end = start + len(raw) - 2 * raw.count(b"%")
        bounds.append((start, end))
        start = end + 1
    if blob.isascii():  # the charset leaves ASCII alone (charset_of): decode once, then cut
        text = blob.decode("ascii")
        return [text[start:end] for start, end in bounds]
    return [_text(blob[start:end], charset) for start, end in bounds]


def parse_form(body: bytes, content_type: str = "") -> Fields:
    """Parse a urlencoded body (or query string) leniently; see the module docstring.

    The charset is ``blog_charset`` when the body names one, else the ``Content-Type``
    parameter, else UTF-8. Names are decoded as UTF-8 (they are ASCII in every client).
    """
    if not body:
        return {}
    pairs = [p.partition(b"=") for p in body.split(b"&", _MAX_PAIRS)[:_MAX_PAIRS] if p]
    declared = _content_type_charset(content_type)
    for name, _, value in pairs:
        if name == b"blog_charset":
            declared = _decode(value, "ascii")
            break
    names = _decode_all([name for name, _, _ in pairs], "utf-8")
    values = _decode_all([value for _, _, value in pairs], charset_of(declared))
    fields: Fields = {}
    for name, value in zip(names, values, strict=True):
        previous = fields.get(name)
        if previous is None:
            fields[name] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            fields[name] = [previous, value]
    return fields
