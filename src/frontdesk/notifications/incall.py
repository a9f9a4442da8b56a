"""In-call follow-ups that nobody will speak: switch them to the caller's text channel.

The holder of a live call marks its `in_call` rows sent with
`... WHERE status = 'queued' AND channel = 'in_call'`; the switch here uses the same condition, so
exactly one of the two wins for each row.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from frontdesk import outbox
from frontdesk.audit import record_event
from frontdesk.clock import Clock
from frontdesk.db import Database
from frontdesk.models import Call, Followup, HelpRequestCaller
from frontdesk.settings import Settings

log = logging.getLogger(__name__)

NO_PHONE = "the caller left the call before hearing this and left no phone number to text"
BATCH = 500


def caller_phone(session: Session, help_request_id: int | None, call_id: str | None) -> str:
    """The phone number of the caller of `call_id` waiting on a request ('' when unknown)."""
    if call_id is None:
        return ""
    phone = session.scalar(
        select(HelpRequestCaller.caller_phone).where(
            HelpRequestCaller.help_request_id == help_request_id, HelpRequestCaller.call_id == call_id
        )
    )
    if not phone:
        phone = session.scalar(select(Call.caller_phone).where(Call.id == call_id))
    return phone or ""


def reroute_in_call(db: Database, clock: Clock, settings: Settings) -> int:
    """Switch `in_call` rows not picked up in time, or whose call ended or whose holder went quiet."""
    now = clock.now()
    pickup = now - timedelta(seconds=settings.in_call_pickup_seconds)
    stale = now - timedelta(seconds=outbox.HEARTBEAT_GRACE_SECONDS)
    query = (
        select(Followup.id, Followup.help_request_id, Followup.call_id, Followup.created_at,
               Call.status.label("call_status"), Call.last_seen_at)
        .outerjoin(Call, Call.id == Followup.call_id)
        .where(
            Followup.channel == outbox.IN_CALL,
            Followup.status == "queued",
            # Not picked up in time (a notice being said under its lease is not late), call gone or
            # ended (also while being said: the caller hung up mid-notice), or holder silent.
            or_(and_(Followup.created_at <= pickup, or_(Followup.claimed_until.is_(None), Followup.claimed_until < now)),
                Call.id.is_(None), Call.status != "live", Call.last_seen_at < stale),
        )
        .limit(BATCH)
    )
    with db.read() as s:
        rows = s.execute(query).all()
    if not rows:
        return 0
    text_channel = outbox.caller_text_channel(settings)
    switched = 0
    with db.write() as s:
        for row in rows:
            reason = _reason(row.call_status, row.last_seen_at, stale)
            phone = caller_phone(s, row.help_request_id, row.call_id)
            values: dict[str, object] = {"channel": text_channel, "recipient": phone, "next_attempt_at": now,
                                         "claimed_by": None, "claimed_until": None}
            if not phone:
                values.update(status="dead", last_error=f"{NO_PHONE} ({reason})")
            result = s.execute(
                update(Followup)
                .where(Followup.id == row.id, Followup.status == "queued", Followup.channel == outbox.IN_CALL)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                continue  # the call's holder spoke it meanwhile
            switched += 1
            record_event(
                s, now, entity="followup", entity_id=row.id, help_request_id=row.help_request_id,
                action="followup_rerouted" if phone else "followup_dead", actor="dispatcher",
                reason=reason, channel=text_channel,
            )
            log.info("follow-up #%d: in-call -> %s (%s)", row.id, text_channel if phone else "dead", reason)
    return switched


def _reason(call_status: str | None, last_seen: datetime | None, stale: datetime) -> str:
    if call_status is None:
        return "call unknown"
    if call_status != "live":
        return "call ended"
    if last_seen is not None and last_seen < stale:
        return "call holder stopped responding"
    return "not picked up in time"
