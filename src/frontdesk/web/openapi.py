"""`GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the whole `/api/v1` contract (DESIGN.md)."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from flask import Blueprint, jsonify

from frontdesk.models import FOLLOWUP_STATUSES
from frontdesk.web import openapi_queue

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _err(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


# Error answers are documented per operation, exactly where the server can give them (schemathesis checks it).
BAD_INPUT = {"400": _err("Bad input: a parameter or the body is missing, of the wrong type, out of range or blank")}
UNAUTHORIZED = {"401": _err("Missing, expired or revoked bearer token")}
NOT_FOUND = {"404": _err("No such resource")}
TOO_LARGE = {"413": _err("The body is larger than 256 KiB")}
UNAVAILABLE = {"503": {**_err("The database is unreachable, or the receptionist is busy; retry after `Retry-After`"),
                       "headers": {"Retry-After": {"schema": {"type": "string"}}}}}
CONFLICT = {"409": _err("The request is no longer answerable")}
RATE = {"429": _err("Rate limited (counted per client address across all processes)")}


def _op(summary: str, ok: dict[str, Any], *, auth: bool = True, body: dict[str, Any] | None = None,
        params: list[dict[str, Any]] | None = None, extra: dict[str, Any] | None = None,
        status: str = "200", body_required: bool = True) -> dict[str, Any]:
    """One operation with the error answers it can give: 400 with input, 401 with auth, 404 with a path id,
    413 with a body, 503 always, plus `extra`."""
    responses: dict[str, Any] = {status: ok}
    if body is not None or params:
        responses.update(BAD_INPUT)
    if auth:
        responses.update(UNAUTHORIZED)
    if any(p.get("in") == "path" for p in params or []):
        responses.update(NOT_FOUND)
    if body is not None:
        responses.update(TOO_LARGE)
    responses.update(UNAVAILABLE)
    responses.update(extra or {})
    op: dict[str, Any] = {"summary": summary, "responses": dict(sorted(responses.items()))}
    op["security"] = BEARER if auth else []
    if body is not None:
        op["requestBody"] = _body(body, body_required)
    if params:
        op["parameters"] = params
    return op


def _q(name: str, description: str, schema: dict[str, Any] | None = None, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


def _path_id(kind: str = "integer") -> dict[str, Any]:
    schema = ID if kind == "integer" else CALL_ID
    return {"name": "id", "in": "path", "required": True, "schema": schema}


STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
MAX_ID = 2**31 - 1
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
CALL_ID = {"type": "string", "pattern": "^[0-9A-Za-z]{1,64}$", "description": "the id `POST /calls` returned"}


def _or_empty(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter the server also takes empty (`?page=`, as a form sends it), meaning its default."""
    return {"anyOf": [schema, {"type": "string", "enum": [""]}]}


PAGE = _or_empty({"type": "integer", "minimum": 1, "maximum": 100_000})
# Text the server cleans (control characters dropped, whitespace collapsed) and refuses when nothing is left.
TEXT = {"type": "string", "format": "visible-text", "pattern": "\\S",
        "description": "must contain a visible character (a letter, digit, mark, punctuation or symbol): control, "
                       "format, private-use and unassigned characters are removed first"}
# Validated with `phonenumbers` (a real number of PHONE_REGION or with +country), which no pattern can say.
# The custom format `phone` names that rule for generators (tests/hostile/st_hooks.py gives it a strategy).
PHONE = {"type": "string", "format": "phone", "example": "+14155550100",
         "description": "a phone number libphonenumber calls valid, in PHONE_REGION or with +country (or in the "
                        "fictional +1 555 range), e.g. +14155550100; 400 otherwise"}
