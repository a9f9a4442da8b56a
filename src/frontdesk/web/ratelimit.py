"""Rate limits on login attempts and new calls.

`SharedRateLimiter` counts in the database (table `rate_limits`, one fixed-window counter per key, bumped
by one conditional upsert), so the limit holds across every `serve` process on that database: behind a
round-robin balancer N processes would otherwise each allow the limit, N times the guesses a minute.
`RateLimiter` is the in-memory sliding window kept for code that has no database at hand.
Both take the services' clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite

from frontdesk.db import Database
from frontdesk.models import RateLimitWindow, table_of

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


PRUNE_EVERY = 256  # hits per process between deletions of past windows
MAX_KEY = 200


class SharedRateLimiter:
    """At most `limit` hits per key in each fixed `window` (seconds), counted in the database for all processes.

    A fixed window lets a burst of up to 2x `limit` straddle a boundary; for slowing password guessing and
    call floods that is enough, and it costs one upsert per hit instead of one row per hit.
    """

    def __init__(self, db: Database, limit: int, window: float = 60.0, now: Callable[[], float] = time.time) -> None:
        self.db, self.limit, self.window, self._now = db, limit, int(window), now
        self._table = table_of(RateLimitWindow)
        self._insert: Any = sqlite.insert if db.is_sqlite else postgresql.insert
        self._count = 0
        self._lock = threading.Lock()

    def _window_start(self) -> int:
        return int(self._now() // self.window) * self.window

    def hit(self, key: str) -> bool:
        """Record one attempt for `key`; False when this window already had `limit` (the attempt is refused)."""
        if self.limit <= 0:
            return True
        t, start = self._table, self._window_start()
        stmt = self._insert(t).values(key=key[:MAX_KEY], window_start=start, hits=1)
        # The row is only updated (and returned) while under the limit or in a new window: no row back = refused.
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.key],
            set_={"hits": case((t.c.window_start == start, t.c.hits + 1), else_=1), "window_start": start},
            where=(t.c.window_start != start) | (t.c.hits < self.limit),
        ).returning(t.c.hits)
        with self.db.write() as s:
            allowed = s.execute(stmt).first() is not None
            if self._due_for_pruning():
                s.execute(delete(RateLimitWindow).where(RateLimitWindow.window_start < start))
        return allowed

    def _due_for_pruning(self) -> bool:
        with self._lock:
            self._count += 1
            return self._count % PRUNE_EVERY == 0

    def retry_after(self, key: str) -> int:
        """Seconds until the current window ends (at least 1)."""
        return max(1, int(self._window_start() + self.window - self._now()) + 1)


def shared_limiter(app: Any, name: str, limit: int) -> SharedRateLimiter:
    """The app's database-backed limiter `name` (created on first use, on the services' clock)."""
    key = f"frontdesk_limiter_{name}"
    limiter: SharedRateLimiter | None = app.extensions.get(key)
    if limiter is None:
        svc = app.extensions["frontdesk"]
        limiter = app.extensions.setdefault(
            key, SharedRateLimiter(svc.db, limit, 60.0, now=lambda: svc.clock.now().timestamp()))
    return limiter
