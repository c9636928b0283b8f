"""Hardened, streaming XML for export files that can be gigabytes and come from anywhere.

Expat is driven directly rather than through ElementTree so that memory stays flat: the
file is read a line (at most 1 MiB) at a time, element text is kept only up to a cap (a
100 MB comment costs the cap, not 100 MB), and events are handed out as they are parsed.
Any DTD is refused outright, which closes entity-expansion bombs ("billion laughs") and
external entities alike: no exporter Afterword reads writes one.

WordPress writes HTML entities (``&nbsp;``, ``&hellip;``) and bare ``&`` outside CDATA,
which XML forbids. Those are repaired on the way in, line by line, so line numbers in
error messages still match the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.entities import html5
from typing import BinaryIO
from xml.parsers import expat

from afterword.errors import AfterwordError

READ_SIZE = 1 << 20
_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}
_ENTITY = re.compile(rb"&(#[0-9]{1,8};|#x[0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)?")
_CDATA_OPEN, _CDATA_CLOSE = b"<![CDATA[", b"]]>"


class ImportFileError(AfterwordError):
    """The file cannot be imported at all (wrong format, malformed, truncated, hostile)."""


def _valid_char(code: int) -> bool:
    return (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


def _repair(match: re.Match[bytes]) -> bytes:
    ref = match.group(1)
    if ref is None:  # a bare ampersand
        return b"&amp;"
    name = ref[:-1]
    if name.startswith(b"#"):
        code = int(name[2:], 16) if name[1:2] in (b"x", b"X") else int(name[1:])
        return match.group(0) if _valid_char(code) else b"&#xFFFD;"
    if name in _XML_ENTITIES:
        return match.group(0)
    chars = html5.get(name.decode() + ";")
    if chars is None:  # unknown name: keep it as the literal text it was
        return b"&amp;" + ref
    return b"".join(b"&#%d;" % ord(c) for c in chars)


def repair_entities(chunk: bytes, in_cdata: bool) -> tuple[bytes, bool]:
    """Entities and bare ``&`` made valid outside CDATA sections; returns the CDATA state."""
    out: list[bytes] = []
    pos = 0
    while pos < len(chunk):
        if in_cdata:
            end = chunk.find(_CDATA_CLOSE, pos)
            if end < 0:
                out.append(chunk[pos:])
                break
            out.append(chunk[pos:end + 3])
            pos, in_cdata = end + 3, False
        else:
            start = chunk.find(_CDATA_OPEN, pos)
            stop = len(chunk) if start < 0 else start
            segment = chunk[pos:stop]
            out.append(_ENTITY.sub(_repair, segment) if b"&" in segment else segment)
            if start < 0:
                break
            out.append(_CDATA_OPEN)
            pos, in_cdata = start + len(_CDATA_OPEN), True
    return b"".join(out), in_cdata


def _pieces(stream: BinaryIO) -> Iterator[bytes]:
    """Lines of at most ``READ_SIZE`` bytes; a cut line keeps a possible ``&...;`` or CDATA
    marker whole by carrying its start over to the next piece."""
    carry = b""
    while True:
        piece = stream.readline(READ_SIZE)
        if not piece:
            if carry:
                yield carry
            return
        piece = carry + piece
        carry = b""
        if not piece.endswith(b"\n"):
            cut = max(piece.rfind(b"&", len(piece) - 40), piece.rfind(b"<", len(piece) - 9),
                      piece.rfind(b"]", len(piece) - 2))
            if cut > 0:
                piece, carry = piece[:cut], piece[cut:]
        yield piece


@dataclass(slots=True)
class Element:
    """An element being parsed: its name (``prefix:local``), attributes, start line, text."""

    tag: str
    attrs: dict[str, str]
    line: int
    parts: list[str] = field(default_factory=list)
    size: int = 0
    oversize: bool = False

    @property
    def text(self) -> str:
        return "".join(self.parts)


Event = tuple[str, Element, int]  # ("start" | "end", element, depth)


def parse(stream: BinaryIO, prefixes: dict[str, str], max_text: int,
          what: str) -> Iterator[Event]:
    """Yield start and end events; namespaces are shown as the prefixes in ``prefixes``
    (URI prefix -> short name). ``what`` names the expected format in error messages."""
    parser = expat.ParserCreate(encoding=None, namespace_separator=" ")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Element] = []
    events: list[Event] = []

    def name(raw: str) -> str:
        uri, _, local = raw.rpartition(" ")
        if not uri:
            return local
        for start, short in prefixes.items():
            if uri.startswith(start):
                return f"{short}:{local}" if short else local
        return f"{{{uri}}}{local}"

    def start(raw: str, attrs: dict[str, str]) -> None:
        element = Element(name(raw), {name(k): v for k, v in attrs.items()},
                          parser.CurrentLineNumber)
        stack.append(element)
        events.append(("start", element, len(stack)))

    def end(_raw: str) -> None:
        element = stack.pop()
        events.append(("end", element, len(stack) + 1))

    def text(data: str) -> None:
        if not stack:
            return
        element = stack[-1]
        if element.oversize:
            return
        element.size += len(data)
        if element.size > max_text:
            element.oversize, element.parts = True, []
        else:
            element.parts.append(data)

    def refuse(*_args: object) -> None:
        raise ImportFileError(f"line {parser.CurrentLineNumber}: the file declares a DTD or "
                              "entities, which no real export does; refusing it (this is "
                              "how entity-expansion attacks work)")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    in_cdata = False
    at_end = False
    try:
        for piece in _pieces(stream):
            fixed, in_cdata = repair_entities(piece, in_cdata)
            parser.Parse(fixed, False)
            yield from events
            events.clear()
        at_end = True
        parser.Parse(b"", True)
        yield from events
    except expat.ExpatError as exc:
        hint = " (the file ends early: truncated?)" if at_end and stack else ""
        raise ImportFileError(f"line {exc.lineno}, column {exc.offset}: not a valid {what}: "
                              f"{expat.ErrorString(exc.code)}{hint}") from None
