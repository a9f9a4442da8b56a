"""The text-call hub: one asyncio loop thread holding a room-less `AgentSession` per live text call.

Flask threads hand it work with `run_coroutine_threadsafe(...).result(timeout)`. The hub beats the
heartbeat of its calls and says their `in_call` follow-ups (an indexed poll every ~100 ms, woken
early by the in-process `followup` signal); those two loops are in `hub_loops.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from livekit.agents import AgentSession, llm
from livekit.agents.voice.run_result import RunResult

from frontdesk.agent.brain import Checker, OfflineBrain
from frontdesk.agent.hub_loops import HubLoops, LiveCall
from frontdesk.agent.profile import load_profile
from frontdesk.agent.receptionist import CallState, Receptionist, find_answer
from frontdesk.agent.session import TranscriptRecorder, make_llm, run_db
from frontdesk.calls import hub_holder_id
from frontdesk.errors import Conflict
from frontdesk.text import clean

if TYPE_CHECKING:
    from frontdesk.services import Services

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Threads for knowledge searches. A shared model pass embeds every question waiting when it starts,
#: so more threads than cores lets concurrent searches batch; the model itself runs one pass at a time.
SEARCH_THREADS = 4
TURN_TIMEOUT_SECONDS = 20.0
SORRY = "Sorry, I had a problem just now. Could you say that again?"


def tune_gc() -> None:
    """Keep garbage-collection pauses off the turn path.

    Each live session holds thousands of objects; with the default thresholds a full collection
    (hundreds of ms with 100 calls) stalls every call on the hub's loop. Freezing what exists at
    start-up (modules, app, services) and collecting the young generation less often fixes that.
    """
    gc.freeze()
    first, second, third = gc.get_threshold()
    gc.set_threshold(max(first, 20_000), max(second, 20), max(third, 50))


@dataclass(frozen=True)
class StartedCall:
    """A new text call and its greeting."""

    id: str
    greeting: str


@dataclass(frozen=True)
class Turn:
    """The agent's reply to one caller message."""

    reply: str
    help_request_id: int | None


