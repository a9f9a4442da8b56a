"""In-call pick-up: the holder of a live call claims its `in_call` follow-ups, so each is said once.

Two steps: a claim (a speaking lease on the row) before saying, and `confirm_in_call` (status `sent`)
after the text was said and recorded, so a notice is never marked said without having been said.

The claim is one conditional update (`status = 'queued' AND channel = 'in_call'`); with a `holder`
it also requires that the claimer still holds the live call, so after a text call moved to another
`serve` process only the new holder says its answers (and the old one stops picking them up).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, bindparam, exists, or_, select, update

from frontdesk import outbox
from frontdesk.models import BusinessProfile, Call, Followup, HelpRequest, table_of
from frontdesk.settings import Settings

if TYPE_CHECKING:
    from frontdesk.clock import Clock
    from frontdesk.db import Database


@dataclass(frozen=True)
class InCallMessage:
    """An `in_call` follow-up claimed for saying into its call."""

    followup_id: int
    call_id: str
    kind: str
    text: str
    claim: str = ""  # the claim token `confirm_in_call` needs once the text was said


#: How long a holder may take to say one claimed notice (TTS of a long answer) before others may retry it.
SPEAK_LEASE_SECONDS = 60


def _not_being_said(now: datetime) -> ColumnElement[bool]:
    return or_(Followup.claimed_until.is_(None), Followup.claimed_until < now)


def _held_by(holder: str):  # type: ignore[no-untyped-def]
    # Not while a supervisor holds the call (live handoff): the receptionist stays silent, and the
    # dispatcher texts the follow-up instead once IN_CALL_PICKUP_SECONDS pass.
    return exists().where(Call.id == Followup.call_id, Call.holder == holder, Call.status == "live",
                          Call.held_by_id.is_(None))


_FOLLOWUPS, _CALLS = table_of(Followup), table_of(Call)
_QUEUED_HELD = (
    select(_FOLLOWUPS.c.id, _FOLLOWUPS.c.call_id)
    .join(_CALLS, _CALLS.c.id == _FOLLOWUPS.c.call_id)
    .where(_FOLLOWUPS.c.channel == outbox.IN_CALL, _FOLLOWUPS.c.status == "queued",
           or_(_FOLLOWUPS.c.claimed_until.is_(None), _FOLLOWUPS.c.claimed_until < bindparam("now")),
           _CALLS.c.holder == bindparam("holder"), _CALLS.c.status == "live", _CALLS.c.held_by_id.is_(None))
    .order_by(_FOLLOWUPS.c.id)
)


class InCallPickup:
    """The in-call half of `CallStore` (needs `db`, `clock`, `settings`)."""

    db: Database
    clock: Clock
    settings: Settings

    def queued_in_call(self, call_ids: list[str], holder: str | None = None) -> list[tuple[int, str]]:
        """(id, call id) of queued `in_call` follow-ups for these calls (uses ix_followups_incall);
        with `holder`, only of the calls it still holds."""
        if not call_ids:
            return []
        query = select(Followup.id, Followup.call_id).where(
            Followup.channel == outbox.IN_CALL, Followup.status == "queued", Followup.call_id.in_(call_ids),
            _not_being_said(self.clock.now()),
        )
        if holder is not None:
            query = query.where(_held_by(holder))
        with self.db.read() as s:
            rows = s.execute(query.order_by(Followup.id)).all()
        return [(r.id, r.call_id) for r in rows]

    def queued_for_holder(self, holder: str) -> list[tuple[int, str]]:
        """(id, call id) of queued `in_call` follow-ups of every live call `holder` holds: the hub's
        in-call poll. One prebuilt Core statement, however many calls (ix_followups_incall finds the
        queued rows, the call's primary key checks the holder)."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(_QUEUED_HELD, {"holder": holder, "now": self.clock.now()}).all()
        return [(r.id, r.call_id) for r in rows]

    def claim_in_call(self, followup_id: int, holder: str | None = None) -> InCallMessage | None:
        """Claim one `in_call` row for saying (only if still queued and in-call, not being said by
        someone else, and with `holder`, only while it holds the live call) and return what to say.

        The row stays `queued` under a speaking lease (`claimed_until`, SPEAK_LEASE_SECONDS) until
        `confirm_in_call` marks it sent, after the text was said and written to the transcript. If the
        holder dies or the caller hangs up meanwhile, the dispatcher texts it instead (call ended, or
        holder silent), so an answer is never marked said without having been said.
        """
        now = self.clock.now()
        cond = [Followup.id == followup_id, Followup.status == "queued", Followup.channel == outbox.IN_CALL,
                _not_being_said(now)]
        if holder is not None:
            cond.append(_held_by(holder))
        token = f"{holder or 'in_call'}:{secrets.token_hex(4)}"[-100:]
        with self.db.write() as s:
            won = s.execute(
                update(Followup).where(*cond)
                .values(claimed_by=token, claimed_until=now + timedelta(seconds=SPEAK_LEASE_SECONDS),
                        attempts=Followup.attempts + 1)
                .execution_options(synchronize_session=False)
            ).rowcount == 1  # type: ignore[attr-defined]
            if not won:
                return None
            row = s.get_one(Followup, followup_id)
            request = s.get(HelpRequest, row.help_request_id) if row.help_request_id else None
            business = s.scalar(select(BusinessProfile.name).where(BusinessProfile.id == 1)) or "the salon"
            name = s.scalar(select(Call.caller_name).where(Call.id == row.call_id)) or ""
            text = render_in_call(row.kind, request, business, self.settings, name)
            row.body = text
            return InCallMessage(followup_id, row.call_id or "", row.kind, text, token)

    def confirm_in_call(self, message: InCallMessage) -> bool:
        """Mark a claimed row sent once its text was said (False if the dispatcher texted it meanwhile:
        the caller hung up or the holder went silent while it was being said; they get the text too).
        Also False once the call has ended: a hang-up can cut the notice off, and the dispatcher's
        reroute of an ended call's row may not have run yet; it texts the row then."""
        live_call = select(Call.id).where(Call.id == message.call_id, Call.status == "live")
        with self.db.write() as s:
            return s.execute(
                update(Followup)
                .where(Followup.id == message.followup_id, Followup.status == "queued",
                       Followup.channel == outbox.IN_CALL, Followup.claimed_by == message.claim,
                       Followup.call_id.in_(live_call))
                .values(status="sent", sent_at=self.clock.now(), claimed_until=None)
                .execution_options(synchronize_session=False)
            ).rowcount == 1  # type: ignore[attr-defined]


def render_in_call(kind: str, request: HelpRequest | None, business: str, settings: Settings,
                   caller_name: str = "") -> str:
    """What the agent says in the call for a caller follow-up (timeouts and closes use the MSG_* texts)."""
    if request is None:
        return "I have an update from my supervisor, but I couldn't find the details. We'll text you."
    if kind == outbox.CALLER_ANSWER:
        return f"Good news, I heard back from my supervisor: {request.answer or ''}".strip()
    return outbox.render(kind, request, business, settings, caller_name=caller_name)
