"""Analytics: the page with charts (`/analytics`), its JSON (`/analytics/data.json`), the CSV export,
and the same under the bearer-token API (`/api/v1/analytics`, `/api/v1/analytics/export.csv`).

The page renders every figure as tables (the fallback, and what screen readers get); `js/analytics.js`
draws the charts from the JSON with the vendored Chart.js, under the dashboard's strict CSP.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy import select

from frontdesk.analytics import Period, build, parse_period
from frontdesk.errors import InvalidInput
from frontdesk.models import HelpRequest
from frontdesk.text import mask_phone
from frontdesk.web.auth import login_required, token_required
from frontdesk.web.errors import ApiError

bp = Blueprint("analytics", __name__)
api = Blueprint("api_analytics", __name__, url_prefix="/api/v1")
PRESETS = (("today", "Today", 1), ("7d", "7 days", 7), ("30d", "30 days", 30))
CSV_COLUMNS = ("id", "created_at", "question", "status", "outcome", "urgent", "first_caller", "answered_by",
               "resolved_at", "ended_at", "seconds_to_answer")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _services() -> Any:
    return current_app.extensions["frontdesk"]


def _embed() -> Any:
    """The knowledge base's embedder (query-vector cache), or None when no model is available."""
    knowledge = _services().knowledge
    if not knowledge._semantic_ok():  # noqa: SLF001 - the store's own "is a model loaded" check
        return None
    return knowledge.index.embedder.embed_questions


def _period(api_errors: bool) -> Period:
    today = _services().clock.now().date()
    preset = request.args.get("range", "")
    try:
        if preset and not (request.args.get("from") or request.args.get("to")):
            days = {key: n for key, _, n in PRESETS}.get(preset)
            if days is None:
                raise InvalidInput("'range' must be today, 7d or 30d")
            return Period(today - timedelta(days=days - 1), today)
        return parse_period(request.args.get("from"), request.args.get("to"), today)
    except InvalidInput as exc:
        if api_errors:
            raise ApiError(400, "invalid", str(exc)) from None
        raise


def report(period: Period) -> dict[str, Any]:
    """The figures of `period` (see analytics.py)."""
    svc = _services()
    return build(svc.db, period, svc.clock.now(), _embed())


def duration(seconds: float | None) -> str:
    """'45 s', '4.5 min', '2.1 h'; '—' when undefined. Never '0.0 min'."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def pct(x: float | None) -> str:
    """'42%' or '—'."""
    return "—" if x is None else f"{x * 100:.0f}%"


@bp.get("/analytics")
@login_required
def analytics() -> Any:
    """The period's figures as charts (drawn from `/analytics/data.json`) over table fallbacks."""
    try:
        period = _period(api_errors=False)
    except InvalidInput as exc:
        today = _services().clock.now().date()
        period, error = Period(today - timedelta(days=6), today), str(exc)
    else:
        error = ""
    data = report(period)
    heat_max = max((n for row in data["busiest_hours"] for n in row), default=0)
    query = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    return render_template("analytics.html", r=data, period=period, presets=PRESETS, query=query, error=error,
                           active=_active_preset(period), duration=duration, pct=pct, weekdays=WEEKDAYS,
                           heat_level=lambda n: 0 if not n or not heat_max else 1 + min(4, int(5 * n / (heat_max + 1))))


def _active_preset(period: Period) -> str:
    today = _services().clock.now().date()
    for key, _, days in PRESETS:
        if period.end == today and period.start == today - timedelta(days=days - 1):
            return key
    return ""


@bp.get("/analytics/data.json")
@login_required
def analytics_data() -> Any:
    """The page's JSON (session login): the same document as `GET /api/v1/analytics`."""
    return _json_response(report(_period(api_errors=True)))


@bp.get("/analytics/export.csv")
@login_required
def analytics_csv() -> Response:
    """The period's help requests as CSV (session login)."""
    return _csv(_period(api_errors=True))


@api.get("/analytics")
@token_required
def api_analytics() -> Any:
    """`?from=&to=` (ISO dates, default the last 7 days) -> every figure of the period."""
    return _json_response(report(_period(api_errors=True)))


@api.get("/analytics/export.csv")
@token_required
def api_analytics_csv() -> Response:
    """`?from=&to=` -> the period's help requests as CSV."""
    return _csv(_period(api_errors=True))


def _json_response(data: dict[str, Any]) -> Any:
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula ('=', '+', '-', '@' first) gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(period: Period) -> Response:
    db = _services().db

    def rows() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(CSV_COLUMNS)
        from frontdesk.models import HelpRequestCaller
        from frontdesk.priority import is_urgent

        hr = HelpRequest
        with db.read() as s:
            stmt = (select(hr).where(hr.created_at >= period.since, hr.created_at < period.until)
                    .order_by(hr.created_at, hr.id).execution_options(yield_per=1000))
            for part in s.scalars(stmt).partitions():
                firsts = dict(s.execute(
                    select(HelpRequestCaller.help_request_id, HelpRequestCaller.caller_phone)
                    .where(HelpRequestCaller.help_request_id.in_([r.id for r in part]))
                    .order_by(HelpRequestCaller.id.desc())
                ).all())
                for r in part:
                    answered = r.resolved_at - r.created_at if r.resolved_at else None
                    writer.writerow([_cell(v) for v in (
                        r.id, r.created_at.isoformat() + "Z", r.question, r.status, r.outcome or "",
                        "yes" if is_urgent(r) else "no", mask_phone(firsts.get(r.id, "")), r.answered_by or "",
                        r.resolved_at.isoformat() + "Z" if r.resolved_at else "",
                        r.ended_at.isoformat() + "Z" if r.ended_at else "",
                        f"{answered.total_seconds():.0f}" if answered is not None else "")])
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()

    name = f"frontdesk-requests-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response = Response(rows(), mimetype="text/csv")  # the generator needs no request context
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Any, csrf: Any) -> None:
    """Add the page and the API blueprints (the API is token-only, so CSRF-exempt)."""
    app.register_blueprint(bp)
    csrf.exempt(api)
    app.register_blueprint(api)

