"""One submission, as every Akismet client may send it, parsed once and leniently.

Clients disagree on spelling (``referrer`` vs ``HTTP_REFERER``), on booleans (``1``, ``true``,
``True``), on dates and on how repeated fields arrive (``comment_context[0]``). A spam check
must answer whatever arrives, so :meth:`Submission.from_fields` never raises: a value it
cannot understand is dropped, as if the client had not sent it. Everything downstream then
works with typed, bounded values.
"""

from __future__ import annotations

import ipaddress
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

__all__ = ["Submission", "parse_bool", "parse_datetime", "valid_text"]

# Bounds on what one submission may hold. A hostile client can send anything; these keep
# memory and per-check work proportional to a real comment. Content is kept whole (the
# caller may store it); the engine bounds how much of it it analyses.
_MAX_FIELD = 2048
_MAX_HEADERS = 64
_MAX_HEADER_VALUE = 1024
_MAX_CONTEXT = 32
_MAX_CONTEXT_VALUE = 256
_MAX_LIST = 16

# Dates outside this range are typos, overflows or attacks, never a real comment time.
_MIN_TS = datetime(1995, 1, 1, tzinfo=UTC).timestamp()
_MAX_TS = datetime(2200, 1, 1, tzinfo=UTC).timestamp()
# A page may stay open for days before someone answers; beyond a month the JS timestamp is
# not a page-render time any more (old plugins sent the flag "1" in the same field).
_MAX_SECONDS_TO_SUBMIT = 31 * 86400.0
# Client clocks run a little fast; a few seconds "in the future" means "just now".
_CLOCK_SKEW = 5.0

# Credentials never enter a submission: it is recorded for later learning.
_SECRET_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization", "x-api-key"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
_CONTEXT_KEY = re.compile(r"comment_context(?:\[(\d{0,6})\])?\Z")
_LANG = re.compile(r"[a-z]{2,3}(?:_[a-z0-9]{2,8})?\Z")
_ROLE = re.compile(r"[a-z0-9_\-]{1,64}\Z")
_SURROGATE = re.compile("[\ud800-\udfff]")
_EPOCH = re.compile(r"-?\d{1,13}(?:\.\d+)?\Z")


def _clean(value: str, limit: int | None = _MAX_FIELD) -> str:
    """Make ``value`` valid UTF-8 text, stripped and bounded.

    Lone surrogates (what ``surrogateescape`` makes of invalid UTF-8 bytes) cannot be
    encoded, stored as JSON or hashed; they become U+FFFD like any other decoding error.
    """
    if limit is not None and len(value) > limit:
        value = value[:limit]
    return valid_text(value).strip()


def valid_text(value: str) -> str:
    """``value`` with every lone surrogate (an undecodable byte) replaced by U+FFFD."""
    if value.isascii():
        return value
    return _SURROGATE.sub("\ufffd", value)


