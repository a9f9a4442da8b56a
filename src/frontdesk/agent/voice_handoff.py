"""Live handoff in a voice call (the LiveKit job's side).

After `request_transfer` offered the call, the job watches the transfer row:

- **taken**, caller on a SIP trunk and a destination known (the supervisor's own phone, else
  `SIP_TRANSFER_TO`): the agent says "I'm putting you through to Sam, who has your question" and
  transfers the caller's phone leg there (`transfer_sip_participant`, a SIP REFER). A refused transfer
  is `failed`: the fallback below.
- **taken** otherwise: the supervisor joins the caller's room from the dashboard (the accept answer
  carries a token); when they are in the room the agent introduces them and leaves.
- **declined / expired / failed / cancelled**: the agent says the fallback sentence the transfer desk
  stored (`transfers.told`: help request opened, callback offered) and carries on.

LiveKit is reached only through `LiveKitPort` (room participants, SIP transfer, leaving), so tests fake
it at that boundary.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from frontdesk.transfers import CANCELLED, DECLINED, EXPIRED, FAILED, TAKEN

if TYPE_CHECKING:
    from frontdesk.agent.call_state import CallState
    from frontdesk.services import Services

log = logging.getLogger(__name__)

WATCH_SECONDS = 0.25
JOIN_WAIT_SECONDS = 60.0
TOLD_WAIT_SECONDS = 5.0
SUPERVISOR_PREFIX = "supervisor-"


def introduction(name: str) -> str:
    """What the agent says before it hands the caller over."""
    return f"I'm putting you through to {name}, who has your question. Thanks for calling!"


class LiveKitPort(Protocol):
    """The LiveKit calls the handoff needs (a real room in the job, a fake in tests)."""

    def participant_identities(self) -> list[str]:
        """Identities of the remote participants in the caller's room."""

    async def transfer_sip(self, participant_identity: str, transfer_to: str) -> None:
        """Transfer a SIP participant's call (`transfer_sip_participant`); raises on failure."""

    async def leave(self) -> None:
        """The agent leaves the room (the caller and the supervisor stay)."""


@dataclass
class RoomPort:
    """`LiveKitPort` over a job's room and the server API (`livekit.api.LiveKitAPI`)."""

    room: Any
    settings: Any
    session: Any

    def participant_identities(self) -> list[str]:
        """Remote participants of the room, by identity."""
        return [p.identity for p in self.room.remote_participants.values()]

    async def transfer_sip(self, participant_identity: str, transfer_to: str) -> None:
        """SIP REFER of the caller's leg through LiveKit's SIP service."""
        from livekit import api

        async with api.LiveKitAPI(self.settings.livekit_url, self.settings.livekit_api_key,
                                  self.settings.livekit_api_secret) as lkapi:
            await lkapi.sip.transfer_sip_participant(api.TransferSIPParticipantRequest(
                room_name=self.room.name, participant_identity=participant_identity, transfer_to=transfer_to,
                play_dialtone=False))

    async def leave(self) -> None:
        """Close the agent's session; the room stays for the caller and the supervisor."""
        self.session.shutdown(drain=True)


def sip_destination(services: Services, supervisor_id: int | None) -> str:
    """Where a SIP caller goes: the supervisor's own phone, else `SIP_TRANSFER_TO` ('' for none)."""
    from frontdesk.models import Supervisor

    if supervisor_id is not None:
        with services.db.read() as s:
            sup = s.get(Supervisor, supervisor_id)
        if sup is not None and sup.phone:
            return f"tel:{sup.phone}"
    return services.settings.sip_transfer_to


async def watch_transfer(services: Services, state: CallState, session: Any, port: LiveKitPort,
                         caller_identity: str = "", caller_is_sip: bool = False) -> str:
    """Follow `state.transfer_id` to its outcome and act on it; returns the outcome."""
    tid = state.transfer_id
    if tid is None:
        return ""
    store = services.transfers.store
    while True:
        t = await asyncio.to_thread(store.get, tid)
        if t.status != "offered":
            break
        await asyncio.sleep(WATCH_SECONDS)
    if t.status == TAKEN:
        return await _taken(services, state, session, port, t, caller_identity, caller_is_sip)
    if t.status in (DECLINED, EXPIRED, FAILED):
        await _say_fallback(services, state, session, tid)
    state.transfer_id = None
    return t.status if t.status != CANCELLED else CANCELLED


async def _taken(services: Services, state: CallState, session: Any, port: LiveKitPort, t: Any,
                 caller_identity: str, caller_is_sip: bool) -> str:
    name = t.taken_by or "a colleague"
    destination = sip_destination(services, t.taken_by_id) if caller_is_sip else ""
    if destination:
        await _say(session, introduction(name))
        try:
            await port.transfer_sip(caller_identity, destination)
        except Exception as exc:  # a refused REFER, a trunk without transfers, an API error
            log.warning("SIP transfer of call %s failed: %s", state.call_id, type(exc).__name__)
            await asyncio.to_thread(services.transfers.fail, t.id, "sip transfer failed")
            await _say_fallback(services, state, session, t.id)
            state.transfer_id = None
            return FAILED
        await asyncio.to_thread(services.calls.end, state.call_id, "transferred")
        return "transferred"
    waited = 0.0
    while not any(i.startswith(SUPERVISOR_PREFIX) for i in port.participant_identities()):
        if waited >= JOIN_WAIT_SECONDS:
            await asyncio.to_thread(services.transfers.fail, t.id, "supervisor did not join")
            await _say_fallback(services, state, session, t.id)
            state.transfer_id = None
            return FAILED
        await asyncio.sleep(WATCH_SECONDS)
        waited += WATCH_SECONDS
    await _say(session, introduction(name))
    await port.leave()
    return "joined"


async def _say(session: Any, text: str) -> None:
    await session.wait_for_idle()
    await session.say(text)


async def _say_fallback(services: Services, state: CallState, session: Any, tid: int) -> None:
    """Say the sentence the transfer desk stored for the caller (it opens the help request first)."""
    waited = 0.0
    while True:
        t = await asyncio.to_thread(services.transfers.store.get, tid)
        if t.told or waited >= TOLD_WAIT_SECONDS:
            break
        await asyncio.sleep(WATCH_SECONDS)
        waited += WATCH_SECONDS
    await _say(session, t.told or "I'm sorry, I couldn't reach anyone just now. Someone will call you back.")
