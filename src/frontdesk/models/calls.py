"""Calls and what was said in them: callers, calls, transcript lines, live transfers to a person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.models.base import CALL_ROLES, Base, new_call_id, one_of


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
        CheckConstraint(one_of("status", ("live", "ended")), name="ck_calls_status"),
        CheckConstraint(one_of("channel", ("text", "voice")), name="ck_calls_channel"),
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


class HubAddress(Base):
    """Where another `serve` process reaches a text-call hub (calls_3): a turn that reaches a process
    which does not hold the call is forwarded to its holder's address rather than moving the call."""

    __tablename__ = "hub_addresses"
    holder: Mapped[str] = mapped_column(String(200), primary_key=True)
    url: Mapped[str] = mapped_column(String(300))
    registered_at: Mapped[datetime] = mapped_column(DateTime)


class TranscriptLine(Base):
    """One line said in a call."""

    __tablename__ = "transcript_lines"
    __table_args__ = (
        CheckConstraint(one_of("role", CALL_ROLES), name="ck_transcript_role"),
        Index("ix_transcript_call", "call_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)


TRANSFER_STATUSES = ("offered", "taken", "declined", "expired", "cancelled", "failed", "ended")


class Transfer(Base):
    """A live call offered to the online supervisors (live handoff), and what became of it."""

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint(one_of("status", TRANSFER_STATUSES), name="ck_transfer_status"),
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
