"""Spam engine state in Redis: for deployments that already run Redis for shared counters.

Blobs are plain string keys changed with WATCH/MULTI (optimistic, retried); events are
sorted sets scored by time, so a window count is one ``ZCOUNT``. A check is two pipelined
round trips, like the SQL store. ``redis`` is imported only when this store is built, so
the package works without it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from afterword.spam.state import COUNT_CAP, Count

__all__ = ["RedisStateStore"]

# Every event key expires on its own after this long without new events, so a Redis
# without pruning still does not grow for ever. Longer than any window the engine reads.
_EVENT_TTL = 32 * 86400
_CAS_TRIES = 50


class RedisStateStore:
    def __init__(self, client_or_url: Any, *, prefix: str = "afterword:spam") -> None:
        """``client_or_url``: a ``redis.Redis`` client or a ``redis://`` URL."""
        if isinstance(client_or_url, str):
            import redis

            client_or_url = redis.Redis.from_url(client_or_url)
        self._redis = client_or_url
        self._prefix = prefix

    def _blob(self, site: str, name: str) -> str:
        return f"{self._prefix}:{site}:b:{name}"

    def _event(self, site: str, kind: str, key: str) -> str:
        return f"{self._prefix}:{site}:e:{kind}:{key}"

    def read(
        self, site: str, names: Sequence[str], counts: Sequence[Count]
    ) -> tuple[list[bytes | None], list[int]]:
        pipe = self._redis.pipeline(transaction=False)
        for name in names:
            pipe.get(self._blob(site, name))
        for kind, key, since in counts:
            pipe.zcount(self._event(site, kind, key), since, "+inf")
        replies = pipe.execute()
        blobs = [None if v is None else bytes(v) for v in replies[: len(names)]]
        return blobs, [min(int(n), COUNT_CAP) for n in replies[len(names) :]]

    def record(self, site: str, events: Sequence[tuple[str, str]], ts: float) -> None:
        if not events:
            return
        pipe = self._redis.pipeline(transaction=False)
        for kind, key in events:
            name = self._event(site, kind, key)
            # Members must be unique for ZADD to add rather than move: time plus a nonce.
            pipe.zadd(name, {f"{ts!r}:{os.urandom(6).hex()}": ts})
            pipe.expire(name, _EVENT_TTL)
        pipe.execute()

    def update(
        self, site: str, name: str, fn: Callable[[bytes | None], bytes | None]
    ) -> bytes | None:
        import redis

        key = self._blob(site, name)
        for _ in range(_CAS_TRIES):
            with self._redis.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(key)
                    old = pipe.get(key)
                    new = fn(None if old is None else bytes(old))
                    pipe.multi()
                    if new is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new)
                    pipe.execute()
                    return new
                except redis.WatchError:
                    continue
        raise RuntimeError(f"spam state {name!r} kept changing through {_CAS_TRIES} tries")

    def prune(self, cutoffs: Mapping[str, float], limit: int = 10_000) -> int:
        """Trim old events from up to ``limit`` keys per kind (keys also expire on their own)."""
        removed = 0
        pipe = self._redis.pipeline(transaction=False)
        for kind, before in cutoffs.items():
            pattern = f"{self._prefix}:*:e:{kind}:*"
            for i, name in enumerate(self._redis.scan_iter(match=pattern, count=1000)):
                if i >= limit:
                    break
                pipe.zremrangebyscore(name, "-inf", f"({before}")
        for n in pipe.execute():
            removed += int(n)
        return removed
