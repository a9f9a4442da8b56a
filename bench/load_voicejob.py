#!/usr/bin/env python3
"""A stand-in for a LiveKit voice job, for fault runs without a LiveKit server.

It holds voice calls the way `frontdesk agent start`'s job does: `CallStore.start(channel="voice",
holder="job:...")`, the escalation through `HelpDesk.escalate` (what the `request_help` tool calls),
and the real `VoiceCallHolder` (agent/worker.py) beating the heartbeat and claiming the call's
`in_call` follow-ups. Only the speech is simulated: `say()` takes `--speak` seconds (TTS playout)
and the agent's line reaches the transcript when it finishes, as LiveKit adds a spoken message to
the chat history when its playout ends. Each caller stays on the line a random while, then hangs up.

kill -9 of this process is the "voice worker's job dies" fault: its calls stop beating, and the
dispatcher must text their answers instead (HEARTBEAT_GRACE_SECONDS).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import sys
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from frontdesk.agent.worker import VoiceCallHolder  # noqa: E402
from frontdesk.services import Services, build_services  # noqa: E402
from frontdesk.settings import Settings  # noqa: E402

log = logging.getLogger("voicejob")


class SpokenSession:
    """The part of `AgentSession` the holder uses; speaking takes time, then the line is recorded."""

    def __init__(self, services: Services, call_id: str, speak: float) -> None:
        self.services, self.call_id, self.speak = services, call_id, speak
        self._idle = asyncio.Event()
        self._idle.set()

    async def wait_for_idle(self) -> None:
        await self._idle.wait()

    async def say(self, text: str) -> None:
        self._idle.clear()
        try:
            await asyncio.sleep(self.speak)
            await asyncio.to_thread(self.services.calls.add_line, self.call_id, "agent", text)
        finally:
            self._idle.set()


async def one_call(svc: Services, k: int, o: argparse.Namespace, rng: random.Random) -> None:
    await asyncio.sleep(rng.uniform(0, o.duration))
    phone = f"+1556{o.run_no:03d}{o.incarnation:02d}{k:03d}"
    holder = f"job:load-{os.getpid()}-{k}"
    call = await asyncio.to_thread(svc.calls.start, channel="voice", holder=holder, caller_phone=phone,
                                   caller_name=f"Voice {k}")
    question = f"do you do hair extensions for voice caller {o.seed}-{o.incarnation}-{k}-{os.getpid()}?"
    await asyncio.to_thread(svc.calls.add_line, call.id, "caller", question)
    await asyncio.to_thread(svc.desk.escalate, question, call_id=call.id, caller_phone=phone,
                            caller_name=f"Voice {k}")
    session: Any = SpokenSession(svc, call.id, o.speak)
    await asyncio.to_thread(svc.calls.add_line, call.id, "agent", svc.settings.msg_escalation)
    held = VoiceCallHolder(svc, call.id, session, holder)
    held.start()
    await asyncio.sleep(rng.uniform(3, o.hold))
    await held.stop()
    await session.wait_for_idle()
    await asyncio.to_thread(svc.calls.end, call.id, "hangup")


async def main_async(o: argparse.Namespace) -> None:
    svc = build_services(Settings())  # type: ignore[call-arg]
    rng = random.Random(o.seed * 1000 + o.incarnation)
    try:
        await asyncio.gather(*(one_call(svc, k, o, random.Random(rng.random())) for k in range(o.calls)))
        await asyncio.Event().wait()  # stay up (idle) until stopped, like a worker between calls
    finally:
        svc.stop()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--calls", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--incarnation", type=int, default=1)
    p.add_argument("--run-no", type=int, default=0)
    p.add_argument("--duration", type=float, default=15.0, help="calls start over this many seconds")
    p.add_argument("--hold", type=float, default=25.0, help="longest a caller stays on the line")
    p.add_argument("--speak", type=float, default=1.5, help="seconds one spoken notice takes")
    o = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main_async(o))


if __name__ == "__main__":
    main()
