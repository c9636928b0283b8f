"""Plain-ASGI pieces for the busiest endpoints (Akismet's comment-check, posting a comment).

Those endpoints read the body from ``receive`` and send their answer themselves: FastAPI's
request machinery (dependency solving, a generic body validator, response handling) and
Starlette's ``Request``/``Response`` wrapping cost more than their own work.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send


class Answer(Response):
    """An answer built the short way: status, body, headers; sent as two ASGI messages.

    Starlette's ``Response`` does the same with more checks and copies. A ``Response``
    still, so that a FastAPI operation can return one too."""

    def __init__(self, body: str | bytes, media_type: str, headers: dict[str, str] | None = None,
                 status: int = 200) -> None:
        self.status_code = status
        self.background = None
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.raw_headers = [(b"content-type", media_type.encode("latin-1")),
                            (b"content-length", str(len(self.body)).encode("latin-1"))]
        if headers:
            self.raw_headers += [(name.lower().encode("latin-1"), value.encode("latin-1"))
                                 for name, value in headers.items()]

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.send(send)


class NamedRoute(Route):
    """A Starlette route that names itself in ``scope["route"]`` when chosen, as FastAPI's
    own routes do: the metrics label each request by it."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self
        await self.app(scope, receive, send)


async def read_body(receive: Receive) -> bytes:
    """The whole request body (the app's middleware bounds its size); raises
    ``ClientDisconnect`` if the client went away first."""
    message = await receive()
    chunks = []
    while True:
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        message = await receive()
