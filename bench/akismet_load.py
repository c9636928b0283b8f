"""Akismet comment-check under load, against the ceiling of the same server, in one run.

    .venv/bin/python bench/akismet_load.py             # writes bench/results/akismet.md
    .venv/bin/python bench/akismet_load.py --seconds 5 --rounds 1 --no-write   # quick look

Needs ``wrk`` (Debian package ``wrk``). Starts uvicorn (one worker unless ``--workers``) in
a child process serving
the real app (``create_app``: middleware, metrics, SQLite in WAL, the shipped spam model)
plus one extra route that exists only here, ``POST /bench/trivial``, first in the route
list: it parses a 12-field form with Starlette's own parser and answers ``false``, i.e.
everything but the check. wrk (64 connections) then alternates between the two endpoints,
``--rounds`` times each, so both see the same machine load; the report gives the median of
the rounds.

Each round also reads the server's CPU time (user + system of the uvicorn processes, from
/proc) before and after, and divides by the requests answered: CPU microseconds per request,
which decide the throughput on a quiet core and, unlike req/s, hardly depend on what else
the machine is doing.

The comment-check bodies are real comments (YouTube spam collection, when the shared folder
is there) with their authors, distinct IPs and the WordPress plugin's usual fields, rotated
by a wrk Lua script so the engine sees a stream, not one text repeated.

After the load the server is stopped cleanly and the check records are counted: every
answered comment-check (the server's own counter) must have its row in ``spam_checks``
(write-behind: rows wait up to 0.25 s in memory, the shutdown flushes them).

Last, a table of where a check's time goes, measured in this process on the same comments:
form parsing, the engine (in-memory and SQL state stores) and the whole service path.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

SITE = "https://blog.example"
FALLBACK = [
    ("Ann", "Thanks for the write-up, the part about tomato seedlings finally made sense."),
    ("promo", "Check out my channel and subscribe!!! free gift cards http://bit.ly/free-gift"),
    ("Ravi", "I disagree with the second point; the council voted on this last year already."),
    ("Lee", "Could you share the recipe for the bread you mentioned at the end?"),
    ("cash", "Make money fast working from home, earn $5000 a week, visit http://cash.example"),
]


def comments(limit: int = 400) -> list[tuple[str, str]]:
    root = Path(os.environ.get("AFTERWORD_SHARED_DIR", REPO.parent / "shared"))
    folder = root / "datasets" / "youtube-spam-collection"
    out: list[tuple[str, str]] = []
    for path in sorted(folder.glob("Youtube*.csv")):
        with path.open(encoding="utf-8", errors="replace", newline="") as fh:
            out += [(row["AUTHOR"], row["CONTENT"]) for row in csv.DictReader(fh)]
    return out[:: max(1, len(out) // limit)][:limit] if out else FALLBACK


def check_body(key: str, i: int, author: str, text: str) -> str:
    """What the WordPress plugin sends for one comment (its usual fields, not all headers)."""
    return urlencode({
        "api_key": key, "blog": SITE, "user_ip": f"198.51.{i // 250 % 250}.{i % 250 + 1}",
        "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/131.0",
        "referrer": f"{SITE}/2026/11/a-post/", "permalink": f"{SITE}/2026/11/a-post/",
        "comment_type": "comment", "comment_author": author,
        "comment_author_email": f"reader{i}@mail.example", "comment_content": text,
        "blog_lang": "en_US", "blog_charset": "UTF-8", "POST_ak_hp_textarea": "",
    })


TRIVIAL_BODY = urlencode({f"field{i}": f"value number {i}" for i in range(12)})


def lua_script(bodies: list[str], path: str) -> str:
    quoted = ",\n".join("[==[" + body + "]==]" for body in bodies)
    return f"""
local bodies = {{
{quoted}
}}
local n = #bodies
local i = 0
local headers = {{["Content-Type"] = "application/x-www-form-urlencoded"}}
request = function()
  i = i % n + 1
  return wrk.format("POST", "{path}", headers, bodies[i])
