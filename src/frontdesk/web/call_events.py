"""The caller page's live stream while it waits for or talks to a person: `GET /call/<id>/events`.

A caller on hold (an offer to the supervisors is pending, or a supervisor holds the call) should see
the supervisor's line as soon as it is written, not at the page's next 1 s poll. `/call` opens this
stream (server-sent events) only while `GET /api/v1/calls/{id}` says `on_hold`, and on each `update`
it fetches the call again (the transcript stays the API's; the stream carries no caller text).

One thread per process (`CallFeed`) watches `max(transcript_lines.id)` every ~250 ms while any stream
is open (lines written by other processes), woken at once by the in-process `call_lines` signal
(`held_calls.notify`), and tells the streams of the calls that got new lines. Each stream holds a
server thread, so there are at most `WEB_THREADS // 2` per process (503 beyond: the page keeps polling).
This is the caller page's own endpoint, not part of the public API.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context
from sqlalchemy import select

from frontdesk.held_calls import LINES_SIGNAL
from frontdesk.models import Call, TranscriptLine
from frontdesk.web.polling_feed import POLL_SECONDS, PollingFeed

log = logging.getLogger(__name__)

CHECK_SECONDS = 15.0  # keepalive, and a look at whether the call ended (then the stream ends)
STREAM_SECONDS = 600.0
MAX_ID_CHARS = 64

bp = Blueprint("call_events", __name__)


class CallFeed(PollingFeed[set[str]]):
    """Tells each subscribed call's streams when its transcript grew (from any process)."""

    thread_name = "call-feed"
    signal_topic = LINES_SIGNAL
    model = TranscriptLine
    log = log

    def __init__(self, db: Any, signals: Any, poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__(db, signals, poll_seconds)
        self._subs: dict[str, set[queue.Queue[int]]] = {}

    def subscribe(self, call_id: str) -> queue.Queue[int]:
        """A queue that gets the newest line id whenever `call_id` gets new lines; starts the watcher."""
        sub: queue.Queue[int] = queue.Queue(maxsize=10)
        with self._lock:
            self._subs.setdefault(call_id, set()).add(sub)
            self._start_locked()
        return sub

    def unsubscribe(self, call_id: str, sub: queue.Queue[int]) -> None:
        """Forget a stream; the watcher stops after the last one leaves."""
        with self._lock:
            subs = self._subs.get(call_id, set())
            subs.discard(sub)
            if not subs:
                self._subs.pop(call_id, None)
        self._wake.set()

    def count(self) -> int:
        """How many streams are open in this process."""
        with self._lock:
            return sum(len(v) for v in self._subs.values())

    def _has_subscribers(self) -> bool:
        return bool(self._subs)

    def _read(self, after_id: int, upto_id: int) -> set[str]:
        with self._lock:
            watched = list(self._subs)
        with self.db.read() as s:
            return set(s.scalars(select(TranscriptLine.call_id).distinct().where(
                TranscriptLine.id > after_id, TranscriptLine.id <= upto_id,
                TranscriptLine.call_id.in_(watched)))) if watched else set()

    def _deliver(self, latest: int, changes: set[str]) -> None:
        with self._lock:
            targets = [sub for call_id in changes for sub in self._subs.get(call_id, ())]
        for sub in targets:
            # A full queue: that stream is behind anyway, and its next update fetches everything.
            with contextlib.suppress(queue.Full):
                sub.put_nowait(latest)


def caller_stream(feed: CallFeed, call_id: str, live: Callable[[], bool], lifetime: float = STREAM_SECONDS,
                  disconnected: Callable[[], bool] | None = None) -> Iterator[str]:
    """The text of one caller stream: an `update` at once (lines written before it opened), then one per
    batch of new lines; ends when the client leaves, the call ends, or after `lifetime` (the page reopens)."""
    sub = feed.subscribe(call_id)
    try:
        yield "retry: 1000\n\nevent: update\ndata: {}\n\n"
        deadline = time.monotonic() + lifetime
        next_check = time.monotonic() + CHECK_SECONDS
        while time.monotonic() < deadline:
            try:
                latest = sub.get(timeout=1.0)
            except queue.Empty:
                if disconnected is not None and disconnected():
                    return
                if time.monotonic() >= next_check:
                    if not live():
                        return
                    next_check = time.monotonic() + CHECK_SECONDS
                    yield ": keepalive\n\n"
                continue
            yield f'event: update\ndata: {{"line": {latest}}}\n\n'
    finally:
        feed.unsubscribe(call_id, sub)


def call_feed() -> CallFeed:
    """This app's caller feed (one per process)."""
    svc = current_app.extensions["frontdesk"]
    with _feed_lock:
        feed = current_app.extensions.get("frontdesk_call_feed")
        if feed is None:
            feed = current_app.extensions["frontdesk_call_feed"] = CallFeed(svc.db, svc.signals)
    return feed  # type: ignore[no-any-return]


_feed_lock = threading.Lock()


def _error(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


@bp.get("/call/<call_id>/events")
def events(call_id: str) -> Response:
    """Server-sent `update` events for one live text call (see the module docstring); 404 unknown call,
    409 ended, 503 when this process has too many streams open (the page keeps polling)."""
    svc = current_app.extensions["frontdesk"]
    if not svc.settings.calls_api_enabled:
        return _error(404, "disabled", "the text-call API is disabled on this server")
    if len(call_id) > MAX_ID_CHARS or not (call_id.isascii() and call_id.isalnum()):
        return _error(404, "not_found", "no such call")
    with svc.db.read() as s:
        status = s.scalar(select(Call.status).where(Call.id == call_id))
    if status is None:
        return _error(404, "not_found", "no such call")
    if status != "live":
        return _error(409, "conflict", "this call has ended")
    feed = call_feed()
    if feed.count() >= max(1, svc.settings.web_threads // 2):
        response = _error(503, "busy", "too many live streams; keep polling")
        response.headers["Retry-After"] = "5"
        return response

    def live() -> bool:
        with svc.db.read() as s:
            return s.scalar(select(Call.status).where(Call.id == call_id)) == "live"

    disconnected = request.environ.get("waitress.client_disconnected")
    stream = caller_stream(feed, call_id, live, disconnected=disconnected)
    response = Response(stream_with_context(stream), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response