class CallHub:
    """Hosts live text calls in one event-loop thread."""

    def __init__(self, services: Services, holder: str | None = None,
                 brain_factory: Callable[[], llm.LLM] | None = None) -> None:
        self.services = services
        self.holder = holder or hub_holder_id()
        self._brain_factory = brain_factory
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._calls: dict[str, LiveCall] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Any = None
        # One database thread for the whole hub: the loop never blocks on the database, and the
        # hub's writes (transcript lines) keep their order and never contend with each other.
        self._db: Executor = ThreadPoolExecutor(1, thread_name_prefix="call-hub-db")
        # Knowledge searches (reads plus a ~5 ms model pass) get their own threads, so they neither
        # wait behind transcript writes nor hold them up.
        self._search: Executor = ThreadPoolExecutor(SEARCH_THREADS, thread_name_prefix="call-hub-search")
        # In-call delivery and the heartbeat, on the loop, over the same calls and database thread.
        self._loops = HubLoops(services, self.holder, self._calls, self._db, self._end, self._now)

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the loop thread, the delivery poller and the heartbeat (idempotent)."""
        if self._thread is not None:
            return
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            assert self._loop is not None
            self._tasks = self._loops.start(self._loop)
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="call-hub", daemon=True)
        self._thread.start()
        ready.wait(10)
        self._unsubscribe = self.services.signals.subscribe("followup", self._on_signal)
        tune_gc()
        log.info("text-call hub %s started", self.holder)

    def warm_up(self) -> None:
        """Load the knowledge search's model now, on a hub search thread, not on the first caller."""

        def search() -> None:
            try:
                self.services.knowledge.search("what are your opening hours", judge=False)
            except Exception:
                log.exception("knowledge warm-up failed")

        self._search.submit(search)

    def stop(self, timeout: float = 10.0) -> None:
        """End every live call (so their answers go by text) and stop the loop."""
        if self._thread is None or self._loop is None:
            return
        if self._unsubscribe:
            self._unsubscribe()
        with contextlib.suppress(Exception):
            self._run(self._shutdown(), timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._thread = None
        self._db.shutdown(wait=False)
        self._search.shutdown(wait=False)

    async def _shutdown(self) -> None:
        for call_id in list(self._calls):
            await self._end(call_id, "server_stopped")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _on_signal(self, _topic: str, _payload: dict[str, Any]) -> None:
        loop, wake = self._loop, self._loops.wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        if self._loop is None:
            coro.close()
            raise RuntimeError("the call hub is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # -- thread-safe API (Flask, CLI) -----------------------------------------------------------
    def start_call(self, caller_phone: str, caller_name: str = "") -> StartedCall:
        """Open a text call and return its id and greeting."""
        return self._run(self._start_call(caller_phone, caller_name), TURN_TIMEOUT_SECONDS)

    def send(self, call_id: str, text: str) -> Turn:
        """Say `text` as the caller and return the agent's reply."""
        return self._run(self._send(call_id, text), TURN_TIMEOUT_SECONDS)

    def end_call(self, call_id: str, reason: str = "hangup") -> bool:
        """Hang up; False when this hub did not hold the call."""
        return self._run(self._end(call_id, reason), TURN_TIMEOUT_SECONDS)

    def holds(self, call_id: str) -> bool:
        """True when this hub serves the call."""
        return call_id in self._calls

    def live_count(self) -> int:
        """How many calls this hub serves."""
        return len(self._calls)

    # -- on the loop ----------------------------------------------------------------------------
    async def _start_call(self, caller_phone: str, caller_name: str) -> StartedCall:
        svc = self.services
        call = await run_db(self._db, lambda: svc.calls.start(
            channel="text", holder=self.holder, caller_phone=caller_phone, caller_name=caller_name))
        profile = await run_db(self._db, load_profile, svc.db)
        state = CallState(services=svc, call_id=call.id, profile=profile, caller_phone=call.caller_phone,
                          caller_name=call.caller_name, db_executor=self._db, search_executor=self._search)
        # One LLM object per call: sessions subscribe to their LLM's metrics events, so a shared
        # instance would make every turn notify every live call (quadratic with the number of calls).
        model = self._brain_factory() if self._brain_factory else make_llm(svc.settings)
        if isinstance(model, OfflineBrain):
            model.checker = self._checker(state)
        session: AgentSession[CallState] = AgentSession(
            llm=model, vad=None, turn_handling={"turn_detection": None}, userdata=state,
            user_away_timeout=None,
        )
        recorder = TranscriptRecorder(session, svc.calls, call.id, self._db)
        await session.start(Receptionist(state))
        live = LiveCall(session, state, recorder, last_active=self._now())
        self._calls[call.id] = live
        greeting = profile.greeting()
        async with live.lock:
            await session.say(greeting)
            await recorder.flush()
        return StartedCall(call.id, greeting)

    async def _send(self, call_id: str, text: str) -> Turn:
        live = self._calls.get(call_id)
        if live is None:
            await self._raise_not_held(call_id)
            raise AssertionError("unreachable")
        text = clean(text, self.services.settings.max_message_chars)
        async with live.lock:
            live.last_active = self._now()
            live.state.turn_help_request_id = None
            live.state.found = None
            try:
                result: RunResult[None] = await live.session.run(user_input=text)
                replies = [
                    ev.item.text_content or ""
                    for ev in result.events
                    if ev.type == "message" and ev.item.role == "assistant"
                ]
            except Exception:  # the caller hears an apology, never a server error
                log.exception("turn of call %s failed", call_id)
                replies = [SORRY]
            await live.recorder.flush()  # the transcript is complete when the reply is returned
            return Turn(" ".join(r for r in replies if r), live.state.turn_help_request_id)

    async def _raise_not_held(self, call_id: str) -> None:
        call = await run_db(self._db, self.services.calls.get, call_id)  # NotFound for unknown ids
        if call.status != "live":
            raise Conflict("this call has ended", status=call.status)
        raise Conflict("this call is not served by this server", status=call.status)

    async def _end(self, call_id: str, reason: str) -> bool:
        live = self._calls.pop(call_id, None)
        if live is not None:
            with contextlib.suppress(Exception):
                await live.session.aclose()
                await live.recorder.flush()
        ended = await run_db(self._db, self.services.calls.end, call_id, reason)
        return live is not None or ended

    def _checker(self, state: CallState) -> Checker:
        async def answerable(question: str) -> bool:
            # A match worth reading back to the caller also goes through lookup_answer.
            found = await run_db(self._search, find_answer, state, question, True)
            return bool(found["answerable"] or found["confirm"])

        return answerable

    def touch(self, call_id: str) -> None:
        """The caller is still there (their page polled the call)."""
        live = self._calls.get(call_id)
        if live is not None:
            live.last_active = self._now()

    def _now(self) -> float:
        return self.services.clock.now().timestamp()
