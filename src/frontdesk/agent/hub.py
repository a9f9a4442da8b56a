"""The text-call hub: one asyncio loop thread holding a room-less `AgentSession` per live text call.

Flask threads hand it work with `run_coroutine_threadsafe(...).result(timeout)`. Any `serve` process
may get any call's next message: before each turn the hub claims the call in the database (a read in
the request thread, `CallStore.peek`, when this process holds it already; else `CallStore.claim`), and
when it did not hold it, or the stored conversation moved on, it rebuilds the session from the
transcript and stored state (`hub_sessions.py`). A turn ends with one write (`CallStore.finish_turn`).
The hub beats the heartbeat of its calls and says their `in_call` follow-ups (an indexed poll every
~100 ms, woken early by the in-process `followup` signal): those loops are in `hub_loops.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from livekit.agents import llm
from livekit.agents.voice.run_result import RunResult

from frontdesk.agent import rebuild
from frontdesk.agent.hub_loops import HubLoops, LiveCall, tune_gc
from frontdesk.agent.hub_sessions import SessionFactory
from frontdesk.agent.profile import load_profile
from frontdesk.agent.session import run_db
from frontdesk.call_holders import TURN_TIMEOUT_SECONDS, Claim
from frontdesk.calls import hub_holder_id
from frontdesk.text import clean
from frontdesk.usage import usage_writer

if TYPE_CHECKING:
    from frontdesk.services import Services

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Threads for knowledge searches. A shared model pass embeds every question waiting when it starts,
#: so more threads than cores lets concurrent searches batch; the model itself runs one pass at a time.
SEARCH_THREADS = 4
SORRY = "Sorry, I had a problem just now. Could you say that again?"


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
        # One lock per call id, taken before claiming it: a process builds a call's session once
        # and runs its turns and in-call messages one at a time.
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Any = None
        # One database thread for the whole hub: the loop never blocks on the database, and the
        # hub's writes (transcript lines) keep their order and never contend with each other.
        self._db: Executor = ThreadPoolExecutor(1, thread_name_prefix="call-hub-db")
        # Knowledge searches (reads plus a ~5 ms model pass) get their own threads, so they neither
        # wait behind transcript writes nor hold them up.
        self._search: Executor = ThreadPoolExecutor(SEARCH_THREADS, thread_name_prefix="call-hub-search")
        # In-call delivery and the heartbeat, on the loop, over the same calls and database thread.
        self._loops = HubLoops(services, self.holder, self._calls, self._db, self._end, self._now, self._drop)
        self._sessions = SessionFactory(services, self._db, self._search, brain_factory, self._now)

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
        if self.services.hub_url:  # other processes forward this hub's calls' turns here
            try:
                self.services.calls.register_hub(self.holder, self.services.hub_url)
            except Exception:  # without an address, turns elsewhere move the call here instead
                log.exception("could not record this hub's address")
        tune_gc()
        log.info("text-call hub %s started", self.holder)

    def warm_up(self) -> Future[None]:
        """Load the knowledge search's models (embedder, the gate's word data) now, on a hub search thread,
        not on the first caller; the future is done when they are loaded (or failed, logged)."""

        def search() -> None:
            try:
                self.services.knowledge.search("how much is a haircut on saturday", judge=True)
            except Exception:
                log.exception("knowledge warm-up failed")

        return self._search.submit(search)

    def stop(self, timeout: float = 10.0) -> None:
        """End every live call (so their answers go by text) and stop the loop."""
        if self._thread is None or self._loop is None:
            return
        if self._unsubscribe:
            self._unsubscribe()
        if self.services.hub_url:
            with contextlib.suppress(Exception):
                self.services.calls.unregister_hub(self.holder)
        with contextlib.suppress(Exception):
            self._run(self._shutdown(), timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._thread = None
        self._db.shutdown(wait=False)
        self._search.shutdown(wait=False)
        self._loops.stop()

    async def _shutdown(self) -> None:
        # Let go of the calls rather than end them: with several `serve` processes the caller's next
        # request goes to another one, which picks the call up (with one, the next start does).
        held = list(self._calls)
        for call_id in held:
            await self._drop(call_id)
        await run_db(self._db, self.services.calls.release, held, self.holder)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _on_signal(self, _topic: str, payload: dict[str, Any]) -> None:
        if payload.get("audience") == "supervisors":
            return  # a new request's alerts: nothing for a caller (every escalation would wake the poll)
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

    def send(self, call_id: str, text: str, seen: Claim | None = None, *, peeked: bool = False) -> Turn:
        """Say `text` as the caller and return the agent's reply.

        `seen`/`peeked`: the caller already ran `locate` (`peek`) for this turn and found that."""
        if not peeked:
            live = self._calls.get(call_id)
            # The claim's read, here in the caller's request thread: a call this process still holds at the
            # version its session reflects then costs the turn no trip through the hub's database thread.
            seen = self.services.calls.peek(call_id, self.holder, live.version) if live is not None else None
        return self._run(self._send(call_id, text, seen), TURN_TIMEOUT_SECONDS)

    def version_of(self, call_id: str) -> int | None:
        """The stored version this hub's session of the call reflects (None: it has none)."""
        live = self._calls.get(call_id)
        return live.version if live is not None else None

    def end_call(self, call_id: str, reason: str = "hangup") -> bool:
        """Hang up (whichever process holds the call); False when it had already ended."""
        return self._run(self._end(call_id, reason), TURN_TIMEOUT_SECONDS)

    def adopt(self, call_id: str) -> None:
        """Pick up a live call whose holder is gone (its caller polled us), so its in-call answers
        are said here."""
        self._run(self._adopt(call_id), TURN_TIMEOUT_SECONDS)

    def holds(self, call_id: str) -> bool:
        """True when this hub serves the call."""
        return call_id in self._calls

    def live_count(self) -> int:
        """How many calls this hub serves."""
        return len(self._calls)

    # -- on the loop ----------------------------------------------------------------------------
    async def _start_call(self, caller_phone: str, caller_name: str) -> StartedCall:
        svc = self.services
        call, profile = await run_db(self._db, lambda: (svc.calls.start(
            channel="text", holder=self.holder, caller_phone=caller_phone, caller_name=caller_name),
            load_profile(svc.db)))
        lock = self._lock(call.id)
        async with lock:
            live = await self._sessions.build(call, [], call.version, lock, profile)
            self._calls[call.id] = live
            greeting = live.state.profile.greeting()
            await live.session.say(greeting)
            await live.recorder.flush()
        return StartedCall(call.id, greeting)

    def _lock(self, call_id: str) -> asyncio.Lock:
        lock = self._locks.get(call_id)
        if lock is None:
            lock = self._locks[call_id] = asyncio.Lock()
        return lock

    async def _hold(self, call_id: str, seen: Claim | None = None) -> LiveCall:
        """Claim the call in the database and return its session, rebuilt when ours is missing or
        stale (call under `self._lock(call_id)`). NotFound / Conflict from the claim pass through.

        `seen`: `CallStore.peek` found the call held by this process at the version of the session
        we had then; still that version under the lock, the session is served without a claim."""
        live = self._calls.get(call_id)
        if seen is not None and live is not None and live.version == seen.version:
            return live
        claim = await run_db(self._db, self.services.calls.claim, call_id, self.holder,
                             live.version if live is not None else None)
        if claim.rebuild or live is None:
            if live is not None:
                await self._close(self._calls.pop(call_id, live))
            assert claim.call is not None
            live = await self._sessions.build(claim.call, claim.lines, claim.version, self._lock(call_id))
            self._calls[call_id] = live
            log.info("call %s picked up by %s at version %d", call_id, self.holder, claim.version)
        live.version = claim.version
        return live

    async def _adopt(self, call_id: str) -> None:
        async with self._lock(call_id):
            await self._hold(call_id)

    async def _send(self, call_id: str, text: str, seen: Claim | None = None) -> Turn:
        text = clean(text, self.services.settings.max_message_chars)
        async with self._lock(call_id):
            live = await self._hold(call_id, seen)
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
            # The transcript is complete when the reply is returned.
            await self._finish_turn(call_id, live, seen is not None and seen.touch)
            return Turn(" ".join(r for r in replies if r), live.state.turn_help_request_id)

    async def _finish_turn(self, call_id: str, live: LiveCall, touch: bool) -> None:
        """One write for what the turn left: its transcript lines, the agent state when the turn
        changed it (so another process can carry on), its look-up counts and the caller's activity."""
        state = rebuild.dump_state(live.state)
        changed = state != live.saved
        usage, live.state.usage = live.state.usage, []
        svc = self.services
        try:
            await run_db(self._db, svc.calls.finish_turn, call_id, self.holder, live.version, live.recorder.take(),
                         state if changed else None, touch, usage_writer(svc.clock, call_id, usage) if usage else None)
        except Exception:  # like a transcript hiccup, it must not break the call; the state is retried next turn
            log.exception("could not record the turn of call %s", call_id)
            return
        if changed:
            live.saved = state

    async def _close(self, live: LiveCall) -> None:
        with contextlib.suppress(Exception):
            await live.session.aclose()
            await live.recorder.flush()

    async def _drop(self, call_id: str) -> None:
        """Forget a call this process no longer holds (the database row is left alone)."""
        live = self._calls.pop(call_id, None)
        self._locks.pop(call_id, None)
        if live is not None:
            await self._close(live)

    async def _end(self, call_id: str, reason: str) -> bool:
        held = call_id in self._calls
        await self._drop(call_id)
        ended = await run_db(self._db, self.services.calls.end, call_id, reason)
        return held or ended

    def touch(self, call_id: str) -> None:
        """The caller is still there (their page polled the call): recorded in the database, so
        whichever process holds the call sees it."""
        live = self._calls.get(call_id)
        if live is not None:
            live.last_active = self._now()
        with contextlib.suppress(Exception):
            self.services.calls.touch(self.services.calls.get(call_id))

    def _now(self) -> float:
        return self.services.clock.now().timestamp()