OPTIONAL_PHONE = {**PHONE, "format": "phone-or-empty", "description": "empty, or a phone number as above"}
SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"], "properties": {"code": STR, "message": STR}}}},
    "HelpRequest": {"type": "object", "properties": {
        "id": {"type": "integer"}, "question": STR,
        "status": {"type": "string", "enum": ["pending", "resolved", "unresolved"]},
        "created_at": STR, "expires_at": STR, "answer": NSTR, "answered_by": NSTR,
        "outcome": {"type": ["string", "null"], "enum": ["answered", "late_answer", "timeout", "closed", None]},
        "resolved_at": NSTR, "callers_waiting": {"type": "integer"}, "caller": {"type": "string",
                                                                                 "description": "masked phone"},
        **openapi_queue.HELP_REQUEST_FIELDS}},
    "HelpRequestList": {"type": "object", "properties": {
        "items": {"type": "array", "items": _ref("HelpRequest")}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "total": {"type": "integer"}}},
    "Knowledge": {"type": "object", "properties": {
        "id": {"type": "integer"}, "question": STR, "answer": STR,
        "source": {"type": "string", "enum": ["seed", "learned", "manual", "import"]},
        "source_request_id": {"type": ["integer", "null"]},
        "status": {"type": "string", "enum": ["active", "pending_review", "archived"]},
        "times_used": {"type": "integer"}, "created_by": STR, "created_at": STR, "updated_by": STR,
        "updated_at": STR}},
    "Search": {"type": "object", "properties": {
        "matches": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "question": STR, "answer": STR, "score": {"type": "number"}}}},
        "answerable": {"type": "boolean"}}},
    "Profile": {"type": "object", "properties": {
        "name": STR, "phone": STR, "address": STR, "hours": STR, "about": STR,
        "services": {"type": "array", "items": {"type": "object", "properties": {
            "name": STR, "price": STR, "duration": STR}}}}},
    "ProfileUpdate": {"type": "object", "minProperties": 1, "anyOf": [
        {"required": [name]} for name in ("name", "phone", "address", "hours", "services", "about", "opening_hours",
                                          "timezone")], "properties": {
        "name": {**TEXT, "description": "the business needs a name"}, "phone": STR, "address": STR, "hours": STR,
        "about": STR, "services": {"type": "array", "maxItems": 100, "items": {"type": "object", "properties": {
            "name": STR, "price": STR, "duration": STR}}}}},
    "Followup": {"type": "object", "properties": {
        "id": {"type": "integer"}, "help_request_id": {"type": ["integer", "null"]}, "kind": STR, "channel": STR,
        "recipient": STR, "status": {"type": "string", "enum": list(FOLLOWUP_STATUSES)},
        "attempts": {"type": "integer"}, "last_error": NSTR}},
    "Call": {"type": "object", "properties": {
        "id": STR, "status": {"type": "string", "enum": ["live", "ended"]},
        "transcript": {"type": "array", "items": {"type": "object", "properties": {
            "role": {"type": "string", "enum": ["caller", "agent", "supervisor"]}, "text": STR, "at": STR}}}}},
}


