"""Supervisor reminders: a request still pending at half its deadline is alerted again, once.

The claim is a conditional update of `reminder_sent` (`... WHERE reminder_sent = false`), so with
several processes exactly one writes the reminder rows; their dedupe keys make it doubly sure.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import DateTime, func, literal, select, update

from frontdesk import outbox
from frontdesk.audit import record_event
from frontdesk.clock import Clock
from frontdesk.db import Database
from frontdesk.models import PENDING, HelpRequest
from frontdesk.settings import Settings
from frontdesk.signals import Signals

log = logging.getLogger(__name__)

BATCH = 500


def _past_half(db: Database, now: Any) -> Any:
    """Half the deadline has passed (time left <= time elapsed), in each dialect's date arithmetic."""
    if db.is_sqlite:
        return func.julianday(HelpRequest.created_at) + func.julianday(HelpRequest.expires_at) <= (
            2 * func.julianday(now)
        )
    return HelpRequest.expires_at - now <= literal(now, DateTime) - HelpRequest.created_at


def send_reminders(db: Database, clock: Clock, settings: Settings, signals: Signals | None = None) -> int:
    """Queue a reminder for every pending request past half its deadline not yet reminded; returns how many."""
    if not settings.supervisor_reminder_enabled:
        return 0
    now = clock.now()
    due = (
        HelpRequest.status == PENDING,
        HelpRequest.reminder_sent.is_(False),
        HelpRequest.expires_at > now,
        _past_half(db, now),
    )
    with db.read() as s:
        candidates = list(s.scalars(select(HelpRequest.id).where(*due).order_by(HelpRequest.id).limit(BATCH)))
    if not candidates:
        return 0
    with db.write() as s:
        ids = list(
            s.scalars(
                update(HelpRequest)
                .where(HelpRequest.id.in_(candidates), HelpRequest.status == PENDING,
                       HelpRequest.reminder_sent.is_(False))
                .values(reminder_sent=True)
                .returning(HelpRequest.id)
                .execution_options(synchronize_session=False)
            )
        )
        for request_id in ids:
            outbox.enqueue_supervisor_alerts(s, request_id, settings, now, kind=outbox.SUPERVISOR_REMINDER)
            record_event(s, now, entity="help_request", entity_id=request_id, help_request_id=request_id,
                         action="reminder_queued", actor="dispatcher")
    if ids:
        log.info("reminders: %d pending request(s) past half their deadline", len(ids))
        if signals is not None:
            signals.publish("followup")
    return len(ids)
