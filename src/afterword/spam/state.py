"""Where per-site state lives: the StateStore protocol and its in-process implementation.

The engine keeps two kinds of state per site, and the protocol has one call per need:

* named blobs (the learned model delta, its version, an author's approved count), read in
  bulk with the counters and changed only through an atomic read-modify-write, so two
  workers learning at once cannot lose an update;
* timestamped events (a comment from this network, this text fingerprint, a report), which
  the engine counts over a window and records after each check.

A check is one :meth:`StateStore.read` and one :meth:`StateStore.record`: a database store
answers it in two round trips, whatever the number of signals. Keys are opaque hashes made
by the engine, so a store never sees an address, an email or a text.
"""

from __future__ import annotations

import bisect
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple, Protocol, runtime_checkable

__all__ = ["COUNT_CAP", "Count", "MemoryStore", "StateStore"]

# Counts saturate here: every signal has stopped growing long before, and a flood of one
# key must not make counting it slower (a database counts index entries one by one).
COUNT_CAP = 100


class Count(NamedTuple):
    """How many events of ``kind`` with ``key`` happened at or after ``since``."""

    kind: str
    key: str
    since: float


@runtime_checkable
class StateStore(Protocol):
    def read(
        self, site: str, names: Sequence[str], counts: Sequence[Count]
    ) -> tuple[list[bytes | None], list[int]]:
        """The blobs ``names`` (None where absent) and each count, capped at COUNT_CAP."""
        ...

    def record(self, site: str, events: Sequence[tuple[str, str]], ts: float) -> None:
        """Add one event per ``(kind, key)`` at time ``ts``."""
        ...

    def update(
        self, site: str, name: str, fn: Callable[[bytes | None], bytes | None]
    ) -> bytes | None:
        """Atomically replace blob ``name`` by ``fn(current)`` (None deletes it); return it.

        ``fn`` may run more than once (optimistic stores retry on conflict), so it must be
        a pure function of its argument.
        """
        ...

    def prune(self, cutoffs: Mapping[str, float], limit: int = 10_000) -> int:
        """Delete up to ``limit`` events of each kind in ``cutoffs`` older than its cutoff.

        Returns how many went. Stores may look only at their oldest events to stay cheap.
        """
        ...


class MemoryStore:
    """Everything in this process: for tests, one-off scoring and single-process setups."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blobs: dict[tuple[str, str], bytes] = {}
        self._events: dict[tuple[str, str, str], list[float]] = {}
        # Per kind, events in the order recorded: pruning pops from the front, so its cost
        # is what it removes, not the number of keys.
        self._order: dict[str, deque[tuple[float, tuple[str, str, str]]]] = {}

    def read(
        self, site: str, names: Sequence[str], counts: Sequence[Count]
    ) -> tuple[list[bytes | None], list[int]]:
        with self._lock:
            blobs = [self._blobs.get((site, name)) for name in names]
            tallies = []
            for kind, key, since in counts:
                stamps = self._events.get((site, kind, key))
                n = len(stamps) - bisect.bisect_left(stamps, since) if stamps else 0
                tallies.append(min(n, COUNT_CAP))
        return blobs, tallies

    def record(self, site: str, events: Sequence[tuple[str, str]], ts: float) -> None:
        with self._lock:
            for kind, key in events:
                ident = (site, kind, key)
                order = self._order.get(kind)
                if order is None:
                    order = self._order[kind] = deque()
                order.append((ts, ident))
                stamps = self._events.get(ident)
                if stamps is None:  # most keys: a new text, a first comment from a network
                    self._events[ident] = [ts]
                elif stamps[-1] > ts:  # a clock that went back: keep the list sorted
                    bisect.insort(stamps, ts)
                else:
                    stamps.append(ts)

    def update(
        self, site: str, name: str, fn: Callable[[bytes | None], bytes | None]
    ) -> bytes | None:
        with self._lock:
            value = fn(self._blobs.get((site, name)))
            if value is None:
                self._blobs.pop((site, name), None)
            else:
                self._blobs[(site, name)] = value
            return value

    def prune(self, cutoffs: Mapping[str, float], limit: int = 10_000) -> int:
        removed = 0
        with self._lock:
            for kind, before in cutoffs.items():
                removed += self._prune_kind(kind, before, limit)
        return removed

    def _prune_kind(self, kind: str, before: float, limit: int) -> int:
        removed = 0
        order = self._order.get(kind)
        while order and removed < limit and order[0][0] < before:
            ts, ident = order.popleft()
            stamps = self._events.get(ident)
            if not stamps:
                continue
            i = bisect.bisect_left(stamps, ts)
            if i < len(stamps) and stamps[i] == ts:
                del stamps[i]
                removed += 1
            if not stamps:
                del self._events[ident]
        return removed
