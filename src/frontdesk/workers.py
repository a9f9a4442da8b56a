"""Background loops run inside `frontdesk serve`: each wakes on an interval or an in-process signal."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class PeriodicWorker:
    """Runs `step()` every `interval` seconds in a daemon thread, or sooner when `wake()` is called.

    A failing step is logged and retried at the next tick: the loop never dies of one bad row.
    """

    def __init__(self, name: str, step: Callable[[], object], interval: float) -> None:
        self.name, self.step, self.interval = name, step, interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the loop thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def wake(self, *_args: object) -> None:
        """Run the next step now instead of at the next tick."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to finish and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:
                log.exception("%s step failed; retrying at the next tick", self.name)
            self._wake.wait(self.interval)
            self._wake.clear()
