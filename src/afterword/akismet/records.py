"""Check records, written behind the answer in small batches.

Every comment-check is recorded (so submit-spam/ham can find it and the statistics are real
counts), but a database commit per check would cost more than the check itself: on SQLite it
is an fsync, and all writers queue for one lock. Records therefore wait in memory for at most
``interval`` seconds and go out in one multi-row insert. The promise, said in the docs: a
crash may lose up to one interval of *check records* (never a comment: those are written by
``afterword.comments`` before it answers). A clean shutdown flushes everything.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine, insert

from afterword.db.models import SpamCheck

__all__ = ["RecordWriter"]

log = logging.getLogger("afterword.akismet")

# Beyond this many waiting records a batch goes out at once rather than at the next tick.
_BATCH = 2000
# When the database is down, keep at most this many records waiting before dropping the
# oldest: memory stays bounded and the checks themselves keep being answered.
_BACKLOG = 100_000


class RecordWriter:
    """Buffers ``spam_checks`` rows; a daemon thread inserts them every ``interval`` seconds."""

    def __init__(self, engine: Engine, interval: float = 0.25) -> None:
        self._engine = engine
        self.interval = interval
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one insert at a time keeps rows in check order
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def add(self, row: dict[str, Any]) -> None:
        with self._lock:
            self._pending.append(row)
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
                    conn.execute(insert(SpamCheck), rows)
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
