"""The analytics page: how much the AI handles alone and how fast supervisors answer."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from frontdesk.analytics import build_report
from frontdesk.web.auth import login_required

bp = Blueprint("analytics", __name__)
WINDOWS = (1, 7, 30, 90)


@bp.get("/analytics")
@login_required
def analytics() -> str:
    """Deflection, outcomes, answer times and knowledge growth over a chosen window."""
    services = current_app.extensions["frontdesk"]
    days = request.args.get("days", 7, type=int)
    if days not in WINDOWS:
        days = 7
    report = build_report(services.db, services.clock.now(), days)
    return render_template("analytics.html", report=report, windows=WINDOWS)
