"""Check records, written behind the answer in small batches.

Every comment-check is recorded (so submit-spam/ham can find it and the statistics are real
counts), but a database commit per check would cost more than the check itself: on SQLite it
is an fsync, and all writers queue for one lock. Records therefore wait in memory for at most
``interval`` seconds and go out in one transaction. The promise, said in the docs: a crash
may lose up to one interval of *check records* (never a comment: those are written by
``afterword.comments`` before it answers). A clean shutdown flushes everything.

A record is turned into its database values when it is queued, on the request's own thread,
so the writer thread holds the GIL only briefly; it then sends them as multi-row
``INSERT ... VALUES (...), (...)`` statements. The driver's ``executemany`` would step once
per row and, on SQLite, give up and take back the GIL around each row: under load each take
back waits for the event loop's switch interval, which stretched one flush over seconds while
it held SQLite's write lock against the other workers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine

from afterword.db.models import SpamCheck

__all__ = ["COLUMNS", "RecordWriter"]

log = logging.getLogger("afterword.akismet")

#: The fields of a record, as ``RecordWriter.add`` takes them (``spam_checks`` columns).
COLUMNS = ("guid", "site_id", "created_at", "is_spam", "discard", "probability", "reasons",
           "is_test", "submission", "content_key")
# Beyond this many waiting records a batch goes out at once rather than at the next tick.
_BATCH = 2000
# Rows per INSERT statement: 14 values each stays far below SQLite's 32,766 and
# PostgreSQL's 65,535 parameters.
_ROWS_PER_STATEMENT = 500
# When the database is down, keep at most this many records waiting before dropping the
# oldest: memory stays bounded and the checks themselves keep being answered.
_BACKLOG = 100_000

Values = tuple[Any, ...]


class _Insert:
    """The ``spam_checks`` insert in the database's own terms: each value through the
    dialect's bind processor (JSON text, SQLite's datetime text) and the columns a record
    does not name at their model defaults, as a Core insert would send them."""

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        table = SpamCheck.__table__
        processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                      for name in COLUMNS]
        self._processors: list[tuple[str, Callable[[Any], Any] | None]] = list(
            zip(COLUMNS, processors, strict=True))
        rest = [c for c in table.c if c.name not in COLUMNS and not c.primary_key]
        self._defaults = tuple(_default(c, dialect) for c in rest)
        names = [*COLUMNS, *(c.name for c in rest)]
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        self._row = "(" + ", ".join([marker] * len(names)) + ")"
        self._head = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "

    def values(self, record: dict[str, Any]) -> Values:
        return (*(record[name] if process is None else process(record[name])
                  for name, process in self._processors), *self._defaults)

    def statements(self, rows: Sequence[Values]) -> list[tuple[str, Values]]:
        out = []
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            part = rows[start:start + _ROWS_PER_STATEMENT]
            sql = self._head + ", ".join([self._row] * len(part))
            out.append((sql, tuple(value for row in part for value in row)))
        return out


def _default(column: Any, dialect: Any) -> Any:
    """A column's scalar model default, bound as the dialect binds it; None without one."""
    default = column.default
    value = None if default is None or not default.is_scalar else default.arg
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return value if process is None or value is None else process(value)


class RecordWriter:
    """Buffers ``spam_checks`` rows; a daemon thread inserts them every ``interval`` seconds."""

    def __init__(self, engine: Engine, interval: float = 0.25) -> None:
        self._engine = engine
        self.interval = interval
        self._insert = _Insert(engine)
        self._pending: list[Values] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one insert at a time keeps rows in check order
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def add(self, record: dict[str, Any]) -> None:
        """Queue one record: a value for each of ``COLUMNS``."""
        values = self._insert.values(record)
        with self._lock:
            self._pending.append(values)
            waiting = len(self._pending)
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(target=self._run, name="akismet-records",
                                                daemon=True)
                self._thread.start()
        if waiting >= _BATCH:
            self._wake.set()

    def flush(self) -> int:
        """Write everything waiting now; returns how many rows went out.

        Called by readers that must see every earlier check (submit-*, statistics) and on
        shutdown. On a database error the rows stay queued for the next attempt.
        """
        with self._flush_lock:
            with self._lock:
                rows, self._pending = self._pending, []
            if not rows:
                return 0
            try:
                with self._engine.begin() as conn:
                    for sql, params in self._insert.statements(rows):
                        conn.exec_driver_sql(sql, params)
            except Exception:
                with self._lock:
                    self._pending[:0] = rows
                    del self._pending[:-_BACKLOG]
                raise
            return len(rows)

    def close(self) -> None:
        """Stop the thread and write what is left (the app's shutdown calls this)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()
        self._stopping = False  # a later check (a restarted app in tests) starts a new thread

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception as exc:  # noqa: BLE001 - keep the writer alive; rows stay queued
                log.warning("could not write check records, will retry: %s", exc)
