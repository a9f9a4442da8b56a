"""Calls and their transcripts; `CallStore` also carries holders (`call_holders.py`) and in-call
pick-up (`call_pickup.py`).

Whoever holds a live call (the text-call hub of any `serve` process, or a LiveKit job) records it
here, beats `last_seen_at` so lifecycle knows the caller can still be told things in-call, and claims
the `in_call` follow-ups of its calls with one conditional update, so an answer is said once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from frontdesk.call_holders import CallHolders, hub_holder_id
from frontdesk.call_pickup import InCallMessage, InCallPickup, render_in_call
from frontdesk.clock import Clock
from frontdesk.db import Database
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.models import (
    Call,
    Caller,
    Event,
    HelpRequest,
    HelpRequestCaller,
    TranscriptLine,
)
from frontdesk.settings import Settings
from frontdesk.text import clean, mask_phone, valid_phone
from frontdesk.transfers import close_for_call

log = logging.getLogger(__name__)

LIVE, ENDED = "live", "ended"
TRANSCRIPT_ROLES = ("caller", "agent", "supervisor")
MAX_LINE_CHARS = 4000
MAX_NAME_CHARS = 200


def call_dict(call: Call, lines: list[TranscriptLine]) -> dict[str, Any]:
    """The public JSON shape of a call (`GET /api/v1/calls/{id}`)."""
    return {
        "id": call.id,
        "status": call.status,
        "channel": call.channel,
        "started_at": call.started_at.isoformat(),
        "ended_at": call.ended_at.isoformat() if call.ended_at else None,
        "transcript": [
            {"role": line.role, "text": line.text, "at": line.at.isoformat()}
            for line in lines
            if line.role in TRANSCRIPT_ROLES
        ],
    }


def line_rows(call_id: str, lines: list[tuple[str, str, datetime]]) -> list[dict[str, Any]]:
    """Transcript rows for `lines` `(role, text, at)`: texts cleaned and bounded, empty ones left out."""
    rows = [{"call_id": call_id, "role": role, "text": clean(text, MAX_LINE_CHARS), "at": at}
            for role, text, at in lines]
    return [r for r in rows if r["text"]]


def write_lines(s: Session, call_id: str, rows: list[dict[str, Any]], bump: bool = False) -> None:
    """Insert `rows` (from `line_rows`) in the caller's transaction; nothing when there are none.

    `bump`: the lines were not said by the call's agent session (a supervisor's line, the caller's
    line while held, a line written by another process), so the call's version moves on and
    whichever process serves its next turn rebuilds the session from the transcript.
    """
    if rows:
        s.execute(insert(TranscriptLine), rows)
        if bump:
            s.execute(update(Call).where(Call.id == call_id).values(version=Call.version + 1)
                      .execution_options(synchronize_session=False))


__all__ = [
    "CallStore", "InCallMessage", "call_dict", "hub_holder_id", "line_rows", "render_in_call", "write_lines",
]


class CallStore(CallHolders, InCallPickup):
    """Records calls, decides who holds them, and hands their in-call follow-ups to the holder."""

    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db, self.clock, self.settings = db, clock, settings

    # -- calls ----------------------------------------------------------------------------------
    def start(self, *, channel: str, holder: str, caller_phone: str = "", caller_name: str = "",
              room_name: str | None = None, call_id: str | None = None) -> Call:
        """Open a live call held by `holder`; the phone is kept only when it looks dialable."""
        phone = clean(caller_phone, 40)
        if phone and not valid_phone(phone):
            raise InvalidInput("caller_phone is not a valid phone number")
        name = clean(caller_name, MAX_NAME_CHARS)
        now = self.clock.now()
        with self.db.write() as s:
            caller_id = self._caller_id(s, phone, name, now) if phone else None
            call = Call(channel=channel, status=LIVE, caller_id=caller_id, caller_phone=phone,
                        caller_name=name, room_name=room_name, holder=holder, started_at=now, last_seen_at=now,
                        last_active_at=now, version=0)
            if call_id:
                call.id = call_id
            s.add(call)
            s.flush()
        log.info("call %s started (%s, caller %s)", call.id, channel, mask_phone(phone))
        return call

    @staticmethod
    def _caller_id(s: Any, phone: str, name: str, now: datetime) -> int | None:
        found = s.scalar(select(Caller).where(Caller.phone == phone))
        if found is None:
            try:
                with s.begin_nested():
                    found = Caller(phone=phone, name=name, created_at=now)
                    s.add(found)
            except IntegrityError:  # another call from the same number created it first
                found = s.scalar(select(Caller).where(Caller.phone == phone))
        elif name and not found.name:
            found.name = name
        return found.id if found is not None else None

    def get(self, call_id: str) -> Call:
        """One call or NotFound."""
        with self.db.read() as s:
            call = s.get(Call, str(call_id)[:64])
        if call is None:
            raise NotFound("no such call")
        return call

    def transcript(self, call_id: str) -> list[TranscriptLine]:
        """The lines of a call in the order they were said."""
        with self.db.read() as s:
            return list(s.scalars(
                select(TranscriptLine).where(TranscriptLine.call_id == call_id).order_by(TranscriptLine.id)
            ))

    def add_line(self, call_id: str, role: str, text: str) -> None:
        """Append one transcript line (bounded)."""
        self.add_lines(call_id, [(role, text, self.clock.now())])

    def add_lines(self, call_id: str, lines: list[tuple[str, str, datetime]], bump: bool = False) -> None:
        """Append transcript lines `(role, text, at)` in one transaction (bounded texts); `bump` as in
        `write_lines`. No transaction is opened when every text is empty."""
        rows = line_rows(call_id, lines)
        if rows:
            with self.db.write() as s:
                write_lines(s, call_id, rows, bump)

    def finish_turn(self, call_id: str, holder: str, version: int, lines: list[tuple[str, str, datetime]],
                    state: dict[str, Any] | None = None, touch: bool = False,
                    within: Callable[[Session], None] | None = None) -> None:
        """Everything a text-call turn leaves behind, in one transaction: its transcript lines, the agent
        state when it changed (only while `holder` still holds the call at `version`, as `save_state`),
        the caller's activity when due (`touch`, as `touch`), and `within(session)` (the turn's usage
        counts). One write instead of three or four keeps the hub's one database thread free."""
        rows = line_rows(call_id, lines)
        if not rows and state is None and not touch and within is None:
            return
        with self.db.write() as s:
            write_lines(s, call_id, rows)
            if state is not None:
                s.execute(update(Call).where(Call.id == call_id, Call.holder == holder, Call.version == version)
                          .values(state=state).execution_options(synchronize_session=False))
            if touch:
                s.execute(update(Call).where(Call.id == call_id, Call.status == LIVE)
                          .values(last_active_at=self.clock.now()).execution_options(synchronize_session=False))
            if within is not None:
                within(s)

    def end(self, call_id: str, reason: str = "hangup") -> bool:
        """Mark a live call ended; False if it already was.

        Each pending request this caller waited on gets a `caller_left` event, so dashboards (fed
        from the events table) drop its "on the line" badge and the audit trail shows when.
        """
        now = self.clock.now()
        with self.db.write() as s:
            done = s.execute(
                update(Call).where(Call.id == call_id, Call.status == LIVE)
                .values(status=ENDED, ended_at=now, end_reason=reason[:40])
                .execution_options(synchronize_session=False)
            ).rowcount == 1  # type: ignore[attr-defined]
            waited = s.scalars(
                select(HelpRequestCaller.help_request_id).join(HelpRequest)
                .where(HelpRequestCaller.call_id == call_id, HelpRequest.status == "pending")
            ).all() if done else []
            if done:  # a pending transfer offer is cancelled, a held call's transfer ends
                close_for_call(s, call_id, now, reason)
            if waited:
                s.execute(insert(Event), [
                    {"help_request_id": rid, "entity": "help_request", "entity_id": str(rid), "action": "caller_left",
                     "actor": "caller", "at": now, "details": {"call_id": call_id, "reason": reason[:40]}}
                    for rid in sorted(set(waited))])
        if done:
            log.info("call %s ended (%s)", call_id, reason)
        return done

    # -- caller contact -------------------------------------------------------------------------
    def set_caller_phone(self, call_id: str, phone: str) -> str:
        """Record the caller's phone on the call and on the requests they already wait on."""
        phone = clean(phone, 40)
        if not valid_phone(phone):
            raise InvalidInput("that does not look like a phone number")
        now = self.clock.now()
        with self.db.write() as s:
            call = s.get(Call, call_id)
            if call is None:
                raise NotFound("no such call")
            call.caller_phone = phone
            call.caller_id = self._caller_id(s, phone, call.caller_name, now)
            # Escalated before we knew the number: the text follow-up must reach them.
            s.execute(
                update(HelpRequestCaller)
                .where(HelpRequestCaller.call_id == call_id, HelpRequestCaller.caller_phone == "")
                .values(caller_phone=phone).execution_options(synchronize_session=False)
            )
        return phone

    def set_caller_name(self, call_id: str, name: str) -> str:
        """Record the caller's name on the call and on the requests they wait on."""
        name = clean(name, MAX_NAME_CHARS)
        if not name:
            raise InvalidInput("the name is empty")
        with self.db.write() as s:
            call = s.get(Call, call_id)
            if call is None:
                raise NotFound("no such call")
            call.caller_name = name
            s.execute(
                update(HelpRequestCaller)
                .where(HelpRequestCaller.call_id == call_id, HelpRequestCaller.caller_name == "")
                .values(caller_name=name).execution_options(synchronize_session=False)
            )
        return name
