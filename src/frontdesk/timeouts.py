"""Timing out help requests: the sweep's set-based SQL.

A pending request past its `expires_at` becomes unresolved (outcome `timeout`), with one `timeout`
event and one follow-up per waiting caller, all in the sweep's transaction. It lives apart from
`lifecycle.py` because it is the one transition done in bulk (100k rows in a few statements) with a
strategy per dialect; `HelpDesk.sweep` owns the transaction, the log line and the signals.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Insert, String, bindparam, cast, insert, literal, select, update
from sqlalchemy.orm import Session

from frontdesk import outbox
from frontdesk.models import PENDING, UNRESOLVED, Event, HelpRequest, table_of
from frontdesk.settings import Settings

_EVENTS = table_of(Event)
_REQUESTS = table_of(HelpRequest)

_DUE = (_REQUESTS.c.status == PENDING, _REQUESTS.c.expires_at <= bindparam("now", type_=DateTime))


def _build_timeout_events(postgres: bool, due: bool = False) -> Insert:
    """One `timeout` event per swept request (in `:ids`, or with `due` every pending one expired at `:now`)."""
    return insert(_EVENTS).from_select(
        ["help_request_id", "entity", "entity_id", "action", "actor", "at", "details"],
        select(
            _REQUESTS.c.id,
            literal("help_request"),
            cast(_REQUESTS.c.id, String),
            literal("timeout"),
            literal("sweeper"),
            bindparam("now", type_=DateTime),
            literal({}, type_=_EVENTS.c.details.type),
        ).where(
            *_DUE if due else (outbox.ids_filter(_REQUESTS.c.id, postgres),)
        ),
    )


_TIMEOUT_EVENTS = {pg: _build_timeout_events(pg) for pg in (False, True)}
_DUE_TIMEOUT_EVENTS = _build_timeout_events(False, due=True)
_SWEEP = update(_REQUESTS).where(*_DUE).values(status=UNRESOLVED, outcome="timeout", ended_at=bindparam("now"))


def time_out_expired(s: Session, now: datetime, settings: Settings, *, sqlite: bool) -> tuple[int, list[int]]:
    """Mark every pending request expired at `now` unresolved; returns how many and up to 100 of their ids."""
    if sqlite:
        return _sweep_locked(s, now, settings)
    # Row locks decide which sweeper owns which request; the ids then drive the inserts.
    ids = list(s.scalars(_SWEEP.returning(_REQUESTS.c.id), {"now": now}))
    for chunk in outbox.id_chunks(ids, postgres=True):
        s.execute(_TIMEOUT_EVENTS[True], {"now": now, "ids": chunk})
    outbox.enqueue_caller_followups(s, ids, outbox.CALLER_TIMEOUT, settings, now)
    return len(ids), ids[:100]


def _sweep_locked(s: Session, now: datetime, settings: Settings) -> tuple[int, list[int]]:
    """SQLite: BEGIN IMMEDIATE holds the only write lock, so events and follow-ups can be derived
    from the same predicate before the update, with no id list to carry."""
    sample = list(s.scalars(select(_REQUESTS.c.id).where(*_DUE).limit(100), {"now": now}))
    if not sample:
        return 0, []
    s.execute(_DUE_TIMEOUT_EVENTS, {"now": now})
    outbox.enqueue_due_timeout_followups(s, settings, now)
    count = s.execute(_SWEEP, {"now": now}).rowcount  # type: ignore[attr-defined]
    return int(count), sample
