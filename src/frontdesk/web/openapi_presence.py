"""OpenAPI paths and schemas of availability (`/supervisors`, `/me/availability`, `/me/heartbeat`) and
the structured opening hours of the profile; merged into `openapi.document()` by one line."""

from __future__ import annotations

from typing import Any

from frontdesk.business_hours import DAYS
from frontdesk.models import AVAILABILITY

STR = {"type": "string"}
STATUS = {"type": "string", "enum": list(AVAILABILITY)}
HHMM = {"type": "string", "pattern": "^([01]?[0-9]|2[0-3]):[0-5][0-9]$|^24:00$"}
SPAN = {"type": ["object", "null"], "required": ["open", "close"], "additionalProperties": False,
        "properties": {"open": HHMM, "close": HHMM}}

SCHEMAS: dict[str, Any] = {
    "Supervisor": {"type": "object", "required": ["id", "email", "name", "availability", "last_seen_at"],
                   "properties": {
                       "id": {"type": "integer"}, "email": STR, "name": STR,
                       "phone": {"type": "string", "description": "E.164, or empty"},
                       "availability": STATUS,
                       "last_seen_at": {"type": ["string", "null"], "description": "last heartbeat (UTC)"}}},
    "Availability": {"type": "object", "required": ["status"], "properties": {"status": STATUS}},
    "OpeningHours": {"type": "object", "additionalProperties": False,
                     "description": "per weekday {open, close} in HH:MM (close may be 24:00, or earlier than open "
                                    "to run past midnight); a missing or null day is closed",
                     "properties": {day: SPAN for day in DAYS}},
}


def paths(op: Any, json: Any, ref: Any) -> dict[str, Any]:
    """The availability paths, built with `openapi.py`'s helpers (`_op`, `_json`, `_ref`)."""
    status = json(ref("Availability"))
    return {
        "/supervisors": {"get": op("Every supervisor with their availability", json(
            {"type": "object", "required": ["items"],
             "properties": {"items": {"type": "array", "items": ref("Supervisor")}}}))},
        "/me/availability": {"put": op("Set my availability (online, away or offline)", status,
                                       body=ref("Availability"))},
        "/me/heartbeat": {"post": op("Keep my online status alive (PRESENCE_TIMEOUT_SECONDS)", status)},
    }


def profile_properties() -> dict[str, Any]:
    """The profile's structured-hours fields."""
    return {"opening_hours": {"$ref": "#/components/schemas/OpeningHours"},
            "timezone": {"type": "string", "description": "IANA time zone, e.g. America/Los_Angeles"}}
