"""The live handoff service: offer a call, accept / decline / take over, supervisor lines, hand back,
and the fallback that never strands a caller.

`TransferStore` (transfers.py) is the state machine; this module adds who is online (presence), the
warm brief (question, two-line summary, masked caller), and the fallback when nobody takes the call:
a normal help request with the caller's question (the phase 1 path), and the caller told plainly,
with a callback offered. For a text call "told" is a line in its transcript (the version moves on,
so whichever process serves the next turn rebuilds the session with it); a voice call's job reads
`transfers.told` and says it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from frontdesk import business_hours, held_calls
from frontdesk.audit import record_event
from frontdesk.caller_intents import wants_person
from frontdesk.errors import Conflict, InvalidInput, LifecycleError, NotFound
from frontdesk.models import BusinessProfile, Call, Supervisor, TranscriptLine, Transfer
from frontdesk.presence import online_supervisors
from frontdesk.text import clean, mask_phone
from frontdesk.transfers import (
    DECLINED,
    ENDED,
    EXPIRED,
    FAILED,
    MAX_SUPERVISOR_LINE,
    OFFERED,
    TAKEN,
    Taken,
    TransferStore,
    display_name,
)

if TYPE_CHECKING:
    from frontdesk.calls import CallStore
    from frontdesk.lifecycle import HelpDesk

log = logging.getLogger(__name__)

CONNECTING = "Of course, I'm connecting you with someone from the team now. Please hold on a moment."
STILL_WAITING = "I'm still trying to reach someone for you; please hold on."
WELCOME_BACK = "Hi again, it's the receptionist. Is there anything else I can help you with?"
SORRY = {EXPIRED: "I'm sorry, I couldn't reach anyone just now.",
         DECLINED: "I'm sorry, nobody on the team can take your call just now.",
         FAILED: "I'm sorry, the transfer didn't go through.",
         "nobody": "I'm sorry, there's nobody free to take your call right now."}
FALLBACK_RETRY_SECONDS = 30.0
MAX_TRANSFER_ID = 2**31 - 1  # PostgreSQL INTEGER: a bigger id does not exist (and must not reach the driver)


class TransferDesk:
    """Live handoff for text and voice calls (every change an event, see `TransferStore`)."""

    def __init__(self, store: TransferStore, desk: HelpDesk, calls: CallStore) -> None:
        self.store, self.desk, self.calls = store, desk, calls
        self.db, self.clock, self.settings = store.db, store.clock, store.settings

    # -- asking for a person --------------------------------------------------------------------
    def online_ids(self) -> list[int]:
        """Ids of the supervisors online now."""
        with self.db.read() as s:
            return [sup.id for sup in online_supervisors(s, self.clock.now(), self.settings)]

    def request(self, call_id: str, reason: str, text: str) -> tuple[str, Transfer | None]:
        """The caller should reach a person (`reason` decided in code): offer the call to whoever is
        online, or with nobody online, fall back at once. Returns what to tell the caller and the offer.

        One read (active offer, call, transcript, who is online) and one short write (the offer; on
        SQLite the write lock is held only for that), and the dashboards are woken as soon as it commits:
        with many calls asking at once these turns queue on the hub's one database thread.
        """
        now = self.clock.now()
        with self.db.read() as s:
            active = s.scalar(select(Transfer).where(Transfer.call_id == call_id, Transfer.status.in_((OFFERED, TAKEN)))
                              .order_by(Transfer.id.desc()))
            if active is not None:
                return STILL_WAITING, active
            call = s.get(Call, call_id)
            if call is None:
                raise NotFound("no such call")
            lines = list(s.scalars(select(TranscriptLine).where(TranscriptLine.call_id == call_id)
                                   .order_by(TranscriptLine.id)))
            online = [sup.id for sup in online_supervisors(s, now, self.settings)]
        question = pick_question(text, [x.text for x in lines if x.role == "caller"])
        if not online:
            with self.db.write() as s:
                record_event(s, now, entity="transfer", entity_id=call_id, action="transfer_unavailable",
                             actor="agent", call_id=call_id, reason=reason)
            return self._fallback_now(call, question, "nobody"), None
        caller = mask_phone(call.caller_phone) + (f" · {call.caller_name}" if call.caller_name else "")
        offer = self.store.create_offer(call, reason=reason, question=question, summary=summarize(lines),
                                        caller=caller, offered_to=online)
        return CONNECTING, offer

    def _fallback_now(self, call: Call, question: str, why: str) -> str:
        """Open the help request and return the sentence for the caller (they are told in this turn)."""
        request_id = self._escalate(call, question)
        return self._fallback_text(call, why, request_id is not None)

    def _escalate(self, call: Call, question: str) -> int | None:
        try:
            return self.desk.escalate(question, call_id=call.id, caller_phone=call.caller_phone,
                                      caller_name=call.caller_name).request_id
        except LifecycleError:
            log.exception("fallback help request for call %s failed", call.id)
            return None

    def _fallback_text(self, call: Call, why: str, opened: bool) -> str:
        parts = [SORRY.get(why, SORRY["nobody"])]
        with self.db.read() as s:
            profile = s.get(BusinessProfile, 1)
        now = self.clock.now()
        if profile is not None and not business_hours.is_open(profile, now):
            when = business_hours.next_opening_text(profile, now)
            parts.append(f"We're closed at the moment{'; ' + when if when else ''}.")
        if opened:
            parts.append("I've passed your question to the team,")
            if call.caller_phone:
                parts.append(f"and someone will call you back at the number ending in {call.caller_phone[-4:]}.")
            else:
                parts.append("and someone will call you back. What's the best number to reach you?")
        return " ".join(parts)

    # -- supervisors ----------------------------------------------------------------------------
    def accept(self, transfer_id: int, sup: Supervisor) -> Taken:
        """First accept wins (`Conflict` for the others; `NotFound` for an unknown id)."""
        if not 1 <= transfer_id <= MAX_TRANSFER_ID:
            raise NotFound(f"transfer {transfer_id} does not exist")
        return self.store.accept(transfer_id, sup)

    def accept_for(self, transfer_id: int, sup: Supervisor) -> dict[str, Any]:
        """Accept for a supervisor's client (the API and the dashboard both call this): `taken_dict`."""
        return self.taken_dict(self.accept(transfer_id, sup), sup)

    def takeover_for(self, call_id: str, sup: Supervisor) -> dict[str, Any]:
        """Take over a live call for a supervisor's client: `taken_dict`."""
        return self.taken_dict(self.takeover(call_id, sup), sup)

    def taken_dict(self, taken: Taken, sup: Supervisor) -> dict[str, Any]:
        """What a supervisor's client needs after taking a call: `{id, call_id, transport}`; a voice call
        adds `{livekit_url, room, token}` for the caller's room (the agent introduces the supervisor
        and leaves when they join)."""
        out: dict[str, Any] = {"id": taken.transfer_id, "call_id": taken.call_id, "transport": taken.transport}
        if taken.transport == "voice" and self.settings.livekit_configured and taken.room_name:
            from frontdesk.agent.tokens import access_token  # LiveKit's SDK loads only for voice

            out.update(livekit_url=self.settings.livekit_url, room=taken.room_name,
                       token=access_token(self.settings, room=taken.room_name, identity=f"supervisor-{sup.id}",
                                          name=display_name(sup), attributes={"role": "supervisor"}))
        return out

    def decline(self, transfer_id: int, sup: Supervisor) -> str:
        """Decline; when everyone online has declined, the caller gets the fallback at once."""
        if not 1 <= transfer_id <= MAX_TRANSFER_ID:
            raise NotFound(f"transfer {transfer_id} does not exist")
        if self.store.decline(transfer_id, sup, self.online_ids()):
            self.fallback(transfer_id)
            return DECLINED
        return self.store.get(transfer_id).status

    def takeover(self, call_id: str, sup: Supervisor) -> Taken:
        """Take a live call without an offer (`Conflict` when someone holds it or it ended)."""
        return self.store.takeover(call_id, sup)

    def _holding(self, call_id: str, sup: Supervisor) -> None:
        held = self.store.held_by(call_id)
        if held is None or held[0] != sup.id:
            raise Conflict("you are not holding this call", status="live" if held else "not_held")

    def say(self, call_id: str, sup: Supervisor, text: str) -> None:
        """A supervisor's line to the caller they hold (a `supervisor` line in the transcript)."""
        text = clean(text, MAX_SUPERVISOR_LINE)
        if not text:
            raise InvalidInput("'text' is empty")
        held_calls.say_if_holding(self.db, self.clock, self.store.signals, call_id, sup.id, "supervisor", text)

    def release(self, call_id: str, sup: Supervisor) -> None:
        """Hand the call back to the receptionist, which greets the caller again."""
        self._holding(call_id, sup)
        active = self.store.active_for_call(call_id)
        if active is None or not self.store.finish(active.id, ENDED, sup.email, "released", (TAKEN,)):
            raise Conflict("you are not holding this call", status="not_held")
        self.calls.add_lines(call_id, [("agent", WELCOME_BACK, self.clock.now())], bump=True)
        held_calls.notify(self.store.signals, call_id)

    def caller_line_if_held(self, call_id: str, text: str) -> str | None:
        """While a supervisor holds the call, the caller's line goes to them (the receptionist stays
        silent): returns the supervisor's name, or None when nobody holds the call."""
        return held_calls.line_if_held(self.db, self.clock, self.store.signals, call_id, "caller", text)

    # -- outcomes -------------------------------------------------------------------------------
    def fail(self, transfer_id: int, detail: str) -> bool:
        """The transfer could not be completed (e.g. a SIP transfer error): fallback."""
        if self.store.finish(transfer_id, FAILED, "system", detail, (OFFERED, TAKEN)):
            self.fallback(transfer_id)
            return True
        return False

    def sweep(self) -> int:
        """Expire offers past their deadline (each falls back), and redo fallbacks a dead process left."""
        done = 0
        for tid in self.store.due():
            if self.store.finish(tid, EXPIRED, "system", "nobody accepted in time"):
                self.fallback(tid)
                done += 1
        for tid in self.store.fallback_pending(FALLBACK_RETRY_SECONDS):
            self.fallback(tid)
        return done

    def fallback(self, transfer_id: int) -> None:
        """Open the help request and tell the caller (the process that made the outcome does this)."""
        t = self.store.get(transfer_id)
        try:
            call = self.calls.get(t.call_id)
        except NotFound:
            return
        request_id = self._escalate(call, t.question or "The caller asked to speak to someone.")
        text = self._fallback_text(call, t.status, request_id is not None)
        now = self.clock.now()
        with self.db.write() as s:
            s.execute(update(Transfer).where(Transfer.id == transfer_id)
                      .values(help_request_id=request_id, told=text).execution_options(synchronize_session=False))
            record_event(s, now, entity="transfer", entity_id=transfer_id, action="transfer_fallback", actor="system",
                         help_request_id=request_id, call_id=t.call_id, outcome=t.status)
            live = s.scalar(select(Call.status).where(Call.id == t.call_id)) == "live"
        if live and call.channel == "text":
            self.calls.add_lines(t.call_id, [("agent", text, now)], bump=True)
            held_calls.notify(self.store.signals, t.call_id)
        log.info("transfer %s %s: fallback help request %s", transfer_id, t.status, request_id)


def pick_question(text: str, caller_lines: list[str]) -> str:
    """The caller's question for the brief and the fallback: their message, unless it only asks for a
    person ("can I talk to someone?"), then their last earlier message that asked something else."""
    text = clean(text, 2000)
    if wants_person(text) and len(text.split()) <= 10:
        for line in reversed(caller_lines):
            if line.strip() and line.strip() != text and not wants_person(line) and len(line.split()) >= 3:
                return clean(line, 2000)
    return text


def summarize(lines: Sequence[object]) -> str:
    """Two lines on the call so far: what the caller said, and the receptionist's last reply."""
    said = [clean(getattr(x, "text", ""), 90) for x in lines if getattr(x, "role", "") == "caller"]
    replies = [clean(getattr(x, "text", ""), 120) for x in lines if getattr(x, "role", "") == "agent"]
    first = f"Caller ({len(said)} message{'s' if len(said) != 1 else ''}): " + (" / ".join(said[-2:]) or "-")
    return first + "\nReceptionist: " + (replies[-1] if replies else "-")


__all__ = ["TransferDesk", "display_name", "pick_question", "summarize"]
