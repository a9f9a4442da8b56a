"""The skeleton shared by the server-sent-event feeds (`live.py`, `call_events.py`).

Rows are written by other processes too (voice workers, other `serve` instances), so each feed runs
one thread per process that polls `max(id)` of its table every ~250 ms (an index look-up), is woken
early by an in-process signal, and hands what changed since its last look to its subscribers. The
thread starts with the first subscriber and ends when the last one leaves, so nothing runs at import
time or in an idle process. Subclasses own how subscribers are kept, what is read and who is told.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import func, select

POLL_SECONDS = 0.25

Changes = TypeVar("Changes")


class PollingFeed(ABC, Generic[Changes]):
    """A watcher thread that polls `max(model.id)` and tells subscribers what changed (`Changes`).

    Subclasses set `thread_name`, `signal_topic`, `model` and `log`, keep their subscribers under
    `self._lock`, call `_start_locked()` when one subscribes and `self._wake.set()` when one leaves.
    """

    thread_name: ClassVar[str]
    signal_topic: ClassVar[str]  # the in-process signal that wakes the watcher early
    # The watched model (its `id` is polled). The class, not the column: a mapped column kept as a class
    # attribute is a descriptor, and reading it through `self` fails (the feed is not a mapped instance).
    model: ClassVar[type[Any]]
    log: ClassVar[logging.Logger]  # the subclass's module logger, so log filters by module keep working

    def __init__(self, db: Any, signals: Any, poll_seconds: float = POLL_SECONDS) -> None:
        self.db, self.signals, self.poll_seconds = db, signals, poll_seconds
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._last_id = 0

    def latest_id(self) -> int:
        """The newest id in the watched table."""
        with self.db.read() as s:
            return int(s.scalar(select(func.max(self.model.id))) or 0)

    @abstractmethod
    def _has_subscribers(self) -> bool:
        """Whether any stream is subscribed (called with `self._lock` held)."""

    @abstractmethod
    def _read(self, after_id: int, upto_id: int) -> Changes:
        """What changed in `(after_id, upto_id]`, read before `_last_id` moves on (so a failed read is retried)."""

    @abstractmethod
    def _deliver(self, latest: int, changes: Changes) -> None:
        """Tell the subscribers about `changes` (up to id `latest`)."""

    def _start_locked(self) -> None:
        # Called with `self._lock` held, so a subscriber arriving as the watcher exits starts a new one.
        if self._thread is None:
            self._last_id = self.latest_id()  # a new watcher reports only what comes after it started
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()

    def _on_signal(self, _topic: str, _payload: dict[str, Any]) -> None:
        self._wake.set()

    def _run(self) -> None:
        unsubscribe = self.signals.subscribe(self.signal_topic, self._on_signal)
        try:
            while True:
                with self._lock:
                    if not self._has_subscribers():
                        self._thread = None
                        return
                self._wake.clear()  # before the poll: a row written during it wakes the next one at once
                try:
                    self._poll_once()
                except Exception:  # a database hiccup must not end live updates for good
                    self.log.exception("%s poll failed; retrying", self.thread_name.replace("-", " "))
                    time.sleep(1.0)
                self._wake.wait(self.poll_seconds)
        finally:
            unsubscribe()

    def _poll_once(self) -> None:
        latest = self.latest_id()
        if latest <= self._last_id:
            return
        changes = self._read(self._last_id, latest)
        self._last_id = latest
        self._deliver(latest, changes)
