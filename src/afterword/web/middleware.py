"""ASGI middleware written against the raw protocol.

The Akismet endpoint is measured against a bare Starlette endpoint, so everything every
request pays for (request id, security headers, body limit, metrics, access log) is done in
one pass here rather than in a stack of ``BaseHTTPMiddleware`` layers.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from afterword.web.metrics import LATENCY, REQUESTS

log = logging.getLogger("afterword.access")

# Pages we render ourselves get a strict policy; embed.js and API answers are not documents.
HTML_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class BodyTooLarge(Exception):
    pass


class CoreMiddleware:
    """Request id, security headers, body size limit, metrics and one access-log line."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming_id = headers.get(b"x-request-id", b"")[:64].decode("latin-1")
        request_id = incoming_id if incoming_id.isprintable() and incoming_id else secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        https = scope.get("scheme") == "https"
        status = 500
        started = time.perf_counter()

        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            status = 413 if declared.isdigit() else 400
            await _plain(send, status, b"request body too large\n" if status == 413
                         else b"bad Content-Length\n", request_id)
            self._observe(scope, status, started, request_id)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                out = list(message.get("headers", []))
                out.extend(_security_headers(out, request_id, https))
                # How long the server worked on it (W3C Server-Timing): what an operator or a
                # benchmark reads apart from the network and the client; the browser shows it
                # in its developer tools.
                took = (time.perf_counter() - started) * 1000
                out.append((b"server-timing", b"app;dur=%.2f" % took))
                message = {**message, "headers": out}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_wrapper)
        except BodyTooLarge:
            status = 413
            if not response_started:
                await _plain(send, 413, b"request body too large\n", request_id)
        finally:
            self._observe(scope, status, started, request_id)

    @staticmethod
    def _observe(scope: Scope, status: int, started: float, request_id: str) -> None:
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        label = getattr(route, "path", None) or "(unmatched)"
        counter, histogram = _series(scope["method"], label, status)
        counter.inc()
        histogram.observe(elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={"request_id": request_id, "status": status,
                       "duration_ms": round(elapsed * 1000, 2)},
            )


_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The request counter and latency histogram of one method, route and status.

    Looked up once: ``labels()`` takes a lock and formats the labels, a few microseconds that
    every request would pay. Bounded, since a client may invent methods.
    """
    key = (method, route, status)
    found = _SERIES.get(key)
    if found is None:
        found = (REQUESTS.labels(method, route, str(status)), LATENCY.labels(route))
        if len(_SERIES) < 10_000:
            _SERIES[key] = found
    return found


def _security_headers(
    existing: Iterable[tuple[bytes, bytes]], request_id: str, https: bool
) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in existing}
    extra = [
        (b"x-request-id", request_id.encode("latin-1")),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
    ]
    content_type = next((v for n, v in existing if n.lower() == b"content-type"), b"")
    if content_type.startswith(b"text/html") and b"content-security-policy" not in present:
        extra.append((b"content-security-policy", HTML_CSP.encode()))
        extra.append((b"x-frame-options", b"DENY"))
    if https:
        extra.append((b"strict-transport-security", b"max-age=31536000"))
    return [h for h in extra if h[0] not in present]


async def _plain(send: Send, status: int, body: bytes, request_id: str) -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                    (b"x-request-id", request_id.encode("latin-1"))],
    })
    await send({"type": "http.response.body", "body": body})


class SiteCorsMiddleware:
    """CORS with an allow-list per site: browsers may call the API only from a site's origins.

    ``allowed_origins`` is a callable so the list follows the database (it is cached by the
    caller, see ``afterword.web.app``). Only paths under ``prefixes`` take part; the Akismet
    API is server-to-server and never needs CORS.
    """

    def __init__(self, app: ASGIApp, *, allowed_origins: Callable[[], frozenset[str]],
                 prefixes: tuple[str, ...] = ("/api/",)) -> None:
        self.app = app
        self.allowed_origins = allowed_origins
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        origin = dict(scope["headers"]).get(b"origin", b"").decode("latin-1")
        allowed = bool(origin) and origin in self.allowed_origins()
        if scope["method"] == "OPTIONS" and origin:
            status = 204 if allowed else 403
            headers = [(b"vary", b"Origin"), (b"content-length", b"0")]
            if allowed:
                headers += [
                    (b"access-control-allow-origin", origin.encode()),
                    (b"access-control-allow-methods", b"GET, POST, PATCH, DELETE"),
                    (b"access-control-allow-headers", b"content-type, authorization"),
                    (b"access-control-max-age", b"600"),
                ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"vary", b"Origin"))
                if allowed:
                    headers.append((b"access-control-allow-origin", origin.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_wrapper)
