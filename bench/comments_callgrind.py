"""Instructions per comment posted through the ASGI app, for exact A/B under callgrind.

    for n in 0 200; do PYTHONHASHSEED=0 valgrind --tool=callgrind \\
        --callgrind-out-file=/tmp/cg.$n.out .venv/bin/python bench/comments_callgrind.py $n; done

(``PYTHONPATH=OTHER_CHECKOUT/src`` in front measures another tree.) Instructions per comment:
the ``totals:`` of the 200 run minus those of the 0 run, divided by 200. Each run posts 60
comments first (the engine loads, caches fill), freezes the collector, then posts N comments
one after the other, as the benchmark's client sends them, through every middleware, the
spam engine and the group commit (SQLite, synchronous=FULL; user-space instructions only, so
not the fsync). Sequential posts make single-row commits: a loaded server's batches cost less
per comment.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

N = int(sys.argv[1])
WARM_UP = 60
SITE = "https://bench.example"
TEXT = ("Thanks for the write-up on the harbour ferry, comment {w}-{i}. The timetable "
        "looks sensible and I hope the evening service stays.")

# Under valgrind a run is ~50x slower, so the interpreter's time-sliced GIL hand-offs (every
# 5 ms) come ~50x more often per comment, and more on a loaded machine: a long interval
# leaves mostly the hand-offs the code itself makes. Background threads still run on the
# clock (the spam events' flusher, cache expiry), so repeat runs differ by a few percent:
# compare medians of alternating runs.
sys.setswitchinterval(1.0)

folder = Path(tempfile.mkdtemp(prefix="comments-callgrind-"))
os.environ.update({"AFTERWORD_DATABASE_URL": f"sqlite:///{folder / 'afterword.db'}",
                   "AFTERWORD_DATA_DIR": str(folder),
                   "AFTERWORD_SECRET_KEY": "bench-secret-0123456789",
                   "AFTERWORD_LOG_LEVEL": "warning"})

from afterword.config import load_settings  # noqa: E402 - after the environment is set
from afterword.db.migrate import upgrade  # noqa: E402
from afterword.db.models import Site  # noqa: E402
from afterword.db.session import create_db_engine  # noqa: E402
from afterword.web.app import create_app  # noqa: E402

settings = load_settings()
engine = create_db_engine(settings.database_url)
upgrade(engine)
with engine.begin() as conn:
    site_id = conn.execute(insert(Site).values(
        url=SITE, name="bench", allowed_origins=[SITE],
        settings={"ip_per_minute": 10**6, "thread_per_minute": 10**6})).inserted_primary_key[0]
app = create_app(settings, engine)
token = app.state.comments.tokens.render_token(site_id, time.time() - 30)


async def post(i: int) -> None:
    body = json.dumps({"site": SITE, "url": f"{SITE}/post/{i % 4}", "title": "Post",
                       "author": f"Writer {i % 16}", "text": TEXT.format(w=i % 16, i=i),
                       "token": token, "honeypot": ""}).encode()
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
             "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/v1/comments", "raw_path": b"/api/v1/comments", "query_string": b"",
             "root_path": "", "client": ("127.0.0.1", 40000 + i % 1000),
             "server": ("127.0.0.1", 8000), "state": {},
             "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())]}
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 201, sent


async def main() -> None:
    for i in range(WARM_UP):
        await post(i)
    gc.collect()
    gc.freeze()
    for i in range(WARM_UP, WARM_UP + N):
        await post(i)


asyncio.run(main())
app.state.spam_store.close()
