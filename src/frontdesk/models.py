"""SQLAlchemy models: the whole schema of the store.

States are plain strings guarded by CHECK constraints; transitions live in `lifecycle.py`.
Times are naive UTC.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

PENDING, RESOLVED, UNRESOLVED = "pending", "resolved", "unresolved"
REQUEST_STATUSES = (PENDING, RESOLVED, UNRESOLVED)
OUTCOMES = ("answered", "late_answer", "timeout", "closed")
KB_SOURCES = ("seed", "learned", "manual", "import")
KB_STATUSES = ("active", "pending_review", "archived")
FOLLOWUP_STATUSES = ("queued", "sent", "failed", "dead", "cancelled")
CALL_ROLES = ("caller", "agent", "supervisor", "system")
AVAILABILITY = ("online", "away", "offline")


def _in(column: str, values: tuple[str, ...]) -> str:
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


class BusinessProfile(Base):
    """The business the receptionist speaks for; one row (id 1)."""

    __tablename__ = "business_profile"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    hours: Mapped[str] = mapped_column(Text, default="")
    services: Mapped[list[Any]] = mapped_column(default=list)  # [{"name", "price", "duration"}]
    about: Mapped[str] = mapped_column(Text, default="")
    # Structured opening hours ({"monday": {"open": "09:00", "close": "19:00"}, ...}; a missing day is
    # closed) in the IANA time zone `timezone`; see business_hours.py. `hours` stays the free text.
    opening_hours: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_by: Mapped[str | None] = mapped_column(String(320))


class Supervisor(Base):
    """A human who answers help requests in the dashboard."""

    __tablename__ = "supervisors"
    __table_args__ = (CheckConstraint(_in("availability", AVAILABILITY), name="ck_supervisor_availability"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_available: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Presence (presence.py): the chosen status; `online` counts only while `last_seen_at` is fresh.
    availability: Mapped[str] = mapped_column(String(10), default="offline", server_default="offline")
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)


TOKEN_KINDS = ("api", "session")


class ApiToken(Base):
    """A bearer token for the JSON API (`kind` api) or a dashboard login (`kind` session, its id in the
    signed cookie); only its SHA-256 is stored. Deleting the row ends the token or session server-side."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(_in("kind", TOKEN_KINDS), name="ck_api_tokens_kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("supervisors.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="api", server_default="api")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


class RateLimitWindow(Base):
    """A fixed-window counter shared by every process: hits of `key` in the window starting at `window_start`
    (seconds since the epoch). One conditional upsert per hit; rows of past windows are pruned."""

    __tablename__ = "rate_limits"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger)
    hits: Mapped[int] = mapped_column(Integer)


class Caller(Base):
    """Someone who called; known by phone number when we have it."""

    __tablename__ = "callers"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Call(Base):
    """One conversation, by voice (LiveKit) or text. `holder` is the process serving it live."""

    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint(_in("status", ("live", "ended")), name="ck_calls_status"),
        CheckConstraint(_in("channel", ("text", "voice")), name="ck_calls_channel"),
        Index("ix_calls_status_holder", "status", "holder"),
        # Analytics and priority (queue): a period's calls in one range scan; "called before" by phone.
        Index("ix_calls_started", "started_at", "questions", "escalations"),  # covers the period's scan
        Index("ix_calls_phone_started", "caller_phone", "started_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_call_id)
    channel: Mapped[str] = mapped_column(String(10), default="text")
    status: Mapped[str] = mapped_column(String(10), default="live")
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"), index=True)
    caller_phone: Mapped[str] = mapped_column(String(40), default="")
    caller_name: Mapped[str] = mapped_column(String(200), default="")
    room_name: Mapped[str | None] = mapped_column(String(200))
    holder: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))
    # Counters kept in the transaction of their events (`lookup_*` events, waiters joining a request),
    # so a period's calls are read in one pass: asked something? needed a supervisor?
    questions: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    escalations: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Any `serve` process may serve a text call (calls_1): `version` counts changes to the stored
    # conversation (a process's in-memory session is valid only at the version it built it from),
    # `state` is the agent's per-call state (escalations, a pending read-back), `last_active_at`
    # the caller's last message or poll, seen by every process.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_active_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Live handoff (calls_2): the supervisor holding the call; the receptionist is silent meanwhile.
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("supervisors.id", ondelete="SET NULL"))
    held_by: Mapped[str | None] = mapped_column(String(200))


