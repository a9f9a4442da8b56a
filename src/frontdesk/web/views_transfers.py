"""Dashboard side of live handoff: the offer card (live, on online supervisors' pages), accept /
decline, and the held call's chat view (hand back, end). Cookie session + CSRF header, JSON answers
for the page's script (`static/js/transfers.js`, `static/js/held.js`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request, url_for

from frontdesk.calls import call_dict
from frontdesk.handoff import MAX_TRANSFER_ID
from frontdesk.models import Supervisor
from frontdesk.presence import ONLINE, effective_availability
from frontdesk.transfers import OFFERED
from frontdesk.web.auth import current_supervisor, login_required
from frontdesk.web.errors import ApiError

bp = Blueprint("transfers", __name__)
MAX_ID_CHARS = 64
MAX_OFFERS = 20  # cards shown at once (newest first)


def _services() -> Any:
    return current_app.extensions["frontdesk"]


def _me() -> Supervisor:
    sup = current_supervisor()
    if sup is None:
        raise ApiError(401, "unauthorized", "log in first")
    return sup


def _call_id(call_id: str) -> str:
    if len(call_id) > MAX_ID_CHARS or not call_id.isalnum():
        raise ApiError(404, "not_found", "no such call")
    return call_id


@bp.get("/transfers/offers")
@login_required
def offers() -> Any:
    """The offer cards for this supervisor (HTML fragment): open offers while they are online and
    have not declined them. `?ids=4,5` renders only those (the page adds the cards its event stream
    announced, rather than all of them again on every event: with many offers at once, re-rendering
    every card for every supervisor on every event was most of the server's work)."""
    svc, me = _services(), _me()
    ids = _offer_ids(request.args.get("ids"))
    now = svc.clock.now()
    if effective_availability(me, now, svc.settings) != ONLINE:  # `me` was just read: no query
        return render_template("_offers.html", cards=[])
    items = [t for t in svc.transfers.store.recent(OFFERED, limit=MAX_OFFERS, ids=ids)
             if me.id not in (t.declined_by or [])]
    return render_template("_offers.html", cards=[(t, max(0.0, (t.expires_at - now).total_seconds()))
                                                  for t in items])


def _offer_ids(raw: str | None) -> list[int] | None:
    """`?ids=`: up to MAX_OFFERS transfer ids, comma-separated (absent: all offers); a 400 otherwise."""
    if raw is None:
        return None
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > MAX_OFFERS or not all(p.isascii() and p.isdigit() and len(p) <= 10 and int(p) <= MAX_TRANSFER_ID
                                               for p in parts):
        raise ApiError(400, "invalid", f"'ids' must be up to {MAX_OFFERS} transfer ids, comma-separated")
    return [int(p) for p in parts]


@bp.post("/transfers/<int:transfer_id>/accept")
@login_required
def accept(transfer_id: int) -> Any:
    """Accept from the dashboard -> `{call_id, transport, url}` (+ LiveKit token for voice); 409 if taken."""
    out = _services().transfers.accept_for(transfer_id, _me())
    out["url"] = url_for("transfers.held", call_id=out["call_id"])
    return jsonify(out)


@bp.post("/transfers/<int:transfer_id>/decline")
@login_required
def decline(transfer_id: int) -> Any:
    """Decline from the dashboard -> `{id, status}`."""
    return jsonify({"id": transfer_id, "status": _services().transfers.decline(transfer_id, _me())})


@bp.get("/live/<call_id>")
@login_required
def held(call_id: str) -> Any:
    """A live call's chat view: the conversation, and (while you hold it) the reply box, hand back, end."""
    svc = _services()
    call = svc.calls.get(_call_id(call_id))
    return render_template("held.html", call=call, mine=call.held_by_id == _me().id,
                           transcript=call_dict(call, svc.calls.transcript(call.id))["transcript"])


@bp.get("/live/<call_id>/lines")
@login_required
def lines(call_id: str) -> Any:
    """The call's status, holder and transcript as JSON (the chat view polls it)."""
    svc = _services()
    call = svc.calls.get(_call_id(call_id))
    out = call_dict(call, svc.calls.transcript(call.id))
    out.update(held_by=call.held_by, mine=call.held_by_id == _me().id)
    return jsonify(out)


@bp.post("/live/<call_id>/say")
@login_required
def say(call_id: str) -> Any:
    """`text` (form or JSON): a supervisor line to the caller of a call you hold."""
    data = (request.get_json(silent=True) or {}) if request.is_json else request.form
    text = data.get("text") if hasattr(data, "get") else None
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "invalid", "'text' is empty")
    _services().transfers.say(_call_id(call_id), _me(), text[:4000])
    return jsonify({"ok": True}), 201


@bp.post("/live/<call_id>/takeover")
@login_required
def takeover(call_id: str) -> Any:
    """Take a live call without an offer."""
    return jsonify(_services().transfers.takeover_for(_call_id(call_id), _me()))


@bp.post("/live/<call_id>/release")
@login_required
def release(call_id: str) -> Any:
    """Hand the call back to the receptionist."""
    _services().transfers.release(_call_id(call_id), _me())
    return jsonify({"ok": True})


@bp.post("/live/<call_id>/end")
@login_required
def end(call_id: str) -> Any:
    """End a call you hold (the caller's page shows it ended)."""
    svc = _services()
    call_id = _call_id(call_id)
    held = svc.transfers.store.held_by(call_id)
    if held is None or held[0] != _me().id:
        raise ApiError(409, "conflict", "you are not holding this call")
    svc.calls.end(call_id, "supervisor_ended")
    return jsonify({"ok": True})
