"""Admin accounts: argon2id password hashes, roles, creation and reset."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from afterword.db.models import User
from afterword.errors import AfterwordError

ROLES = ("owner", "moderator")
MIN_PASSWORD = 10
_hasher = PasswordHasher()


class AccountError(AfterwordError):
    pass


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password too short: at least {MIN_PASSWORD} characters")


def create_user(session: Session, username: str, password: str, role: str = "moderator",
                email: str = "") -> User:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (expected one of: {', '.join(ROLES)})")
    if not username.strip():
        raise AccountError("username must not be empty")
    _check_password(password)
    user = User(username=username.strip(), email=email, role=role,
                password_hash=_hasher.hash(password))
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise AccountError(f"user already exists: {username}") from None
    return user


def set_password(session: Session, username: str, password: str) -> User:
    _check_password(password)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"no such user: {username}")
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = datetime.now(UTC)
    return user


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
