"""The help-request lifecycle: escalate, answer, close, sweep.

Every transition is one conditional UPDATE (`... WHERE status = <expected>`), so an answer and a
timeout can never both win. The state change, its event, any learned knowledge entry and the
follow-ups it causes commit in one transaction (DESIGN.md invariants 1-3).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Insert, String, bindparam, cast, insert, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from frontdesk import outbox
from frontdesk.clock import Clock
from frontdesk.db import Database
from frontdesk.models import (
    PENDING,
    RESOLVED,
    UNRESOLVED,
    Event,
    HelpRequest,
    HelpRequestCaller,
    table_of,
)
from frontdesk.settings import Settings
from frontdesk.signals import Signals
from frontdesk.text import clean, normalize_question

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
MAX_ANSWER_CHARS = 4000


class LifecycleError(Exception):
    """Base of lifecycle errors; `code` is the API error code."""

    code = "invalid"


class InvalidInput(LifecycleError):
    """The caller of the lifecycle passed something unusable."""


class NotFound(LifecycleError):
    """No such help request."""

    code = "not_found"


class Conflict(LifecycleError):
    """The request is no longer in a state that allows this transition."""

    code = "conflict"

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Escalation:
    """Result of `escalate`: the request the caller now waits on."""

    request_id: int
    joined_existing: bool
    already_waiting: bool


# Decides whether a new question is the same as one already pending: returns that request's id.
SameQuestionFinder = Callable[[str, list[tuple[int, str]]], int | None]


@dataclass(frozen=True)
class Answered:
    """What a learner needs to know about an answered request."""

    id: int
    question: str
    answer: str


# Called inside the answer transaction to learn the answer into the knowledge base.
Learner = Callable[[Session, Answered, str, str, datetime], int | None]

# Prebuilt Core statements: the hot paths skip ORM unit-of-work overhead (see bench/lifecycle).
_EVENTS = table_of(Event)
_REQUESTS = table_of(HelpRequest)
_WAITERS = table_of(HelpRequestCaller)
_INSERT_EVENT = insert(_EVENTS)
_INSERT_WAITER = insert(_WAITERS)
_SELECT_PENDING = (
    select(_REQUESTS.c.id, _REQUESTS.c.question)
    .where(_REQUESTS.c.status == PENDING)
    .order_by(_REQUESTS.c.id.desc())
    .limit(200)
)

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
_ANY_PENDING = select(_REQUESTS.c.id).where(_REQUESTS.c.status == PENDING).limit(1)
_SELECT_PENDING_BY_KEY = select(_REQUESTS.c.id).where(
    _REQUESTS.c.status == PENDING, _REQUESTS.c.normalized_question == bindparam("key")
)
_SELECT_WAITER = select(_WAITERS.c.id).where(
    _WAITERS.c.help_request_id == bindparam("rid"), _WAITERS.c.call_id == bindparam("call_id")
)
_TRANSITION_WHERE = (_REQUESTS.c.id == bindparam("rid"), _REQUESTS.c.status == bindparam("src"))
_RESOLVE = (
    update(_REQUESTS)
    .where(*_TRANSITION_WHERE)
    .values(status=bindparam("dst"), outcome=bindparam("outcome"), resolved_at=bindparam("now"),
            answer=bindparam("answer"), answered_by=bindparam("by"))
    .returning(_REQUESTS.c.question)
)
_END = (
    update(_REQUESTS)
    .where(*_TRANSITION_WHERE)
    .values(status=bindparam("dst"), outcome=bindparam("outcome"), ended_at=bindparam("now"))
    .returning(_REQUESTS.c.question)
)


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


class HelpDesk:
    """Owns help requests from escalation to their end."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        signals: Signals | None = None,
        same_question: SameQuestionFinder | None = None,
        learner: Learner | None = None,
        prepare_question: Callable[[str], None] | None = None,
    ) -> None:
        self.db, self.clock, self.settings = db, clock, settings
        self.signals = signals or Signals()
        self.same_question = same_question
        self.learner = learner
        self.prepare_question = prepare_question
        dialect_insert = sqlite_insert if db.is_sqlite else pg_insert
        # A second caller asking the same pending question hits the partial unique index: join instead.
        self._insert_request = (
            dialect_insert(_REQUESTS)
            .on_conflict_do_nothing(index_elements=["normalized_question"], index_where=text("status = 'pending'"))
            .returning(_REQUESTS.c.id)
        )

    # -- escalation -------------------------------------------------------------------------
    def escalate(
        self, question: str, *, call_id: str | None = None, caller_phone: str = "", caller_name: str = ""
    ) -> Escalation:
        """Open a help request for `question`, or join the pending one asking the same thing."""
        question = clean(question, MAX_QUESTION_CHARS)
        key = normalize_question(question)
        if not key:
            raise InvalidInput("the question is empty")
        if self.prepare_question is not None and self._any_pending():
            self.prepare_question(question)  # slow work (embedding) before the write lock is taken
        result = self._escalate_once(question, key, call_id, clean(caller_phone, 40), clean(caller_name, 200))
        self.signals.publish("help_request", id=result.request_id, action="escalated")
        if not result.joined_existing:
            self.signals.publish("followup")
        return result

    def _any_pending(self) -> bool:
        with self.db.engine.connect() as conn:
            return conn.execute(_ANY_PENDING).first() is not None

    def _escalate_once(self, question: str, key: str, call_id: str | None, phone: str, name: str) -> Escalation:
        now = self.clock.now()
        with self.db.write() as s:
            similar = None
            if self.same_question is not None:
                pending = s.execute(_SELECT_PENDING).all()
                if pending:
                    similar = self.same_question(question, [(r.id, r.question) for r in pending])
            new_id = None
            if similar is None:
                new_id = s.execute(
                    self._insert_request,
                    {
                        "question": question,
                        "normalized_question": key,
                        "status": PENDING,
                        "priority": 0,
                        "origin_call_id": call_id,
                        "created_at": now,
                        "expires_at": now + timedelta(seconds=self.settings.request_timeout_seconds),
                        "reminder_sent": False,
                    },
                ).scalar()
            if new_id is None:
                existing = similar or s.scalar(_SELECT_PENDING_BY_KEY, {"key": key})
                if existing is None:  # it ended between our insert and look-up; rare, the caller retries
                    raise Conflict("the matching request just closed; please ask again", status=UNRESOLVED)
                return self._join(s, existing, call_id, phone, name, question, now)
            self._add_waiter(s, new_id, call_id, phone, name, question, now)
            record_event(
                s, now, entity="help_request", entity_id=new_id, help_request_id=new_id,
                action="created", actor="agent", call_id=call_id,
            )
            outbox.enqueue_supervisor_alerts(s, new_id, self.settings, now)
            return Escalation(new_id, joined_existing=False, already_waiting=False)

    def _join(
        self, s: Session, request_id: int, call_id: str | None, phone: str, name: str, question: str, now: datetime
    ) -> Escalation:
        waiting = call_id is not None and s.scalar(_SELECT_WAITER, {"rid": request_id, "call_id": call_id})
        if not waiting:
            self._add_waiter(s, request_id, call_id, phone, name, question, now)
            record_event(
                s, now, entity="help_request", entity_id=request_id, help_request_id=request_id,
                action="caller_joined", actor="agent", call_id=call_id,
            )
        return Escalation(request_id, joined_existing=True, already_waiting=bool(waiting))

    @staticmethod
    def _add_waiter(
        s: Session, request_id: int, call_id: str | None, phone: str, name: str, question: str, now: datetime
    ) -> None:
        s.execute(
            _INSERT_WAITER,
            {"help_request_id": request_id, "call_id": call_id, "caller_phone": phone, "caller_name": name,
             "question": question, "joined_at": now},
        )

    # -- answering and closing ---------------------------------------------------------------
    def answer(
        self, request_id: int, answer: str, *, by: str, add_to_kb: bool = True, kb_question: str | None = None
    ) -> HelpRequest:
        """Resolve a pending (or, late, an unresolved) request; raises Conflict if already resolved."""
        answer = clean(answer, MAX_ANSWER_CHARS)
        if not answer:
            raise InvalidInput("the answer is empty")
        now = self.clock.now()
        with self.db.write() as s:
            outcome = "answered"
            question = self._transition(s, request_id, PENDING, RESOLVED, now, outcome, answer=answer, by=by)
            if question is None:
                outcome = "late_answer"
                question = self._transition(
                    s, request_id, UNRESOLVED, RESOLVED, now, outcome, answer=answer, by=by
                )
                if question is None:
                    self._raise_for(s, request_id, "answer")
            assert question is not None
            record_event(
                s, now, entity="help_request", entity_id=request_id, help_request_id=request_id,
                action=outcome, actor=by, add_to_kb=add_to_kb,
            )
            if add_to_kb and self.learner is not None:
                learned_question = clean(kb_question or "", MAX_QUESTION_CHARS) or question
                self.learner(s, Answered(request_id, question, answer), learned_question, by, now)
            outbox.enqueue_caller_followups(s, [request_id], outbox.CALLER_ANSWER, self.settings, now)
        self.signals.publish("help_request", id=request_id, action=outcome)
        self.signals.publish("followup")
        return HelpRequest(
            id=request_id, question=question, status=RESOLVED, outcome=outcome, answer=answer, answered_by=by,
            resolved_at=now,
        )

    def close(self, request_id: int, *, by: str, reason: str = "") -> HelpRequest:
        """Close a pending request by hand (spam, duplicate, handled elsewhere); callers are told."""
        now = self.clock.now()
        with self.db.write() as s:
            question = self._transition(s, request_id, PENDING, UNRESOLVED, now, "closed")
            if question is None:
                self._raise_for(s, request_id, "close")
            record_event(
                s, now, entity="help_request", entity_id=request_id, help_request_id=request_id,
                action="closed", actor=by, reason=clean(reason, 500),
            )
            outbox.enqueue_caller_followups(s, [request_id], outbox.CALLER_CLOSED, self.settings, now)
        self.signals.publish("help_request", id=request_id, action="closed")
        self.signals.publish("followup")
        return HelpRequest(id=request_id, question=question, status=UNRESOLVED, outcome="closed", ended_at=now)

    @staticmethod
    def _transition(
        s: Session, request_id: int, src: str, dst: str, now: datetime, outcome: str, **values: Any
    ) -> str | None:
        """One conditional UPDATE; returns the request's question when this call won the transition."""
        params = {"rid": request_id, "src": src, "dst": dst, "outcome": outcome, "now": now, **values}
        return s.execute(_RESOLVE if dst == RESOLVED else _END, params).scalar()

    @staticmethod
    def _raise_for(s: Session, request_id: int, verb: str) -> None:
        status = s.scalar(select(_REQUESTS.c.status).where(_REQUESTS.c.id == request_id))
        if status is None:
            raise NotFound(f"help request {request_id} does not exist")
        raise Conflict(f"help request {request_id} is already {status}; it cannot {verb} now", status=status)

    # -- timeouts ---------------------------------------------------------------------------
    def sweep(self) -> int:
        """Mark every expired pending request unresolved in one statement; returns how many."""
        now = self.clock.now()
        with self.db.write() as s:
            if self.db.is_sqlite:
                count, sample = self._sweep_locked(s, now)
            else:
                # Row locks decide which sweeper owns which request; the ids then drive the inserts.
                ids = list(s.scalars(_SWEEP.returning(_REQUESTS.c.id), {"now": now}))
                for chunk in outbox.id_chunks(ids, postgres=True):
                    s.execute(_TIMEOUT_EVENTS[True], {"now": now, "ids": chunk})
                outbox.enqueue_caller_followups(s, ids, outbox.CALLER_TIMEOUT, self.settings, now)
                count, sample = len(ids), ids[:100]
        if count:
            log.info("sweep: %d help request(s) timed out", count)
            self.signals.publish("help_request", action="timeout", ids=sample)
            self.signals.publish("followup")
        return count

    def _sweep_locked(self, s: Session, now: datetime) -> tuple[int, list[int]]:
        """SQLite: BEGIN IMMEDIATE holds the only write lock, so events and follow-ups can be derived
        from the same predicate before the update, with no id list to carry."""
        sample = list(s.scalars(select(_REQUESTS.c.id).where(*_DUE).limit(100), {"now": now}))
        if not sample:
            return 0, []
        s.execute(_DUE_TIMEOUT_EVENTS, {"now": now})
        outbox.enqueue_due_timeout_followups(s, self.settings, now)
        count = s.execute(_SWEEP, {"now": now}).rowcount  # type: ignore[attr-defined]
        return int(count), sample
