"""The spam engine's state in the database: the default store, shared by every worker.

Implements :class:`afterword.spam.StateStore` over the ``spam_state`` (named blobs) and
``spam_events`` (timestamped keys) tables. A check costs two short round trips: one read
(the blobs and every count in a single ``UNION ALL``) and one insert. It runs on every
comment, so it uses SQL Core statements prepared once, not ORM sessions.

Two choices worth knowing:

* Blob updates are compare-and-swap (``UPDATE ... WHERE value = old``) retried on conflict:
  the same code is correct on SQLite and PostgreSQL without locking hints, and learning is
  rare enough that a retry costs nothing.
* Behaviour events are soft counters, so they are written behind: each process buffers
  them for at most ``FLUSH_SECONDS`` (or until ``FLUSH_ROWS`` rows) and a background thread
  commits them in one transaction, on SQLite with ``synchronous=NORMAL`` rather than the connection's ``FULL``.
  This process counts its own buffered events at once; other workers see them within
  ``FLUSH_SECONDS``; a crash loses at most that much velocity history, which changes no
  verdict that matters. A commit (and an fsync) per check would instead cap a site at a
  few hundred checks per second. Learned state is written at once, with full durability.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import re
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from afterword.spam.state import COUNT_CAP, Count

__all__ = ["SqlStateStore"]

_log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.05
FLUSH_ROWS = 2_000
# Beyond this many buffered rows (the database stalled) a check writes them itself: the
# buffer must not grow without bound.
_MAX_BUFFERED = 20_000
_MAX_KEY = 64
_CAS_TRIES = 50

_INSERT_EVENT = "INSERT INTO spam_events (site_key, kind, key, ts) VALUES (?, ?, ?, ?)"
_SELECT_BLOB = "SELECT value FROM spam_state WHERE site_key = :site AND name = :name"
_INSERT_BLOB = (
    "INSERT INTO spam_state (site_key, name, value, updated_at) VALUES (:site, :name, :value, :at)"
)
_SWAP_BLOB = (
    "UPDATE spam_state SET value = :value, updated_at = :at "
    "WHERE site_key = :site AND name = :name AND value = :old"
)
_DELETE_BLOB = "DELETE FROM spam_state WHERE site_key = :site AND name = :name AND value = :old"
# ``ts < :upto`` (the latest cutoff) is a range on ix_spam_events_ts; the per-kind cutoffs
# then pick what is really expired. LIMIT keeps one call short after a long pause.
_PRUNE = (
    "DELETE FROM spam_events WHERE id IN (SELECT id FROM spam_events "
    "WHERE ts < :upto AND ({expired}) LIMIT :limit)"
)
_PARAM = re.compile(r":(\w+)")


def _site_key(site: str) -> str:
    # The column holds 64 characters; longer opaque keys are hashed, not cut (two long
    # keys sharing a prefix must stay two sites).
    if len(site) <= _MAX_KEY:
        return site
    return "h:" + hashlib.blake2b(site.encode("utf-8", "replace"), digest_size=24).hexdigest()


def _bytes(value: object) -> bytes | None:
    if value is None:
        return None
    return bytes(value)  # type: ignore[call-overload]  # PostgreSQL may hand back memoryview


class SqlStateStore:
    """Spam engine state in ``spam_state`` / ``spam_events`` (SQLite or PostgreSQL).

    Talks to the driver directly through the engine's connection pool: on the hot path the
    generic statement machinery cost more than SQLite's own work.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        bind = session_factory.kw.get("bind")
        if not isinstance(bind, Engine):
            raise TypeError("SqlStateStore needs a sessionmaker bound to an Engine")
        self._engine = bind
        self._sqlite = bind.dialect.name == "sqlite"
        # sqlite3 takes ``:name`` and ``?`` whatever SQLAlchemy's own paramstyle; psycopg
        # wants ``%(name)s`` and ``%s``. The hot statements are positional: cheaper to bind.
        self._named = self._sqlite or bind.dialect.paramstyle == "named"
        self._positional = "?" if self._sqlite or bind.dialect.paramstyle == "qmark" else "%s"
        # SQLite readers: one connection per thread, kept out of the pool. A pool checkout
        # costs as much as the read itself; a read-only SQLite connection costs nothing idle.
        self._readers = threading.local()
        self._writer: Any = None  # SQLite: the flushes' own connection, made on first use
        self._blob_null = "CAST(NULL AS BLOB)" if self._sqlite else "CAST(NULL AS BYTEA)"
        self._sql: dict[Any, str] = {}
        self._lock = threading.Lock()  # guards the buffer below
        self._flushing = threading.Lock()  # one flush at a time, in commit order
        self._rows: list[tuple[str, str, str, float]] = []
        # This process's events not yet in the database, by key: those buffered, and those
        # being written (dropped in one go once committed).
        self._pending: dict[tuple[str, str, str], list[float]] = {}
        self._inflight: dict[tuple[str, str, str], list[float]] = {}
        self._due = threading.Event()  # set when the buffer holds rows: wakes the flusher
        self._hurry = threading.Event()  # set when it holds FLUSH_ROWS: no need to wait
        self._flusher: threading.Thread | None = None
        self._closed = False
        _open_stores.add(self)

    def _q(self, sql: str) -> str:
        """``:name`` placeholders in the driver's own style (psycopg: ``%(name)s``)."""
        if self._named:
            return sql
        cached = self._sql.get(sql)
        if cached is None:
            cached = self._sql[sql] = _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))
        return cached

    def _p(self, sql: str) -> str:
        """``?`` placeholders in the driver's own positional style (psycopg: ``%s``)."""
        return sql if self._positional == "?" else sql.replace("?", self._positional)

    def _read_sql(self, n_names: int, n_counts: int) -> str:
        """One statement for all blobs and all counts: ``(i, n, value)`` rows.

        Blob ``j`` comes back as row ``-1 - j``; count ``i`` as row ``i``, each count capped
        by a ``LIMIT`` so a flooded key costs no more than a quiet one. Parameters: site and
        name for each blob, then site, kind, key and since for each count.
        """
        key = ("read", n_names, n_counts)
        sql = self._sql.get(key)
        if sql is None:
            parts = [
                f"SELECT {-1 - j} AS i, 0 AS n, value AS v FROM spam_state "
                "WHERE site_key = ? AND name = ?"
                for j in range(n_names)
            ]
            parts += [
                f"SELECT {i} AS i, (SELECT count(*) FROM (SELECT 1 AS one FROM spam_events "
                "WHERE site_key = ? AND kind = ? AND key = ? AND ts >= ? "
                f"LIMIT {COUNT_CAP}) AS c{i}) AS n, {self._blob_null} AS v"
                for i in range(n_counts)
            ]
            sql = self._sql[key] = self._p(" UNION ALL ".join(parts))
        return sql

    def _fetch(self, sql: str, params: Sequence[object]) -> list[Any]:
        if self._sqlite:
            reader = getattr(self._readers, "dbapi", None)
            if reader is None:
                conn = self._engine.raw_connection()
                conn.detach()  # this thread's own from now on; closed when the thread ends
                self._readers.conn = conn
                # The driver's own connection: its execute() skips the pool proxy's cursor.
                reader = self._readers.dbapi = conn.dbapi_connection
            return reader.execute(sql, params).fetchall()
        conn = self._engine.raw_connection()
        try:
            cursor = conn.cursor()
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            cursor.close()
            return rows
        finally:
            conn.close()

    def read(
        self, site: str, names: Sequence[str], counts: Sequence[Count]
    ) -> tuple[list[bytes | None], list[int]]:
        blobs: list[bytes | None] = [None] * len(names)
        tallies = [0] * len(counts)
        if not names and not counts:
            return blobs, tallies
        site = _site_key(site)
        params: list[object] = []
        for name in names:
            params += (site, name)
        for kind, key, since in counts:
            params += (site, kind, key, float(since))
        for i, n, value in self._fetch(self._read_sql(len(names), len(counts)), params):
            if i < 0:
                blobs[-1 - i] = _bytes(value)
            else:
                tallies[i] = int(n)
        if self._pending or self._inflight:
            with self._lock:
                for i, (kind, key, since) in enumerate(counts):
                    mine = 0
                    for unwritten in (self._pending, self._inflight):
                        stamps = unwritten.get((site, kind, key))
                        if stamps:
                            mine += sum(1 for t in stamps if t >= since)
                    if mine:
                        tallies[i] = min(COUNT_CAP, tallies[i] + mine)
        return blobs, tallies

    def record(self, site: str, events: Sequence[tuple[str, str]], ts: float) -> None:
        if not events:
            return
        site, ts = _site_key(site), float(ts)
        with self._lock:
            for kind, key in events:
                self._rows.append((site, kind, key, ts))
                self._pending.setdefault((site, kind, key), []).append(ts)
            buffered = len(self._rows)
            if not self._due.is_set():
                self._due.set()
                if self._flusher is None:
                    # One long-lived thread per store, not a timer per batch.
                    self._flusher = threading.Thread(
                        target=self._flush_loop, name="spam-events", daemon=True
                    )
                    self._flusher.start()
        # A full buffer is the flusher's to write, off the check path (a check that wrote
        # 2,000 rows would be the slowest of thousands), unless the flusher is stuck.
        if buffered >= FLUSH_ROWS:
            self._hurry.set()
        if buffered >= _MAX_BUFFERED:
            self.flush()

    def flush(self) -> None:
        """Commit the buffered events now (also run by a timer, at exit and by ``close``)."""
        with self._flushing:
            with self._lock:
                rows, self._rows = self._rows, []
                self._inflight, self._pending = self._pending, {}
                self._due.clear()
            if not rows:
                return
            try:
                self._insert(rows)
            finally:
                # Committed (or given up): from now on only the database counts them.
                with self._lock:
                    self._inflight = {}

    def _flush_loop(self) -> None:
        while not self._closed:
            self._due.wait()
            self._hurry.wait(FLUSH_SECONDS)
            self._hurry.clear()
            # Nobody could catch an error on this thread: a database gone away costs this
            # batch of soft counters, said in the log, never a dead flusher.
            try:
                self.flush()
            except Exception as exc:  # noqa: BLE001
                _log.warning("spam events not written: %s", exc)

    def close(self) -> None:
        """Flush and stop the flusher; call at shutdown (an exit hook flushes too)."""
        self._closed = True
        self._due.set()
        self._hurry.set()
        self.flush()
        reader = getattr(self._readers, "conn", None)
        if reader is not None:
            self._readers.conn = self._readers.dbapi = None
            reader.close()
        with self._flushing:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        _open_stores.discard(self)

    def _insert(self, rows: list[tuple[str, str, str, float]]) -> None:
        if not self._sqlite:
            conn = self._engine.raw_connection()
            try:
                cursor = conn.cursor()
                cursor.executemany(self._p(_INSERT_EVENT), rows)
                conn.commit()
                cursor.close()
            finally:
                conn.close()
            return
        # SQLite: one connection of its own (flushes take turns), set up once, whose page
        # cache stays warm from one flush to the next.
        if self._writer is None:
            self._writer = self._engine.raw_connection()
            self._writer.detach()
            self._writer.cursor().execute("PRAGMA synchronous=NORMAL")
        cursor = self._writer.cursor()
        try:
            cursor.executemany(_INSERT_EVENT, rows)
            self._writer.commit()
        except Exception:
            self._writer.rollback()
            raise
        finally:
            cursor.close()

    def update(
        self, site: str, name: str, fn: Callable[[bytes | None], bytes | None]
    ) -> bytes | None:
        params: dict[str, object] = {"site": _site_key(site), "name": name}
        integrity = self._engine.dialect.dbapi.IntegrityError  # type: ignore[union-attr]
        for _ in range(_CAS_TRIES):
            conn = self._engine.raw_connection()
            try:
                cursor = conn.cursor()
                cursor.execute(self._q(_SELECT_BLOB), params)
                row = cursor.fetchone()
                old = _bytes(row[0]) if row else None
                new = fn(old)
                if old is None and new is None:
                    conn.rollback()
                    return None
                values = {**params, "value": new, "old": old, "at": datetime.now(UTC)}
                if old is None:
                    sql = _INSERT_BLOB
                elif new is None:
                    sql = _DELETE_BLOB
                else:
                    sql = _SWAP_BLOB
                try:
                    cursor.execute(self._q(sql), values)
                    done = old is None or cursor.rowcount == 1
                    conn.commit()
                except integrity:  # another worker inserted it first: read again
                    conn.rollback()
                    done = False
                cursor.close()
            finally:
                conn.close()
            if done:
                return new
        raise RuntimeError(f"spam state {name!r} kept changing through {_CAS_TRIES} tries")

    def prune(self, cutoffs: Mapping[str, float], limit: int = 10_000) -> int:
        """One pass over the oldest events, deleting every kind's expired ones."""
        self.flush()
        if not cutoffs:
            return 0
        params: dict[str, object] = {"limit": limit,
                                     "upto": max(float(b) for b in cutoffs.values())}
        expired = []
        for i, (kind, before) in enumerate(sorted(cutoffs.items())):
            params[f"k{i}"] = kind
            params[f"b{i}"] = float(before)
            expired.append(f"(kind = :k{i} AND ts < :b{i})")
        conn = self._engine.raw_connection()
        try:
            cursor = conn.cursor()
            cursor.execute(self._q(_PRUNE.format(expired=" OR ".join(expired))), params)
            removed = max(0, cursor.rowcount or 0)
            conn.commit()
            cursor.close()
        finally:
            conn.close()
        return removed


_open_stores: weakref.WeakSet[SqlStateStore] = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:
    for store in list(_open_stores):
        try:
            store.flush()
        except Exception:  # noqa: BLE001, S110 - at exit the database may already be gone
            pass
