"""Group commit: concurrent comments share one transaction, hence one fsync.

Every comment must be on disk before its author gets the 201, and on SQLite that means an
fsync per commit (``synchronous=FULL``). Sixteen readers posting at once would otherwise
queue for sixteen fsyncs in a row. Here the first writer becomes the leader: it commits
whatever is waiting (its own row and every row that arrived meanwhile) in one transaction,
wakes their threads, and hands the lead to the next waiting writer, if any. Nobody returns
before the commit that holds their row; nothing runs in a background thread.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, insert, text

from afterword.db.models import Comment

# One statement for any batch: compiled once, sent as a multi-row insert that returns the
# new ids in the order of the rows.
_INSERT = insert(Comment).returning(Comment.id, sort_by_parameter_order=True)
# Written out rather than built per batch: building the expression cost more than running it.
_COUNT = text("UPDATE threads SET comment_count = comment_count + :n WHERE id = :thread")


class _Slot:
    __slots__ = ("done", "error", "id", "lead", "published", "values")

    def __init__(self, values: Mapping[str, Any], published: bool) -> None:
        self.values = values
        self.published = published
        self.done = threading.Event()
        self.lead = False
        self.id: int | None = None
        self.error: BaseException | None = None


class GroupWriter:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._waiting: list[_Slot] = []
        self._leading = False

    def insert(self, values: Mapping[str, Any], published: bool) -> int:
        """Insert one comment (and count it in its thread if ``published``); return its id."""
        slot = _Slot(values, published)
        with self._lock:
            self._waiting.append(slot)
            lead = not self._leading
            self._leading = True
        if not lead:
            slot.done.wait()
        if lead or slot.lead:
            self._lead()
        if slot.error is not None:
            raise slot.error
        assert slot.id is not None
        return slot.id

    def _lead(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting, []
        try:
            self._commit(batch)
        except Exception:  # noqa: BLE001 - one bad row must not fail its neighbours
            for slot in batch:
                try:
                    self._commit([slot])
                except Exception as exc:  # noqa: BLE001 - handed to that row's own caller
                    slot.error = exc
        with self._lock:
            if self._waiting:
                self._waiting[0].lead = True
                self._waiting[0].done.set()
            else:
                self._leading = False
        for slot in batch:
            slot.done.set()

    def _commit(self, batch: list[_Slot]) -> None:
        counts: dict[int, int] = {}
        with self._engine.begin() as conn:
            ids = conn.execute(_INSERT, [dict(slot.values) for slot in batch]).scalars().all()
            for slot in batch:
                if slot.published:
                    thread = slot.values["thread_id"]
                    counts[thread] = counts.get(thread, 0) + 1
            if counts:
                conn.execute(_COUNT, [{"thread": t, "n": n} for t, n in counts.items()])
        for slot, comment_id in zip(batch, ids):
            slot.id = comment_id
