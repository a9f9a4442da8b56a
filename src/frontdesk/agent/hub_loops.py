"""The text-call hub's background loops: saying `in_call` follow-ups, and the heartbeat.

Both run on the hub's event loop beside the calls' turns. Delivery polls (one indexed read on a thread
of its own, every ~100 ms, woken early by the in-process `followup` signal) for follow-ups queued to
the calls this hub still holds and says each once, between turns; the heartbeat keeps those calls' rows alive, drops calls
another process took over or that ended, hangs up idle ones, and (any process) ends abandoned calls
whose holder is gone. They live apart from `hub.py`, which starts, serves and ends the calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from livekit.agents import AgentSession

from frontdesk.agent.call_state import CallState
from frontdesk.agent.session import TranscriptRecorder, run_db

if TYPE_CHECKING:
    from frontdesk.services import Services

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1
BEAT_SECONDS = 2.0
ABANDONED_EVERY = 5  # beats between looks for abandoned calls (any process may end them)


def tune_gc() -> None:
    """Keep garbage-collection pauses off the turn path.

    Each live session holds thousands of objects; with the default thresholds a full collection
    (hundreds of ms with 100 calls) stalls every call on the hub's loop. Freezing what exists at
    start-up (modules, app, services) and collecting the young generation less often fixes that.
    """
    gc.freeze()
    first, second, third = gc.get_threshold()
    gc.set_threshold(max(first, 20_000), max(second, 20), max(third, 50))


@dataclass
class LiveCall:
    """One call the hub serves; `lock` keeps its turns and its follow-ups from interleaving."""

    session: AgentSession[CallState]
    state: CallState
    recorder: TranscriptRecorder
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_active: float = 0.0
    version: int = 0  # the stored version of the call this session reflects
    saved: dict[str, Any] = field(default_factory=dict)  # the agent state last stored


class HubLoops:
    """In-call delivery and heartbeat for the live calls of one hub (`calls` is the hub's own dict)."""

    def __init__(
        self,
        services: Services,
        holder: str,
        calls: dict[str, LiveCall],
        db: Executor,
        end_call: Callable[[str, str], Awaitable[bool]],
        now: Callable[[], float],
        drop_call: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.services = services
        self.holder = holder
        self._calls = calls
        self._db = db
        self._end = end_call
        self._drop = drop_call
        self._now = now
        self._inflight: set[int] = set()
        self._poll: Executor = ThreadPoolExecutor(1, thread_name_prefix="call-hub-poll")
        #: Set (thread-safely, by the hub) on a `followup` signal; made on the loop thread by `start`.
        self.wake: asyncio.Event | None = None

    def stop(self) -> None:
        """Let the poll thread go (the tasks are cancelled by the hub)."""
        self._poll.shutdown(wait=False)

    def start(self, loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[None]]:
        """On the hub's loop thread: create the wake-up event and start both loops."""
        self.wake = asyncio.Event()
        return [loop.create_task(self._deliver_loop()), loop.create_task(self._beat_loop())]

    async def _deliver_loop(self) -> None:
        assert self.wake is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), POLL_SECONDS)
            self.wake.clear()
            if not self._calls:
                continue
            try:
                # A read: on its own thread, so the turns' writes never queue behind it.
                rows = await run_db(self._poll, self.services.calls.queued_for_holder, self.holder)
            except Exception:
                log.exception("in-call poll failed; retrying")
                continue
            for followup_id, call_id in rows:
                if followup_id not in self._inflight and call_id in self._calls:
                    self._inflight.add(followup_id)
                    asyncio.get_running_loop().create_task(self._deliver(followup_id, call_id))

    async def _deliver(self, followup_id: int, call_id: str) -> None:
        try:
            live = self._calls.get(call_id)
            if live is None:
                return  # not ours any more: the dispatcher will text it
            async with live.lock:
                if self._calls.get(call_id) is not live:
                    return
                message = await run_db(self._db, self.services.calls.claim_in_call, followup_id, self.holder)
                if message is None:
                    return
                await live.session.wait_for_idle()
                speech = live.session.say(message.text)
                await speech
                await live.recorder.flush()
                if speech.interrupted or self._calls.get(call_id) is not live:
                    # Cut off (the caller hung up, the call was dropped): not said, so not confirmed; the
                    # dispatcher texts it once the call has ended or the speaking lease is over.
                    log.info("in-call %s to call %s was cut off; it goes by text", message.kind, call_id)
                    return
                # Sent only now that it was said and recorded; if the caller hung up meanwhile, it is texted.
                await run_db(self._db, self.services.calls.confirm_in_call, message)
            log.info("in-call %s delivered to call %s", message.kind, call_id)
        except Exception:
            log.exception("in-call delivery of follow-up %s failed", followup_id)
        finally:
            self._inflight.discard(followup_id)

    async def _beat_loop(self) -> None:
        beats = 0
        while True:
            await asyncio.sleep(BEAT_SECONDS)
            beats += 1
            try:
                await self._beat(look_for_abandoned=beats % ABANDONED_EVERY == 0)
            except Exception:
                log.exception("call heartbeat failed; retrying")

    async def _beat(self, look_for_abandoned: bool = False) -> None:
        """One heartbeat: keep held calls alive, let go of lost ones, hang up idle ones."""
        calls = self.services.calls
        idle_limit = self.services.settings.call_idle_timeout_seconds
        held = await run_db(self._db, calls.beat, list(self._calls), self.holder)
        now = self.services.clock.now()
        for h in held:
            live = self._calls.get(h.id)
            if live is None:
                continue
            if not h.mine:  # ended, or another process serves it now
                if self._drop is not None and not live.lock.locked():
                    await self._drop(h.id)
                continue
            quiet = (now - h.last_active_at).total_seconds() if h.last_active_at else 0.0
            if idle_limit and quiet > idle_limit and not live.lock.locked():
                await self._end(h.id, "idle")
        if look_for_abandoned:
            for call_id in await run_db(self._db, calls.abandoned):
                await run_db(self._db, calls.end, call_id, "abandoned")
