"""Live updates for the queue page and the handoff offer card: server-sent events fed from the `events` table.

Help requests are created by other processes too (voice workers, other `serve` instances), so one
thread per process polls `max(events.id)` every ~250 ms (an index look-up) and is woken early by
in-process signals. New help-request events fan out to every subscriber's queue; each `/events`
stream writes them as small JSON messages. The thread starts with the first subscriber and ends
when the last one leaves, so nothing runs at import time or in an idle process.
"""

from __future__ import annotations

import json
import logging
import queue
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select

from frontdesk.models import Event
from frontdesk.web.polling_feed import POLL_SECONDS, PollingFeed

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
DISCONNECT_CHECK_SECONDS = 1.0
STREAM_SECONDS = 600.0  # streams end after this; EventSource reconnects with Last-Event-ID
BATCH = 500


class LiveFeed(PollingFeed[list[dict[str, Any]]]):
    """Fans out new help-request events to subscribers (each a bounded queue of message batches)."""

    thread_name = "live-feed"
    signal_topic = "help_request"
    model = Event
    log = log

    def __init__(self, db: Any, signals: Any, poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__(db, signals, poll_seconds)
        self._subscribers: set[queue.Queue[list[dict[str, Any]]]] = set()

    def subscribe(self) -> queue.Queue[list[dict[str, Any]]]:
        """A new subscriber queue; starts the poller if it is not running."""
        sub: queue.Queue[list[dict[str, Any]]] = queue.Queue(maxsize=100)
        with self._lock:
            self._subscribers.add(sub)
            self._start_locked()
        return sub

    def unsubscribe(self, sub: queue.Queue[list[dict[str, Any]]]) -> None:
        """Forget a subscriber; the poller stops after the last one leaves."""
        with self._lock:
            self._subscribers.discard(sub)
        self._wake.set()

    def subscriber_count(self) -> int:
        """How many streams are open in this process."""
        with self._lock:
            return len(self._subscribers)

    def _has_subscribers(self) -> bool:
        return bool(self._subscribers)

    def _read(self, after_id: int, upto_id: int) -> list[dict[str, Any]]:
        return read_messages(self.db, after_id, upto_id)

    def _deliver(self, latest: int, changes: list[dict[str, Any]]) -> None:
        if changes:
            self.publish(changes)

    def publish(self, messages: list[dict[str, Any]]) -> None:
        """Hand a batch to every subscriber; a subscriber that stopped reading is dropped."""
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            try:
                sub.put_nowait(messages)
            except queue.Full:
                self.unsubscribe(sub)


def read_messages(db: Any, after_id: int, upto_id: int) -> list[dict[str, Any]]:
    """Help-request events in (after_id, upto_id] as messages; a `resync` message when there are too many."""
    with db.read() as s:
        rows = s.execute(
            select(Event.id, Event.help_request_id, Event.action, Event.entity, Event.entity_id)
            .where(Event.id > after_id, Event.id <= upto_id, Event.entity.in_(("help_request", "transfer")))
            .order_by(Event.id)
            .limit(BATCH + 1)
        ).all()
    if len(rows) > BATCH:
        return [{"event_id": upto_id, "type": "resync"}]
    # Transfer events (live handoff offers) carry `id: null`, so queue pages that fetch help-request
    # cards by `id` skip them; the offer card script reads `transfer_id`.
    return [{"event_id": r.id, "type": "help_request", "id": r.help_request_id, "action": r.action}
            if r.entity == "help_request" else
            {"event_id": r.id, "type": "transfer", "id": None, "transfer_id": r.entity_id, "action": r.action}
            for r in rows]


def sse_stream(
    feed: LiveFeed,
    last_event_id: int | None,
    lifetime: float = STREAM_SECONDS,
    disconnected: Callable[[], bool] | None = None,
) -> Iterator[str]:
    """The text of one `/events` stream: a retry hint, any events missed since `last_event_id`, then live ones.

    Each stream holds a server thread, so it ends as soon as `disconnected()` says the client left
    (waitress tells when `channel_request_lookahead` is on), else at the next keepalive write.
    """
    sub = feed.subscribe()
    try:
        yield "retry: 2000\n\n"
        if last_event_id is not None:
            missed = read_messages(feed.db, last_event_id, feed.latest_id())
            if missed:
                yield _format(missed)
        deadline = time.monotonic() + lifetime
        next_keepalive = time.monotonic() + KEEPALIVE_SECONDS
        while time.monotonic() < deadline:
            try:
                batch = sub.get(timeout=DISCONNECT_CHECK_SECONDS)
            except queue.Empty:
                if disconnected is not None and disconnected():
                    return
                if time.monotonic() >= next_keepalive:
                    next_keepalive = time.monotonic() + KEEPALIVE_SECONDS
                    yield ": keepalive\n\n"
                continue
            yield _format(batch)
    finally:
        feed.unsubscribe(sub)


def _format(batch: list[dict[str, Any]]) -> str:
    last = batch[-1]["event_id"]
    return f"id: {last}\nevent: update\ndata: {json.dumps({'messages': batch})}\n\n"
