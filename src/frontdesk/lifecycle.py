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

from sqlalchemy import String, cast, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
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
# Called inside the answer transaction to learn the answer into the knowledge base.
Learner = Callable[[Session, HelpRequest, str, str, datetime], int | None]


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
    session.add(
        Event(
            help_request_id=help_request_id,
            entity=entity,
            entity_id=str(entity_id),
            action=action,
            actor=actor,
            at=now,
            details=details,
        )
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
    ) -> None:
        self.db, self.clock, self.settings = db, clock, settings
        self.signals = signals or Signals()
        self.same_question = same_question
        self.learner = learner

    # -- escalation -------------------------------------------------------------------------
    def escalate(
        self, question: str, *, call_id: str | None = None, caller_phone: str = "", caller_name: str = ""
    ) -> Escalation:
        """Open a help request for `question`, or join the pending one asking the same thing."""
        question = clean(question, MAX_QUESTION_CHARS)
        key = normalize_question(question)
        if not key:
            raise InvalidInput("the question is empty")
        for _attempt in range(3):
            try:
                result = self._escalate_once(question, key, call_id, clean(caller_phone, 40), clean(caller_name, 200))
            except IntegrityError:
                # Another caller opened the same question between our look-up and insert: join it.
                continue
            self.signals.publish("help_request", id=result.request_id, action="escalated")
            if not result.joined_existing:
                self.signals.publish("followup")
            return result
        raise Conflict("could not open the help request; please retry", status=PENDING)

    def _escalate_once(self, question: str, key: str, call_id: str | None, phone: str, name: str) -> Escalation:
        now = self.clock.now()
        with self.db.write() as s:
            existing = s.scalar(
                select(HelpRequest.id).where(HelpRequest.status == PENDING, HelpRequest.normalized_question == key)
            )
            if existing is None and self.same_question is not None:
                pending = s.execute(
                    select(HelpRequest.id, HelpRequest.question)
                    .where(HelpRequest.status == PENDING)
                    .order_by(HelpRequest.id.desc())
                    .limit(200)
                ).all()
                existing = self.same_question(question, [(r.id, r.question) for r in pending])
            if existing is not None:
                waiting = call_id is not None and s.scalar(
                    select(HelpRequestCaller.id).where(
                        HelpRequestCaller.help_request_id == existing, HelpRequestCaller.call_id == call_id
                    )
                )
                if not waiting:
                    self._add_waiter(s, existing, call_id, phone, name, question, now)
                    record_event(
                        s, now, entity="help_request", entity_id=existing, help_request_id=existing,
                        action="caller_joined", actor="agent", call_id=call_id,
                    )
                return Escalation(existing, joined_existing=True, already_waiting=bool(waiting))
            request = HelpRequest(
                question=question,
                normalized_question=key,
                status=PENDING,
                origin_call_id=call_id,
                created_at=now,
                expires_at=now + timedelta(seconds=self.settings.request_timeout_seconds),
            )
            s.add(request)
            s.flush()
            self._add_waiter(s, request.id, call_id, phone, name, question, now)
            record_event(
                s, now, entity="help_request", entity_id=request.id, help_request_id=request.id,
                action="created", actor="agent", call_id=call_id, expires_at=request.expires_at.isoformat(),
            )
            outbox.enqueue_supervisor_alerts(s, request.id, self.settings, now)
            return Escalation(request.id, joined_existing=False, already_waiting=False)

    @staticmethod
    def _add_waiter(
        s: Session, request_id: int, call_id: str | None, phone: str, name: str, question: str, now: datetime
    ) -> None:
        s.add(
            HelpRequestCaller(
                help_request_id=request_id, call_id=call_id, caller_phone=phone, caller_name=name,
                question=question, joined_at=now,
            )
        )
        s.flush()

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
            if not self._transition(s, request_id, PENDING, RESOLVED, now, outcome, answer=answer, answered_by=by):
                outcome = "late_answer"
                if not self._transition(s, request_id, UNRESOLVED, RESOLVED, now, outcome, answer=answer, answered_by=by):
                    self._raise_for(s, request_id, "answer")
            request = s.get_one(HelpRequest, request_id)
            record_event(
                s, now, entity="help_request", entity_id=request_id, help_request_id=request_id,
                action=outcome, actor=by, add_to_kb=add_to_kb,
            )
            if add_to_kb and self.learner is not None:
                learned_question = clean(kb_question or "", MAX_QUESTION_CHARS) or request.question
                self.learner(s, request, learned_question, by, now)
            outbox.enqueue_caller_followups(s, [request_id], outbox.CALLER_ANSWER, self.settings, now)
        self.signals.publish("help_request", id=request_id, action=outcome)
        self.signals.publish("followup")
        return request

    def close(self, request_id: int, *, by: str, reason: str = "") -> HelpRequest:
        """Close a pending request by hand (spam, duplicate, handled elsewhere); callers are told."""
        now = self.clock.now()
        with self.db.write() as s:
            if not self._transition(s, request_id, PENDING, UNRESOLVED, now, "closed"):
                self._raise_for(s, request_id, "close")
            record_event(
                s, now, entity="help_request", entity_id=request_id, help_request_id=request_id,
                action="closed", actor=by, reason=clean(reason, 500),
            )
            outbox.enqueue_caller_followups(s, [request_id], outbox.CALLER_CLOSED, self.settings, now)
            request = s.get_one(HelpRequest, request_id)
        self.signals.publish("help_request", id=request_id, action="closed")
        self.signals.publish("followup")
        return request

    @staticmethod
    def _transition(
        s: Session, request_id: int, src: str, dst: str, now: datetime, outcome: str, **values: Any
    ) -> bool:
        stamp = {"resolved_at": now} if dst == RESOLVED else {"ended_at": now}
        result = s.execute(
            update(HelpRequest)
            .where(HelpRequest.id == request_id, HelpRequest.status == src)
            .values(status=dst, outcome=outcome, **stamp, **values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    @staticmethod
    def _raise_for(s: Session, request_id: int, verb: str) -> None:
        status = s.scalar(select(HelpRequest.status).where(HelpRequest.id == request_id))
        if status is None:
            raise NotFound(f"help request {request_id} does not exist")
        raise Conflict(f"help request {request_id} is already {status}; it cannot {verb} now", status=status)

    # -- timeouts ---------------------------------------------------------------------------
    def sweep(self) -> int:
        """Mark every expired pending request unresolved in one statement; returns how many."""
        now = self.clock.now()
        with self.db.write() as s:
            ids = list(
                s.scalars(
                    update(HelpRequest)
                    .where(HelpRequest.status == PENDING, HelpRequest.expires_at <= now)
                    .values(status=UNRESOLVED, outcome="timeout", ended_at=now)
                    .returning(HelpRequest.id)
                    .execution_options(synchronize_session=False)
                )
            )
            for start in range(0, len(ids), outbox.CHUNK):
                chunk = ids[start : start + outbox.CHUNK]
                s.execute(
                    insert(Event).from_select(
                        ["help_request_id", "entity", "entity_id", "action", "actor", "at", "details"],
                        select(
                            HelpRequest.id,
                            literal("help_request"),
                            cast(HelpRequest.id, String),
                            literal("timeout"),
                            literal("sweeper"),
                            literal(now),
                            literal({}, type_=Event.__table__.c.details.type),
                        ).where(HelpRequest.id.in_(chunk)),
                    )
                )
            outbox.enqueue_caller_followups(s, ids, outbox.CALLER_TIMEOUT, self.settings, now)
        if ids:
            log.info("sweep: %d help request(s) timed out", len(ids))
            self.signals.publish("help_request", action="timeout", ids=ids[:100])
            self.signals.publish("followup")
        return len(ids)
