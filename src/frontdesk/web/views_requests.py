"""Supervisor pages for help requests: the live queue, history, detail, and the answer/close forms."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from frontdesk import priority
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.models import OUTCOMES, PENDING, RESOLVED, UNRESOLVED
from frontdesk.usage import set_urgent
from frontdesk.web import queries
from frontdesk.web.apiutil import MAX_ID, page_number, parse_positive
from frontdesk.web.auth import current_supervisor, login_required
from frontdesk.web.live import LiveFeed, sse_stream
from frontdesk.web.redirects import safe_next
from frontdesk.web.suggest import SuggestionCache

bp = Blueprint("pages", __name__)


def _services() -> Any:
    return current_app.extensions["frontdesk"]


def live_feed() -> LiveFeed:
    """The app's live feed (created on first use, so building the app starts nothing)."""
    feed = current_app.extensions.get("frontdesk_live")
    if feed is None:
        svc = _services()
        feed = current_app.extensions.setdefault("frontdesk_live", LiveFeed(svc.db, svc.signals))
    return feed  # type: ignore[no-any-return]


def _suggestions() -> SuggestionCache:
    cache = current_app.extensions.get("frontdesk_suggest")
    if cache is None:
        cache = current_app.extensions.setdefault("frontdesk_suggest", SuggestionCache(_services()))
    return cache  # type: ignore[no-any-return]


def _me() -> str:
    sup = current_supervisor()
    return sup.email if sup is not None else "unknown"


def _card_context(views: list[queries.RequestView]) -> dict[str, Any]:
    return {"views": views, "suggestions": _suggestions().for_questions([v.request.question for v in views]),
            "now": _services().clock.now()}


@bp.get("/")
@login_required
def index() -> Any:
    """The dashboard starts at the queue."""
    return redirect(url_for("pages.pending"))


@bp.get("/pending")
@login_required
def pending() -> Any:
    """The live queue: the requests expiring soonest (capped), the total, updated through /events."""
    with _services().db.read() as s:
        views, total = queries.list_requests(s, PENDING, per_page=queries.QUEUE_CAP, transcript=True,
                                             now=_services().clock.now())
    return render_template("pending.html", total=total, cap=queries.QUEUE_CAP,
                           last_event_id=live_feed().latest_id(), **_card_context(views))


@bp.get("/pending/cards")
@login_required
def pending_cards() -> Any:
    """HTML fragment of the given requests that are still pending (for live insertion by the queue page)."""
    # The page's own script sends this list; anything that is not an id is skipped, never a 500.
    ids = [i for i in (parse_positive(x) for x in request.args.get("ids", "").split(",")[:100]) if i is not None]
    with _services().db.read() as s:
        views = queries.requests_by_id(s, ids, status=PENDING, transcript=True, now=_services().clock.now())
        total = queries.count_pending(s)
    response = current_app.make_response(render_template("_cards.html", **_card_context(views)))
    response.headers["X-Pending-Total"] = str(total)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/pending/order")
@login_required
def pending_order() -> Any:
    """JSON `{total, items: [{id, priority, reasons, urgent}]}`: the queue's top cards in priority order."""
    with _services().db.read() as s:
        views, total = queries.list_requests(s, PENDING, per_page=queries.QUEUE_CAP, now=_services().clock.now())
    items = [{"id": v.request.id, "priority": v.priority, "reasons": v.priority_reasons,
              "urgent": priority.is_urgent(v.request)} for v in views]
    response = jsonify({"total": total, "items": items})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/events")
