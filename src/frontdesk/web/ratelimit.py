"""A small in-memory sliding-window rate limiter (per process), used for login attempts and new calls.

It takes the services' clock, so tests move time instead of sleeping (the `limits` package would add
Redis-backed counting across processes, but reads the wall clock itself).

Per-process is enough for its purpose (slowing password guessing); several `serve` processes
each allow the limit, which still bounds guessing to a handful of tries a minute.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_KEYS = 10_000  # bound memory under a flood of distinct addresses


class RateLimiter:
    """Allow at most `limit` hits per key in any `window` seconds; a `limit` of 0 or less allows all."""

    def __init__(self, limit: int, window: float = 60.0, now: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._now = limit, window, now
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Record one attempt for `key`; False when it is over the limit (the attempt is refused)."""
        if self.limit <= 0:
            return True
        now = self._now()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= MAX_KEYS:
                    self._forget_stale(now)
                hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def retry_after(self, key: str) -> int:
        """Seconds until `key` may try again (at least 1)."""
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return 1
            return max(1, int(hits[0] + self.window - self._now()) + 1)

    def _forget_stale(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]
        if len(self._hits) >= MAX_KEYS:  # still full of active keys: drop the oldest
            oldest = min(self._hits, key=lambda k: self._hits[k][-1])
            del self._hits[oldest]
