"""Availability and accounts on the web: the JSON API (`/api/v1/supervisors`, `/api/v1/me/...`, bearer
token) and the dashboard's side (`/presence/...` for the nav's status control and the open tab's
heartbeat, session cookie + CSRF; `/account` for a supervisor's own name and phone)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for

from frontdesk import presence
from frontdesk.accounts import AccountError
from frontdesk.models import Supervisor
from frontdesk.web.apiutil import json_body
from frontdesk.web.auth import current_supervisor, login_required, token_required
from frontdesk.web.errors import ApiError
from frontdesk.web.redirects import safe_next

api = Blueprint("api_presence", __name__, url_prefix="/api/v1")
pages = Blueprint("presence", __name__)


def _services() -> Any:
    return current_app.extensions["frontdesk"]


def _me() -> Supervisor:
    sup = current_supervisor()
    if sup is None:  # the decorators make this unreachable; keeps the type checker honest
        raise ApiError(401, "unauthorized", "log in first")
    return sup


def _set(status: Any) -> str:
    svc = _services()
    return presence.set_availability(svc.db, svc.clock.now(), _me().id, status)  # bad status: InvalidInput, 400


def online_names() -> list[str]:
    """Names of the supervisors online now (for the nav and the queue page)."""
    svc = _services()
    with svc.db.read() as s:
        return [sup.name or sup.email for sup in presence.online_supervisors(s, svc.clock.now(), svc.settings)]


def my_availability() -> str:
    """The logged-in supervisor's effective status (for the nav's control)."""
    svc = _services()
    sup = current_supervisor()
    return presence.effective_availability(sup, svc.clock.now(), svc.settings) if sup else presence.OFFLINE


# --- JSON API (bearer token) ---

@api.get("/supervisors")
@token_required
def list_supervisors() -> Any:
    """Every active supervisor: `{items: [{id, email, name, phone, availability, last_seen_at}]}`."""
    svc = _services()
    with svc.db.read() as s:
        return jsonify({"items": presence.list_supervisors(s, svc.clock.now(), svc.settings)})


@api.put("/me/availability")
@token_required
def put_availability() -> Any:
    """`{status: online|away|offline}` -> `{status}`; anything else is a 400."""
    return jsonify({"status": _set(json_body().get("status"))})


@api.post("/me/heartbeat")
@token_required
def api_heartbeat() -> Any:
    """Keeps a chosen `online` alive for `PRESENCE_TIMEOUT_SECONDS`; -> `{status}` (the effective one)."""
    svc = _services()
    return jsonify({"status": presence.heartbeat(svc.db, svc.clock.now(), _me().id, svc.settings)})


# --- Dashboard (session cookie; CSRF token in the form or the X-CSRFToken header) ---

def _safe_next(target: str | None) -> str:
    # Only a path on this site: never "//host", a full URL, or tab/newline tricks (web/redirects.py).
    return safe_next(target, url_for("pages.pending"))


@pages.post("/presence/availability")
@login_required
def set_availability_form() -> Any:
    """The nav's one-click control: set my status, then back to the page I was on (JSON for fetch)."""
    status = _set(request.form.get("status"))
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"status": status, "online": online_names()})
    return redirect(_safe_next(request.form.get("next")))


@pages.post("/presence/heartbeat")
@login_required
def dashboard_heartbeat() -> Any:
    """The open dashboard tab beats here; answers my effective status and who is online."""
    svc = _services()
    status = presence.heartbeat(svc.db, svc.clock.now(), _me().id, svc.settings)
    response = jsonify({"status": status, "online": online_names()})
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Any:
    """My name and phone (SMS alerts go to it while I'm online, and to everyone's when nobody is)."""
    svc = _services()
    me = _me()
    if request.method == "POST":
        try:
            svc.accounts.update_profile(me.id, name=request.form.get("name", ""),
                                        phone=request.form.get("phone", ""), region=svc.settings.phone_region,
                                        by=me.email)
        except AccountError as exc:
            flash(f"Not saved: {exc}.", "error")
            return render_template("account.html", me=me, form=request.form), 400
        flash("Account saved.", "success")
        return redirect(url_for("presence.account"))
    with svc.db.read() as s:
        team = presence.list_supervisors(s, svc.clock.now(), svc.settings)
    return render_template("account.html", me=me, form={"name": me.name, "phone": me.phone}, team=team,
                           twilio=svc.settings.twilio_configured)
