"""Sites and their API keys: the accounts every other part hangs off.

A site is identified by its normalised base URL (what Akismet clients send as ``blog``).
Keys are 12 lower-case letters and digits: the WordPress plugin refuses any other length,
and legacy clients put the key in a DNS label (``KEY.rest.example.org``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from afterword.db.models import ApiKey, Site
from afterword.errors import AfterwordError

if TYPE_CHECKING:
    from afterword.spam import SiteConfig

KEY_LENGTH = 12
# No 0/o, 1/l: keys get read aloud and typed from screenshots.
KEY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


class SiteError(AfterwordError):
    """A site or key operation that cannot be done as asked."""


def normalise_site_url(url: str) -> str:
    """``HTTPS://Example.org/blog/`` -> ``https://example.org/blog``; raises on non-http URLs."""
    raw = url.strip()
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        port = f":{parts.port}" if parts.port else ""  # .port raises on junk such as ':abc'
    except ValueError:
        parts, port = None, ""
    if parts is None or parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise SiteError(f"not a site URL: {url!r} (expected https://example.org)")
    host = parts.hostname.lower()
    return f"{parts.scheme.lower()}://{host}{port}{parts.path.rstrip('/')}"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def add_site(session: Session, url: str, name: str = "") -> Site:
    norm = normalise_site_url(url)
    site = Site(url=norm, name=name or urlsplit(norm).hostname or norm,
                allowed_origins=[origin_of(norm)], settings={})
    session.add(site)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise SiteError(f"site already exists: {norm}") from None
    return site


def get_site(session: Session, url: str) -> Site | None:
    return session.scalar(select(Site).where(Site.url == normalise_site_url(url)))


def require_site(session: Session, url: str) -> Site:
    site = get_site(session, url)
    if site is None:
        raise SiteError(f"no such site: {url} (add it with `afterword sites add URL`)")
    return site


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def create_key(session: Session, site: Site) -> str:
    """Create a key for ``site`` and return it in clear: the only time it is visible."""
    key = generate_key()
    session.add(ApiKey(site_id=site.id, key_hash=hash_key(key), hint=key[-4:]))
    session.flush()
    return key


def revoke_key(session: Session, site: Site, hint: str) -> int:
    """Revoke the site's live keys ending in ``hint``; returns how many were revoked."""
    keys = session.scalars(
        select(ApiKey).where(ApiKey.site_id == site.id, ApiKey.revoked_at.is_(None),
                             ApiKey.hint == hint[-4:])
    ).all()
    for key in keys:
        key.revoked_at = datetime.now(UTC)
    return len(keys)


@dataclass(frozen=True, slots=True)
class KeyLookup:
    site_id: int
    site_url: str
    revoked: bool


def lookup_key(session: Session, key: str) -> KeyLookup | None:
    """Find the site a key belongs to. Wrong-length keys are rejected without a query."""
    if len(key) != KEY_LENGTH:
        return None
    row = session.execute(
        select(ApiKey.site_id, Site.url, ApiKey.revoked_at)
        .join(Site, Site.id == ApiKey.site_id)
        .where(ApiKey.key_hash == hash_key(key))
    ).first()
    if row is None:
        return None
    return KeyLookup(site_id=row[0], site_url=row[1], revoked=row[2] is not None)


def spam_config(site: Any) -> SiteConfig:
    """The spam engine's view of a site's settings (``settings.spam``, ``settings.languages``).

    One reading shared by both doors, the comment pipeline and the Akismet API, so a site's
    threshold or allow-list means the same whichever way a comment arrives. Values of the
    wrong type are ignored rather than refused: the admin validates them on the way in.
    """
    from afterword.spam import SiteConfig  # numpy and the model stay out of light imports

    settings = site.settings or {}
    raw = settings.get("spam") or {}
    known: dict[str, Any] = {}
    for name in ("threshold", "discard_threshold"):
        if isinstance(raw.get(name), int | float) and 0 < raw[name] <= 1:
            known[name] = float(raw[name])
    for name in ("allow_authors", "allow_emails", "allow_domains", "deny_domains"):
        if isinstance(raw.get(name), list):
            known[name] = frozenset(str(v).lower() for v in raw[name])
    languages = settings.get("languages")
    if isinstance(languages, list):
        known["languages"] = tuple(str(v) for v in languages)
    return SiteConfig(**known)
