"""The application factory: one FastAPI app that serves every door of Afterword."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, select

from afterword import __version__
from afterword.config import Settings, load_settings
from afterword.db.models import Site
from afterword.db.session import create_db_engine, make_session_factory
from afterword.web import metrics
from afterword.web.middleware import CoreMiddleware, SiteCorsMiddleware
from afterword.web.ratelimit import make_rate_limiter

log = logging.getLogger("afterword")


class OriginCache:
    """Allowed CORS origins of all sites, re-read at most every few seconds.

    Every worker reads the database itself, so a site added by the CLI or another worker is
    honoured within ``ttl`` seconds without any cross-process signalling.
    """

    def __init__(self, engine: Engine, ttl: float = 5.0) -> None:
        self.engine = engine
        self.ttl = ttl
        self._value: frozenset[str] = frozenset()
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def __call__(self) -> frozenset[str]:
        if time.monotonic() - self._loaded_at > self.ttl:
            with self._lock:
                with self.engine.connect() as conn:
                    rows = conn.execute(select(Site.allowed_origins)).scalars()
                    self._value = frozenset(o for origins in rows for o in (origins or ()))
                self._loaded_at = time.monotonic()
        return self._value


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app. The schema must already be migrated (``afterword serve`` does it)."""
    settings = settings or load_settings()
    engine = engine or create_db_engine(settings.database_url)
    app = FastAPI(
        title="Afterword",
        version=__version__,
        description="Self-hosted comments and Akismet-compatible spam protection.",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine)
    app.state.rate_limiter = make_rate_limiter(settings.redis_url)

    @app.get("/healthz", tags=["operations"], summary="Liveness and database reachability")
    def healthz() -> JSONResponse:
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", said plainly
            log.warning("health check failed: %s", exc)
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "version": __version__})

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    def prometheus() -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    _include_routers(app)
    app.add_exception_handler(RequestValidationError, _invalid_request)

    app.add_middleware(SiteCorsMiddleware, allowed_origins=OriginCache(engine))
    app.add_middleware(CoreMiddleware, max_body_bytes=settings.max_body_bytes)
    return app


async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """422 with FastAPI's usual body, encoded so that any input can be echoed.

    FastAPI's default handler echoes the offending input with ``ensure_ascii=False``, and
    a lone surrogate in a JSON body (``"\\ud800"``) then fails to encode: a 500 for bad
    input. ASCII-escaped JSON can carry every string.
    """
    body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True)
    return Response(body, status_code=422, media_type="application/json")


def _include_routers(app: FastAPI) -> None:
    """Mount each capability: its routers, and any background worker it runs while serving.

    Imported here, not at the top, because capabilities import helpers from this module.
    """
    from afterword.akismet import install as install_akismet
    from afterword.comments import install as install_comments
    from afterword.moderation import install as install_moderation
    from afterword.privacy import install as install_privacy
    from afterword.related.api import router as related_router
    from afterword.related.poller import FeedPoller

    install_comments(app)
    install_moderation(app)
    install_akismet(app)
    install_privacy(app)
    app.include_router(related_router)
    poller = FeedPoller(app.state.sessions, app.state.settings)
    run_while_serving(app, poller.start, poller.stop)
    if app.state.settings.demo:
        from afterword.web.demo import router as demo_router

        app.include_router(demo_router)
    run_while_serving(app, lambda: None, lambda: _close_spam_store(app))


def _close_spam_store(app: FastAPI) -> None:
    """Write out the spam engine's buffered behaviour events before the worker exits."""
    store = getattr(app.state, "spam_store", None)
    if store is not None:
        store.close()


def app_from_environment() -> FastAPI:
    """Factory for uvicorn worker processes: settings come from the environment/config file."""
    from afterword.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)


def run_while_serving(app: FastAPI, start: Callable[[], None], stop: Callable[[], None]) -> None:
    """Run a background worker (notification dispatcher, retention job) for as long as the
    app serves: started before the first request, stopped at shutdown, in every worker."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[object]:
        start()
        try:
            async with inner(app_) as value:
                yield value
        finally:
            stop()

    app.router.lifespan_context = lifespan


def client_ip(request: Request) -> str:
    """The client's address as uvicorn resolved it (proxy headers only from trusted proxies)."""
    return request.client.host if request.client else ""
