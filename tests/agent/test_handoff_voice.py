"""Live handoff in voice calls, with LiveKit faked at its API boundary (`LiveKitPort`): the supervisor
joins from the browser (token for the caller's room) and the agent introduces them and leaves; a SIP
caller is transferred to SIP_TRANSFER_TO or the supervisor's phone; a refused SIP transfer, an offer
nobody takes, declined by all, and a caller hanging up during the hold each end as they must."""

from __future__ import annotations

import asyncio
from typing import Any

from agent_helpers import run, text_session
from livekit import api
from sqlalchemy import select

from frontdesk import presence
from frontdesk.agent.brain import OfflineBrain
from frontdesk.agent.call_state import CallState
from frontdesk.agent.profile import load_profile
from frontdesk.agent.receptionist import Receptionist
from frontdesk.agent.voice_handoff import watch_transfer
from frontdesk.models import HelpRequest, Supervisor
from frontdesk.services import Services

ASK = "Can I talk to a person please?"


class FakePort:
    """LiveKit at the boundary: who is in the room, SIP transfers, the agent leaving."""

    def __init__(self, refuse_sip: bool = False) -> None:
        self.identities = ["sip_+15550001111"]
        self.transfers: list[tuple[str, str]] = []
        self.left = False
        self.refuse_sip = refuse_sip

    def participant_identities(self) -> list[str]:
        return list(self.identities)

    async def transfer_sip(self, participant_identity: str, transfer_to: str) -> None:
        if self.refuse_sip:
            raise RuntimeError("SIP REFER rejected (603)")
        self.transfers.append((participant_identity, transfer_to))

    async def leave(self) -> None:
        self.left = True


def online(svc: Services, email: str, name: str, phone: str = "") -> Supervisor:
    sup = svc.accounts.create(email, "password-123456", name=name, phone=phone)
    presence.set_availability(svc.db, svc.clock.now(), sup.id, "online")
    return sup


def said(session: Any) -> list[str]:
    return [i.text_content or "" for i in session.history.items if i.type == "message" and i.role == "assistant"]


def pending(svc: Services) -> list[HelpRequest]:
    with svc.db.read() as s:
        return list(s.scalars(select(HelpRequest).where(HelpRequest.status == "pending")))


async def voice_call(svc: Services, act: Any, port: FakePort, sip: bool = False) -> tuple[str, list[str], Any]:
    """A voice call asks for a person; `act(transfer_id)` plays the supervisors' side while the job
    watches the transfer; returns the outcome, what the agent said, and the state."""
    call = await asyncio.to_thread(svc.calls.start, channel="voice", holder="job:test", caller_phone="+15550001111",
                                   room_name="call-room-1")
    state = CallState(services=svc, call_id=call.id, profile=load_profile(svc.db), caller_phone=call.caller_phone)
    async with text_session(OfflineBrain(), state) as session:
        await session.start(Receptionist(state))
        result = await session.run(user_input=ASK)
        result.expect.contains_function_call(name="request_transfer")
        assert state.transfer_id is not None
        watcher = asyncio.create_task(watch_transfer(svc, state, session, port, caller_identity="sip_+15550001111",
                                                     caller_is_sip=sip))
        await act(state.transfer_id)
        outcome = await asyncio.wait_for(watcher, 20)
        return outcome, said(session), state


