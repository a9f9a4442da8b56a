"""Supervisor availability: `online`, `away` or `offline`, kept alive by heartbeats.

A supervisor chooses a status (dashboard nav, `PUT /api/v1/me/availability`); an open dashboard tab
(or an API client) beats `POST /api/v1/me/heartbeat`. `online` only counts while the last beat is
younger than `PRESENCE_TIMEOUT_SECONDS`: the lapse to `offline` is computed against the injectable
clock at read time, so no background job has to flip rows and every process agrees. A beat after a
lapse brings a supervisor who chose `online` back (their tab is open again); `away` and `offline` are
never changed by beats, only by the supervisor.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from frontdesk.audit import record_event
from frontdesk.db import Database
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.models import AVAILABILITY, Supervisor
from frontdesk.settings import Settings

ONLINE, AWAY, OFFLINE = AVAILABILITY


def _cutoff(now: datetime, settings: Settings) -> datetime:
    return now - timedelta(seconds=settings.presence_timeout_seconds)


def effective_availability(sup: Supervisor, now: datetime, settings: Settings) -> str:
    """The status others see: a chosen `online` without a fresh heartbeat has lapsed to `offline`."""
    if sup.availability == ONLINE and (sup.last_seen_at is None or sup.last_seen_at < _cutoff(now, settings)):
        return OFFLINE
    return sup.availability if sup.availability in AVAILABILITY else OFFLINE


def online_supervisors(session: Session, now: datetime, settings: Settings) -> list[Supervisor]:
    """Active supervisors who are online at `now` (chose `online` and beat within the timeout), by id."""
    return list(session.scalars(
        select(Supervisor)
        .where(Supervisor.is_active.is_(True), Supervisor.availability == ONLINE,
               Supervisor.last_seen_at >= _cutoff(now, settings))
        .order_by(Supervisor.id)
    ))


def supervisor_dict(sup: Supervisor, now: datetime, settings: Settings) -> dict[str, Any]:
    """The public JSON shape of a supervisor (`GET /api/v1/supervisors`)."""
    return {
        "id": sup.id, "email": sup.email, "name": sup.name, "phone": sup.phone or "",
        "availability": effective_availability(sup, now, settings),
        "last_seen_at": sup.last_seen_at.isoformat() + "Z" if sup.last_seen_at else None,
    }


def list_supervisors(session: Session, now: datetime, settings: Settings) -> list[dict[str, Any]]:
    """Every active supervisor with their effective availability, online ones first, then by name."""
    rank = {ONLINE: 0, AWAY: 1, OFFLINE: 2}
    rows = [supervisor_dict(s, now, settings) for s in
            session.scalars(select(Supervisor).where(Supervisor.is_active.is_(True)).order_by(Supervisor.id))]
    return sorted(rows, key=lambda r: (rank[r["availability"]], r["name"].lower(), r["id"]))


def check_status(status: Any) -> str:
    """`status` if it is one of `online`, `away`, `offline`; else `InvalidInput` (a 400)."""
    if not isinstance(status, str) or status not in AVAILABILITY:
        raise InvalidInput(f"'status' must be one of {', '.join(AVAILABILITY)}")
    return status


def set_availability(db: Database, now: datetime, supervisor_id: int, status: Any) -> str:
    """Set a supervisor's chosen status (an event when it changes); choosing `online` counts as a beat."""
    status = check_status(status)
    with db.write() as s:
        sup = s.get(Supervisor, supervisor_id)
        if sup is None:
            raise NotFound(f"supervisor {supervisor_id} does not exist")
        before = sup.availability
        sup.availability = status
        sup.last_seen_at = now
        if before != status:
            record_event(s, now, entity="supervisor", entity_id=sup.id, action="availability",
                         actor=sup.email, status=status, before=before)
    return status


def heartbeat(db: Database, now: datetime, supervisor_id: int, settings: Settings) -> str:
    """Record that the supervisor is at their dashboard; returns their effective status afterwards."""
    with db.write() as s:
        s.execute(update(Supervisor).where(Supervisor.id == supervisor_id).values(last_seen_at=now))
        sup = s.get(Supervisor, supervisor_id)
        if sup is None:
            raise NotFound(f"supervisor {supervisor_id} does not exist")
        return effective_availability(sup, now, settings)
