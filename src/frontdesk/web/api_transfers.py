"""JSON API of live handoff: transfers offered to supervisors, taking and holding live calls.

All routes need a supervisor (bearer token). A transfer is accepted by exactly one supervisor (409 for
the rest); a held call's caller lines reach the supervisor and the receptionist stays silent until the
call is released.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from frontdesk.models import Supervisor
from frontdesk.transfers import transfer_dict
from frontdesk.web.apiutil import check_id, json_body, str_field
from frontdesk.web.auth import current_supervisor, token_required
from frontdesk.web.errors import ApiError

bp = Blueprint("api_transfers", __name__, url_prefix="/api/v1")
MAX_ID_CHARS = 64


def _services() -> Any:
    return current_app.extensions["frontdesk"]


def _me() -> Supervisor:
    sup = current_supervisor()
    if sup is None:  # token_required ran first; kept for the type checker
        raise ApiError(401, "unauthorized", "log in first")
    return sup


def _call_id(call_id: str) -> str:
    if len(call_id) > MAX_ID_CHARS or not call_id.isalnum():
        raise ApiError(404, "not_found", "no such call")
    return call_id


@bp.get("/transfers")
@token_required
def list_transfers() -> Any:
    """`?status=offered|taken|declined|expired|cancelled|failed|ended` -> `{items}` (newest first, 100)."""
    status = request.args.get("status") or None
    items = _services().transfers.store.recent(status)
    return jsonify({"items": [transfer_dict(t) for t in items]})


@bp.post("/transfers/<int:transfer_id>/accept")
@token_required
def accept(transfer_id: int) -> Any:
    """Take an offered transfer: `{id, call_id, transport}` (+ `{livekit_url, token, room}` for voice); 409 if
    someone else took it or it is no longer offered."""
    check_id(transfer_id, "transfer")
    return jsonify(_services().transfers.accept_for(transfer_id, _me()))


@bp.post("/transfers/<int:transfer_id>/decline")
@token_required
def decline(transfer_id: int) -> Any:
    """Decline an offered transfer -> `{id, status}` (`declined` once every online supervisor declined)."""
    check_id(transfer_id, "transfer")
    status = _services().transfers.decline(transfer_id, _me())
    return jsonify({"id": transfer_id, "status": status})


@bp.post("/calls/<call_id>/takeover")
@token_required
def takeover(call_id: str) -> Any:
    """Take a live call without an offer; 409 if someone else holds it or it ended."""
    return jsonify(_services().transfers.takeover_for(_call_id(call_id), _me()))


@bp.post("/calls/<call_id>/supervisor-messages")
@token_required
def supervisor_message(call_id: str) -> Any:
    """`{text}`: say something to the caller of a call you hold (a `supervisor` line) -> 201."""
    text = str_field(json_body(), "text", limit=4000) or ""
    _services().transfers.say(_call_id(call_id), _me(), text)
    return jsonify({"call_id": call_id, "role": "supervisor", "text": text.strip()}), 201


@bp.post("/calls/<call_id>/release")
@token_required
def release(call_id: str) -> Any:
    """Hand a call you hold back to the receptionist, which greets the caller again."""
    _services().transfers.release(_call_id(call_id), _me())
    return jsonify({"call_id": call_id, "held_by": None})
