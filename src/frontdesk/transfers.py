"""Live handoff: a call offered to the online supervisors, taken by exactly one, held, handed back.

A transfer is a row with an explicit state machine (`offered -> taken | declined | expired | cancelled
| failed`, `taken -> ended | failed`); every change is one conditional update plus its event, in one
transaction, so the first accept wins (a second gets `Conflict`, the API's 409) and every transfer and
its outcome is in the audit trail (invariant 2). While a supervisor holds a call, `calls.held_by` names
them: the receptionist stays silent and the caller's lines go to the supervisor. Offers nobody takes in
`TRANSFER_TIMEOUT_SECONDS`, declined by everyone online, or failing, fall back to the phase 1 path
(`transfer_fallback.py`): a help request with the caller's question, and the caller told.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from frontdesk.audit import record_event
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.models import TRANSFER_STATUSES, Call, Supervisor, Transfer
from frontdesk.text import clean

if TYPE_CHECKING:
    from frontdesk.clock import Clock
    from frontdesk.db import Database
    from frontdesk.settings import Settings
    from frontdesk.signals import Signals

log = logging.getLogger(__name__)

OFFERED, TAKEN, DECLINED, EXPIRED, CANCELLED, FAILED, ENDED = (
    "offered", "taken", "declined", "expired", "cancelled", "failed", "ended")

FALLBACK_STATUSES = (DECLINED, EXPIRED, FAILED)  # the caller is told and a help request opened
REASONS = ("asked_for_person", "urgent", "escalated_twice", "takeover")
MAX_SUPERVISOR_LINE = 2000


def display_name(sup: Supervisor) -> str:
    """How a supervisor is named to callers and colleagues."""
    return sup.name or sup.email.split("@")[0]


def transfer_dict(t: Transfer) -> dict[str, Any]:
    """The public JSON shape of a transfer (`GET /api/v1/transfers`)."""
    def iso(v: datetime | None) -> str | None:
        return v.isoformat() + "Z" if v else None

    return {"id": t.id, "call_id": t.call_id, "status": t.status, "reason": t.reason, "transport": t.transport,
            "caller": t.caller, "question": t.question, "summary": t.summary, "offered_at": iso(t.offered_at),
            "expires_at": iso(t.expires_at), "taken_by": t.taken_by, "help_request_id": t.help_request_id}


@dataclass(frozen=True)
class Taken:
    """A transfer just taken: what the supervisor's client needs next."""

    transfer_id: int
    call_id: str
    transport: str
    room_name: str | None


def _event(s: Session, now: datetime, t: Transfer | int, action: str, actor: str, **details: Any) -> None:
    tid = t if isinstance(t, int) else t.id
    record_event(s, now, entity="transfer", entity_id=tid, action=action, actor=actor, **details)


def close_for_call(s: Session, call_id: str, now: datetime, reason: str) -> None:
    """The call ended (inside `CallStore.end`'s transaction): a pending offer is cancelled (it leaves
    the dashboards live), a held call's transfer ends."""
    rows = s.execute(select(Transfer.id, Transfer.status).where(
        Transfer.call_id == call_id, Transfer.status.in_((OFFERED, TAKEN)))).all()
    for tid, status in rows:
        new = CANCELLED if status == OFFERED else ENDED
        done = s.execute(update(Transfer).where(Transfer.id == tid, Transfer.status == status)
                         .values(status=new, ended_at=now, detail=reason[:40])
                         .execution_options(synchronize_session=False)).rowcount == 1  # type: ignore[attr-defined]
        if done:
            _event(s, now, tid, f"transfer_{new}", "caller" if reason == "hangup" else "system",
                   call_id=call_id, reason=reason[:40])


