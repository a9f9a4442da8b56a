"""Injectable clocks. All stored times are naive UTC datetimes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time (naive UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """Current UTC time without tzinfo."""
        return datetime.now(UTC).replace(tzinfo=None)


class FakeClock:
    """A clock tests move by hand, so timeouts are tested without sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, 0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The fake current time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        """Move time forward and return the new time."""
        with self._lock:
            self._now += timedelta(seconds=seconds, **kwargs)
            return self._now
