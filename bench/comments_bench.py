"""Comment service speed against Isso 0.14, both measured in the same run on this machine.

    python bench/comments_bench.py --isso /tmp/isso-venv/bin/isso [--out bench/results/comments.md]

Install Isso into its own virtualenv first (never into Afterword's):
    python3 -m venv /tmp/isso-venv && /tmp/isso-venv/bin/pip install 'isso==0.14.*'

Both servers run as their own process on SQLite, single process, with their default durability
(Afterword: WAL + synchronous=FULL; Isso: rollback journal, SQLite's default FULL), rate
limits off, and are driven by the same HTTP client over loopback (keep-alive). Figures are
client-observed, so they include HTTP and the client; the server-side time is lower.
Threads are seeded straight into each database with the same shape (3 roots : 1 reply).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

SITE = "https://bench.example"
SIZES = {"t1k": 1_000, "t100k": 100_000}
COUNT_URLS = 100
READS = 400
BUDGET = 15.0
POST_SECONDS = 8.0
WARM_SECONDS = 1.0
CONNECTIONS = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def shape(n: int, seed: int = 7) -> list[int | None]:
    """Parent index per comment: three roots for each reply, replies to an earlier root."""
    rnd = random.Random(seed)
    parents: list[int | None] = []
    roots: list[int] = []
    for i in range(n):
        if i % 4 == 3 and roots:
            parents.append(rnd.choice(roots[-50:]))
        else:
            parents.append(None)
            roots.append(i)
    return parents


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def timed_pair(ours, theirs) -> tuple[list[float], list[float]]:
    """Latencies (ms) of two calls measured in alternating rounds of ten, so both servers
    see the same moments of a shared machine's load: READS samples each after 5 warm-ups,
    or what fits in BUDGET seconds (at least 20 each), so a slow server cannot stretch it."""
    for call in (ours, theirs):
        for _ in range(5):
            call().raise_for_status()
    out: tuple[list[float], list[float]] = ([], [])
    stop = time.perf_counter() + BUDGET
    while any(len(o) < READS for o in out):
        if time.perf_counter() > stop and all(len(o) >= 20 for o in out):
            break
        for call, lat in zip((ours, theirs), out):
            for _ in range(10):
                t = time.perf_counter()
                r = call()
                lat.append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
    return out


class _Connection:
    """One keep-alive HTTP/1.1 connection that posts JSON and reads the answer.

    Written against asyncio streams rather than an HTTP library: httpx spent about as much
    CPU per post as the server it measured (2.7 ms per post against Afterword's 2.7 ms in a
    run on a busy machine), and client and servers share the machine's two cores, so the
    client held both servers' rates down. This costs a fraction of that; both servers are
    driven by it alike. No cookies are kept: a reader sends back their own cookie at most
    (a jar shared by all connections sent Isso every earlier comment's cookie, and after
    ~900 posts its server answered 431).
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(b"POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json"
                          b"\r\nContent-Length: %d\r\n\r\n%s" % (
                              path.encode(), self.host.encode(), self.port, len(body), body))
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        status = int(head[9:12])
        keep_alive = head.startswith("http/1.1")
        length = None
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name == "content-length":
                length = int(value)
            elif name == "connection":
                keep_alive = value.strip() == "keep-alive"
            elif name == "transfer-encoding":
                raise RuntimeError(f"{value.strip()} answers are not read by this client")
        if length is None:  # the answer ends with the connection
            answer, keep_alive = await self.reader.read(), False
        else:
            answer = await self.reader.readexactly(length)
        if not keep_alive:
            await self.close()
        return status, answer

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()
            self.writer = self.reader = None


async def post_load(base: str, path: str, make_body, seconds: float,
                    ) -> tuple[int, float, list[float], list[str]]:
    """CONNECTIONS clients posting back to back; returns the comments accepted, seconds,
    their latencies (ms) and the other answers (status and start of the body). Those are
    counted, not fatal."""
    done = 0
    latencies: list[float] = []
    refused: list[str] = []
    stop = time.perf_counter() + seconds
    address = urlsplit(base)
    assert address.hostname and address.port

    async def worker(w: int) -> None:
        nonlocal done
        connection = _Connection(address.hostname, address.port)
        i = 0
        try:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                status, answer = await connection.post(path, json.dumps(make_body(w, i)).encode())
                i += 1
                if status not in (201, 202):
                    text = answer.decode("utf-8", "replace")
                    refused.append(f"{status}: {' '.join(text.split())[:120]}")
                    continue
                latencies.append((time.perf_counter() - t) * 1000)
                done += 1
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(CONNECTIONS)))
    elapsed = time.perf_counter() - started
    return done, elapsed, latencies, refused


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rows_per_commit(metrics: str) -> float:
    """Comments per group commit so far (warm-up included), from Afterword's /metrics."""
    found = dict(line.split() for line in metrics.splitlines()
                 if line.startswith("afterword_comment_commit_rows_")
                 and line.split()[0].endswith(("_sum", "_count")))
    commits = float(found.get("afterword_comment_commit_rows_count", 0))
    return float(found.get("afterword_comment_commit_rows_sum", 0)) / commits if commits else 0.0


