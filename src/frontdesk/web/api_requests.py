"""JSON API for help requests (`/api/v1/help-requests`), bearer-token authenticated."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from frontdesk.errors import Conflict
from frontdesk.models import REQUEST_STATUSES
from frontdesk.usage import set_urgent
from frontdesk.web import queries
from frontdesk.web.apiutil import bool_field, check_id, int_arg, json_body, page_arg, str_field
from frontdesk.web.auth import current_supervisor, token_required
from frontdesk.web.errors import ApiError

bp = Blueprint("api_requests", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 200


def _services() -> Any:
    return current_app.extensions["frontdesk"]


def _me() -> str:
    sup = current_supervisor()
    return sup.email if sup is not None else "api"


def _per_page() -> int:
    return int_arg("per_page", queries.PAGE_SIZE, MAX_PER_PAGE) or queries.PAGE_SIZE


@bp.get("/help-requests")
@token_required
def list_help_requests() -> Any:
    """`?status=pending|resolved|unresolved&q=&page=&per_page=` -> `{items, page, per_page, total}`."""
    status = request.args.get("status", "pending")
    if status not in REQUEST_STATUSES:
        raise ApiError(400, "invalid", f"'status' must be one of {', '.join(REQUEST_STATUSES)}")
    page, per_page = page_arg(), _per_page()
    q = queries.clean_query(request.args.get("q"))
    with _services().db.read() as s:
        views, total = queries.list_requests(s, status, q=q, page=page, per_page=per_page,
                                             now=_services().clock.now())
    cap = queries.SEARCH_COUNT_CAP if q else queries.COUNT_CAP
    return jsonify({"items": [v.as_dict() for v in views], "page": page, "per_page": per_page,
                    "total": min(total, cap), "total_is_lower_bound": total > cap})


@bp.get("/help-requests/<int:request_id>")
@token_required
def get_help_request(request_id: int) -> Any:
    """One request with its callers (masked), events and follow-ups."""
    check_id(request_id, "help request")
    with _services().db.read() as s:
        found = queries.request_detail(s, request_id, now=_services().clock.now())
    if found is None:
        raise ApiError(404, "not_found", f"help request {request_id} does not exist")
    body = found.view.as_dict()
    body["callers"] = [
        {k: (v.isoformat() + "Z" if k == "joined_at" else v) for k, v in w.items() if k != "call_id"}
        for w in found.waiters
    ]
    body["events"] = [{"id": e.id, "action": e.action, "actor": e.actor, "at": e.at.isoformat() + "Z",
                       "details": e.details} for e in found.events]
    body["followups"] = [
        {"id": f.id, "kind": f.kind, "channel": f.channel, "recipient": queries.mask_recipient(f.channel, f.recipient),
         "status": f.status, "attempts": f.attempts, "last_error": f.last_error,
         "sent_at": f.sent_at.isoformat() + "Z" if f.sent_at else None}
        for f in found.followups
    ]
    body["learned_entries"] = [e.id for e in found.learned]
    return jsonify(body)


@bp.post("/help-requests/<int:request_id>/answer")
@token_required
def answer_help_request(request_id: int) -> Any:
    """`{answer, add_to_kb?, kb_question?}` -> the resolved request; 409 when no longer answerable."""
    check_id(request_id, "help request")
    data = json_body()
    answer = str_field(data, "answer", limit=20_000) or ""
    add_to_kb = bool_field(data, "add_to_kb", True)
    kb_question = str_field(data, "kb_question", required=False, limit=20_000)
    try:
        _services().desk.answer(request_id, answer, by=_me(), add_to_kb=add_to_kb, kb_question=kb_question)
    except Conflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return _one(request_id)


@bp.post("/help-requests/<int:request_id>/close")
@token_required
def close_help_request(request_id: int) -> Any:
    """`{reason?}` -> the closed request (callers are told); 409 when not pending."""
    check_id(request_id, "help request")
    reason = ""
    if request.get_data(cache=True).strip():
        reason = str_field(json_body(), "reason", required=False, limit=2000) or ""
    _services().desk.close(request_id, by=_me(), reason=reason)
    return _one(request_id)


@bp.post("/help-requests/<int:request_id>/urgent")
@token_required
def mark_urgent(request_id: int) -> Any:
    """`{urgent: true|false}` -> the request with its new priority; 409 when not pending."""
    check_id(request_id, "help request")
    data = json_body()
    if not isinstance(data.get("urgent"), bool):
        raise ApiError(400, "invalid", "'urgent' must be true or false")
    set_urgent(_services().db, _services().clock, request_id, data["urgent"], by=_me())
    _services().signals.publish("help_request", id=request_id, action="urgent")
    return _one(request_id)


def _one(request_id: int) -> Any:
    with _services().db.read() as s:
        views = queries.requests_by_id(s, [request_id], now=_services().clock.now())
    return jsonify(views[0].as_dict())