class TranscriptLine(Base):
    """One line said in a call."""

    __tablename__ = "transcript_lines"
    __table_args__ = (
        CheckConstraint(_in("role", CALL_ROLES), name="ck_transcript_role"),
        Index("ix_transcript_call", "call_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)


class HelpRequest(Base):
    """A question the AI could not answer. `pending -> resolved | unresolved`, `unresolved -> resolved`."""

    __tablename__ = "help_requests"
    __table_args__ = (
        CheckConstraint(_in("status", REQUEST_STATUSES), name="ck_help_status"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', OUTCOMES)}", name="ck_help_outcome"),
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


class KnowledgeEntry(Base):
    """A question and its answer the agent may use, with where it came from."""

    __tablename__ = "knowledge_entries"
    __table_args__ = (
        CheckConstraint(_in("source", KB_SOURCES), name="ck_kb_source"),
        CheckConstraint(_in("status", KB_STATUSES), name="ck_kb_status"),
        Index("ix_kb_status_updated", "status", "updated_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10), default="manual")
    source_request_id: Mapped[int | None] = mapped_column(ForeignKey("help_requests.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    times_used: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    embedding_model: Mapped[str | None] = mapped_column(String(100))


class NearMiss(Base):
    """A question an entry does not answer, learned from a caller who declined its read-back."""

    __tablename__ = "kb_near_misses"
    __table_args__ = (Index("ix_near_miss_entry", "entry_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("knowledge_entries.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="read_back")
    created_at: Mapped[datetime] = mapped_column(DateTime)


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
        CheckConstraint(_in("status", FOLLOWUP_STATUSES), name="ck_followup_status"),
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


TRANSFER_STATUSES = ("offered", "taken", "declined", "expired", "cancelled", "failed", "ended")


class Transfer(Base):
    """A live call offered to the online supervisors (live handoff), and what became of it."""

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint(_in("status", TRANSFER_STATUSES), name="ck_transfer_status"),
        Index("ix_transfers_status_expires", "status", "expires_at"),
        Index("ix_transfers_call", "call_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    transport: Mapped[str] = mapped_column(String(10), default="text")
    status: Mapped[str] = mapped_column(String(12), default="offered")
    reason: Mapped[str] = mapped_column(String(40), default="")
    caller: Mapped[str] = mapped_column(String(60), default="")  # masked phone and name
    question: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    offered_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("supervisors.id", ondelete="SET NULL"))
    taken_by: Mapped[str | None] = mapped_column(String(200))
    offered_to: Mapped[list[Any]] = mapped_column(default=list)  # supervisor ids online at the offer
    declined_by: Mapped[list[Any]] = mapped_column(default=list)
    help_request_id: Mapped[int | None] = mapped_column(ForeignKey("help_requests.id", ondelete="SET NULL"))
    told: Mapped[str | None] = mapped_column(Text)  # the fallback sentence the caller was given
    detail: Mapped[str | None] = mapped_column(String(40))


class AnalyticsDay(Base):
    """The analytics roll-up: one closed UTC day's mergeable figures (`analytics_rollup.py`).

    `gen` is bumped by database triggers whenever a row the day's figures come from changes, which also
    empties `part`; a part computed from an older `gen` is never stored.
    """

    __tablename__ = "analytics_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD
    gen: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    part: Mapped[str | None] = mapped_column(Text)  # JSON (analytics_parts.py); NULL: not computed