def document() -> dict[str, Any]:
    """The OpenAPI document (paths are relative to the server URL `/api/v1`)."""
    kb_obj = _json(_ref("Knowledge"))
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Frontdesk API", "version": "1",
                 "description": "Human-in-the-loop AI receptionist: help requests, knowledge base, text calls."},
        "servers": [{"url": "/api/v1"}],
        "components": {"schemas": SCHEMAS, "securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer", "description": "token from POST /auth/token"}}},
        "paths": {
            "/auth/token": {"post": _op("Exchange email and password for a bearer token", _json(
                {"type": "object", "required": ["token"], "properties": {"token": STR, "token_type": STR}}),
                auth=False, extra={**RATE, "401": _err("Wrong email or password, or a deactivated supervisor")},
                body={"type": "object", "required": ["email", "password"], "properties": {
                    "email": {"type": "string", "maxLength": 320}, "password": {"type": "string", "maxLength": 1000}}})},
            "/auth/revoke": {"post": _op("End this bearer token now (`everywhere`: also every other token and "
                                         "dashboard session of its supervisor)", _json(
                {"type": "object", "required": ["revoked"], "properties": {"revoked": {"type": "integer"}}}),
                body={"type": "object", "properties": {"everywhere": {"type": ["boolean", "null"], "default": False,
                                                                      "description": "null: false"}}},
                body_required=False)},
            "/calls": {"post": _op("Start a simulated text call", _json(
                {"type": "object", "required": ["id", "greeting"], "properties": {"id": STR, "greeting": STR}},
                "Created"), auth=False, status="201", extra={**RATE, **NOT_FOUND},
                body={"type": "object", "required": ["caller_phone"],
                      "properties": {"caller_phone": PHONE, "caller_name": NSTR}})},
            "/calls/{id}": {"get": _op("A call and its transcript", _json(_ref("Call")), auth=False,
                                       params=[_path_id("string")])},
            "/calls/{id}/messages": {"post": _op("Say something in a text call (text past MAX_MESSAGE_CHARS is cut)",
                _json({"type": "object", "properties": {"reply": STR,
                                                        "help_request_id": {"type": ["integer", "null"]}}}),
                auth=False, params=[_path_id("string")], extra={"409": _err("The call has ended")},
                body={"type": "object", "required": ["text"], "properties": {"text": TEXT}})},
            "/calls/{id}/end": {"post": _op("Hang up a text call (idempotent)", _json(_ref("Call")), auth=False,
                                            params=[_path_id("string")])},
            "/calls/voice-token": {"post": _op(
                "A LiveKit token for a voice call from the caller page (404 when LiveKit is not configured)",
                _json({"type": "object", "properties": {"url": STR, "token": STR, "room": STR, "identity": STR}}),
                auth=False, extra={**RATE, **NOT_FOUND}, body={"type": "object", "properties": {
                    "caller_phone": {**OPTIONAL_PHONE, "type": ["string", "null"]}, "caller_name": NSTR}})},
            "/help-requests": {"get": _op("List help requests", _json(_ref("HelpRequestList")), params=[
                _q("status", "pending (default), resolved or unresolved",
                   {"type": "string", "enum": ["pending", "resolved", "unresolved"]}),
                _q("q", "search the question text (first 200 characters)"), _q("page", "1-based page", PAGE),
                _q("per_page", "rows per page", _or_empty({"type": "integer", "minimum": 1, "maximum": 200}))])},
            "/help-requests/{id}": {"get": _op("One help request with callers, events and follow-ups",
                                               _json(_ref("HelpRequest")), params=[_path_id()])},
            "/help-requests/{id}/answer": {"post": _op(
                "Answer (resolve) a pending or unresolved request", _json(_ref("HelpRequest")), params=[_path_id()],
                extra=CONFLICT, body={"type": "object", "required": ["answer"], "properties": {
                    "answer": {**TEXT, "maxLength": 20_000}, "add_to_kb": {"type": ["boolean", "null"], "default": True,
                                                                     "description": "null: true"},
                    "kb_question": {"type": ["string", "null"], "maxLength": 20_000}}})},
            "/help-requests/{id}/close": {"post": _op(
                "Close a pending request without an answer (callers are told)", _json(_ref("HelpRequest")),
                params=[_path_id()], extra=CONFLICT, body_required=False,
                body={"type": "object", "properties": {"reason": {"type": ["string", "null"], "maxLength": 2000}}})},
            "/knowledge": {
                "get": _op("List knowledge entries", _json({"type": "object", "properties": {
                    "items": {"type": "array", "items": _ref("Knowledge")}, "page": {"type": "integer"},
                    "per_page": {"type": "integer"}, "total": {"type": "integer"}}}),
                    params=[_q("status", "active, pending_review or archived (empty: all)",
                               {"type": "string", "enum": ["", "active", "pending_review", "archived"]}),
                            _q("q", "substring of question or answer (first 200 characters)"),
                            _q("page", "1-based page", PAGE)]),
                "post": _op("Add an entry", _json(_ref("Knowledge"), "Created"), status="201",
                            extra={"409": _err("An entry already has this question (edit that one)")}, body={
                    "type": "object", "required": ["question", "answer"],
                    "properties": {"question": {**TEXT, "maxLength": 10_000}, "answer": {**TEXT, "maxLength": 10_000}}}),
            },
            "/knowledge/search": {"get": _op("What the agent would answer", _json(_ref("Search")),
                                             params=[_q("q", "the caller's question", TEXT, required=True)])},
            "/knowledge/{id}": {
                "get": _op("One entry", kb_obj, params=[_path_id()]),
                "patch": _op("Edit, approve, archive or restore an entry", kb_obj, params=[_path_id()], body={
                    "type": "object", "properties": {
                        "question": {**TEXT, "type": ["string", "null"], "maxLength": 10_000},
                        "answer": {**TEXT, "type": ["string", "null"], "maxLength": 10_000},
                        "status": {"type": ["string", "null"], "enum": ["active", "pending_review", "archived", None]}}}),
                "delete": _op("Archive an entry", kb_obj, params=[_path_id()]),
            },
            "/profile": {
                "get": _op("The business profile", _json(_ref("Profile"))),
                "put": _op("Save the business profile (the fields given; at least one)", _json(_ref("Profile")),
                           body=_ref("ProfileUpdate")),
            },
            "/followups": {"get": _op("Follow-ups (alerts and caller messages) and their delivery", _json(
                {"type": "object", "required": ["items"],
                 "properties": {"items": {"type": "array", "items": _ref("Followup")}}}), params=[
                _q("help_request_id", "only this request's follow-ups", ID),
                _q("status", "only follow-ups in this status",
                   {"type": "string", "enum": ["", *FOLLOWUP_STATUSES]}),
                _q("limit", "at most this many (oldest first)",
                   _or_empty({"type": "integer", "minimum": 1, "maximum": 1000}))])},
            "/followups/{id}/resend": {"post": _op("Queue a new attempt of a sent, failed or dead follow-up",
                                                   _json(_ref("Followup")), params=[_path_id()], extra=CONFLICT)},
            "/openapi.json": {"get": _op("This document", _json({"type": "object"}), auth=False)},
            **openapi_queue.paths(_op, _json, _q, _path_id, CONFLICT),
        },
    }
    _merge_presence(doc)
    _merge_transfers(doc)
    return doc


