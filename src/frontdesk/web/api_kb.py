"""JSON API for the knowledge base (`/api/v1/knowledge`) and the business profile (`/api/v1/profile`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from frontdesk.knowledge.store import entry_dict
from frontdesk.models import KB_STATUSES
from frontdesk.web import profile as profile_store
from frontdesk.web import queries
from frontdesk.web.apiutil import check_id, json_body, page_arg, str_field
from frontdesk.web.auth import current_supervisor, token_required
from frontdesk.web.errors import ApiError
from frontdesk.web.views_kb import list_entries

bp = Blueprint("api_kb", __name__, url_prefix="/api/v1")
API_PAGE = 50


def _services() -> Any:
    return current_app.extensions["frontdesk"]


def _me() -> str:
    sup = current_supervisor()
    return sup.email if sup is not None else "api"


@bp.get("/knowledge")
@token_required
def list_knowledge() -> Any:
    """`?status=active|pending_review|archived&q=&page=` -> `{items, page, total}`."""
    status = request.args.get("status", "")
    if status and status not in KB_STATUSES:
        raise ApiError(400, "invalid", f"'status' must be one of {', '.join(KB_STATUSES)}")
    page = page_arg()
    with _services().db.read() as s:
        rows, total = list_entries(s, status=status, q=queries.clean_query(request.args.get("q")), page=page,
                                   per_page=API_PAGE)
    return jsonify({"items": [entry_dict(e) for e in rows], "page": page, "per_page": API_PAGE, "total": total})


@bp.post("/knowledge")
@token_required
def create_knowledge() -> Any:
    """`{question, answer}` -> 201 and the new entry (source `manual`)."""
    data = json_body()
    entry = _services().knowledge.create(str_field(data, "question") or "", str_field(data, "answer") or "",
                                         by=_me())
    return jsonify(entry_dict(entry)), 201


@bp.get("/knowledge/search")
@token_required
def search_knowledge() -> Any:
    """`?q=` -> `{matches: [{id, question, answer, score}], answerable}`: exactly what the agent would use."""
    q = queries.clean_query(request.args.get("q"))
    if not q:
        raise ApiError(400, "invalid", "'q' is required")
    result = _services().knowledge.search(q)
    return jsonify({
        "matches": [{"id": m.id, "question": m.question, "answer": m.answer, "score": m.score}
                    for m in result.matches],
        "answerable": bool(result.answerable),
        "best_id": result.best.id if result.best else None,
        "reason": result.reason,
    })


@bp.get("/knowledge/<int:entry_id>")
@token_required
def get_knowledge(entry_id: int) -> Any:
    """One entry."""
    check_id(entry_id, "knowledge entry")
    return jsonify(entry_dict(_services().knowledge.get(entry_id)))


@bp.patch("/knowledge/<int:entry_id>")
@token_required
def update_knowledge(entry_id: int) -> Any:
    """`{question?, answer?, status?}`: edit, approve (`active`), archive or restore an entry."""
    check_id(entry_id, "knowledge entry")
    data = json_body()
    entry = _services().knowledge.update(
        entry_id, by=_me(), question=str_field(data, "question", required=False),
        answer=str_field(data, "answer", required=False), status=str_field(data, "status", required=False),
    )
    return jsonify(entry_dict(entry))


@bp.delete("/knowledge/<int:entry_id>")
@token_required
def archive_knowledge(entry_id: int) -> Any:
    """Archive an entry (kept for history, no longer used by the agent); restore with PATCH status=active."""
    check_id(entry_id, "knowledge entry")
    return jsonify(entry_dict(_services().knowledge.update(entry_id, by=_me(), status="archived")))


@bp.get("/profile")
@token_required
def get_profile() -> Any:
    """The business profile the agent speaks from."""
    return jsonify(profile_store.load(_services()))


@bp.put("/profile")
@token_required
def put_profile() -> Any:
    """`{name?, phone?, address?, hours?, services?: [{name, price, duration}], about?}`: fields given are saved."""
    data = json_body()
    changes = {k: data[k] for k in profile_store.FIELDS if k in data}
    if not changes:
        raise ApiError(400, "invalid", f"send at least one of {', '.join(profile_store.FIELDS)}")
    return jsonify(profile_store.save(_services(), changes, by=_me()))
