"""Follow-up delivery status and re-sending: JSON API (bearer) and the dashboard's re-send form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from frontdesk.errors import Conflict
from frontdesk.models import Followup
from frontdesk.notifications.manage import MAX_LIST, followup_json, list_followups, resend
from frontdesk.services import Services
from frontdesk.web.apiutil import int_arg
from frontdesk.web.auth import current_supervisor, login_required, token_required

api = Blueprint("api_followups", __name__, url_prefix="/api/v1")
pages = Blueprint("followup_pages", __name__)
MAX_LIMIT = MAX_LIST


def _services() -> Services:
    return current_app.extensions["frontdesk"]  # type: ignore[no-any-return]


def _actor() -> str:
    sup = current_supervisor()
    return sup.email if sup is not None else "unknown"


@api.get("/followups")
@token_required
def followups() -> Any:
    """List follow-ups: `?help_request_id=` and `?status=queued|sent|failed|dead` filter, `?limit=` (max 1000)."""
    rows = list_followups(
        _services().db,
        help_request_id=int_arg("help_request_id", None),
        status=request.args.get("status") or None,
        limit=int_arg("limit", 200, MAX_LIMIT) or 200,
    )
    return jsonify({"items": [followup_json(r) for r in rows]})


@api.post("/followups/<int:followup_id>/resend")
@token_required
def resend_followup(followup_id: int) -> Any:
    """Queue a new attempt of a sent, failed or dead follow-up; 409 if it is already queued."""
    svc = _services()
    row = resend(svc.db, svc.clock, svc.settings, followup_id, by=_actor())
    svc.signals.publish("followup")
    return jsonify(followup_json(row))


@pages.post("/followups/<int:followup_id>/resend")
@login_required
def resend_followup_page(followup_id: int) -> Response:
    """The dashboard's re-send button (CSRF-protected form): re-queue, then back to the request page."""
    svc = _services()
    try:
        row = resend(svc.db, svc.clock, svc.settings, followup_id, by=_actor())
    except Conflict as exc:
        flash(str(exc), "error")
        with svc.db.read() as s:
            request_id = s.scalar(select(Followup.help_request_id).where(Followup.id == followup_id))
        return redirect(f"/requests/{request_id}" if request_id else "/pending")
    svc.signals.publish("followup")
    flash(f"Follow-up {followup_id} queued for re-sending.", "info")
    return redirect(f"/requests/{row.help_request_id}" if row.help_request_id else "/pending")


def register(app: Any, csrf: Any) -> None:
    """Mount both blueprints; the API one is CSRF-exempt (bearer auth, no cookies)."""
    csrf.exempt(api)
    app.register_blueprint(api)
    app.register_blueprint(pages)
