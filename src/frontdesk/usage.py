"""What the analytics and the queue's priority are counted from, written where it happens.

- `record_lookup`: each knowledge look-up of a call (`lookup_answered`, `lookup_read_back`,
  `lookup_unanswered` events on the call; `used` on the knowledge entry that answered) and the
  call's `questions` counter, in one transaction.
- `record_read_back`: the caller's yes or no to a read-back (`read_back_confirmed` /
  `read_back_declined`); a yes also counts the entry's use.
- `record_usage`: the same two, inside a transaction of the caller's (the text-call hub counts a
  turn's look-ups in the transaction that writes the turn's transcript lines).
- `note_waiter`: inside the escalation's transaction, a caller who starts or joins a help request:
  the call's `escalations` counter, urgency words in their question and whether they called before
  in the last 30 days (both priority inputs, see priority.py).

The counters on `calls` repeat what the events say, kept in the same transaction, so a period's
calls are read in one range scan instead of joining a million events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from frontdesk.audit import record_event
from frontdesk.caller_intents import is_urgent
from frontdesk.clock import Clock
from frontdesk.db import Database
from frontdesk.errors import Conflict, NotFound
from frontdesk.models import Call, HelpRequest, KnowledgeEntry, table_of
from frontdesk.priority import REPEAT_WINDOW

log = logging.getLogger(__name__)

LOOKUP_RESULTS = ("answered", "read_back", "unanswered")
LOOKUP_ACTIONS = tuple(f"lookup_{r}" for r in LOOKUP_RESULTS)
READ_BACK_ACTIONS = ("read_back_confirmed", "read_back_declined")
KNOWLEDGE_USED = "used"

_CALLS = table_of(Call)
_REQUESTS = table_of(HelpRequest)
_ENTRIES = table_of(KnowledgeEntry)
_COUNT_QUESTION = update(_CALLS).where(_CALLS.c.id == bindparam("cid")).values(questions=_CALLS.c.questions + 1)
_COUNT_ESCALATION = (
    update(_CALLS).where(_CALLS.c.id == bindparam("cid")).values(escalations=_CALLS.c.escalations + 1)
)
_COUNT_USE = (
    update(_ENTRIES).where(_ENTRIES.c.id == bindparam("eid"))
    .values(times_used=_ENTRIES.c.times_used + 1, last_used_at=bindparam("now"))
)
_CALLED_BEFORE = (
    select(_CALLS.c.id)
    .where(_CALLS.c.caller_phone == bindparam("phone"), _CALLS.c.started_at >= bindparam("since"),
           _CALLS.c.started_at < bindparam("now"), _CALLS.c.id != bindparam("cid"))
    .limit(1)
)


def _count_use(s: Session, entry_id: int, call_id: str | None, now: datetime) -> None:
    s.execute(_COUNT_USE, {"eid": entry_id, "now": now})
    record_event(s, now, entity="knowledge", entity_id=entry_id, action=KNOWLEDGE_USED, actor="agent",
                 call_id=call_id)


#: One look-up or read-back answer waiting to be counted: `("lookup", result, entry_id)` or
#: `("read_back", entry_id, confirmed)`.
Usage = tuple[str, Any, Any]


def _lookup(s: Session, now: datetime, call_id: str | None, result: str, entry_id: int | None) -> None:
    if result not in LOOKUP_RESULTS:
        raise ValueError(f"unknown lookup result {result!r}")
    if call_id:
        s.execute(_COUNT_QUESTION, {"cid": call_id})
        record_event(s, now, entity="call", entity_id=call_id, action=f"lookup_{result}", actor="agent",
                     entry_id=entry_id)
    if entry_id is not None:
        _count_use(s, entry_id, call_id, now)


def _read_back(s: Session, now: datetime, call_id: str | None, entry_id: int, confirmed: bool) -> None:
    if call_id:
        record_event(s, now, entity="call", entity_id=call_id, actor="agent", entry_id=entry_id,
                     action="read_back_confirmed" if confirmed else "read_back_declined")
    if confirmed:
        _count_use(s, entry_id, call_id, now)


def record_lookup(db: Database, clock: Clock, call_id: str | None, result: str, entry_id: int | None = None) -> None:
    """One knowledge look-up of a call: its event, the call's question counter, the entry's use."""
    if result not in LOOKUP_RESULTS:
        raise ValueError(f"unknown lookup result {result!r}")
    with db.write() as s:
        _lookup(s, clock.now(), call_id, result, entry_id)


def record_read_back(db: Database, clock: Clock, call_id: str | None, entry_id: int, confirmed: bool) -> None:
    """The caller's answer to a read-back; a yes counts one use of the entry."""
    with db.write() as s:
        _read_back(s, clock.now(), call_id, entry_id, confirmed)


def record_usage(s: Session, now: datetime, call_id: str | None, items: list[Usage]) -> None:
    """Count a call's buffered look-ups and read-back answers inside `s` (see `Usage`), in order."""
    for kind, a, b in items:
        if kind == "lookup":
            _lookup(s, now, call_id, a, b)
        elif kind == "read_back":
            _read_back(s, now, call_id, a, b)
        else:
            raise ValueError(f"unknown usage kind {kind!r}")


def usage_writer(clock: Clock, call_id: str | None, items: list[Usage]) -> Callable[[Session], None]:
    """`record_usage` for a transaction that writes other things too (the hub's end of a turn): in a
    savepoint, best effort, so a failed count never costs the turn its transcript lines."""

    def write(s: Session) -> None:
        try:
            with s.begin_nested():
                record_usage(s, clock.now(), call_id, items)
        except Exception:
            log.exception("could not record %d knowledge look-up(s) of a call", len(items))

    return write


def note_waiter(s: Session, request_id: int, call_id: str | None, phone: str, question: str, now: datetime) -> None:
    """Inside the escalation: count the call's escalation; urgency words and a repeat caller raise priority."""
    if call_id:
        s.execute(_COUNT_ESCALATION, {"cid": call_id})
    values = {}
    if is_urgent(question):
        values["urgent"] = True
    if phone and s.execute(_CALLED_BEFORE, {"phone": phone, "since": now - REPEAT_WINDOW, "now": now,
                                            "cid": call_id or ""}).first() is not None:
        values["repeat_caller"] = True
    if values:
        s.execute(update(_REQUESTS).where(_REQUESTS.c.id == request_id).values(**values))


def set_urgent(db: Database, clock: Clock, request_id: int, urgent: bool, by: str) -> None:
    """A supervisor marks a pending request urgent (or not urgent, overriding the words); an event records it.

    Raises NotFound for an unknown request and Conflict when it is no longer pending.
    """
    now = clock.now()
    with db.write() as s:
        done = s.execute(
            update(_REQUESTS).where(_REQUESTS.c.id == request_id, _REQUESTS.c.status == "pending")
            .values(marked_urgent=urgent).returning(_REQUESTS.c.id)
        ).first()
        if done is None:
            status = s.scalar(select(_REQUESTS.c.status).where(_REQUESTS.c.id == request_id))
            if status is None:
                raise NotFound(f"help request {request_id} does not exist")
            raise Conflict(f"help request {request_id} is already {status}; only pending requests are prioritised",
                           status=status)
        record_event(s, now, entity="help_request", entity_id=request_id, help_request_id=request_id,
                     action="marked_urgent" if urgent else "marked_not_urgent", actor=by)
