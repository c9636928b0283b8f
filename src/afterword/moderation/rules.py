"""Bans, word lists and a site's thread rules, applied to a comment before it is stored.

:func:`evaluate` is what the comment pipeline calls: one indexed query for the site's live
rules, then plain string matching. Bans and reject words refuse the comment outright; hold
words send it to the pending queue whatever the moderation mode says.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from afterword.db.models import ModRule, Site, Thread
from afterword.moderation.auth import aware
from afterword.privacy.ip import anonymize_ip, parse_ip

KINDS = {
    "ip": "IP address",
    "prefix": "IP prefix (CIDR)",
    "email": "email address",
    "author": "author name",
    "domain": "link domain",
    "word_hold": "word to hold for review",
    "word_reject": "word to reject",
}
# Per-site settings this module owns, with their bounds (read from Site.settings).
LIMITS = {"close_after_days": (0, 36500), "max_comment_chars": (0, 100_000),
          "max_reply_chars": (0, 100_000)}

_URL_HOST = re.compile(r"(?:https?://|www\.)([^\s/?#<>()\[\]\"']+)", re.IGNORECASE)
_BARE_DOMAIN = re.compile(r"\b((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})\b", re.IGNORECASE)


class RuleError(ValueError):
    """A rule value that cannot be used; the message says what is expected."""


@dataclass(frozen=True, slots=True)
class Decision:
    action: Literal["reject", "hold", "allow"]
    reason: str = ""


ALLOW = Decision("allow")


def normalise(kind: str, value: str) -> str:
    """The stored form of a rule value; raises :class:`RuleError` on a bad one."""
    if kind not in KINDS:
        raise RuleError(f"unknown list {kind!r} (expected one of: {', '.join(KINDS)})")
    value = " ".join(value.split()).lower()
    if not value:
        raise RuleError("the value is empty")
    if kind == "ip":
        ip = parse_ip(value)
        if ip is None:
            raise RuleError(f"not an IP address: {value!r}")
        return str(ip)
    if kind == "prefix":
        try:
            return str(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise RuleError(f"not an IP prefix: {value!r} (expected e.g. 203.0.113.0/24)") from None
    if kind == "email":
        value = value.removeprefix("@")
        if not re.fullmatch(r"([^@\s]+@)?[^@\s]+\.[^@\s]+", value):
            raise RuleError(f"not an email address or @domain: {value!r}")
        return value
    if kind == "domain":
        host = domains_in(value)
        if not host:
            raise RuleError(f"not a domain: {value!r} (expected e.g. spam.example)")
        return host[0]
    return value[:320]


def domains_in(text: str) -> list[str]:
    """Host names linked or written in ``text``, lower-case without ``www.``, in order."""
    hosts = [m.group(1).split("@")[-1].split(":")[0] for m in _URL_HOST.finditer(text)]
    hosts += [m.group(1) for m in _BARE_DOMAIN.finditer(text)]
    found: list[str] = []
    for host in hosts:
        host = host.strip(".").lower().removeprefix("www.")
        if host and host not in found:
            found.append(host)
    return found


def add_rule(db: Session, site_id: int | None, kind: str, value: str, *, note: str = "",
             days: int | None = None, created_by: str = "") -> ModRule:
    rule = ModRule(site_id=site_id, kind=kind, value=normalise(kind, value), note=note[:2000],
                   created_by=created_by,
                   expires_at=datetime.now(UTC) + timedelta(days=days) if days else None)
    db.add(rule)
    db.flush()
    return rule


def live_rules(db: Session, site_id: int) -> list[tuple[str, str]]:
    now = datetime.now(UTC)
    return list(db.execute(
        select(ModRule.kind, ModRule.value)
        .where(or_(ModRule.site_id == site_id, ModRule.site_id.is_(None)),
               or_(ModRule.expires_at.is_(None), ModRule.expires_at > now))
    ).all())


def site_limit(site: Site, name: str) -> int:
    """A per-site limit from ``Site.settings``; 0 (off) when unset or out of bounds."""
    value = (site.settings or {}).get(name)
    low, high = LIMITS[name]
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return 0


def evaluate(db: Session, site_id: int, comment: Mapping[str, Any]) -> Decision:
    """Whether a new comment may go on: ``reject`` (with a reason for the author), ``hold``
    (stored as pending) or ``allow`` (the spam engine and moderation mode decide).

    ``comment`` keys, all optional: ``text``, ``author``, ``email``, ``website``, ``ip`` (the
    full address or its anonymised form), ``thread_id``, ``is_reply`` (bool).
    """
    site = db.get(Site, site_id)
    if site is None:
        return Decision("reject", "unknown site")
    decision = _thread_rules(db, site, comment)
    if decision.action == "reject":
        return decision
    text = str(comment.get("text") or "")
    words = _words(text)
    hold = decision
    for kind, value in live_rules(db, site_id):
        verdict = _match(kind, value, comment, text, words)
        if verdict is not None:
            if verdict.action == "reject":
                return verdict
            hold = verdict
    return hold


def _thread_rules(db: Session, site: Site, comment: Mapping[str, Any]) -> Decision:
    text = str(comment.get("text") or "")
    is_reply = bool(comment.get("is_reply"))
    limit = site_limit(site, "max_reply_chars" if is_reply else "max_comment_chars")
    if limit and len(text) > limit:
        kind = "replies" if is_reply else "comments"
        return Decision("reject", f"{kind} on this site are limited to {limit} characters "
                                  f"(this one has {len(text)})")
    thread_id = comment.get("thread_id")
    if thread_id is None:
        return ALLOW
    thread = db.get(Thread, thread_id)
    if thread is None:
        return ALLOW
    if thread.closed:
        return Decision("reject", "comments are closed on this article")
    days = site_limit(site, "close_after_days")
    if days and datetime.now(UTC) - aware(thread.created_at) > timedelta(days=days):
        return Decision("reject", f"comments close {days} days after an article's first comment")
    return ALLOW


def _words(text: str) -> str:
    # Spaces around every word so a phrase matches on word boundaries with a plain `in`.
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


def _match(kind: str, value: str, comment: Mapping[str, Any], text: str,
           words: str) -> Decision | None:
    banned = Decision("reject", "you cannot comment on this site")
    if kind in ("ip", "prefix"):
        raw = str(comment.get("ip") or "")
        ip = parse_ip(raw)
        if ip is None:
            return None
        if kind == "ip":
            # Stored comments keep only the prefix, so a ban taken from the queue names it.
            return banned if value in (str(ip), anonymize_ip(raw)) else None
        return banned if ip in ipaddress.ip_network(value) else None
    if kind == "email":
        email = str(comment.get("email") or "").strip().lower()
        if not email:
            return None
        return banned if email == value or email.endswith("@" + value) else None
    if kind == "author":
        author = " ".join(str(comment.get("author") or "").split()).lower()
        return banned if author and author == value else None
    if kind == "domain":
        hosts = domains_in(text + " " + str(comment.get("website") or ""))
        if any(h == value or h.endswith("." + value) for h in hosts):
            return Decision("reject", f"links to {value} are not accepted on this site")
        return None
    phrase = " " + " ".join(re.findall(r"\w+", value)) + " "
    if phrase.strip() and phrase in words:
        if kind == "word_reject":
            return Decision("reject", "your comment contains words this site does not accept")
        return Decision("hold", f"contains “{value}” (held for review)")
    return None
