"""Who is signed in to the admin, and whether a form really came from them.

Sessions are server-side rows (``admin_sessions``): the cookie carries a random id signed
with the app secret, and only its SHA-256 is stored. Logging out or changing the password
deletes the rows, so a copied cookie stops working at once, on every worker.

CSRF tokens are an HMAC of the session id: a token made up by an attacker, or one taken
from another (or an ended) session, does not verify.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import Request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from afterword.db.models import AdminSession, LoginFailure, User, utcnow
from afterword.moderation.accounts import verify_password
from afterword.web.app import client_ip

COOKIE = "afterword_admin"
SESSION_TTL = timedelta(hours=12)
LOCK_AFTER = 8                      # failed passwords for one account ...
LOCK_WINDOW = timedelta(minutes=15)  # ... within this window lock it ...
LOCK_FOR = timedelta(minutes=15)     # ... for this long
IP_ATTEMPTS = 20                     # sign-in attempts per IP per IP_WINDOW, any account
IP_WINDOW = 300.0


class AuthError(Exception):
    """A sign-in refused with a message that can be shown as is."""


class CsrfError(Exception):
    """A form without a valid token for this session."""


@dataclass(frozen=True, slots=True)
class Admin:
    """The signed-in user of one request."""

    id: int
    username: str
    role: str
    email: str
    site_ids: tuple[int, ...]   # empty: every site
    session_hash: str
    csrf: str

    @property
    def all_sites(self) -> bool:
        return self.role == "owner" or not self.site_ids

    def can(self, site_id: int) -> bool:
        return self.all_sites or site_id in self.site_ids


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time is stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _serializer(secret: bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="afterword-admin-session")


def csrf_for(secret: bytes, session_hash: str) -> str:
    return hmac.new(secret, b"csrf:" + session_hash.encode(), hashlib.sha256).hexdigest()


def check_csrf(admin: Admin, token: str) -> None:
    if not token or not hmac.compare_digest(token, admin.csrf):
        raise CsrfError("this form did not come from your current session (it was forged, "
                        "or it is from a session that has ended); reload the page and try again")


def check_origin(request: Request) -> None:
    """Refuse a POST a browser says came from another site (defence in depth besides the
    token, and the only CSRF check the sign-in form has). Non-browser clients send no Origin."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    host = request.headers.get("host", "")
    if origin.split("://", 1)[-1] != host:
        raise CsrfError(f"this form was sent from another site ({origin[:100]}); "
                        "open the admin directly and try again")


def login(db: Session, request: Request, username: str, password: str) -> str:
    """Check the password (with throttling and lockout) and return the new session cookie."""
    limiter = request.app.state.rate_limiter
    if not limiter.hit(f"admin-login:ip:{client_ip(request)}", IP_ATTEMPTS, IP_WINDOW).allowed:
        raise AuthError("too many sign-in attempts from your address; wait a few minutes")
    username = username.strip()[:100]
    now = utcnow()
    failure = db.get(LoginFailure, username)
    if failure and failure.locked_until and aware(failure.locked_until) > now:
        minutes = int((aware(failure.locked_until) - now).total_seconds() // 60) + 1
        raise AuthError(f"this account is locked after too many failed sign-ins; "
                        f"try again in {minutes} minute(s)")
    user = db.scalar(select(User).where(User.username == username))
    if user is None or not verify_password(user, password):
        _record_failure(db, username, failure, now)
        raise AuthError("wrong username or password")
    if failure is not None:
        db.delete(failure)
    token = secrets.token_urlsafe(32)
    db.add(AdminSession(id_hash=_hash(token), user_id=user.id, created_at=now,
                        expires_at=now + SESSION_TTL))
    db.execute(delete(AdminSession).where(AdminSession.expires_at < now))
    db.commit()
    return _serializer(request.app.state.settings.secret).dumps(token)


def _record_failure(db: Session, username: str, failure: LoginFailure | None,
                    now: datetime) -> None:
    if failure is None:
        failure = LoginFailure(username=username, failures=0, window_start=now)
        db.add(failure)
    elif now - aware(failure.window_start) > LOCK_WINDOW:
        failure.failures, failure.window_start, failure.locked_until = 0, now, None
    failure.failures += 1
    if failure.failures >= LOCK_AFTER:
        failure.locked_until = now + LOCK_FOR
    db.commit()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_admin(db: Session, request: Request) -> Admin | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    secret = request.app.state.settings.secret
    try:
        token = _serializer(secret).loads(raw)
    except BadSignature:
        return None
    if not isinstance(token, str):
        return None
    row = db.execute(
        select(User, AdminSession.expires_at).join(AdminSession, AdminSession.user_id == User.id)
        .where(AdminSession.id_hash == _hash(token))
    ).first()
    if row is None or aware(row.expires_at) < utcnow():
        return None
    user = row.User
    return Admin(id=user.id, username=user.username, role=user.role, email=user.email,
                 site_ids=tuple(int(s) for s in user.site_ids or ()),
                 session_hash=_hash(token), csrf=csrf_for(secret, _hash(token)))


def logout(db: Session, admin: Admin) -> None:
    db.execute(delete(AdminSession).where(AdminSession.id_hash == admin.session_hash))
    db.commit()


def end_other_sessions(db: Session, admin: Admin) -> None:
    """After a password change: every other browser signed in as this user is signed out."""
    db.execute(delete(AdminSession).where(AdminSession.user_id == admin.id,
                                          AdminSession.id_hash != admin.session_hash))


def set_cookie(response, request: Request, value: str) -> None:
    response.set_cookie(COOKIE, value, max_age=int(SESSION_TTL.total_seconds()), httponly=True,
                        secure=request.url.scheme == "https", samesite="lax", path="/")
