"""The engine on the database store: state survives a restart and is shared by workers."""

from __future__ import annotations

import threading
from pathlib import Path

from spam.engine_kit import HAM, comment, tiny_model
from sqlalchemy import text

from afterword.db.migrate import upgrade
from afterword.db.session import create_db_engine, make_session_factory
from afterword.db.spam_store import SqlStateStore
from afterword.spam import Engine

BORDERLINE = "Loved this, you should also read my blog for the full story about the harbour"
SIMILAR = "Loved it, you should read my blog for the whole story about the old harbour"
REPEATED = "Great article, I found a similar guide that explains everything in more detail"
NOW = 1_800_000_000.0


def worker(url: str) -> Engine:
    """What one server process builds at start-up."""
    db = create_db_engine(url)
    upgrade(db)
    return Engine(SqlStateStore(make_session_factory(db)), model=tiny_model(), clock=lambda: NOW)


def test_learning_counters_and_history_survive_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'afterword.db'}"
    first = worker(url)
    fresh = first.check("1", comment(SIMILAR), observe=False)
    first.learn("1", comment(BORDERLINE), True)
    for i in range(6):
        first.check("1", comment(REPEATED, author=f"R{i}", author_email=f"r{i}@example.org"))
    first.note_approved("1", comment(HAM[0], author="Sam", author_email="sam@example.org"))
    learned = first.check("1", comment(SIMILAR), observe=False)
    first._store.close()
    first._store._engine.dispose()

    second = worker(url)
    assert second.check("1", comment(SIMILAR), observe=False) == learned
    assert learned.probability > fresh.probability
    repeated = second.check("1", comment(REPEATED, author="Z", author_email="z@example.org"))
    assert "nearly the same text seen 6 times in the last hour" in [
        r.text for r in repeated.reasons
    ]
    sam = second.check(
        "1", comment("nice, see my page", author="Sam", author_email="sam@example.org")
    )
    assert "the author has 1 approved comment" in [r.text for r in sam.reasons]


def test_two_workers_on_one_database_agree_after_feedback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'afterword.db'}"
    a, b = worker(url), worker(url)
    before = b.check("1", comment(SIMILAR), observe=False)
    a.learn("1", comment(BORDERLINE), True)
    after_b = b.check("1", comment(SIMILAR), observe=False)
    assert after_b.probability > before.probability
    assert after_b == a.check("1", comment(SIMILAR), observe=False)


def test_long_site_keys_stay_distinct(tmp_path: Path) -> None:
    engine = worker(f"sqlite:///{tmp_path / 'afterword.db'}")
    long_a, long_b = "a" * 80 + "1", "a" * 80 + "2"
    before = engine.check(long_b, comment(SIMILAR), observe=False).probability
    engine.learn(long_a, comment(BORDERLINE), True)
    assert engine.check(long_b, comment(SIMILAR), observe=False).probability == before
    assert engine.check(long_a, comment(SIMILAR), observe=False).probability > before


def test_checks_prune_an_hour_old_backlog_beyond_one_chunk(tmp_path: Path) -> None:
    db = create_db_engine(f"sqlite:///{tmp_path / 'afterword.db'}")
    upgrade(db)
    store = SqlStateStore(make_session_factory(db))
    clock = [NOW]
    engine = Engine(store, model=tiny_model(), clock=lambda: clock[0])
    store.record("1", [("net", f"k{i}") for i in range(12_000)], NOW)  # a busy minute's worth
    clock[0] += 2 * 3600
    engine.check("1", comment(HAM[0]))
    for thread in threading.enumerate():
        if thread.name == "spam-prune":
            thread.join()
    store.flush()
    with db.connect() as conn:
        left = conn.execute(text("SELECT count(*), min(ts) FROM spam_events")).one()
    assert left[1] == clock[0] and 0 < left[0] < 10  # only the new check's own events
    store.close()
    db.dispose()
