"""The declarative base, the state vocabularies guarded by CHECK constraints, and id helpers."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.orm import DeclarativeBase

PENDING, RESOLVED, UNRESOLVED = "pending", "resolved", "unresolved"
REQUEST_STATUSES = (PENDING, RESOLVED, UNRESOLVED)
OUTCOMES = ("answered", "late_answer", "timeout", "closed")
KB_SOURCES = ("seed", "learned", "manual", "import")
KB_STATUSES = ("active", "pending_review", "archived")
FOLLOWUP_STATUSES = ("queued", "sent", "failed", "dead", "cancelled")
CALL_ROLES = ("caller", "agent", "supervisor", "system")
AVAILABILITY = ("online", "away", "offline")


def one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK constraint: `column` holds one of `values`."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def new_call_id() -> str:
    """Unguessable call ids: the call API is public, so ids must not be enumerable."""
    return uuid.uuid4().hex


def table_of(model: type[Base]) -> Table:
    """The Core table of a model, for hot paths that skip the ORM's unit of work."""
    return model.__table__  # type: ignore[return-value]


class Base(DeclarativeBase):
    """Declarative base of every model."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}
