"""The widget's files: ``/embed.js``, ``/count.js`` (built files shipped in the package)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

STATIC = Path(__file__).resolve().parent.parent / "static"
FILES = {"embed.js": "text/javascript; charset=utf-8",
         "count.js": "text/javascript; charset=utf-8"}

router = APIRouter(include_in_schema=False)


def _serve(name: str):
    body = (STATIC / name).read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'

    def handler(request: Request) -> Response:
        # Host pages name these files without a version, so caches must revalidate often.
        headers = {"etag": etag, "cache-control": "public, max-age=300",
                   "cross-origin-resource-policy": "cross-origin"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=FILES[name], headers=headers)

    return handler


for _name in FILES:
    router.add_api_route(f"/{_name}", _serve(_name), methods=["GET", "HEAD"])
