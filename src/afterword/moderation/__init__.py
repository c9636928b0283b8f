"""Moderation: the admin at ``/admin/`` (accounts, queues, bans, settings, dashboard) and
the notifications that go out when comments arrive or are approved.

``install(app)`` is the surface the web app needs; :func:`afterword.moderation.rules.evaluate`
is the one the comment pipeline calls before storing a comment.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response

STATIC = Path(__file__).resolve().parent.parent / "static" / "admin"
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def install(app: FastAPI, *, interval: float = 2.0) -> None:
    """Mount the admin pages, the unsubscribe link and the admin's static files, and run the
    notification dispatcher while the app runs (``app.state.dispatcher``)."""
    from afterword.moderation import actions, views
    from afterword.moderation.notify import Dispatcher
    from afterword.web.app import run_while_serving
    from afterword.web.deps import spam_engine_for

    app.include_router(views.router)
    app.include_router(views.public)
    for exc, handler in views.handlers().items():
        app.add_exception_handler(exc, handler)
    files = {p.name: p.read_bytes() for p in STATIC.iterdir() if p.suffix in _TYPES}

    def static(name: str, request: Request) -> Response:
        body = files.get(name)
        if body is None:
            return Response("not found\n", status_code=404, media_type="text/plain")
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = {"etag": etag, "cache-control": "public, max-age=3600"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=_TYPES[Path(name).suffix], headers=headers)

    app.add_api_route("/admin/static/{name}", static, methods=["GET", "HEAD"],
                      include_in_schema=False)

    state = app.state
    state.dispatcher = Dispatcher(state.sessions, state.settings, interval=interval,
                                  learn=actions.make_learner(lambda: spam_engine_for(app)))
    run_while_serving(app, state.dispatcher.start, state.dispatcher.stop)
