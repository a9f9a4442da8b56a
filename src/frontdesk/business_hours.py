"""Structured opening hours: is the business open at a moment, and when does it open next.

The profile keeps `opening_hours` as `{"monday": {"open": "09:00", "close": "19:00"}, ...}` (a day
that is missing or null is closed; `close` may be `24:00`, and a close earlier than the open means the
day runs past midnight) in the IANA time zone `timezone` (e.g. `America/Los_Angeles`, via zoneinfo).
`now` is the store's naive UTC time (the injectable clock). A profile without structured hours is
treated as always open: the receptionist never tells a caller "we're closed" without data saying so.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from frontdesk.errors import InvalidInput

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$|^24:00$")


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def check_timezone(name: Any) -> str:
    """`name` if it is an IANA time zone zoneinfo knows; else `InvalidInput`."""
    if not isinstance(name, str) or not name.strip() or len(name) > 64:
        raise InvalidInput("'timezone' must be an IANA time zone name such as America/New_York")
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name.strip()[:64]!r}; use an IANA name such as Europe/Paris") from None
    return name.strip()


def clean_opening_hours(value: Any) -> dict[str, dict[str, str]]:
    """Validate `{weekday: {open, close} | null}`; returns only the open days, times as `HH:MM`."""
    if not isinstance(value, dict):
        raise InvalidInput("'opening_hours' must be an object keyed by weekday (monday ... sunday)")
    unknown = [k for k in value if k not in DAYS]
    if unknown:
        raise InvalidInput(f"'opening_hours': unknown day {str(unknown[0])[:20]!r}; use monday ... sunday")
    out: dict[str, dict[str, str]] = {}
    for day in DAYS:
        span = value.get(day)
        if span is None or span == {}:
            continue
        if not isinstance(span, dict) or not all(isinstance(span.get(k), str) for k in ("open", "close")):
            raise InvalidInput(f"'opening_hours.{day}' must be {{\"open\": \"HH:MM\", \"close\": \"HH:MM\"}} or null")
        start, end = span["open"].strip(), span["close"].strip()
        if not _HHMM.match(start) or not _HHMM.match(end) or start == "24:00":
            raise InvalidInput(f"'opening_hours.{day}': times are HH:MM between 00:00 and 24:00")
        if _minutes(start) == _minutes(end):
            raise InvalidInput(f"'opening_hours.{day}': opening and closing times are the same")
        out[day] = {"open": f"{_minutes(start) // 60:02d}:{_minutes(start) % 60:02d}", "close": end.zfill(5)}
    return out


def _fields(profile: Any) -> tuple[dict[str, Any], str]:
    if isinstance(profile, dict):
        return profile.get("opening_hours") or {}, profile.get("timezone") or "UTC"
    return getattr(profile, "opening_hours", None) or {}, getattr(profile, "timezone", None) or "UTC"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(now: datetime, zone: ZoneInfo) -> datetime:
    aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return aware.astimezone(zone)


def _span(hours: dict[str, Any], day: date) -> tuple[int, int] | None:
    """(open, close) minutes of that date's weekday; close > 1440 when it runs past midnight."""
    span = hours.get(DAYS[day.weekday()])
    if not isinstance(span, dict) or "open" not in span or "close" not in span:
        return None
    start, end = _minutes(span["open"]), _minutes(span["close"])
    return (start, end if end > start else end + 24 * 60)


def is_open(profile: Any, now: datetime) -> bool:
    """True when `now` (naive UTC) falls in the profile's opening hours, or when it has none."""
    hours, tz = _fields(profile)
    if not hours:
        return True
    local = _local(now, _zone(tz))
    minute = local.hour * 60 + local.minute
    today = _span(hours, local.date())
    if today and today[0] <= minute < today[1]:
        return True
    yesterday = _span(hours, local.date() - timedelta(days=1))
    return bool(yesterday and minute + 24 * 60 < yesterday[1])


def next_opening(profile: Any, now: datetime) -> datetime | None:
    """The next local opening time strictly after `now`, or None without any open day."""
    hours, tz = _fields(profile)
    zone = _zone(tz)
    local = _local(now, zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        span = _span(hours, day)
        if span is None:
            continue
        opening = datetime.combine(day, time(span[0] // 60, span[0] % 60), tzinfo=zone)
        if opening > local:
            return opening
    return None


def _clock(minutes: int) -> str:
    return f"{(minutes // 60) % 24}:{minutes % 60:02d}"


def next_opening_text(profile: Any, now: datetime) -> str:
    """What to tell a caller: "we open again Tuesday at 9:00" ("today"/"tomorrow" when it is), or
    "we're open now until 19:00" while open; "" when the profile has no structured hours."""
    hours, tz = _fields(profile)
    if not hours:
        return ""
    local = _local(now, _zone(tz))
    if is_open(profile, now):
        minute = local.hour * 60 + local.minute
        today = _span(hours, local.date())
        if today and today[0] <= minute < today[1]:
            return f"we're open now until {_clock(today[1])}"
        yesterday = _span(hours, local.date() - timedelta(days=1))
        return f"we're open now until {_clock(yesterday[1])}" if yesterday else "we're open now"
    opening = next_opening(profile, now)
    if opening is None:
        return ""
    days = (opening.date() - local.date()).days
    when = "today" if days == 0 else "tomorrow" if days == 1 else (
        f"next {opening.strftime('%A')}" if days == 7 else opening.strftime("%A"))
    return f"we open again {when} at {_clock(opening.hour * 60 + opening.minute)}"


def summary(profile: Any) -> str:
    """One line for people and the agent: "Tuesday 9:00-19:00, ... (America/Los_Angeles)"; "" without hours."""
    hours, tz = _fields(profile)
    parts = [f"{day.capitalize()} {_clock(_minutes(s['open']))}-{_clock(_minutes(s['close'])) if s['close'] != '24:00' else '24:00'}"
             for day in DAYS if isinstance(s := hours.get(day), dict)]
    return f"{', '.join(parts)} ({tz})" if parts else ""
