"""Who works the dashboard and how they are authenticated: the business, supervisors, tokens, rate limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.models.base import AVAILABILITY, Base, one_of


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
    __table_args__ = (CheckConstraint(one_of("availability", AVAILABILITY), name="ck_supervisor_availability"),)
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
    __table_args__ = (CheckConstraint(one_of("kind", TOKEN_KINDS), name="ck_api_tokens_kind"),)
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