def _merge_transfers(doc: dict[str, Any]) -> None:
    """Live handoff paths (`openapi_transfers.py`)."""
    from frontdesk.web import openapi_transfers as t

    doc["components"]["schemas"] = {**doc["components"]["schemas"], **t.SCHEMAS}
    doc["paths"].update(t.paths(_op, _json, _ref, _path_id, CONFLICT))
    doc["paths"]["/calls/{id}/messages"]["post"]["responses"]["200"] = _json(t.message_reply())
    call = doc["components"]["schemas"]["Call"]
    doc["components"]["schemas"]["Call"] = {**call, "properties": {**call["properties"], **t.CALL_HOLD}}


def _merge_presence(doc: dict[str, Any]) -> None:
    """Availability paths and the profile's opening hours (`openapi_presence.py`)."""
    from frontdesk.web import openapi_presence

    doc["components"]["schemas"] = {**doc["components"]["schemas"], **openapi_presence.SCHEMAS}
    profile = doc["components"]["schemas"]["Profile"]
    doc["components"]["schemas"]["Profile"] = {
        **profile, "properties": {**profile["properties"], **openapi_presence.profile_properties()}}
    update = doc["components"]["schemas"]["ProfileUpdate"]
    # Exactly the zones the server accepts (`business_hours.check_timezone`).
    zones = {"type": "string", "enum": sorted(available_timezones()), "description": "IANA time zone"}
    doc["components"]["schemas"]["ProfileUpdate"] = {
        **update, "properties": {**update["properties"], **openapi_presence.profile_properties(), "timezone": zones}}
    doc["paths"].update(openapi_presence.paths(_op, _json, _ref))


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3.1 document of this API."""
    return jsonify(document())
