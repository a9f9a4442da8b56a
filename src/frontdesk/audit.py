"""The audit trail: `record_event` appends one row to `events` inside the caller's transaction.

Every state change (help requests, knowledge, accounts, follow-ups) records its event here, in the
same transaction as the change itself, so the trail never disagrees with the state. It is a prebuilt
Core insert: the lifecycle's hot paths skip ORM unit-of-work overhead (see bench/lifecycle).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from frontdesk.models import Event, table_of

_INSERT_EVENT = insert(table_of(Event))


def record_event(
    session: Session,
    now: datetime,
    *,
    entity: str,
    entity_id: Any,
    action: str,
    actor: str,
    help_request_id: int | None = None,
    **details: Any,
) -> None:
    """Append one row to the audit trail."""
    session.execute(
        _INSERT_EVENT,
        {
            "help_request_id": help_request_id,
            "entity": entity,
            "entity_id": str(entity_id),
            "action": action,
            "actor": actor,
            "at": now,
            "details": details,
        },
    )
