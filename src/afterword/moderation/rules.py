"""Bans, word lists and a site's thread rules, applied to a comment before it is stored.

:func:`evaluate` is what the comment pipeline calls: one indexed query for the site's live
rules, then plain string matching. Bans and reject words refuse the comment outright; hold
words send it to the pending queue whatever the moderation mode says.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, event, or_, select
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


def live_rules(db: Session | Connection, site_id: int) -> list[tuple[str, str, datetime | None]]:
    """The rules that apply to ``site_id`` now (its own and every site's), with expiry."""
    now = datetime.now(UTC)
    return list(db.execute(
        select(ModRule.kind, ModRule.value, ModRule.expires_at)
        .where(or_(ModRule.site_id == site_id, ModRule.site_id.is_(None)),
               or_(ModRule.expires_at.is_(None), ModRule.expires_at > now))
    ).all())


def _limit(settings: Mapping[str, Any], name: str) -> int:
    """A per-site limit from ``Site.settings``; 0 (off) when unset or out of bounds."""
    value = settings.get(name)
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
    thread_id = comment.get("thread_id")
    thread = None if thread_id is None else db.get(Thread, thread_id)
    return check(db, site_id, site.settings or {}, thread, comment)


def check(db: Session | Connection, site_id: int, settings: Mapping[str, Any], thread: Any,
          comment: Mapping[str, Any]) -> Decision:
    """:func:`evaluate` for a caller that has read the site's ``settings`` and the ``thread``
    (anything with ``closed`` and ``created_at``, or None) already, as the comment pipeline
    has: no query at all while the site's rules are cached."""
    decision = _thread_rules(settings, comment, thread)
    if decision.action == "reject":
        return decision
    return _rules_of(db, site_id).match(comment) or decision


def _thread_rules(settings: Mapping[str, Any], comment: Mapping[str, Any],
                  thread: Any) -> Decision:
    text = str(comment.get("text") or "")
    is_reply = bool(comment.get("is_reply"))
    limit = _limit(settings, "max_reply_chars" if is_reply else "max_comment_chars")
    if limit and len(text) > limit:
        kind = "replies" if is_reply else "comments"
        return Decision("reject", f"{kind} on this site are limited to {limit} characters "
                                  f"(this one has {len(text)})")
    if thread is None:
        return ALLOW
    if thread.closed:
        return Decision("reject", "comments are closed on this article")
    days = _limit(settings, "close_after_days")
    if days and datetime.now(UTC) - aware(thread.created_at) > timedelta(days=days):
        return Decision("reject", f"comments close {days} days after an article's first comment")
    return ALLOW


def _words(text: str) -> str:
    # Spaces around every word so a phrase matches on word boundaries with a plain `in`.
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


_BANNED = Decision("reject", "you cannot comment on this site")
_BAD_WORDS = Decision("reject", "your comment contains words this site does not accept")
CACHE_SECONDS = 5.0


@dataclass(slots=True)
class _SiteRules:
    """One site's live rules, compiled for matching: sets for exact values, parsed networks,
    phrases padded for word-boundary matching."""

    fresh_until: float  # time.monotonic() after which the rules are read again
    ips: set[str] = field(default_factory=set)
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = field(default_factory=list)
    emails: set[str] = field(default_factory=set)
    authors: set[str] = field(default_factory=set)
    domains: list[str] = field(default_factory=list)
    rejects: list[str] = field(default_factory=list)
    holds: list[tuple[str, str]] = field(default_factory=list)  # (padded phrase, rule value)

    @classmethod
    def compile(cls, rows: list[tuple[str, str, datetime | None]]) -> _SiteRules:
        now = datetime.now(UTC)
        # Kept no longer than the first of these rules to expire.
        ttl = min([CACHE_SECONDS] + [(aware(e) - now).total_seconds() for _, _, e in rows if e])
        rules = cls(fresh_until=time.monotonic() + ttl)
        for kind, value, _ in rows:
            if kind == "ip":
                rules.ips.add(value)
            elif kind == "prefix":
                try:
                    rules.networks.append(ipaddress.ip_network(value))
                except ValueError:  # stored before normalise() checked it: nothing to match
                    continue
            elif kind == "email":
                rules.emails.add(value)
            elif kind == "author":
                rules.authors.add(value)
            elif kind == "domain":
                rules.domains.append(value)
            elif kind in ("word_reject", "word_hold"):
                phrase = _words(value)
                if phrase.strip():
                    if kind == "word_reject":
                        rules.rejects.append(phrase)
                    else:
                        rules.holds.append((phrase, value))
        return rules

    def match(self, comment: Mapping[str, Any]) -> Decision | None:
        """The first rule that refuses the comment, else the first that holds it, else None."""
        if self.ips or self.networks:
            raw = str(comment.get("ip") or "")
            ip = parse_ip(raw)
            # Stored comments keep only the prefix, so a ban taken from the queue names it.
            if ip is not None and (str(ip) in self.ips or anonymize_ip(raw) in self.ips
                                   or any(ip in net for net in self.networks)):
                return _BANNED
        if self.emails:
            email = str(comment.get("email") or "").strip().lower()
            if email and (email in self.emails or email.rpartition("@")[2] in self.emails):
                return _BANNED
        if self.authors and " ".join(str(comment.get("author") or "").split()).lower() in (
                self.authors):
            return _BANNED
        text = str(comment.get("text") or "")
        if self.domains:
            hosts = domains_in(text + " " + str(comment.get("website") or ""))
            for value in self.domains:
                if any(h == value or h.endswith("." + value) for h in hosts):
                    return Decision("reject", f"links to {value} are not accepted on this site")
        if self.rejects or self.holds:
            words = _words(text)
            if any(phrase in words for phrase in self.rejects):
                return _BAD_WORDS
            for phrase, value in self.holds:
                if phrase in words:
                    return Decision("hold", f"contains “{value}” (held for review)")
        return None


# Per database (tests and tools open several), per site.
_cache: weakref.WeakKeyDictionary[Engine, dict[int, _SiteRules]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def _rules_of(db: Session | Connection, site_id: int) -> _SiteRules:
    engine = db.engine if isinstance(db, Connection) else db.get_bind()
    rules = _cache.get(engine, {}).get(site_id)
    if rules is None or time.monotonic() >= rules.fresh_until:
        rules = _SiteRules.compile(live_rules(db, site_id))
        with _cache_lock:
            _cache.setdefault(engine, {})[site_id] = rules
    return rules


def _forget(engine: Engine) -> None:
    with _cache_lock:
        _cache.pop(engine, None)


@event.listens_for(ModRule, "after_insert")
@event.listens_for(ModRule, "after_update")
@event.listens_for(ModRule, "after_delete")
def _rule_changed(mapper: Any, connection: Any, target: ModRule) -> None:
    # Dropped at the flush, and again at the commit: a comment checked in between would
    # otherwise cache the rules as they were before this change.
    _forget(connection.engine)
    session = Session.object_session(target)
    if session is not None:
        session.info["afterword.rules_changed"] = connection.engine


@event.listens_for(Session, "after_commit")
def _rules_committed(session: Session) -> None:
    engine = session.info.pop("afterword.rules_changed", None)
    if engine is not None:
        _forget(engine)