def _scalar(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    return None


def _values(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [s for s in map(_scalar, value[:_MAX_CONTEXT]) if s is not None]
    s = _scalar(value)
    return [] if s is None else [s]


def _first(fields: Mapping[str, Any], *names: str, limit: int | None = _MAX_FIELD) -> str:
    """The first non-empty value among ``names`` (repeated fields: the first copy)."""
    for name in names:
        for raw in _values(fields.get(name)):
            value = _clean(raw, limit)
            if value:
                return value
    return ""


def parse_bool(value: Any) -> bool | None:
    """``1/0/true/false/True/False/yes/no/on/off`` -> bool; anything else -> None."""
    s = _scalar(value)
    if s is None:
        return None
    s = s.strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    return None


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601, ``YYYY-MM-DD HH:MM:SS`` or Unix seconds -> aware UTC; None when absurd.

    A time without zone is taken as UTC: the Akismet fields are ``*_gmt``.
    """
    if isinstance(value, datetime):
        parsed = value
    else:
        s = _scalar(value)
        if s is None:
            return None
        s = s.strip()[:64]
        try:
            if _EPOCH.match(s):
                ts = float(s)
                return datetime.fromtimestamp(ts, UTC) if _MIN_TS <= ts < _MAX_TS else None
            parsed = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
        except (ValueError, OverflowError, OSError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        ts = parsed.timestamp()
    except (OverflowError, OSError, ValueError):
        return None
    return parsed.astimezone(UTC) if _MIN_TS <= ts < _MAX_TS else None


def _parse_ip(value: str) -> str:
    """A valid IP in canonical form, or ``""``. Proxies send lists: the first valid one wins."""
    for part in value.split(",")[:8]:
        part = part.strip().strip("[]")
        if "%" in part:  # IPv6 zone index: meaningless off the host that sent it
            part = part.split("%", 1)[0]
        try:
            return str(ipaddress.ip_address(part))
        except ValueError:
            continue
    return ""


def _split_list(value: str, pattern: re.Pattern[str], *, dash: bool = False) -> tuple[str, ...]:
    out: list[str] = []
    for item in value.split(","):
        item = item.strip().lower()
        if dash:
            item = item.replace("-", "_")
        if item and pattern.match(item) and item not in out:
            out.append(item)
        if len(out) >= _MAX_LIST:
            break
    return tuple(out)


def _headers(fields: Mapping[str, Any]) -> dict[str, str]:
    """``HTTP_ACCEPT_LANGUAGE`` -> ``accept-language``; secrets and junk dropped."""
    headers: dict[str, str] = {}
    for name in fields:
        if not isinstance(name, str) or not name.startswith("HTTP_") or len(name) > 64:
            continue
        header = name[5:].lower().replace("_", "-")
        if not header or header in _SECRET_HEADERS or header in headers:
            continue
        value = _first(fields, name, limit=_MAX_HEADER_VALUE)
        if value:
            headers[header] = value
            if len(headers) >= _MAX_HEADERS:
                break
    return headers


def _context(fields: Mapping[str, Any]) -> tuple[str, ...]:
    """``comment_context`` repeated, ``comment_context[]`` or PHP-style ``comment_context[N]``."""
    found: list[tuple[int, int, str]] = []
    for position, (name, raw) in enumerate(fields.items()):
        if not isinstance(name, str):
            continue
        match = _CONTEXT_KEY.match(name)
        if not match:
            continue
        index = int(match.group(1)) if match.group(1) else -1
        for value in _values(raw):
            value = _clean(value, _MAX_CONTEXT_VALUE)
            if value:
                found.append((index, position, value))
    found.sort(key=lambda item: (item[0], item[1]))
    return tuple(value for _, _, value in found[:_MAX_CONTEXT])


def _honeypot(fields: Mapping[str, Any]) -> bool | None:
    """True when a field no person can see was filled in; None when no honeypot was sent.

    Two conventions: ``honeypot_field_name`` names the field (sent as itself or, from the
    WordPress plugin, as ``POST_<name>``), and the WordPress plugin's own hidden textarea
    arrives as ``POST_ak_hp_textarea``.
    """
    seen = False
    name = _first(fields, "honeypot_field_name", limit=128)
    if name:
        seen = True
        if _first(fields, name, "POST_" + name):
            return True
    if "POST_ak_hp_textarea" in fields:
        seen = True
        if _first(fields, "POST_ak_hp_textarea"):
            return True
    return False if seen else None


def _seconds_to_submit(
    fields: Mapping[str, Any], comment_date: datetime | None, now: float
) -> float | None:
    """Page render -> submit, from the WordPress plugin's ``ak_js`` (a JS ms timestamp)."""
    raw = _first(fields, "POST_ak_js", "ak_js", limit=32)
    if not raw:
        return None
    try:
        stamp = float(raw)
    except ValueError:
        return None
    if not math.isfinite(stamp):
        return None
    if stamp > 1e11:  # JavaScript milliseconds; some forms post seconds
        stamp /= 1000.0
    submitted = comment_date.timestamp() if comment_date is not None else now
    seconds = submitted - stamp
    if -_CLOCK_SKEW <= seconds < 0:
        return 0.0
    return seconds if 0 <= seconds <= _MAX_SECONDS_TO_SUBMIT else None


@dataclass(frozen=True, slots=True)
class Submission:
    """Everything an Akismet client may send, typed and normalised once."""

    content: str = ""
    author: str = ""
    author_email: str = ""
    author_url: str = ""
    user_ip: str = ""
    user_agent: str = ""
    referrer: str = ""
    permalink: str = ""
    comment_type: str = "comment"
    comment_date: datetime | None = None
    post_modified: datetime | None = None
    blog: str = ""
    blog_lang: tuple[str, ...] = ()
    user_role: tuple[str, ...] = ()
    honeypot_filled: bool | None = None
    seconds_to_submit: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    context: tuple[str, ...] = ()
    is_test: bool = False

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any], *, now: float | None = None) -> Submission:
        """Lenient parse of Akismet-style form fields; never raises on bad values.

        ``now`` is the time the request arrived (default: the wall clock); it stands in for
        the comment time when the client sends no ``comment_date_gmt``, to turn the JS
        page-render timestamp into seconds-to-submit.
        """
        if not isinstance(fields, Mapping):
            return cls()
        comment_date = parse_datetime(_first(fields, "comment_date_gmt", "comment_date", limit=64))
        return cls(
            content=_first(fields, "comment_content", limit=None),
            author=_first(fields, "comment_author"),
            author_email=_first(fields, "comment_author_email"),
            author_url=_first(fields, "comment_author_url"),
            user_ip=_parse_ip(_first(fields, "user_ip", limit=256))
            or _parse_ip(_first(fields, "REMOTE_ADDR", limit=256)),
            user_agent=_first(fields, "user_agent", "HTTP_USER_AGENT"),
            referrer=_first(fields, "referrer", "referer", "HTTP_REFERER"),
            permalink=_first(fields, "permalink"),
            comment_type=_first(fields, "comment_type", limit=32).lower() or "comment",
            comment_date=comment_date,
            post_modified=parse_datetime(
                _first(fields, "comment_post_modified_gmt", "comment_post_modified", limit=64)
            ),
            blog=_first(fields, "blog"),
            blog_lang=_split_list(_first(fields, "blog_lang", limit=256), _LANG, dash=True),
            user_role=_split_list(_first(fields, "user_role", limit=512), _ROLE),
            honeypot_filled=_honeypot(fields),
            seconds_to_submit=_seconds_to_submit(
                fields, comment_date, time.time() if now is None else now
            ),
            headers=_headers(fields),
            context=_context(fields),
            is_test=bool(parse_bool(_first(fields, "is_test", limit=16))),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (dates as ISO 8601), the inverse of :meth:`from_dict`."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Submission:
        """Rebuild from :meth:`to_dict` output; wrong types are dropped, unknown keys ignored.

        Recorded submissions come back from storage that other versions wrote, so this is as
        lenient as :meth:`from_fields`.
        """
        if not isinstance(data, Mapping):
            return cls()
        kwargs: dict[str, Any] = {}
        for name in _TEXT_FIELDS:
            value = data.get(name)
            if isinstance(value, str):
                kwargs[name] = _clean(value, None if name == "content" else _MAX_FIELD)
        if kwargs.get("comment_type") == "":
            del kwargs["comment_type"]
        if "user_ip" in kwargs:
            kwargs["user_ip"] = _parse_ip(kwargs["user_ip"])
        for name in ("comment_date", "post_modified"):
            kwargs[name] = parse_datetime(data.get(name)) if data.get(name) is not None else None
        for name, limit, size in (
            ("blog_lang", _MAX_FIELD, _MAX_LIST),
            ("user_role", _MAX_FIELD, _MAX_LIST),
            ("context", _MAX_CONTEXT_VALUE, _MAX_CONTEXT),
        ):
            kwargs[name] = tuple(_clean(v, limit) for v in _strings(data.get(name))[:size])
        honeypot = data.get("honeypot_filled")
        kwargs["honeypot_filled"] = honeypot if isinstance(honeypot, bool) else None
        seconds = data.get("seconds_to_submit")
        if (
            isinstance(seconds, int | float)
            and not isinstance(seconds, bool)
            and 0 <= seconds <= _MAX_SECONDS_TO_SUBMIT
        ):
            kwargs["seconds_to_submit"] = float(seconds)
        headers = data.get("headers")
        if isinstance(headers, Mapping):
            kwargs["headers"] = {
                _clean(str(k), 64).lower(): _clean(v, _MAX_HEADER_VALUE)
                for k, v in list(headers.items())[:_MAX_HEADERS]
                if isinstance(v, str) and str(k).lower() not in _SECRET_HEADERS
            }
        kwargs["is_test"] = data.get("is_test") is True
        return cls(**kwargs)


_TEXT_FIELDS = (
    "content",
    "author",
    "author_email",
    "author_url",
    "user_ip",
    "user_agent",
    "referrer",
    "permalink",
    "comment_type",
    "blog",
)


def _strings(value: Any) -> list[str]:
    if not isinstance(value, Iterable) or isinstance(value, str | bytes | Mapping):
        return []
    return [v for v in value if isinstance(v, str)]