CHROMIUM = "/usr/bin/chromium"
OPENS = 8


def time_to_first_comment(page_url: str, html: str, selector: str) -> list[float]:
    """ms from navigation start until the first comment is in the DOM (shadow DOM included),
    for a page that embeds a widget; [] when Chromium is not installed."""
    if not os.path.exists(CHROMIUM):
        return []
    from playwright.sync_api import sync_playwright

    probe = ("() => { const h = document.getElementById('afterword');"
             " const root = h && h.shadowRoot ? h.shadowRoot : document;"
             f" return root.querySelector('{selector}') ? performance.now() : false; }}")
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        for _ in range(OPENS + 1):
            context = browser.new_context()
            page = context.new_page()
            page.route(page_url, lambda route: route.fulfill(body=html, content_type="text/html"))
            page.goto(page_url)
            out.append(page.wait_for_function(probe, polling="raf", timeout=60_000).json_value())
            context.close()
        browser.close()
    return out[1:]  # the first open also warms the server's caches


TEXT = ("Thanks for the write-up on the harbour ferry, comment {w}-{i}. The timetable "
        "looks sensible and I hope the evening service stays.")


# --- Afterword ------------------------------------------------------------------------------


def afterword_env(folder: Path, port: int) -> dict[str, str]:
    return {**os.environ, "AFTERWORD_DATABASE_URL": f"sqlite:///{folder / 'afterword.db'}",
            "AFTERWORD_DATA_DIR": str(folder), "AFTERWORD_SECRET_KEY": "bench-secret-0123456789",
            "AFTERWORD_PORT": str(port), "AFTERWORD_LOG_LEVEL": "warning",
            "AFTERWORD_BASE_URL": f"http://127.0.0.1:{port}"}


def seed_afterword(folder: Path, env: dict[str, str]) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    from afterword.db.migrate import upgrade
    from afterword.db.models import Comment, Site, Thread
    from afterword.db.session import create_db_engine

    engine = create_db_engine(env["AFTERWORD_DATABASE_URL"])
    upgrade(engine)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        site_id = conn.execute(insert(Site).values(
            url=SITE, name="bench", allowed_origins=[SITE],
            settings={"ip_per_minute": 10**6, "thread_per_minute": 10**6})).inserted_primary_key[0]
        for name, n in SIZES.items():
            thread_id = conn.execute(insert(Thread).values(
                site_id=site_id, url=f"{SITE}/{name}", title=name, comment_count=n)
            ).inserted_primary_key[0]
            first = (conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM comments")
                     .scalar() or 0) + 1
            rows = []
            for i, parent in enumerate(shape(n)):
                rows.append({
                    "id": first + i, "site_id": site_id, "thread_id": thread_id,
                    "parent_id": None if parent is None else first + parent,
                    "root_id": None if parent is None else first + parent,
                    "depth": 0 if parent is None else 1, "status": "published",
                    "author": f"Reader {i}", "email": "", "website": "",
                    "text": f"Comment number {i}", "html": f"<p>Comment number {i}</p>\n",
                    "ip": "192.0.2.0", "ip_hash": "", "user_agent": "", "spam_reasons": [],
                    "spam_submission": {}, "created_at": start + timedelta(seconds=i),
                    "likes": i % 7})
            conn.execute(insert(Comment), rows)
        conn.execute(insert(Thread), [
            {"site_id": site_id, "url": f"{SITE}/count/{k}", "title": "", "comment_count": k}
            for k in range(COUNT_URLS)])
    engine.dispose()


