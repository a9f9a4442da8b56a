"""Jinja filters and helpers of the dashboard: times relative to the injected clock, masked phones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from frontdesk.clock import Clock
from frontdesk.models import BusinessProfile
from frontdesk.text import mask_phone, short_duration


def fmt_dt(value: datetime | None) -> str:
    """A stored (naive UTC) time for display."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def iso(value: datetime | None) -> str:
    """Machine-readable time for `<time datetime>`."""
    return value.isoformat(timespec="seconds") + "Z" if value else ""


def business_name(services: Any) -> str:
    """The business name from the profile (or a neutral default before one is saved)."""
    with services.db.read() as s:
        name = s.scalar(select(BusinessProfile.name).where(BusinessProfile.id == 1))
    return name or "Frontdesk"


def register(app: Flask, clock: Clock) -> None:
    """Install the filters; `since`/`until` count from the app's clock (fake in tests)."""

    def since(value: datetime | None) -> float:
        return (clock.now() - value).total_seconds() if value else 0.0

    def until(value: datetime | None) -> float:
        return (value - clock.now()).total_seconds() if value else 0.0

    app.jinja_env.filters.update(duration=short_duration, dt=fmt_dt, iso=iso, mask=mask_phone, since=since, until=until)
