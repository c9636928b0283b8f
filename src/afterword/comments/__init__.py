"""Comments: the JSON API, the no-JavaScript thread page, feeds and the widget's files.

``install(app)`` is the whole public surface the web app needs. Other parts that change a
comment's status (moderation, erasure) use :func:`set_status` so thread counts stay right.
"""

from __future__ import annotations

from fastapi import FastAPI

from afterword.comments.pipeline import CommentService, Policy
from afterword.comments.store import set_status

__all__ = ["CommentService", "Policy", "install", "set_status"]


def install(app: FastAPI) -> None:
    """Create the comment service on ``app.state.comments`` and mount its routes."""
    from afterword.comments import api, assets, feeds, nojs
    from afterword.web.deps import spam_engine_for

    state = app.state
    state.comments = CommentService(state.engine, state.sessions, state.settings.secret,
                                    state.rate_limiter, lambda: spam_engine_for(app),
                                    ip_hash_rotation_days=state.settings.ip_hash_rotation_days)
    for router in (api.router, feeds.router, nojs.router, assets.router):
        app.include_router(router)
    app.router.routes.insert(0, api.POST_ROUTE)

