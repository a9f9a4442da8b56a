"""Follow-ups for people: listing their delivery status and re-sending one by hand."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update

from frontdesk import outbox
from frontdesk.audit import record_event
from frontdesk.clock import Clock
from frontdesk.db import Database
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.models import FOLLOWUP_STATUSES, Followup
from frontdesk.notifications.incall import caller_phone
from frontdesk.settings import Settings
from frontdesk.text import mask_phone, valid_phone

log = logging.getLogger(__name__)

RESENDABLE = ("sent", "failed", "dead")
MAX_LIST = 1000


def display_recipient(channel: str, recipient: str) -> str:
    """Who a follow-up goes to, safe for lists: phone numbers masked, webhooks by host only."""
    if channel == "webhook":
        return "webhook " + (urlsplit(recipient).hostname or "?")
    if channel == outbox.IN_CALL:
        return "in call " + recipient[:8]
    if valid_phone(recipient):
        return mask_phone(recipient)
    return recipient[:40] or "unknown"


def _iso(value: Any) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def followup_json(row: Followup) -> dict[str, Any]:
    """The API shape of one follow-up."""
    return {
        "id": row.id,
        "help_request_id": row.help_request_id,
        "kind": row.kind,
        "channel": row.channel,
        "recipient": display_recipient(row.channel, row.recipient),
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "created_at": _iso(row.created_at),
        "sent_at": _iso(row.sent_at),
        "next_attempt_at": _iso(row.next_attempt_at) if row.status in ("queued", "failed") else None,
        "resends": int((row.payload or {}).get("resends", 0)),
    }


def list_followups(
    db: Database, help_request_id: int | None = None, status: str | None = None, limit: int = 200
) -> list[Followup]:
    """Follow-ups, oldest first, optionally of one request and/or in one status."""
    if status is not None and status not in FOLLOWUP_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(FOLLOWUP_STATUSES)}")
    query = select(Followup).order_by(Followup.id).limit(max(1, min(limit, MAX_LIST)))
    if help_request_id is not None:
        query = query.where(Followup.help_request_id == help_request_id)
    if status is not None:
        query = query.where(Followup.status == status)
    with db.read() as s:
        return list(s.scalars(query))


def resend(db: Database, clock: Clock, settings: Settings, followup_id: int, by: str) -> Followup:
    """Queue a new attempt of a sent, failed or dead follow-up (with a fresh delivery id); an event records it.

    A follow-up already queued or being sent right now is a conflict. A spoken in-call follow-up is
    re-sent as a text to the caller's phone.
    """
    now = clock.now()
    with db.write() as s:
        row = s.get(Followup, followup_id)
        if row is None:
            raise NotFound(f"follow-up {followup_id} does not exist")
        busy = row.claimed_until is not None and row.claimed_until > now
        if row.status not in RESENDABLE or busy:
            raise Conflict(f"follow-up {followup_id} is already queued for delivery", status=row.status)
        previous = {"status": row.status, "attempts": row.attempts, "last_error": row.last_error}
        resends = int((row.payload or {}).get("resends", 0)) + 1
        values: dict[str, Any] = {
            "status": "queued", "attempts": 0, "next_attempt_at": now, "last_error": None, "sent_at": None,
            "claimed_by": None, "claimed_until": None, "payload": {**(row.payload or {}), "resends": resends},
        }
        if row.channel == outbox.IN_CALL:
            values.update(channel=outbox.caller_text_channel(settings),
                          recipient=caller_phone(s, row.help_request_id, row.call_id))
        result = s.execute(
            update(Followup)
            .where(Followup.id == followup_id, Followup.status.in_(RESENDABLE),
                   or_(Followup.claimed_until.is_(None), Followup.claimed_until <= now))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"follow-up {followup_id} changed meanwhile; try again", status=row.status)
        record_event(s, now, entity="followup", entity_id=followup_id, help_request_id=row.help_request_id,
                     action="followup_resend", actor=by, **previous)
        s.expire(row)
        s.refresh(row)
    log.info("follow-up #%d re-queued by %s (was %s)", followup_id, by, previous["status"])
    return row