end
"""


def bench_app():
    """The production app plus the bench-only trivial route (a uvicorn factory, so several
    worker processes can each build one; the database comes from the environment)."""
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from afterword.config import Settings
    from afterword.db.session import create_db_engine
    from afterword.logs import configure_logging
    from afterword.web.app import create_app

    database = os.environ["AFTERWORD_BENCH_DATABASE"]
    settings = Settings(database_url=database, data_dir=Path(database[10:]).parent,
                        secret_key="bench-secret-key-0123456789", log_level="warning",
                        log_format="text")
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings, create_db_engine(settings.database_url))

    async def trivial(request: Request) -> PlainTextResponse:
        form = await request.form()
        return PlainTextResponse("false" if len(form) == 12 else "invalid")

    # First of all routes, ahead of the Akismet ones (which ``install`` puts first): the
    # ceiling pays no more routing than comment-check does.
    app.router.routes.insert(0, Route("/bench/trivial", trivial, methods=["POST"]))
    return app


def serve(database: str, port: int, workers: int) -> None:
    """Child process: uvicorn with ``workers`` processes, as ``afterword serve`` runs it."""
    import uvicorn

    os.environ["AFTERWORD_BENCH_DATABASE"] = database
    sys.path.insert(0, str(REPO / "bench"))
    uvicorn.run("akismet_load:bench_app", factory=True, host="127.0.0.1", port=port,
                workers=workers if workers > 1 else None, log_config=None, access_log=False)


def commit() -> str:
    """The code measured: the checkout's commit, marked when files differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True,
                              text=True).stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no", "src")
    return (git("rev-parse", "--short", "HEAD") or "unknown") + (" (+ local changes)" if dirty
                                                                  else "")


def serving() -> str:
    """The event loop and HTTP parser uvicorn picks here ("auto" takes the fast ones when
    they are installed, as they are with uvicorn[standard])."""
    import uvicorn

    async def nothing(scope: dict, receive: object, send: object) -> None:
        return None

    config = uvicorn.Config(nothing, log_config=None)
    config.load()
    loop = config.get_loop_factory()
    return (f"{loop.__module__ if loop else 'asyncio'} loop, "
            f"{config.http_protocol_class.__name__}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(base: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def parse_wrk(output: str) -> dict[str, float]:
    def ms(value: str, unit: str) -> float:
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.M))
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
              "requests": int(re.search(r"(\d+) requests in", output).group(1))}
    for pct, text in latency.items():
        value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
        result[f"p{pct}"] = ms(value, unit)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non2xx"] = int(errors.group(1)) if errors else 0
    socket_errors = re.search(r"Socket errors: (.*)", output)
    result["socket_errors"] = socket_errors.group(1) if socket_errors else ""
    return result


def _cpu_of(stat: Path, tick: int) -> tuple[int, float] | None:
    """(parent pid, user + system seconds) from a /proc stat file; None once it is gone."""
    try:
        text = stat.read_text()
    except OSError:  # the process or thread ended meanwhile
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / tick


def server_cpu_seconds(pid: int) -> dict[int, tuple[float, float]]:
    """CPU time of the server process and each of its descendants (the uvicorn supervisor and
    its workers), from /proc: what the server spent, whoever else is busy. Per process:
    (all threads, threads other than the main one), the latter being the background writers
    (check records, the spam store's event flusher) that work for the requests."""
    ppid: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        found = _cpu_of(stat, tick)
        if found is not None:
            ppid[int(stat.parent.name)], cpu[int(stat.parent.name)] = found
    spent, todo = {}, [pid]
    while todo:
        proc = todo.pop()
        threads = [_cpu_of(task / "stat", tick)
                   for task in Path(f"/proc/{proc}/task").glob("[0-9]*")
                   if task.name != str(proc)]
        spent[proc] = (cpu.get(proc, 0.0), sum(t[1] for t in threads if t is not None))
        todo += [child for child, parent in ppid.items() if parent == proc]
    return spent


