"""The Akismet-compatible REST API: existing clients switch by changing the host.

``install(app)`` is the whole surface the web app needs: it creates the service on
``app.state.akismet`` (key cache, check-record writer, the app's spam engine), mounts the
``/1.1`` and ``/1.2`` routes ahead of all others (the first routes matched: comment-check is
the busiest endpoint), adds them to the OpenAPI schema, and flushes waiting check records on
shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

__all__ = ["install"]


def install(app: FastAPI) -> None:
    from afterword.akismet.api import ROUTES, openapi_paths
    from afterword.akismet.records import RecordWriter
    from afterword.akismet.service import AkismetService
    from afterword.web.deps import spam_engine_for

    state = app.state
    writer = RecordWriter(state.engine)
    state.akismet = AkismetService(state.sessions, writer, lambda: spam_engine_for(app))
    app.router.routes[0:0] = ROUTES
    schema = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema()["paths"].update(openapi_paths())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    outer = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(target: Any) -> AsyncIterator[Any]:
        try:
            async with outer(target) as maybe_state:
                yield maybe_state
        finally:
            writer.close()

    app.router.lifespan_context = lifespan
