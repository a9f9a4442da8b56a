"""`GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the whole `/api/v1` contract (DESIGN.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from frontdesk.models import FOLLOWUP_STATUSES

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "Bad input"),
    "401": _json(_ref("Error"), "Missing or invalid bearer token"),
    "404": _json(_ref("Error"), "Not found"),
}


def _op(summary: str, ok: dict[str, Any], *, auth: bool = True, body: dict[str, Any] | None = None,
        params: list[dict[str, Any]] | None = None, extra: dict[str, Any] | None = None,
        status: str = "200") -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {status: ok, **ERRORS, **(extra or {})}}
    op["security"] = BEARER if auth else []
    if body is not None:
        op["requestBody"] = _body(body)
    if params:
        op["parameters"] = params
    return op


def _q(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _path_id(kind: str = "integer") -> dict[str, Any]:
    return {"name": "id", "in": "path", "required": True, "schema": {"type": kind}}


STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
CONFLICT = {"409": _json(_ref("Error"), "The request is no longer answerable")}
RATE = {"429": _json(_ref("Error"), "Rate limited")}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"], "properties": {"code": STR, "message": STR}}}},
    "HelpRequest": {"type": "object", "properties": {
        "id": {"type": "integer"}, "question": STR,
        "status": {"type": "string", "enum": ["pending", "resolved", "unresolved"]},
        "created_at": STR, "expires_at": STR, "answer": NSTR, "answered_by": NSTR,
        "outcome": {"type": ["string", "null"], "enum": ["answered", "late_answer", "timeout", "closed", None]},
        "resolved_at": NSTR, "callers_waiting": {"type": "integer"}, "caller": {"type": "string",
                                                                                 "description": "masked phone"}}},
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
                {"type": "object", "properties": {"token": STR}}), auth=False, extra=RATE, body={
                "type": "object", "required": ["email", "password"], "properties": {"email": STR, "password": STR}})},
            "/auth/revoke": {"post": _op("End this bearer token now (`everywhere`: also every other token and "
                                         "dashboard session of its supervisor)", _json(
                {"type": "object", "required": ["revoked"], "properties": {"revoked": {"type": "integer"}}}),
                body={"type": "object", "properties": {"everywhere": {"type": "boolean", "default": False}}})},
            "/calls": {"post": _op("Start a simulated text call", _json(
                {"type": "object", "properties": {"id": STR, "greeting": STR}}, "Created"), auth=False, status="201",
                extra=RATE, body={"type": "object", "required": ["caller_phone"],
                                  "properties": {"caller_phone": STR, "caller_name": STR}})},
            "/calls/{id}": {"get": _op("A call and its transcript", _json(_ref("Call")), auth=False,
                                       params=[_path_id("string")])},
            "/calls/{id}/messages": {"post": _op("Say something in a text call", _json(
                {"type": "object", "properties": {"reply": STR, "help_request_id": {"type": ["integer", "null"]}}}),
                auth=False, params=[_path_id("string")],
                body={"type": "object", "required": ["text"], "properties": {"text": STR}})},
            "/calls/{id}/end": {"post": _op("Hang up a text call", _json(_ref("Call")), auth=False,
                                            params=[_path_id("string")])},
            "/calls/voice-token": {"post": _op(
                "A LiveKit token for a voice call from the caller page (404 when LiveKit is not configured)",
                _json({"type": "object", "properties": {"url": STR, "token": STR, "room": STR, "identity": STR}}),
                auth=False, extra=RATE, body={"type": "object",
                                              "properties": {"caller_phone": STR, "caller_name": STR}})},
            "/help-requests": {"get": _op("List help requests", _json(_ref("HelpRequestList")), params=[
                _q("status", "pending (default), resolved or unresolved",
                   {"type": "string", "enum": ["pending", "resolved", "unresolved"]}),
                _q("q", "search the question text"), _q("page", "1-based page", {"type": "integer"}),
                _q("per_page", "rows per page (max 200)", {"type": "integer"})])},
            "/help-requests/{id}": {"get": _op("One help request with callers, events and follow-ups",
                                               _json(_ref("HelpRequest")), params=[_path_id()])},
            "/help-requests/{id}/answer": {"post": _op(
                "Answer (resolve) a pending or unresolved request", _json(_ref("HelpRequest")), params=[_path_id()],
                extra=CONFLICT, body={"type": "object", "required": ["answer"], "properties": {
                    "answer": STR, "add_to_kb": {"type": "boolean", "default": True}, "kb_question": NSTR}})},
            "/help-requests/{id}/close": {"post": _op("Close a pending request without an answer",
                                                      _json(_ref("HelpRequest")), params=[_path_id()], extra=CONFLICT)},
            "/knowledge": {
                "get": _op("List knowledge entries", _json({"type": "object", "properties": {
                    "items": {"type": "array", "items": _ref("Knowledge")}, "total": {"type": "integer"}}}),
                    params=[_q("status", "active, pending_review or archived"), _q("q", "substring"),
                            _q("page", "1-based page", {"type": "integer"})]),
                "post": _op("Add an entry", _json(_ref("Knowledge"), "Created"), status="201", body={
                    "type": "object", "required": ["question", "answer"],
                    "properties": {"question": STR, "answer": STR}}),
            },
            "/knowledge/search": {"get": _op("What the agent would answer", _json(_ref("Search")),
                                             params=[{**_q("q", "the caller's question"), "required": True}])},
            "/knowledge/{id}": {
                "get": _op("One entry", kb_obj, params=[_path_id()]),
                "patch": _op("Edit, approve, archive or restore an entry", kb_obj, params=[_path_id()], body={
                    "type": "object", "properties": {"question": STR, "answer": STR, "status": {
                        "type": "string", "enum": ["active", "pending_review", "archived"]}}}),
                "delete": _op("Archive an entry", kb_obj, params=[_path_id()]),
            },
            "/profile": {
                "get": _op("The business profile", _json(_ref("Profile"))),
                "put": _op("Save the business profile (fields given)", _json(_ref("Profile")), body=_ref("Profile")),
            },
            "/followups": {"get": _op("Follow-ups (alerts and caller messages) and their delivery", _json(
                {"type": "object", "properties": {"items": {"type": "array", "items": _ref("Followup")}}}),
                params=[_q("help_request_id", "only this request's follow-ups", {"type": "integer"})])},
            "/followups/{id}/resend": {"post": _op("Queue a new attempt of a sent, failed or dead follow-up",
                                                   _json(_ref("Followup")), params=[_path_id()], extra=CONFLICT)},
            "/openapi.json": {"get": _op("This document", _json({"type": "object"}), auth=False)},
        },
    }
    _merge_presence(doc)
    return doc


def _merge_presence(doc: dict[str, Any]) -> None:
    """Availability paths and the profile's opening hours (`openapi_presence.py`)."""
    from frontdesk.web import openapi_presence

    doc["components"]["schemas"] = {**doc["components"]["schemas"], **openapi_presence.SCHEMAS}
    profile = doc["components"]["schemas"]["Profile"]
    doc["components"]["schemas"]["Profile"] = {
        **profile, "properties": {**profile["properties"], **openapi_presence.profile_properties()}}
    doc["paths"].update(openapi_presence.paths(_op, _json, _ref))


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3.1 document of this API."""
    return jsonify(document())
