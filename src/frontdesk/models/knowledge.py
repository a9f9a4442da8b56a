"""What the receptionist may say: knowledge entries, and questions an entry is known not to answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.models.base import KB_SOURCES, KB_STATUSES, Base, one_of


class KnowledgeEntry(Base):
    """A question and its answer the agent may use, with where it came from."""

    __tablename__ = "knowledge_entries"
    __table_args__ = (
        CheckConstraint(one_of("source", KB_SOURCES), name="ck_kb_source"),
        CheckConstraint(one_of("status", KB_STATUSES), name="ck_kb_status"),
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