@login_required
def events() -> Response:
    """Server-sent events: `{messages: [{id, action}]}` for every help-request change, from any process."""
    # EventSource resends the last id itself after a network error; a new stream passes it in the URL.
    header = request.headers.get("Last-Event-ID") or request.args.get("last_event_id", "")
    last = 0 if header == "0" else parse_positive(header)
    disconnected = request.environ.get("waitress.client_disconnected")
    stream = sse_stream(live_feed(), last, disconnected=disconnected)
    response = Response(stream_with_context(stream), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _history(status: str) -> Any:
    q = queries.clean_query(request.args.get("q"))
    outcome = request.args.get("outcome", "")
    outcome = outcome if outcome in OUTCOMES else ""
    page = page_number(request.args.get("page"))
    with _services().db.read() as s:
        views, total = queries.list_requests(s, status, q=q, outcome=outcome, page=page)
    cap = queries.SEARCH_COUNT_CAP if q else queries.COUNT_CAP
    capped = total > cap
    pages = max(1, -(-min(total, cap) // queries.PAGE_SIZE))
    outcomes = ("answered", "late_answer") if status == RESOLVED else ("timeout", "closed")
    return render_template("history.html", status=status, views=views, total=min(total, cap), capped=capped,
                           q=q, outcome=outcome,
                           outcomes=outcomes, page=page, pages=pages, now=_services().clock.now())


@bp.get("/resolved")
@login_required
def resolved() -> Any:
    """Answered requests, newest first, with search, outcome filter and pages."""
    return _history(RESOLVED)


@bp.get("/unresolved")
@login_required
def unresolved() -> Any:
    """Timed-out and closed requests (they can still be answered late), with search and pages."""
    return _history(UNRESOLVED)


@bp.get("/requests/<int:request_id>")
@login_required
def detail(request_id: int) -> Any:
    """One request: callers, transcript, audit trail, follow-up delivery, and the answer form."""
    if request_id > MAX_ID:
        abort(404)
    with _services().db.read() as s:
        found = queries.request_detail(s, request_id, now=_services().clock.now())
    if found is None:
        abort(404)
    suggestions = {}
    if found.view.request.status != RESOLVED:
        suggestions = _suggestions().for_questions([found.view.request.question])
    return render_template("detail.html", d=found, r=found.view.request, suggestions=suggestions,
                           mask_recipient=queries.mask_recipient, now=_services().clock.now())


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _done(request_id: int, ok: bool, message: str, status: int = 200) -> Any:
    """Answer a form post: JSON for the queue page's fetch, else flash and redirect back."""
    if _wants_json():
        return jsonify({"ok": ok, "message": message, "id": request_id}), status
    flash(message, "success" if ok else "error")
    return redirect(safe_next(request.form.get("next"), url_for("pages.detail", request_id=request_id)))


@bp.post("/requests/<int:request_id>/answer")
@login_required
def answer(request_id: int) -> Any:
    """Resolve a request with the supervisor's answer (late answers allowed for unresolved ones)."""
    if request_id > MAX_ID:
        abort(404)
    text = request.form.get("answer", "")
    add_to_kb = request.form.get("add_to_kb") in ("1", "on", "true", "yes")
    kb_question = request.form.get("kb_question") or None
    try:
        _services().desk.answer(request_id, text, by=_me(), add_to_kb=add_to_kb, kb_question=kb_question)
    except InvalidInput as exc:
        return _done(request_id, False, f"Request #{request_id}: {exc}.", 400)
    except NotFound:
        return _done(request_id, False, f"Request #{request_id} does not exist.", 404)
    except Conflict as exc:
        with _services().db.read() as s:
            found = queries.request_detail(s, request_id)
        by = found.view.request.answered_by if found else None
        who = f" by {by}" if by else ""
        return _done(request_id, False, f"Request #{request_id} was already {exc.status}{who}. "
                                        "Your answer was not sent.", 409)
    learned = " and added to the knowledge base" if add_to_kb else ""
    return _done(request_id, True, f"Answer to request #{request_id} sent to the caller{learned}.")


@bp.post("/requests/<int:request_id>/close")
@login_required
def close(request_id: int) -> Any:
    """Close a pending request without an answer (spam, duplicate); callers are told."""
    if request_id > MAX_ID:
        abort(404)
    try:
        _services().desk.close(request_id, by=_me(), reason=request.form.get("reason", "")[:500])
    except NotFound:
        return _done(request_id, False, f"Request #{request_id} does not exist.", 404)
    except Conflict as exc:
        return _done(request_id, False, f"Request #{request_id} is already {exc.status}; it was not closed.", 409)
    return _done(request_id, True, f"Request #{request_id} closed; the caller will be told.")


@bp.post("/requests/<int:request_id>/urgent")
@login_required
def urgent(request_id: int) -> Any:
    """Mark a pending request urgent (`urgent=1`) or not urgent (`urgent=0`) from its card."""
    if request_id > MAX_ID:
        abort(404)
    flag = request.form.get("urgent") in ("1", "on", "true", "yes")
    try:
        set_urgent(_services().db, _services().clock, request_id, flag, by=_me())
    except NotFound:
        return _done(request_id, False, f"Request #{request_id} does not exist.", 404)
    except Conflict as exc:
        return _done(request_id, False, f"Request #{request_id} is already {exc.status}.", 409)
    _services().signals.publish("help_request", id=request_id, action="urgent")
    return _done(request_id, True, f"Request #{request_id} marked {'urgent' if flag else 'not urgent'}.")
