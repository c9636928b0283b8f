"""FastAPI dependencies shared by every router."""

from __future__ import annotations

import threading
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


def get_spam_engine(request: Request):
    """The app's one spam engine, behind both doors (comment API and Akismet API).

    Built on first use so the model loads once per worker; its per-site state lives in the
    database (or Redis when configured), so every worker sees the same learning.
    """
    return spam_engine_for(request.app)


# A worker's first checks arrive together, each in a thread of the pool: without this lock
# each built its own engine and store (with its own flusher thread and connections), and
# only the last one was kept, shut down and frozen out of the collector's way.
_building = threading.Lock()


def spam_engine_for(app):
    engine = getattr(app.state, "spam_engine", None)
    if engine is None:
        with _building:
            engine = getattr(app.state, "spam_engine", None)
            if engine is None:
                from afterword.db.spam_store import SqlStateStore
                from afterword.spam import Engine

                app.state.spam_store = SqlStateStore(app.state.sessions)
                engine = app.state.spam_engine = Engine(app.state.spam_store)
    return engine
