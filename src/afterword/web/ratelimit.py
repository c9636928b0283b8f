"""Rate limits shared by every door (comment API, Akismet API, page reports, logins).

Fixed windows counted in-process by default, or in Redis when ``redis_url`` is configured so
that all workers and machines share one count. One limiter instance per app.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: float  # seconds until the window ends


class RateLimiter(Protocol):
    def hit(self, key: str, limit: int, window: float) -> Decision: ...


class MemoryRateLimiter:
    """Per-process counts; right for one worker, approximate (per worker) for several."""

    def __init__(self, clock=time.monotonic, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, window: float) -> Decision:
        now = self._clock()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= window:
                start, count = now, 0
            count += 1
            if len(self._windows) >= self._max_keys and key not in self._windows:
                self._evict(now, window)
            self._windows[key] = (start, count)
        reset = max(0.0, window - (now - start))
        return Decision(count <= limit, limit, max(0, limit - count), reset)

    def _evict(self, now: float, window: float) -> None:
        # Bounded memory under a flood of distinct keys: drop expired windows, then the oldest.
        expired = [k for k, (s, _) in self._windows.items() if now - s >= window]
        for k in expired or sorted(self._windows, key=lambda k: self._windows[k][0])[:1000]:
            del self._windows[k]


class RedisRateLimiter:
    """Counts in Redis (INCR + EXPIRE in one round trip), shared by every worker."""

    def __init__(self, url: str, prefix: str = "afterword:rl:") -> None:
        import redis  # optional dependency: afterword[redis]

        self._redis = redis.Redis.from_url(url, socket_timeout=1.0)
        self._prefix = prefix

    def hit(self, key: str, limit: int, window: float) -> Decision:
        bucket = int(time.time() // window)
        name = f"{self._prefix}{key}:{bucket}"
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, int(window) + 1)
        count, _ = pipe.execute()
        reset = window - (time.time() % window)
        return Decision(count <= limit, limit, max(0, limit - count), reset)


def make_rate_limiter(redis_url: str | None) -> RateLimiter:
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()
