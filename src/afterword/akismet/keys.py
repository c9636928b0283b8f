"""Which site a request speaks for: the key (field or Host label) and the ``blog`` it claims.

Every check needs the key's site, its spam settings and its rate limit. Looking them up costs
a database round trip, more than the rest of the transport, so answers are cached per process
for a few seconds: a revoked key stops working on every worker within ``ttl`` seconds.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from afterword.db.models import Site
from afterword.sites import (
    KEY_LENGTH,
    SiteError,
    hash_key,
    lookup_key,
    normalise_site_url,
    spam_config,
)

__all__ = ["KeyCache", "KeyInfo", "blog_matches", "key_from_host"]

DEFAULT_PER_MINUTE = 6000


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A known key: its site, whether it still works, and the site's knobs."""

    site_id: int
    site_url: str
    site_name: str
    revoked: bool
    spam_config: Any  # afterword.spam.SiteConfig
    per_minute: int
    bucket: str  # the key's rate-limit counter: a digest, so no key is kept in clear in Redis


def key_from_host(host: str) -> str:
    """The key of the legacy style ``KEY.rest.example.org``; ``""`` when the host has none.

    Only a first label of exactly the key length on a name of three labels or more counts,
    so ``127.0.0.1:8000`` or ``rest.example.org`` never read as a key.
    """
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    labels = name.split(".")
    if len(labels) < 3 or len(labels[0]) != KEY_LENGTH or not labels[0].isalnum():
        return ""
    if all(label.isdigit() for label in labels):
        return ""
    return labels[0].lower()


@lru_cache(maxsize=4096)  # every check asks for the same few sites' URLs
def _comparable(url: str) -> str:
    """Host and path without scheme or ``www.``: WordPress reports ``home`` as it was set up,
    http or https, with or without www, and that must not turn a good key into a bad one."""
    try:
        parts = urlsplit(normalise_site_url(url))
    except ValueError as exc:  # urllib's own, e.g. a port that is not a number
        raise SiteError(f"not a site URL: {url!r}") from exc
    netloc = parts.netloc.removeprefix("www.")
    return f"{netloc}{parts.path}"


def blog_matches(blog: str, site_url: str) -> bool:
    """Whether ``blog`` is the key's site or a path below it. Raises SiteError on non-URLs."""
    claimed, own = _comparable(blog), _comparable(site_url)
    return claimed == own or claimed.startswith(own + "/")


class KeyCache:
    """``lookup(key)`` -> KeyInfo or None, cached for ``ttl`` seconds (unknown keys too)."""

    def __init__(self, sessions: sessionmaker[Session], ttl: float = 5.0,
                 max_entries: int = 10_000) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[str, tuple[float, KeyInfo | None]] = {}
        self._lock = threading.Lock()

    def lookup(self, key: str) -> KeyInfo | None:
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        info = self._load(key)
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                if len(self._entries) >= self._max:
                    self._entries.clear()
            self._entries[key] = (now + self._ttl, info)
        return info

    def _load(self, key: str) -> KeyInfo | None:
        with self._sessions() as session:
            found = lookup_key(session, key)
            if found is None:
                return None
            site = session.scalar(select(Site).where(Site.id == found.site_id))
            if site is None:
                return None
            return KeyInfo(
                site_id=site.id,
                site_url=site.url,
                site_name=site.name,
                revoked=found.revoked,
                spam_config=spam_config(site),
                per_minute=_per_minute(site.settings or {}),
                bucket=f"akismet:{hash_key(key)[:16]}",
            )


def _per_minute(settings: dict[str, Any]) -> int:
    """``settings.akismet.per_minute`` of the site, else the default."""
    value = (settings.get("akismet") or {}).get("per_minute")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return DEFAULT_PER_MINUTE

