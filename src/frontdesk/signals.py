"""In-process wake-up signals.

The database is the source of truth; these only let a waiting worker look at it early
(a new follow-up, an answered request) instead of at its next poll.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Listener = Callable[[str, dict[str, Any]], None]


class Signals:
    """A tiny thread-safe publish/subscribe hub keyed by topic."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, list[Listener]] = defaultdict(list)

    def subscribe(self, topic: str, listener: Listener) -> Callable[[], None]:
        """Call `listener(topic, payload)` on every publish to `topic`; returns an unsubscribe function."""
        with self._lock:
            self._listeners[topic].append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners[topic]:
                    self._listeners[topic].remove(listener)

        return unsubscribe

    def publish(self, topic: str, **payload: Any) -> None:
        """Tell every listener of `topic`; a failing listener never breaks the publisher."""
        with self._lock:
            listeners = list(self._listeners[topic]) + list(self._listeners["*"])
        for listener in listeners:
            try:
                listener(topic, payload)
            except Exception:  # a listener's bug must not undo a committed state change
                log.exception("signal listener failed on %s", topic)
