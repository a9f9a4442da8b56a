"""OpenAPI paths and schemas of live handoff (`/transfers`, `/calls/{id}/takeover|supervisor-messages|release`)
and the held call's answer to a caller message; merged into `openapi.document()` by one line."""

from __future__ import annotations

from typing import Any

from frontdesk.models import TRANSFER_STATUSES

STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
NINT = {"type": ["integer", "null"]}
# As openapi.TEXT: cleaned (control, format, private-use characters dropped), refused when nothing visible is left.
LINE = {"type": "string", "format": "visible-text", "pattern": "\\S", "maxLength": 4000,
        "description": "must contain a visible character; control and format characters are removed first"}

SCHEMAS: dict[str, Any] = {
    "Transfer": {"type": "object", "required": ["id", "call_id", "status", "reason", "question", "summary",
                                                "offered_at", "expires_at", "taken_by"],
                 "properties": {
                     "id": {"type": "integer"}, "call_id": STR,
                     "status": {"type": "string", "enum": list(TRANSFER_STATUSES)},
                     "reason": {"type": "string", "description": "asked_for_person, urgent, escalated_twice or takeover"},
                     "transport": {"type": "string", "enum": ["text", "voice"]},
                     "caller": {"type": "string", "description": "masked phone and name"},
                     "question": STR, "summary": {"type": "string", "description": "two lines on the call so far"},
                     "offered_at": NSTR, "expires_at": NSTR, "taken_by": NSTR, "help_request_id": NINT}},
    "Taken": {"type": "object", "required": ["id", "call_id", "transport"], "properties": {
        "id": {"type": "integer"}, "call_id": STR, "transport": {"type": "string", "enum": ["text", "voice"]},
        "livekit_url": {"type": "string", "description": "voice only: join the caller's room with `token`"},
        "token": STR, "room": STR}},
}

# `GET /calls/{id}` (additive): the caller page listens to its live stream while `on_hold`.
CALL_HOLD: dict[str, Any] = {
    "on_hold": {"type": "boolean", "description": "waiting for a person (an offer is pending) or held by one"},
    "held_by": {**NSTR, "description": "the supervisor holding the live call, else null"}}


def paths(op: Any, json: Any, ref: Any, path_id: Any, conflict: dict[str, Any]) -> dict[str, Any]:
    """The handoff paths, built with `openapi.py`'s helpers."""
    call = [path_id("string")]
    return {
        "/transfers": {"get": op("Transfers offered to supervisors and their outcomes (newest first)", json(
            {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref("Transfer")}}}),
            params=[{"name": "status", "in": "query", "required": False,
                     "description": "only transfers in this status (empty: all)",
                     "schema": {"type": "string", "enum": ["", *TRANSFER_STATUSES]}}])},
        "/transfers/{id}/accept": {"post": op(
            "Take an offered transfer (the first accept wins; 409 for the others or when no longer offered)",
            json(ref("Taken")), params=[path_id()], extra=conflict)},
        "/transfers/{id}/decline": {"post": op(
            "Decline an offered transfer (when every online supervisor declined, the caller gets the fallback)",
            json({"type": "object", "properties": {"id": {"type": "integer"}, "status": STR}}),
            params=[path_id()], extra=conflict)},
        "/calls/{id}/takeover": {"post": op("Take a live call without an offer (409 when someone holds it)",
                                            json(ref("Taken")), params=call, extra=conflict)},
        "/calls/{id}/supervisor-messages": {"post": op(
            "Say something to the caller of a call you hold (a supervisor line)",
            json({"type": "object", "properties": {"call_id": STR, "role": STR, "text": STR}}, "Created"),
            params=call, status="201", extra=conflict,
            body={"type": "object", "required": ["text"], "properties": {"text": LINE}})},
        "/calls/{id}/release": {"post": op("Hand a call you hold back to the receptionist",
                                           json({"type": "object", "properties": {"call_id": STR, "held_by": NSTR}}),
                                           params=call, extra=conflict)},
    }


def message_reply() -> dict[str, Any]:
    """`POST /calls/{id}/messages`: while a supervisor holds the call, `reply` is null and `held_by` names them."""
    return {"type": "object", "properties": {"reply": NSTR, "help_request_id": NINT, "held_by": NSTR}}