class AfterwordServer:
    """``afterword serve`` (one process) on a fresh SQLite database with every thread."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        port = free_port()
        self.env = afterword_env(folder, port)
        self.base = f"http://127.0.0.1:{port}"
        seed_afterword(folder, self.env)

    def __enter__(self) -> str:
        exe = Path(sys.executable).with_name("afterword")
        self.proc = subprocess.Popen([str(exe), "serve"], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_up(self.base + "/healthz", self.proc)
        return self.base

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)

    def stored_posts(self) -> int:
        with sqlite3.connect(self.folder / "afterword.db") as db:
            return db.execute("SELECT COUNT(*) FROM comments WHERE thread_id IN "
                              "(SELECT id FROM threads WHERE url LIKE ?)",
                              (f"{SITE}/post/%",)).fetchone()[0]


# --- Isso -------------------------------------------------------------------------------------


def seed_isso(db_path: Path, sizes: dict[str, int], extras: bool) -> None:
    with sqlite3.connect(db_path) as db:
        voters = bytes(256)
        for name, n in sizes.items():
            tid = db.execute("INSERT INTO threads (uri, title) VALUES (?, ?)",
                             (f"/{name}", name)).lastrowid
            first = (db.execute("SELECT COALESCE(MAX(id), 0) FROM comments").fetchone()[0]) + 1
            db.executemany(
                "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr,"
                " text, author, email, website, likes, dislikes, voters, notification)"
                " VALUES (?, ?, ?, ?, NULL, 1, '192.0.2.0', ?, ?, NULL, NULL, ?, 0, ?, 0)",
                [(tid, first + i, None if p is None else first + p, 1767225600.0 + i,
                  f"Comment number {i}", f"Reader {i}", i % 7, voters)
                 for i, p in enumerate(shape(n))])
        if not extras:
            return
        for k in range(COUNT_URLS):
            tid = db.execute("INSERT INTO threads (uri, title) VALUES (?, '')",
                             (f"/count/{k}",)).lastrowid
            db.executemany(
                "INSERT INTO comments (tid, parent, created, mode, remote_addr, text, voters)"
                " VALUES (?, NULL, 1767225600.0, 1, '192.0.2.0', 'x', ?)",
                [(tid, voters)] * (k % 5))
        for w in range(4):
            db.execute("INSERT INTO threads (uri, title) VALUES (?, 'Post')", (f"/post/{w}",))


class IssoServer:
    """Isso's own server (``isso run``) on a fresh database seeded with ``sizes``."""

    def __init__(self, folder: Path, isso: str, sizes: dict[str, int], extras: bool) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.conf = folder / "isso.cfg"
        db_path = folder / "isso.db"
        self.conf.write_text(f"""[general]
dbpath = {db_path}
host = {SITE}
[server]
listen = {self.base}
[guard]
enabled = false
[moderation]
enabled = false
""")
        self.isso = isso
        first = self._start()  # the first start creates the schema
        first.terminate()
        first.wait(10)
        seed_isso(db_path, sizes, extras)

    def _start(self) -> subprocess.Popen:
        proc = subprocess.Popen([self.isso, "-c", str(self.conf), "run"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_up(self.base + "/info", proc)
        self.proc = proc
        return proc

    def __enter__(self) -> str:
        self._start()
        return self.base

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def run(folder: Path, isso: str) -> tuple[dict[str, float], dict[str, float]]:
    """Every measure for both servers, side by side.

    Isso has no index on a comment's thread: each thread size gets an Isso database of its
    own, so its 1,000-comment figure is not slowed by the 100,000 other comments (Afterword
    keeps every thread in one database).
    """
    for sub in ("aw", "i1k", "i100k"):
        (folder / sub).mkdir()
    ours: dict[str, float] = {}
    theirs: dict[str, float] = {}
    aw = AfterwordServer(folder / "aw")
    small = IssoServer(folder / "i1k", isso, {"t1k": SIZES["t1k"]}, extras=True)
    large = IssoServer(folder / "i100k", isso, {"t100k": SIZES["t100k"]}, extras=False)
    with aw as a_base, small as i_base, large as i_large, \
            httpx.Client(base_url=a_base, timeout=120) as a, \
            httpx.Client(base_url=i_base, timeout=120) as i, \
            httpx.Client(base_url=i_large, timeout=120) as i_big:
        urls = [f"{SITE}/count/{k}" for k in range(COUNT_URLS)]
        isso_urls = [f"/count/{k}" for k in range(COUNT_URLS)]
        pairs = {
            "get_t1k": (lambda: a.get("/api/v1/threads", params={
                            "site": SITE, "url": f"{SITE}/t1k", "limit": 20}),
                        lambda: i.get("/", params={"uri": "/t1k", "limit": 20,
                                                   "nested_limit": 20})),
            "get_t100k": (lambda: a.get("/api/v1/threads", params={
                              "site": SITE, "url": f"{SITE}/t100k", "limit": 20}),
                          lambda: i_big.get("/", params={"uri": "/t100k", "limit": 20,
                                                         "nested_limit": 20})),
            "counts": (lambda: a.post("/api/v1/counts", json={"site": SITE, "urls": urls}),
                       lambda: i.post("/count", json=isso_urls)),
        }
        for key, (mine, other) in pairs.items():
            server: list[float] = []  # Afterword's own time per answer (Server-Timing)

            def timed(call=mine, server=server):
                answer = call()
                server.append(float(answer.headers["server-timing"].partition("dur=")[2]))
                return answer

            for out, lat in zip((ours, theirs), timed_pair(timed, other)):
                out[f"{key}_p50"], out[f"{key}_p99"] = pct(lat, .5), pct(lat, .99)
            server = server[5:]  # after the warm-ups, as the client-observed figures
            ours[f"{key}_server_p50"] = pct(server, .5)
            ours[f"{key}_server_p99"] = pct(server, .99)

        pages = (
            (ours, a_base, ".aw-c",
             f'<!doctype html><html lang="en"><body><div id="afterword" data-site="{SITE}" '
             f'data-url="{SITE}/t1k"></div><script src="/embed.js" defer></script></body></html>'),
            (theirs, i_base, ".isso-comment",
             f'<!doctype html><html lang="en"><body><section id="isso-thread" '
             f'data-isso-id="/t1k" data-title="t1k"></section><script data-isso="{i_base}/" '
             f'src="{i_base}/js/embed.min.js"></script></body></html>'),
        )
        for out, base, selector, html in pages:
            opens = time_to_first_comment(base + "/host/t1k", html, selector)
            if opens:
                out["open_t1k_p50"] = statistics.median(opens)

        token = a.get("/api/v1/threads", params={"site": SITE, "url": f"{SITE}/t1k",
                                                 "limit": 1}).json()["token"]
        time.sleep(5)  # the render token measures time-to-submit: post like a reader would

        def our_body(w: int, n: int) -> dict:
            return {"site": SITE, "url": f"{SITE}/post/{w % 4}", "title": "Post",
                    "author": f"Writer {w}", "text": TEXT.format(w=w, i=n), "token": token,
                    "honeypot": ""}

        def their_body(w: int, n: int) -> dict:
            return {"author": f"Writer {w}", "text": TEXT.format(w=w, i=n), "title": "Post"}

        loads = ((ours, a_base, "/api/v1/comments", our_body, aw.proc.pid),
                 (theirs, i_base, "/new?uri=%2Fpost%2F0", their_body, small.proc.pid))
        totals = {id(out): [0, 0.0, [], 0.0] for out, *_ in loads}
        refusals: dict[int, list[str]] = {id(out): [] for out, *_ in loads}
        for out, base, path, body, _pid in loads:
            # Warm-up, as the reads have: the first comment loads Afterword's spam model
            # (a fraction of a second of CPU that would be charged to the measured comments).
            warm = asyncio.run(post_load(base, path, body, WARM_SECONDS))
            out["post_warmup"] = warm[0]
            refusals[id(out)] += warm[3]
        for _ in range(2):  # alternate halves, again so both meet the same load
            for out, base, path, body, pid in loads:
                cpu = cpu_seconds(pid)
                done, elapsed, lat, refused = asyncio.run(
                    post_load(base, path, body, POST_SECONDS / 2))
                refusals[id(out)] += refused
                total = totals[id(out)]
                total[0] += done
                total[1] += elapsed
                total[2] += lat
                total[3] += cpu_seconds(pid) - cpu
        for out, *_ in loads:
            done, elapsed, lat, cpu = totals[id(out)]
            out["post_rate"], out["post_p50"], out["post_p99"] = (
                round(done / elapsed), pct(lat, .5), pct(lat, .99))
            out["post_answered"] = done
            # The server's own CPU per answer (all its threads): unlike the rate, this hardly
            # moves with what else the machine runs. Afterword's includes the spam engine.
            out["post_cpu"] = cpu / done * 1000
            out["post_refused"] = len(refusals[id(out)])
            out["post_refused_first"] = refusals[id(out)][0] if refusals[id(out)] else ""
        ours["post_rows_per_commit"] = rows_per_commit(a.get("/metrics").text)
    ours["post_stored"] = aw.stored_posts()
    return ours, theirs


def report(ours: dict[str, float], isso: dict[str, float], command: str) -> str:
    def ms(v: float) -> str:
        return f"{v:.2f} ms"

    rows = [
        ("GET first page (20) of a 1,000-comment thread, p50", "get_t1k_p50", ms, "< 5 ms"),
        ("… p99", "get_t1k_p99", ms, ""),
        ("GET first page (20) of a 100,000-comment thread, p50", "get_t100k_p50", ms,
         "no slower than 1,000"),
        ("… p99", "get_t100k_p99", ms, ""),
        ("POST /counts for 100 URLs, p50", "counts_p50", ms, "< 2 ms"),
        ("… p99", "counts_p99", ms, ""),
        ("Chromium: open a 1,000-comment thread to first comment shown, p50", "open_t1k_p50",
         ms, "< 300 ms"),
        (f"POST comments/s at {CONNECTIONS} connections", "post_rate", lambda v: f"{v:.0f}/s",
         ">= 3x Isso"),
        ("… latency p50", "post_p50", ms, ""),
        ("… latency p99", "post_p99", ms, ""),
        ("… server CPU per comment (all threads)", "post_cpu", ms, ""),
    ]
    lines = [
        "# Comment service vs Isso 0.14 (same machine, same run)", "",
        f"Command: `{command}`", "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"load average {LOAD_AT_START:.1f} when the run began (a shared machine: other "
        "work ran alongside, so single figures move by tens of percent between runs).",
        "", "Client-observed over loopback HTTP with keep-alive (server-side time is lower). "
        f"Reads: {READS} sequential requests per server after 5 warm-ups, or as many as fit "
        f"in {BUDGET:.0f} s (at least 20), the two servers taking turns every ten requests. "
        f"Writes: {CONNECTIONS} concurrent connections, {POST_SECONDS:.0f} s per server in two "
        f"alternating halves after {WARM_SECONDS:.0f} s of warm-up each; Afterword "
        "runs every comment through the spam engine and commits it (SQLite WAL, "
        "synchronous=FULL) before answering; each server's CPU time (from /proc) over the "
        "write test, divided by its answers, gives its CPU per comment. "
        "Isso gets a fresh database per thread size "
        "(it has no index on a comment's thread); Afterword keeps every thread in one.", "",
        "| measure | Afterword | Isso 0.14 | ratio | target |", "|---|---|---|---|---|"]
    for label, key, fmt, target in rows:
        if key not in ours or key not in isso:
            continue  # the browser figure needs Chromium
        a, b = ours[key], isso[key]
        ratio = (a / b if key == "post_rate" else b / a) if a and b else float("nan")
        lines.append(f"| {label} | {fmt(a)} | {fmt(b)} | {ratio:.1f}x | {target} |")
    lines += ["", ("Afterword's own time for the same reads, from the `Server-Timing` header "
                   "each answer carries (from the request reaching the app to the response "
                   "headers; Isso sends no such header):"), "",
              "| measure | p50 | p99 | target |", "|---|---|---|---|"]
    for label, key, target in (
            ("GET first page (20) of a 1,000-comment thread", "get_t1k", "p50 < 5 ms"),
            ("GET first page (20) of a 100,000-comment thread", "get_t100k",
             "no slower than 1,000"),
            ("POST /counts for 100 URLs", "counts", "p50 < 2 ms")):
        lines.append(f"| {label} | {ms(ours[key + '_server_p50'])} | "
                     f"{ms(ours[key + '_server_p99'])} | {target} |")
    answered = ours["post_answered"] + ours["post_warmup"]
    lines += ["", f"Afterword stored {ours['post_stored']:.0f} comments for "
              f"{answered:.0f} answers during the write test and its warm-up (every answered "
              "comment is in the database); its commits carried "
              f"{ours['post_rows_per_commit']:.1f} comments each on average. Answers other "
              f"than 201 during the write test (warm-up included): Afterword "
              f"{ours['post_refused']:.0f}{refused_first(ours)}, Isso "
              f"{isso['post_refused']:.0f}{refused_first(isso)}.", "", "Ratio: how many times faster Afterword is.", ""]
    return "\n".join(lines)


def refused_first(out: dict) -> str:
    return f" (first: {out['post_refused_first']})" if out["post_refused_first"] else ""


LOAD_AT_START = os.getloadavg()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--isso", required=True, help="path to the isso executable (0.14)")
    parser.add_argument("--out", help="write the Markdown report here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ours, theirs = run(Path(tmp), args.isso)
    print(json.dumps({"afterword": ours, "isso": theirs}), flush=True)
    command = "python bench/comments_bench.py " + " ".join(sys.argv[1:])
    text = report(ours, theirs, command)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
