"""Every StateStore keeps the same contract: the memory, SQLite, PostgreSQL and Redis stores."""

from __future__ import annotations

import threading
import uuid

import pytest

from afterword.db.migrate import upgrade
from afterword.db.session import create_db_engine, make_session_factory
from afterword.db.spam_store import SqlStateStore
from afterword.spam import COUNT_CAP, Count, MemoryStore, StateStore


@pytest.fixture(params=["memory", "sqlite", "postgres", "redis"])
def store(request: pytest.FixtureRequest) -> StateStore:
    if request.param == "memory":
        return MemoryStore()
    if request.param == "sqlite":
        sql = SqlStateStore(request.getfixturevalue("sessions"))
        request.addfinalizer(sql.close)
        return sql
    if request.param == "postgres":
        engine = create_db_engine(request.getfixturevalue("fresh_postgres"))
        upgrade(engine)
        request.addfinalizer(engine.dispose)
        sql = SqlStateStore(make_session_factory(engine))
        request.addfinalizer(sql.close)
        return sql
    from afterword.spam.redis_store import RedisStateStore

    return RedisStateStore(
        request.getfixturevalue("redis_url"), prefix=f"test:{uuid.uuid4().hex[:8]}"
    )


def test_blobs_read_back_and_update_atomically(store: StateStore) -> None:
    assert store.read("s1", ["a", "b"], []) == ([None, None], [])
    assert store.update("s1", "a", lambda old: (old or b"") + b"x") == b"x"
    store.update("s1", "a", lambda old: (old or b"") + b"y")
    assert store.read("s1", ["b", "a"], []) == ([None, b"xy"], [])
    assert store.read("s2", ["a"], []) == ([None], [])  # sites are separate
    store.update("s1", "a", lambda old: None)
    assert store.read("s1", ["a"], []) == ([None], [])


def test_counts_respect_windows_kinds_and_sites(store: StateStore) -> None:
    store.record("s1", [("net", "k1"), ("text", "k1")], 100.0)
    store.record("s1", [("net", "k1")], 200.0)
    store.record("s2", [("net", "k1")], 200.0)
    _, counts = store.read(
        "s1",
        [],
        [
            Count("net", "k1", 0.0),
            Count("net", "k1", 150.0),
            Count("text", "k1", 0.0),
            Count("net", "other", 0.0),
            Count("net", "k1", 201.0),
        ],
    )
    assert counts == [2, 1, 1, 0, 0]


def test_counts_saturate_at_the_cap(store: StateStore) -> None:
    store.record("s1", [("net", "flood")] * (COUNT_CAP + 20), 10.0)
    assert store.read("s1", [], [Count("net", "flood", 0.0)])[1] == [COUNT_CAP]


def test_prune_drops_only_expired_events_of_the_named_kinds(store: StateStore) -> None:
    store.record("s1", [("net", "k"), ("spamtext", "k")], 10.0)
    store.record("s1", [("net", "k")], 50.0)
    store.prune({"net": 20.0})
    _, counts = store.read("s1", [], [Count("net", "k", 0.0), Count("spamtext", "k", 0.0)])
    assert counts == [1, 1]


def test_concurrent_updates_lose_nothing(store: StateStore) -> None:
    def bump(old: bytes | None) -> bytes:
        return str(int(old or b"0") + 1).encode()

    def worker() -> None:
        for _ in range(15):
            store.update("s1", "n", bump)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.read("s1", ["n"], [])[0] == [b"60"]