class TransferStore:
    """The transfer state machine over the database (no fallback work; see `TransferDesk`)."""

    def __init__(self, db: Database, clock: Clock, settings: Settings, signals: Signals) -> None:
        self.db, self.clock, self.settings, self.signals = db, clock, settings, signals

    def get(self, transfer_id: int) -> Transfer:
        """One transfer or NotFound."""
        with self.db.read() as s:
            t = s.get(Transfer, transfer_id)
        if t is None:
            raise NotFound(f"transfer {transfer_id} does not exist")
        return t

    def active_for_call(self, call_id: str) -> Transfer | None:
        """The call's offered or taken transfer, if any."""
        with self.db.read() as s:
            return s.scalar(select(Transfer).where(Transfer.call_id == call_id,
                                                   Transfer.status.in_((OFFERED, TAKEN))).order_by(Transfer.id.desc()))

    def recent(self, status: str | None = None, limit: int = 100, ids: list[int] | None = None) -> list[Transfer]:
        """Transfers, newest first (optionally of one status, and only those in `ids`)."""
        query = select(Transfer).order_by(Transfer.id.desc()).limit(limit)
        if ids is not None:
            query = query.where(Transfer.id.in_(ids))
        if status is not None:
            if status not in TRANSFER_STATUSES:
                raise InvalidInput(f"'status' must be one of {', '.join(TRANSFER_STATUSES)}")
            query = query.where(Transfer.status == status)
        with self.db.read() as s:
            return list(s.scalars(query))

    def create_offer(self, call: Call, *, reason: str, question: str, summary: str, caller: str,
                     offered_to: list[int]) -> Transfer:
        """Offer a live call to the supervisors in `offered_to`; the call's active offer if it has one."""
        now = self.clock.now()
        with self.db.write() as s:
            existing = s.scalar(select(Transfer).where(Transfer.call_id == call.id,
                                                       Transfer.status.in_((OFFERED, TAKEN))))
            if existing is not None:
                return existing
            t = Transfer(call_id=call.id, transport=call.channel, status=OFFERED, reason=reason,
                         question=clean(question, 2000), summary=summary, caller=caller, offered_at=now,
                         expires_at=now + timedelta(seconds=self.settings.transfer_timeout_seconds),
                         offered_to=offered_to, declined_by=[])
            s.add(t)
            s.flush()
            _event(s, now, t, "transfer_offered", "agent", call_id=call.id, reason=reason,
                   transport=call.channel, offered_to=len(offered_to))
        self.signals.publish("help_request", id=None, action="transfer_offered")  # wakes live feeds
        log.info("call %s offered to %d supervisor(s) as transfer %s (%s)", call.id, len(offered_to), t.id, reason)
        return t

    def accept(self, transfer_id: int, sup: Supervisor) -> Taken:
        """Take an offered transfer: exactly one accept wins; the others get Conflict."""
        now = self.clock.now()
        name = display_name(sup)
        with self.db.write() as s:
            won = s.execute(
                update(Transfer).where(Transfer.id == transfer_id, Transfer.status == OFFERED,
                                       Transfer.expires_at > now)
                .values(status=TAKEN, taken_by=name, taken_by_id=sup.id, decided_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount == 1  # type: ignore[attr-defined]
            t = s.get(Transfer, transfer_id)
            if t is None:
                raise NotFound(f"transfer {transfer_id} does not exist")
            if not won:
                raise Conflict("this transfer is no longer offered", status=t.status)
            self._hold(s, t.call_id, sup, name)
            _event(s, now, t, "transfer_taken", sup.email, call_id=t.call_id, by=name)
            taken = Taken(t.id, t.call_id, t.transport, s.scalar(select(Call.room_name).where(Call.id == t.call_id)))
        self.signals.publish("help_request", id=None, action="transfer_taken")
        return taken

    @staticmethod
    def _hold(s: Session, call_id: str, sup: Supervisor, name: str) -> None:
        held = s.execute(
            update(Call).where(Call.id == call_id, Call.status == "live", Call.held_by_id.is_(None))
            .values(held_by_id=sup.id, held_by=name, version=Call.version + 1)
            .execution_options(synchronize_session=False)
        ).rowcount == 1  # type: ignore[attr-defined]
        if not held:
            # Rolls the whole transaction back (the transfer stays as it was).
            raise Conflict("the call has ended or someone else holds it", status="held")

    def takeover(self, call_id: str, sup: Supervisor) -> Taken:
        """Take a live call without an offer (a pending offer is taken with it); Conflict when held."""
        now = self.clock.now()
        name = display_name(sup)
        with self.db.write() as s:
            call = s.get(Call, call_id)
            if call is None:
                raise NotFound("no such call")
            self._hold(s, call_id, sup, name)
            t = s.scalar(select(Transfer).where(Transfer.call_id == call_id, Transfer.status == OFFERED))
            if t is not None:
                t.status, t.taken_by, t.taken_by_id, t.decided_at = TAKEN, name, sup.id, now
            else:
                t = Transfer(call_id=call_id, transport=call.channel, status=TAKEN, reason="takeover",
                             question="", summary="", caller="", offered_at=now, expires_at=now, decided_at=now,
                             taken_by=name, taken_by_id=sup.id, offered_to=[], declined_by=[])
                s.add(t)
            s.flush()
            _event(s, now, t, "transfer_taken", sup.email, call_id=call_id, by=name, takeover=True)
            taken = Taken(t.id, call_id, t.transport, call.room_name)
        self.signals.publish("help_request", id=None, action="transfer_taken")
        return taken

    def decline(self, transfer_id: int, sup: Supervisor, online_ids: list[int]) -> bool:
        """Record `sup`'s decline; True when that made every online supervisor decline (the transfer
        is then `declined`, and the caller must get the fallback now)."""
        now = self.clock.now()
        with self.db.write() as s:
            t = s.get(Transfer, transfer_id)
            if t is None:
                raise NotFound(f"transfer {transfer_id} does not exist")
            if t.status != OFFERED:
                raise Conflict("this transfer is no longer offered", status=t.status)
            declined = sorted(set(t.declined_by or []) | {sup.id})
            s.execute(update(Transfer).where(Transfer.id == transfer_id, Transfer.status == OFFERED)
                      .values(declined_by=declined).execution_options(synchronize_session=False))
            _event(s, now, t, "transfer_declined_by", sup.email, call_id=t.call_id)
            everyone = set(online_ids) | set(t.offered_to or [])
            if not everyone <= set(declined):
                return False
            won = s.execute(update(Transfer).where(Transfer.id == transfer_id, Transfer.status == OFFERED)
                            .values(status=DECLINED, decided_at=now)
                            .execution_options(synchronize_session=False)).rowcount == 1  # type: ignore[attr-defined]
            if won:
                _event(s, now, t, "transfer_declined", "system", call_id=t.call_id)
        self.signals.publish("help_request", id=None, action="transfer_declined")
        return bool(won)

    def finish(self, transfer_id: int, new: str, actor: str, detail: str = "",
               from_statuses: tuple[str, ...] = (OFFERED,)) -> bool:
        """Move a transfer to `new` (expired, failed, ...) if it is still in `from_statuses`; a held
        call is let go. True for the one caller that made the change."""
        now = self.clock.now()
        with self.db.write() as s:
            t = s.get(Transfer, transfer_id)
            if t is None or t.status not in from_statuses:
                return False
            old = t.status
            won = s.execute(update(Transfer).where(Transfer.id == transfer_id, Transfer.status == old)
                            .values(status=new, decided_at=t.decided_at or now, ended_at=now, detail=detail[:40])
                            .execution_options(synchronize_session=False)).rowcount == 1  # type: ignore[attr-defined]
            if not won:
                return False
            if old == TAKEN:
                s.execute(update(Call).where(Call.id == t.call_id, Call.held_by_id == t.taken_by_id)
                          .values(held_by_id=None, held_by=None, version=Call.version + 1)
                          .execution_options(synchronize_session=False))
            _event(s, now, t, f"transfer_{new}", actor, call_id=t.call_id, detail=detail[:40])
        self.signals.publish("help_request", id=None, action=f"transfer_{new}")
        return True

    def due(self) -> list[int]:
        """Offered transfers past their deadline."""
        with self.db.read() as s:
            return list(s.scalars(select(Transfer.id).where(Transfer.status == OFFERED,
                                                            Transfer.expires_at <= self.clock.now())))

    def fallback_pending(self, older_than: float) -> list[int]:
        """Fallback transfers whose help request was never opened (the process doing it died)."""
        cutoff = self.clock.now() - timedelta(seconds=older_than)
        with self.db.read() as s:
            return list(s.scalars(select(Transfer.id).where(
                Transfer.status.in_(FALLBACK_STATUSES), Transfer.help_request_id.is_(None),
                Transfer.told.is_(None), Transfer.decided_at <= cutoff)))

    def held_by(self, call_id: str) -> tuple[int, str] | None:
        """(supervisor id, name) of whoever holds a live call, or None."""
        with self.db.read() as s:
            row = s.execute(select(Call.held_by_id, Call.held_by, Call.status).where(Call.id == call_id)).first()
        if row is None:
            raise NotFound("no such call")
        if row.status != "live" or row.held_by_id is None:
            return None
        return int(row.held_by_id), str(row.held_by or "")
