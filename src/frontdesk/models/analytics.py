"""The analytics roll-up's table (analytics_rollup.py)."""

from __future__ import annotations

from sqlalchemy import Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.models.base import Base


class AnalyticsDay(Base):
    """One closed UTC day's mergeable figures (`analytics_parts.py`).

    `gen` is bumped by database triggers whenever a row the day's figures come from changes, which also
    empties `part`; a part computed from an older `gen` is never stored.
    """

    __tablename__ = "analytics_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD
    gen: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    part: Mapped[str | None] = mapped_column(Text)  # JSON (analytics_parts.py); NULL: not computed
