"""FastAPI dependencies shared by every router."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from afterword.config import Settings


def get_session(request: Request) -> Iterator[Session]:
    """A database session for one request; committed by the handler, closed here."""
    with request.app.state.sessions() as session:
        yield session


def get_settings(request: Request) -> Settings:
    return request.app.state.settings
