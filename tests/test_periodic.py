"""Jobs that every worker schedules and exactly one runs per round (retention, feeds)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from afterword.periodic import run_leased

HOUR = timedelta(minutes=60)


def test_one_worker_runs_each_round(sessions):
    now = datetime.now(UTC)
    runs: list[int] = []
    results: list = []
    barrier = threading.Barrier(4)

    def job() -> dict:
        runs.append(1)
        return {"done": len(runs)}

    def worker():
        barrier.wait()
        results.append(run_leased(sessions, "job", HOUR, job, now))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(runs) == 1 and [r for r in results if r is not None] == [{"done": 1}]
    assert run_leased(sessions, "job", HOUR, job, now + timedelta(minutes=5)) is None  # not due
    assert run_leased(sessions, "job", HOUR, job, now + timedelta(minutes=61)) == {"done": 2}


def test_a_failed_round_releases_the_lease_and_is_due_again(sessions):
    now = datetime.now(UTC)

    def broken() -> dict:
        raise RuntimeError("mail server down")

    try:
        run_leased(sessions, "job", HOUR, broken, now)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the job's error must reach the caller (the loop logs it)")
    assert run_leased(sessions, "job", HOUR, lambda: {"ok": True}, now) == {"ok": True}
