"""Privacy: what is stored and for how long; anonymisation helpers every writer uses.

``install(app)`` mounts ``/privacy/{site}`` and runs the retention job inside the app
(:class:`afterword.privacy.retention.Maintainer`, one round per interval across workers).
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    from afterword.privacy.retention import Maintainer
    from afterword.privacy.web import router

    app.include_router(router)
    state = app.state
    state.maintainer = Maintainer(state.sessions, state.settings)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: FastAPI):
        state.maintainer.start()
        try:
            async with inner(app_) as value:
                yield value
        finally:
            state.maintainer.stop()

    app.router.lifespan_context = lifespan
