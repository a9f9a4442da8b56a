"""The help-request lifecycle: escalate, answer, close, sweep.

Every transition is one conditional UPDATE (`... WHERE status = <expected>`), so an answer and a
timeout can never both win. The state change, its event, any learned knowledge entry and the
follow-ups it causes commit in one transaction (DESIGN.md invariants 1-3).

The errors live in `errors.py`, the audit trail in `audit.py` and the sweep's bulk SQL in
`timeouts.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from frontdesk import outbox
from frontdesk.audit import record_event
from frontdesk.clock import Clock
from frontdesk.db import Database
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.models import PENDING, RESOLVED, UNRESOLVED, HelpRequest, HelpRequestCaller, table_of
from frontdesk.settings import Settings
from frontdesk.signals import Signals
from frontdesk.text import clean, normalize_question
from frontdesk.timeouts import time_out_expired
from frontdesk.usage import note_waiter

__all__ = ["MAX_ANSWER_CHARS", "MAX_QUESTION_CHARS", "Answered", "Escalation", "HelpDesk", "Learner",
           "SameQuestionFinder"]

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
MAX_ANSWER_CHARS = 4000


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
_REQUESTS = table_of(HelpRequest)
_WAITERS = table_of(HelpRequestCaller)
_INSERT_WAITER = insert(_WAITERS)
_SELECT_PENDING = (
    select(_REQUESTS.c.id, _REQUESTS.c.question)
    .where(_REQUESTS.c.status == PENDING)
    .order_by(_REQUESTS.c.id.desc())
    .limit(200)
)
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
        is_prepared: Callable[[str], bool] | None = None,
    ) -> None:
        self.db, self.clock, self.settings = db, clock, settings
        self.signals = signals or Signals()
        self.same_question = same_question
        self.learner = learner
        self.prepare_question = prepare_question
        self.is_prepared = is_prepared
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
        # Slow work (embedding) before the write lock is taken; nothing to do when the question is prepared
        # already (the agent's search embedded it), and no use when nothing is pending to compare with.
        if (self.prepare_question is not None and not (self.is_prepared and self.is_prepared(question))
                and self._any_pending()):
            self.prepare_question(question)
        result = self._escalate_once(question, key, call_id, clean(caller_phone, 40), clean(caller_name, 200))
        self.signals.publish("help_request", id=result.request_id, action="escalated")
        if not result.joined_existing:
            # Supervisor alerts only: whoever says callers' follow-ups in their calls need not look.
            self.signals.publish("followup", audience="supervisors")
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
        note_waiter(s, request_id, call_id, phone, question, now)  # priority inputs, the call's counter

    # -- answering and closing ---------------------------------------------------------------
    def answer(
        self, request_id: int, answer: str, *, by: str, add_to_kb: bool = True, kb_question: str | None = None,
        within: Callable[[Session], None] | None = None,
    ) -> HelpRequest:
        """Resolve a pending (or, late, an unresolved) request; raises Conflict if already resolved.

        `within(session)` runs inside the answer's transaction (an SMS reply stores its MessageSid there,
        so a retried delivery can never answer twice); if it raises, nothing is answered.
        """
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
            if within is not None:
                within(s)
        self.signals.publish("help_request", id=request_id, action=outcome)
        self.signals.publish("followup")
        return HelpRequest(
            id=request_id, question=question, status=RESOLVED, outcome=outcome, answer=answer, answered_by=by,
            resolved_at=now,
        )

    def close(
        self, request_id: int, *, by: str, reason: str = "", within: Callable[[Session], None] | None = None
    ) -> HelpRequest:
        """Close a pending request by hand (spam, duplicate, handled elsewhere); callers are told.

        `within(session)` runs inside the transaction, as for `answer`."""
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
            if within is not None:
                within(s)
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
            count, sample = time_out_expired(s, now, self.settings, sqlite=self.db.is_sqlite)
        if count:
            log.info("sweep: %d help request(s) timed out", count)
            self.signals.publish("help_request", action="timeout", ids=sample)
            self.signals.publish("followup")
        return count
