"""The business profile (row id 1): what the agent says about the business, edited by supervisors.

The agent reads the row at the start of each call, so a saved change applies from the next call.
"""

from __future__ import annotations

from typing import Any

from frontdesk import business_hours
from frontdesk.audit import record_event
from frontdesk.errors import InvalidInput
from frontdesk.models import BusinessProfile
from frontdesk.text import clean

LIMITS = {"name": 200, "phone": 40, "address": 500, "hours": 2000, "about": 4000}
SERVICE_LIMITS = {"name": 200, "price": 60, "duration": 60}
MAX_SERVICES = 100
FIELDS = ("name", "phone", "address", "hours", "services", "about", "opening_hours", "timezone")


def profile_dict(p: BusinessProfile | None) -> dict[str, Any]:
    """The JSON shape of the profile (empty fields when none was saved yet)."""
    if p is None:
        return {"name": "", "phone": "", "address": "", "hours": "", "services": [], "about": "",
                "opening_hours": {}, "timezone": "UTC", "updated_at": None, "updated_by": None}
    return {
        "name": p.name, "phone": p.phone, "address": p.address, "hours": p.hours,
        "services": list(p.services or []), "about": p.about,
        "opening_hours": dict(p.opening_hours or {}), "timezone": p.timezone or "UTC",
        "updated_at": p.updated_at.isoformat() + "Z" if p.updated_at else None, "updated_by": p.updated_by,
    }


def clean_services(items: Any) -> list[dict[str, str]]:
    """Validate and bound a list of `{name, price, duration}`; rows without a name are dropped."""
    if not isinstance(items, list):
        raise InvalidInput("'services' must be a list of {name, price, duration}")
    if len(items) > MAX_SERVICES:
        raise InvalidInput(f"at most {MAX_SERVICES} services")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not all(isinstance(item.get(k, ""), str) for k in SERVICE_LIMITS):
            raise InvalidInput(f"service {i}: needs string fields name, price, duration")
        row = {k: clean(item.get(k, ""), n) for k, n in SERVICE_LIMITS.items()}
        if row["name"]:
            out.append(row)
    return out


def load(services: Any) -> dict[str, Any]:
    """The current profile as a dict."""
    with services.db.read() as s:
        return profile_dict(s.get(BusinessProfile, 1))


def save(services: Any, changes: dict[str, Any], *, by: str) -> dict[str, Any]:
    """Apply `changes` (any of FIELDS) to the profile, creating it if needed, and record an event."""
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "services":
            values[key] = clean_services(value)
        elif key == "opening_hours":
            values[key] = business_hours.clean_opening_hours(value)
        elif key == "timezone":
            values[key] = business_hours.check_timezone(value)
        elif key in LIMITS:
            if not isinstance(value, str):
                raise InvalidInput(f"'{key}' must be a string")
            values[key] = clean(value, LIMITS[key]) if key != "hours" and key != "about" else _clean_block(
                value, LIMITS[key])
    if "name" in values and not values["name"]:
        raise InvalidInput("the business needs a name")
    now = services.clock.now()
    with services.db.write() as s:
        profile = s.get(BusinessProfile, 1)
        if profile is None:
            if not values.get("name"):
                raise InvalidInput("the business needs a name")
            profile = BusinessProfile(id=1, name=values["name"], phone="", address="", hours="", services=[],
                                      about="", opening_hours={}, timezone="UTC")
            s.add(profile)
        changed = sorted(k for k, v in values.items() if getattr(profile, k) != v)
        for key in changed:
            setattr(profile, key, values[key])
        profile.updated_at, profile.updated_by = now, by
        record_event(s, now, entity="profile", entity_id=1, action="updated", actor=by, fields=changed)
        s.flush()
        return profile_dict(profile)


def _clean_block(value: str, limit: int) -> str:
    """Multi-line text: keep line breaks, drop other control characters, bound the length."""
    lines = [clean(line, limit) for line in value.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()[:limit]


def hours_from_form(form: Any) -> dict[str, Any]:
    """`opening_hours` from the profile form's `open_<day>` / `close_<day>` fields (a day left empty is closed)."""
    hours: dict[str, Any] = {}
    for day in business_hours.DAYS:
        start, end = (form.get(f"open_{day}", "") or "").strip(), (form.get(f"close_{day}", "") or "").strip()
        if form.get(f"closed_{day}") or not (start or end):
            continue
        if end == "00:00":  # a time input cannot say 24:00; midnight closing means the end of the day
            end = "24:00"
        hours[day] = {"open": start, "close": end}
    return hours