def test_supervisor_joins_from_the_browser_agent_introduces_and_leaves(salon: Services) -> None:
    sam = online(salon, "sam@example.com", "Sam")
    port = FakePort()
    tokens: list[dict[str, Any]] = []

    async def act(tid: int) -> None:
        taken = await asyncio.to_thread(salon.transfers.accept, tid, sam)
        salon.settings.livekit_url, salon.settings.livekit_api_key = "wss://lk.example", "key"
        salon.settings.livekit_api_secret = "secret-" + "s" * 32
        tokens.append(salon.transfers.taken_dict(taken, sam))
        await asyncio.sleep(0.5)
        port.identities.append(f"supervisor-{sam.id}")  # the browser joined the room

    outcome, lines, _state = run(voice_call(salon, act, port))
    assert outcome == "joined" and port.left
    assert lines[-1].startswith("I'm putting you through to Sam")
    [t] = tokens
    assert t["transport"] == "voice" and t["room"] == "call-room-1" and t["livekit_url"] == "wss://lk.example"
    claims = api.TokenVerifier("key", "secret-" + "s" * 32).verify(t["token"])
    assert claims.identity == f"supervisor-{sam.id}" and claims.video.room == "call-room-1"


def test_sip_caller_is_transferred_to_the_supervisors_phone_or_sip_transfer_to(salon: Services) -> None:
    sam = online(salon, "sam@example.com", "Sam", phone="+14155550199")
    port = FakePort()

    async def act(tid: int) -> None:
        await asyncio.to_thread(salon.transfers.accept, tid, sam)

    outcome, lines, state = run(voice_call(salon, act, port, sip=True))
    assert outcome == "transferred" and port.transfers == [("sip_+15550001111", "tel:+14155550199")]
    assert "putting you through to Sam" in lines[-1]
    assert salon.calls.get(state.call_id).status == "ended"

    ann = online(salon, "ann@example.com", "Ann")
    salon.settings.sip_transfer_to = "sip:frontdesk@pbx.example"
    port2 = FakePort()

    async def act2(tid: int) -> None:
        await asyncio.to_thread(salon.transfers.accept, tid, ann)

    outcome, _lines, _ = run(voice_call(salon, act2, port2, sip=True))
    assert outcome == "transferred" and port2.transfers == [("sip_+15550001111", "sip:frontdesk@pbx.example")]


def test_refused_sip_transfer_fails_and_the_caller_hears_the_fallback(salon: Services) -> None:
    sam = online(salon, "sam@example.com", "Sam")
    salon.settings.sip_transfer_to = "tel:+14155550100"

    async def act(tid: int) -> None:
        await asyncio.to_thread(salon.transfers.accept, tid, sam)

    outcome, lines, state = run(voice_call(salon, act, FakePort(refuse_sip=True), sip=True))
    assert outcome == "failed" and "didn't go through" in lines[-1] and "call you back" in lines[-1]
    assert salon.transfers.store.get(salon.transfers.store.recent()[0].id).status == "failed"
    assert len(pending(salon)) == 1 and salon.calls.get(state.call_id).status == "live"


def test_nobody_in_time_and_declined_by_all_are_told(salon: Services) -> None:
    sam = online(salon, "sam@example.com", "Sam")

    async def expire(tid: int) -> None:
        salon.clock.advance(salon.settings.transfer_timeout_seconds + 1)  # type: ignore[attr-defined]
        await asyncio.to_thread(salon.transfers.sweep)

    outcome, lines, _ = run(voice_call(salon, expire, FakePort()))
    assert outcome == "expired" and "couldn't reach anyone" in lines[-1]

    async def decline(tid: int) -> None:
        await asyncio.to_thread(salon.transfers.decline, tid, sam)

    outcome, lines, _ = run(voice_call(salon, decline, FakePort()))
    assert outcome == "declined" and "nobody on the team" in lines[-1]
    assert len(pending(salon)) == 1  # the same question: one request, both callers on it


def test_caller_hangs_up_during_the_hold(salon: Services) -> None:
    online(salon, "sam@example.com", "Sam")
    ended: list[str] = []

    async def hang_up(tid: int) -> None:
        t = await asyncio.to_thread(salon.transfers.store.get, tid)
        await asyncio.to_thread(salon.calls.end, t.call_id, "hangup")
        ended.append(t.call_id)

    outcome, _lines, _ = run(voice_call(salon, hang_up, FakePort()))
    assert outcome == "cancelled" and salon.transfers.store.recent("offered") == []
