"""Admin page speed on a 100,000-comment SQLite database, against /healthz in the same run.

    python bench/admin_bench.py [--comments 100000] [--requests 60] [--out bench/results/admin.md]

One in-process uvicorn server (one worker, SQLite in WAL with synchronous=FULL), driven over
loopback by one keep-alive HTTP client signed in as an owner. Figures are client-observed
(they include HTTP and the client). The baseline is ``GET /healthz`` (one ``SELECT 1``) on
the same server in the same run, so a busy shared machine shifts both alike. Requests of
all pages are interleaved round by round for the same reason.

Also timed: one bulk "spam" on 10,000 comments (all matching a filter) and its undo.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from afterword.config import Settings  # noqa: E402
from afterword.db.migrate import upgrade  # noqa: E402
from afterword.db.models import Comment, Thread  # noqa: E402
from afterword.db.session import create_db_engine, make_session_factory  # noqa: E402
from afterword.moderation.accounts import create_user  # noqa: E402
from afterword.sites import add_site  # noqa: E402
from afterword.web.app import create_app  # noqa: E402
from support import live_server  # noqa: E402

PAGES = {
    "healthz (baseline)": "/healthz",
    "pending queue, page 1": "/admin/queue?status=pending",
    "spam queue by probability": "/admin/queue?status=spam&sort=spam",
    "pending, text search": "/admin/queue?status=pending&q=ferry",
    "pending, one site + IP prefix": "/admin/queue?status=pending&site=1&ip=198.51.100.0/24",
    "dashboard, figures computed (30 days)": "/admin/",
    "dashboard, figures from the 1-minute cache": "/admin/?",
}
UNCACHED = "dashboard, figures computed (30 days)"
WORDS = ("ferry harbour timetable library seeds garden market bridge tram rain council "
         "bakery museum river concert school").split()


def seed(sessions, n: int) -> None:
    rng = random.Random(6)
    with sessions() as db:
        sites = [add_site(db, "https://one.example", name="One").id,
                 add_site(db, "https://two.example", name="Two").id]
        create_user(db, "bench", "bench-password-123", role="owner")
        db.flush()
        threads = []
        for i in range(500):
            thread = Thread(site_id=sites[i % 2], url=f"https://{'one' if i % 2 == 0 else 'two'}"
                            f".example/post/{i}", title=f"Post {i}")
            db.add(thread)
            threads.append(thread)
        db.flush()
        now = datetime.now(UTC)
        rows = []
        for i in range(n):
            thread = threads[rng.randrange(len(threads))]
            status = rng.choices(("published", "pending", "spam", "deleted"),
                                 (70, 15, 12, 3))[0]
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40)))
            rows.append({
                "site_id": thread.site_id, "thread_id": thread.id, "depth": 0,
                "status": status, "author": f"reader{rng.randrange(5000)}",
                "email": f"r{rng.randrange(5000)}@mail.example", "website": "",
                "text": text, "html": f"<p>{text}</p>", "ip": f"198.51.{rng.randrange(256)}.0",
                "ip_hash": "", "user_agent": "", "likes": 0,
                "spam_probability": rng.random() if status != "spam" else 0.5 + rng.random() / 2,
                "spam_reasons": [{"code": "x", "text": "a reason", "weight": 1.0}],
                "spam_submission": {"content": text},
                "created_at": now - timedelta(minutes=rng.randrange(60 * 24 * 30)),
            })
            if len(rows) == 5000:
                db.execute(insert(Comment), rows)
                rows = []
        if rows:
            db.execute(insert(Comment), rows)
        db.commit()


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="afterword-admin-bench-"))
    settings = Settings(database_url=f"sqlite:///{folder / 'bench.db'}", data_dir=folder,
                        secret_key="bench-secret-key-0123456", log_level="warning",
                        log_format="text")
    engine = create_db_engine(settings.database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    started = time.monotonic()
    seed(sessions, args.comments)
    print(f"seeded {args.comments} comments in {time.monotonic() - started:.1f}s", flush=True)

    app = create_app(settings, engine)
    timings: dict[str, list[float]] = {name: [] for name in PAGES}
    with live_server(app) as base, httpx.Client(base_url=base, timeout=120) as http:
        page = http.post("/admin/login", data={"username": "bench",
                                               "password": "bench-password-123"},
                         follow_redirects=True)
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
        for name, path in PAGES.items():  # warm-up
            assert http.get(path).status_code == 200, name
        for _ in range(args.requests):
            for name, path in PAGES.items():
                if name == UNCACHED:
                    app.state.dashboard_cache = {}
                t0 = time.perf_counter()
                r = http.get(path)
                timings[name].append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, (name, r.status_code)
        bulk = []
        for _ in range(3):
            t0 = time.perf_counter()
            r = http.post("/admin/bulk", data={"csrf": token, "action": "spam",
                                               "all_matching": "1", "status": "pending",
                                               "q": "ferry"})
            spam_s = time.perf_counter() - t0
            count = int(re.search(r"(\d+) comment\(s\) marked as spam",
                                  http.get(r.headers["location"]).text).group(1))
            t0 = time.perf_counter()
            http.post("/admin/undo", data={"csrf": token})
            bulk.append((count, spam_s, time.perf_counter() - t0))

    base_median = statistics.median(timings["healthz (baseline)"])
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    lines = [
        "# Admin page speed",
        "",
        f"`python bench/admin_bench.py --comments {args.comments} --requests {args.requests}` "
        f"at commit {commit}, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {datetime.now(UTC):%Y-%m-%d}. SQLite (WAL, synchronous=FULL), "
        "one uvicorn worker, one keep-alive client over loopback; client-observed times. "
        f"Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.",
        "",
        "| request | median ms | p99 ms | median / healthz |",
        "|---|---:|---:|---:|",
    ]
    for name, values in timings.items():
        median = statistics.median(values)
        lines.append(f"| {name} | {median:.1f} | {quantile(values, 0.99):.1f} | "
                     f"{median / base_median:.1f}x |")
    lines += ["", "| bulk spam on all matching (then undo) | comments | spam s | undo s |",
              "|---|---:|---:|---:|"]
    for i, (count, spam_s, undo_s) in enumerate(bulk, 1):
        lines.append(f"| run {i} | {count} | {spam_s:.2f} | {undo_s:.2f} |")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    main()
