"""Help requests and what follows from them: waiting callers, the audit trail, the outbox, inbound replies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.models.base import FOLLOWUP_STATUSES, OUTCOMES, PENDING, REQUEST_STATUSES, Base, one_of


class HelpRequest(Base):
    """A question the AI could not answer. `pending -> resolved | unresolved`, `unresolved -> resolved`."""

    __tablename__ = "help_requests"
    __table_args__ = (
        CheckConstraint(one_of("status", REQUEST_STATUSES), name="ck_help_status"),
        CheckConstraint(f"outcome IS NULL OR {one_of('outcome', OUTCOMES)}", name="ck_help_outcome"),
        CheckConstraint("status <> 'resolved' OR resolved_at IS NOT NULL", name="ck_help_resolved_at"),
        Index("ix_help_status_expires", "status", "expires_at"),
        Index("ix_help_status_created", "status", "created_at"),
        # Analytics: requests created / answered / ended in a period, each a range scan.
        Index("ix_help_created", "created_at"),
        Index("ix_help_resolved", "resolved_at", "status", "outcome", "created_at"),  # covering
        Index("ix_help_ended", "ended_at", "status", "outcome"),
        # The queue's priority order: every input of priority.score_sql for the pending requests alone.
        Index("ix_help_queue", "expires_at", "created_at", "urgent", "marked_urgent", "repeat_caller",
              "callers_waiting", "callers_live", sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
        # One pending request per question: concurrent callers asking the same thing join it.
        Index(
            "uq_help_pending_question",
            "normalized_question",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    normalized_question: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    origin_call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(320))
    outcome: Mapped[str | None] = mapped_column(String(12))
    reminder_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Priority inputs fixed at escalation (see priority.py): urgency words, a supervisor's mark
    # (None: not marked; it overrides the words), a caller who called in the 30 days before.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    marked_urgent: Mapped[bool | None] = mapped_column(Boolean)
    repeat_caller: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Kept by database triggers (queue_counts.py): callers waiting on it, and how many of their calls are live.
    callers_waiting: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    callers_live: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class HelpRequestCaller(Base):
    """A caller waiting on a help request; several callers can wait on one grouped question."""

    __tablename__ = "help_request_callers"
    __table_args__ = (UniqueConstraint("help_request_id", "call_id", name="uq_waiter_call"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    help_request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    caller_phone: Mapped[str] = mapped_column(String(40), default="")
    caller_name: Mapped[str] = mapped_column(String(200), default="")
    question: Mapped[str] = mapped_column(Text, default="")
    joined_at: Mapped[datetime] = mapped_column(DateTime)


class Event(Base):
    """Append-only audit trail: every state change, who, what, when."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_request", "help_request_id", "id"),
        Index("ix_events_at", "at"),
        # Analytics counts one kind of event in a period from this index alone (entity_id included).
        Index("ix_events_action_at", "action", "at", "entity_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    help_request_id: Mapped[int | None] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(DateTime)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Followup(Base):
    """Outbox row: an alert or caller follow-up, written in the transaction that caused it."""

    __tablename__ = "followups"
    __table_args__ = (
        CheckConstraint(one_of("status", FOLLOWUP_STATUSES), name="ck_followup_status"),
        Index("ix_followups_due", "status", "next_attempt_at"),
        Index("ix_followups_incall", "channel", "status", "call_id"),
        Index("ix_followups_created", "created_at", "kind", "channel", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    help_request_id: Mapped[int | None] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(100))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class InboundReply(Base):
    """A supervisor's reply by SMS or email, kept once per provider message id (Twilio retries).

    The row is written in the same transaction as the answer (or close) it caused, so a retried
    delivery of the same message can never act twice; `reply` is what we answered, repeated on a retry.
    """

    __tablename__ = "inbound_replies"
    __table_args__ = (
        UniqueConstraint("channel", "provider_id", name="uq_inbound_provider_id"),
        Index("ix_inbound_sender_request", "sender", "help_request_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    provider_id: Mapped[str] = mapped_column(String(200))
    sender: Mapped[str] = mapped_column(String(320))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("supervisors.id", ondelete="SET NULL"))
    help_request_id: Mapped[int | None] = mapped_column(ForeignKey("help_requests.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))
    reply: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(DateTime)
