"""Group commit: concurrent comments share one transaction, hence one fsync.

Every comment must be on disk before its author gets the 201, and on SQLite that means an
fsync per commit (``synchronous=FULL``). Sixteen readers posting at once would otherwise
queue for sixteen fsyncs in a row. Here one writer thread takes every row waiting, commits
them in one transaction and resolves each row's future with its id; the rows that arrive
during that commit wait for the next one. The fsync releases the interpreter lock, so the
event loop and the request threads prepare the next comments while it runs: that overlap is
what fills a batch. Callers await the future (or block on it) and answer only after it is
resolved, so nobody hears "201" before the commit that holds their row.

The thread lives only while there is work (it lingers ``LINGER`` seconds for more), so an
idle app, or each of a test suite's apps, keeps no thread.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Connection, Engine, insert, text

from afterword.db.models import Comment
from afterword.web.metrics import COMMIT_ROWS

# One statement for any batch: compiled once, sent as a multi-row insert that returns the
# new ids in the order of the rows.
_INSERT = insert(Comment).returning(Comment.id, sort_by_parameter_order=True)
# Written out rather than built per batch: building the expression cost more than running it.
_COUNT = text("UPDATE threads SET comment_count = comment_count + :n WHERE id = :thread")
LINGER = 2.0


class _Row:
    __slots__ = ("future", "published", "values")

    def __init__(self, values: Mapping[str, Any], published: bool, future: Future[int]) -> None:
        self.values = values
        self.published = published
        self.future = future


class GroupWriter:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._ready = threading.Condition()
        self._waiting: list[_Row] = []
        self._running = False
        self._conn: Connection | None = None  # the writer thread's own

    def insert(self, values: Mapping[str, Any], published: bool,
               future: Future[int] | None = None) -> Future[int]:
        """Queue one comment (counted in its thread if ``published``); the future (``future``
        if given, a new one else) gives its id once the comment is committed, or the error
        that kept it out."""
        row = _Row(values, published, future or Future())
        with self._ready:
            self._waiting.append(row)
            if self._running:
                self._ready.notify()
            else:
                self._running = True
                threading.Thread(target=self._run, name="comment-writer", daemon=True).start()
        return row.future

    def _run(self) -> None:
        while True:
            with self._ready:
                if not self._waiting:
                    self._ready.wait(LINGER)
                if not self._waiting:
                    self._disconnect()  # under the lock: a thread started next opens its own
                    self._running = False
                    return
                batch, self._waiting = self._waiting, []
            # A row whose caller gave up (its request was cancelled) before this point is
            # dropped: nobody will be told it was stored. The rest can no longer be cancelled.
            batch = [row for row in batch if row.future.set_running_or_notify_cancel()]
            if batch:
                self._write(batch)

    def _write(self, batch: list[_Row]) -> None:
        try:
            ids = self._commit(batch)
        except Exception:  # noqa: BLE001 - one bad row must not fail its neighbours
            for row in batch:
                try:
                    row.future.set_result(self._commit([row])[0])
                except Exception as exc:  # noqa: BLE001 - handed to that row's own caller
                    row.future.set_exception(exc)
            return
        COMMIT_ROWS.observe(len(batch))
        for row, comment_id in zip(batch, ids):
            row.future.set_result(comment_id)

    def _commit(self, batch: list[_Row]) -> list[int]:
        # One connection for as long as the thread lives, not one checked out of the pool and
        # reset per batch (4 % of a comment's instructions, comments one at a time). After a
        # failure the next try starts on a fresh one.
        if self._conn is None:
            self._conn = self._engine.connect()
        conn = self._conn
        counts: dict[int, int] = {}
        try:
            with conn.begin():
                ids = conn.execute(_INSERT, [dict(row.values) for row in batch]).scalars().all()
                for row in batch:
                    if row.published:
                        thread = row.values["thread_id"]
                        counts[thread] = counts.get(thread, 0) + 1
                if counts:
                    conn.execute(_COUNT, [{"thread": t, "n": n} for t, n in counts.items()])
        except Exception:
            self._disconnect()
            raise
        return list(ids)

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