def run_wrk(url: str, script: Path, seconds: int, connections: int, threads: int,
            server_pid: int) -> dict:
    """One wrk run; adds ``cpu_us``, the server's CPU microseconds per answered request,
    ``background_us``, the part of it spent outside the workers' main threads, and
    ``busiest``, the share of that CPU spent by the busiest process (with several workers:
    how evenly the kernel spread wrk's keep-alive connections over them)."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
           "-s", str(script), url]
    before = server_cpu_seconds(server_pid)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    result = parse_wrk(out)
    after = server_cpu_seconds(server_pid)
    spent = [after[proc][0] - before.get(proc, (0.0, 0.0))[0] for proc in after]
    background = sum(after[proc][1] - before.get(proc, (0.0, 0.0))[1] for proc in after)
    result["cpu_us"] = sum(spent) / result["requests"] * 1e6
    result["background_us"] = background / result["requests"] * 1e6
    result["busiest"] = max(spent) / sum(spent) if sum(spent) else 1.0
    return result


def checks_answered(base: str) -> int:
    text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    return int(sum(float(v) for v in re.findall(
        r'^afterword_spam_checks_total\{verdict="\w+"\} ([\d.e+]+)', text, re.M)))


def stage_costs(texts: list[tuple[str, str]], database: str, key: str) -> dict[str, float]:
    """CPU microseconds per check for each stage, measured here in one process: what the
    Akismet door adds (parsing, recording) next to what the engine costs.

    The engine with the SQL store and the whole service each get a fresh database: the
    engine's counts grow with its history, and both must start from the same one. One more
    row runs the engine on the load's own ``database`` after the load, with that site's
    settings: the history the server's checks worked on by the end.
    """
    from afterword.akismet.forms import parse_form
    from afterword.akismet.records import RecordWriter
    from afterword.akismet.service import AkismetService
    from afterword.db.migrate import upgrade
    from afterword.db.session import create_db_engine, make_session_factory
    from afterword.db.spam_store import SqlStateStore
    from afterword.sites import add_site, create_key
    from afterword.spam import Engine, MemoryStore, Submission

    def fresh() -> tuple[AkismetService, str, Engine]:
        tmp = Path(tempfile.mkdtemp(prefix="afterword-stages-"))
        engine = create_db_engine(f"sqlite:///{tmp / 'stages.db'}")
        upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions() as session:
            key = create_key(session, add_site(session, SITE))
            session.commit()
        spam = Engine(SqlStateStore(sessions))
        writer = RecordWriter(engine, interval=3600)
        return AkismetService(sessions, writer, lambda: spam), key, spam

    service, fresh_key, _ = fresh()
    bodies = [check_body(fresh_key, i, a, t).encode() for i, (a, t) in enumerate(texts)]
    fields = [parse_form(body) for body in bodies]
    subs = [Submission.from_fields(f) for f in fields]
    in_memory = Engine(MemoryStore())
    in_sql = fresh()[2]
    loaded_sessions = make_session_factory(create_db_engine(database))
    loaded = Engine(SqlStateStore(loaded_sessions))
    loaded_info = AkismetService(loaded_sessions, RecordWriter(loaded_sessions.kw["bind"]),
                                 lambda: loaded).keys.lookup(key)
    loaded_site = str(loaded_info.site_id)
    info = service.keys.lookup(fresh_key)

    def whole() -> None:
        for f in fields:
            service.check(info, f)
        service.writer.flush()

    stages = {
        "parse the form body (akismet.forms)": lambda: [parse_form(b) for b in bodies],
        "Submission.from_fields": lambda: [Submission.from_fields(f) for f in fields],
        "Engine.check, MemoryStore": lambda: [in_memory.check("1", s) for s in subs],
        "Engine.check, SqlStateStore (SQLite)": lambda: [in_sql.check("1", s) for s in subs],
        "Engine.check, SqlStateStore on the load's database afterwards": lambda: [
            loaded.check(loaded_site, s, loaded_info.spam_config) for s in subs],
        "whole check in AkismetService (the above + recording, write-behind)": whole,
    }
    # Passes interleave the stages, so a burst of load from elsewhere hits them all alike.
    timings: dict[str, list[float]] = {name: [] for name in stages}
    for _ in range(5):
        for name, fn in stages.items():
            started = time.process_time()
            fn()
            timings[name].append((time.process_time() - started) / len(bodies) * 1e6)
    return {name: statistics.median(values) for name, values in timings.items()}

class _SameVerdict:
    """Stands in for the spam engine: the verdict of one real check, every time."""

    def __init__(self, engine: object, site: str, submission: object) -> None:
        self.verdict = engine.check(site, submission)

    def check(self, *_: object) -> object:
        return self.verdict


def door_costs(database: str, key: str, texts: list[tuple[str, str]],
               passes: int = 5) -> dict[str, float]:
    """CPU microseconds per request through the whole app in this process, without HTTP:
    the trivial endpoint, and comment-check with the engine replaced by a stand-in, so the
    difference is the Akismet door's own work (routing, form, key, rate limit, Submission,
    guid, record and its write-behind insert, answer). 64 requests at a time, like wrk."""
    import asyncio

    from afterword.akismet.forms import parse_form
    from afterword.spam import Submission

    os.environ["AFTERWORD_BENCH_DATABASE"] = database
    app = bench_app()
    paths = {"trivial": ("/bench/trivial", [TRIVIAL_BODY.encode()] * len(texts)),
             "check": ("/1.1/comment-check",
                       [check_body(key, i, a, t).encode() for i, (a, t) in enumerate(texts)])}

    async def one(path: str, body: bytes) -> None:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
                 "server": ("127.0.0.1", 8000),
                 "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench"),
                             (b"content-type", b"application/x-www-form-urlencoded"),
                             (b"content-length", str(len(body)).encode())]}
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start" and message["status"] != 200:
                raise RuntimeError(f"{path} answered {message['status']}")

        await app(scope, receive, send)

    async def burst(name: str) -> None:
        path, bodies = paths[name]
        gate = asyncio.Semaphore(64)

        async def limited(body: bytes) -> None:
            async with gate:
                await one(path, body)

        await asyncio.gather(*(limited(body) for body in bodies))
        if name == "check":
            app.state.akismet.writer.flush()  # the insert is part of a check's cost

    async def measure() -> dict[str, list[float]]:
        async with app.router.lifespan_context(app):
            await burst("check")  # loads the model, warms the key cache
            first = Submission.from_fields(parse_form(paths["check"][1][0]))
            service = app.state.akismet
            stand_in = _SameVerdict(service._spam_engine(), "1", first)
            service._spam_engine = lambda: stand_in
            timings: dict[str, list[float]] = {"trivial": [], "check": []}
            for _ in range(passes):
                for name, values in timings.items():
                    started = time.process_time()
                    for _ in range(4):
                        await burst(name)
                    count = 4 * len(paths[name][1])
                    values.append((time.process_time() - started) / count * 1e6)
            return timings

    timings = asyncio.run(measure())
    return {name: statistics.median(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--serve", nargs=3, metavar=("DATABASE", "PORT", "WORKERS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), int(args.serve[2]))
        return

    from sqlalchemy import func, select

    from afterword.db.migrate import upgrade
    from afterword.db.models import SpamCheck
    from afterword.db.session import create_db_engine, make_session_factory
    from afterword.sites import add_site, create_key

    tmp = Path(tempfile.mkdtemp(prefix="afterword-bench-"))
    database = f"sqlite:///{tmp / 'bench.db'}"
    engine = create_db_engine(database)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        site = add_site(session, SITE)
        # The per-key limit (6,000 a minute by default) would answer most of the load with
        # 429: lift it for the site under test, as an operator would for a busy site.
        site.settings = {"akismet": {"per_minute": 100_000_000}}
        key = create_key(session, site)
        session.commit()

    texts = comments()
    check_lua = tmp / "check.lua"
    check_lua.write_text(lua_script([check_body(key, i, a, t) for i, (a, t) in
                                     enumerate(texts)], "/1.1/comment-check"))
    trivial_lua = tmp / "trivial.lua"
    trivial_lua.write_text(lua_script([TRIVIAL_BODY], "/bench/trivial"))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, __file__, "--serve", database, str(port),
                               str(args.workers)],
                              cwd=REPO)
    try:
        wait_up(base)
        warm = run_wrk(base + "/1.1/comment-check", check_lua, 2, args.connections, args.threads,
                       server.pid)
        run_wrk(base + "/bench/trivial", trivial_lua, 2, args.connections, args.threads,
                server.pid)
        rounds: dict[str, list[dict]] = {"trivial": [], "check": []}
        for _ in range(args.rounds):
            rounds["trivial"].append(run_wrk(base + "/bench/trivial", trivial_lua,
                                             args.seconds, args.connections, args.threads,
                                             server.pid))
            rounds["check"].append(run_wrk(base + "/1.1/comment-check", check_lua,
                                           args.seconds, args.connections, args.threads,
                                           server.pid))
        time.sleep(1.0)  # let checks still running when wrk stopped finish
        # The counter is per worker process: exact with one worker, not summed with more.
        answered = checks_answered(base) if args.workers == 1 else None
    finally:
        server.send_signal(signal.SIGINT)  # a clean shutdown, which flushes waiting records
        server.wait(timeout=60)
    with engine.connect() as conn:
        recorded = conn.execute(select(func.count()).select_from(SpamCheck)).scalar_one()
        spam = conn.execute(select(func.count()).select_from(SpamCheck)
                            .where(SpamCheck.is_spam)).scalar_one()

    def median(name: str, field: str) -> float:
        return statistics.median(r[field] for r in rounds[name])

    trivial_rps, check_rps = median("trivial", "rps"), median("check", "rps")
    ratio = check_rps / trivial_rps
    # wrk counts the answers it read before its deadline; requests still in flight then were
    # answered (and recorded) too, so rows may exceed wrk's count by up to one per connection.
    seen = sum(r["requests"] - r["non2xx"] for r in [warm, *rounds["check"]])
    slack = args.connections * (args.rounds + 1)
    if answered is not None:
        complete = recorded == answered
        record_line = (f"checks answered (server counter): {answered:,}; check records in "
                       f"the database after shutdown: {recorded:,}")
    else:
        complete = seen <= recorded <= seen + slack
        record_line = (f"check answers read by wrk: {seen:,}; check records after shutdown: "
                       f"{recorded:,} (at most {slack} more may be requests wrk abandoned)")
    stages = stage_costs(texts, database, key)
    door = door_costs(database, key, texts)
    p99 = median("check", "p99")
    lines = [
        "# Akismet comment-check under load",
        "",
        f"Command: `.venv/bin/python bench/akismet_load.py --seconds {args.seconds} "
        f"--rounds {args.rounds} --workers {args.workers}` (wrk -t{args.threads} "
        f"-c{args.connections}; {args.workers} uvicorn worker(s) with {serving()}, log level "
        f"warning (no access log lines), SQLite WAL, the site's rate limit lifted; medians of "
        f"{args.rounds} alternating rounds of {args.seconds} s per endpoint).",
        "",
        f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; load generator on the "
        "same machine. The machine is shared: read the ratio, measured under the same load.",
        "",
        "| endpoint | req/s | p50 ms | p99 ms | non-2xx | server CPU us/request | of which "
        "background threads |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label in (("trivial", "trivial (parse 12-field form, answer)"),
                        ("check", "/1.1/comment-check")):
        lines.append(f"| {label} | {median(name, 'rps'):,.0f} | {median(name, 'p50'):.2f} | "
                     f"{median(name, 'p99'):.2f} | {sum(r['non2xx'] for r in rounds[name])} | "
                     f"{median(name, 'cpu_us'):,.0f} | {median(name, 'background_us'):,.0f} |")
    lines += [
        "",
        f"- comment-check throughput: **{ratio:.0%}** of the trivial endpoint "
        f"(target >= 30 %: {'met' if ratio >= 0.30 else 'NOT met'}).",
        f"- comment-check p99: **{p99:.1f} ms** (target < 25 ms: "
        f"{'met' if p99 < 25 else 'NOT met'}).",
        f"- {record_line}: {'every check recorded' if complete else 'MISMATCH'}; "
        f"{spam:,} of them spam.",
        *([f"- busiest of the {args.workers} workers' share of the server's CPU, by round: "
           + "; ".join(f"{name} " + ", ".join(f"{r['busiest']:.0%}" for r in rounds[name])
                       for name in rounds)
           + " (keep-alive connections stay with the worker that accepted them)."]
          if args.workers > 1 else []),
        "",
        "Where a check's time goes, in process on the same comments (median of 5 passes, "
        "microseconds per check):",
        "",
        "| stage | us |",
        "|---|---:|",
        *(f"| {name} | {us:,.0f} |" for name, us in stages.items()),
        "",
        "The whole-service row minus the fresh SQLite engine row is what the Akismet door adds "
        "(form parsing, Submission, guid, the record and its insert); the rest of a check is "
        "the engine. The row on the load's database is the engine on the history the server "
        "had built by the end (wrk replays the same comments, so their counts pile up): closer "
        "to what a check cost the server than the fresh rows.",
        "",
        "The door's own CPU per request, through the whole app in process (no HTTP), with the "
        "engine replaced by a stand-in that returns one real verdict:",
        "",
        "| request | CPU us |",
        "|---|---:|",
        f"| trivial endpoint | {door['trivial']:,.0f} |",
        f"| comment-check, stand-in engine | {door['check']:,.0f} |",
        f"| the Akismet door's own work (difference) | {door['check'] - door['trivial']:,.0f} |",
        "",
        "Rounds (req/s, server CPU us/request): " + "; ".join(
            f"{name} " + ", ".join(f"{r['rps']:,.0f} ({r['cpu_us']:,.0f})" for r in rounds[name])
            for name in rounds),
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if not args.no_write:
        (REPO / "bench" / "results" / "akismet.md").write_text(report)


if __name__ == "__main__":
    main()
