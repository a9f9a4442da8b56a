"""Logging in and out (pages, session cookie + CSRF) and API tokens (`POST /api/v1/auth/token`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for

from frontdesk.web.apiutil import bool_field, json_body, str_field
from frontdesk.web.auth import current_supervisor, log_in, log_out, login_required, token_required
from frontdesk.web.errors import ApiError
from frontdesk.web.ratelimit import SharedRateLimiter, shared_limiter
from frontdesk.web.redirects import is_safe_path

bp = Blueprint("auth", __name__)
api = Blueprint("auth_api", __name__, url_prefix="/api/v1")


def _services() -> Any:
    return current_app.extensions["frontdesk"]


def _limiter() -> SharedRateLimiter:
    return shared_limiter(current_app, "login", _services().settings.login_rate_limit_per_minute)


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirect to another host)."""
    if target and not target.startswith("/login") and is_safe_path(target):
        return target
    return url_for("pages.pending")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login page; POST checks email and password (rate-limited per client address)."""
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_supervisor() is not None:
            return redirect(next_url)
        return render_template("login.html", next=next_url, email="")
    email = request.form.get("email", "")[:320]
    limiter = _limiter()
    if not limiter.hit(f"login:{request.remote_addr}"):
        wait = limiter.retry_after(f"login:{request.remote_addr}")
        flash(f"Too many login attempts. Try again in {wait} seconds.", "error")
        response = current_app.make_response((render_template("login.html", next=next_url, email=email), 429))
        response.headers["Retry-After"] = str(wait)
        return response
    sup = _services().accounts.authenticate(email, request.form.get("password", "")[:1000])
    if sup is None:
        flash("Wrong email or password.", "error")
        return render_template("login.html", next=next_url, email=email), 401
    log_in(sup)
    return redirect(next_url)


@bp.post("/logout")
@login_required
def logout() -> Any:
    """End the session (POST with a CSRF token, so another site cannot log you out)."""
    log_out()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@api.post("/auth/token")
def issue_token() -> Any:
    """`{email, password}` -> `{token}` for `Authorization: Bearer` (rate-limited like the login page)."""
    limiter = _limiter()
    if not limiter.hit(f"login:{request.remote_addr}"):
        raise ApiError(429, "rate_limited", "too many attempts; try again in a minute")
    data = json_body()
    email = str_field(data, "email", limit=320) or ""
    password = str_field(data, "password", limit=1000) or ""
    sup = _services().accounts.authenticate(email, password)
    if sup is None:
        raise ApiError(401, "invalid_credentials", "wrong email or password")
    return jsonify({"token": _services().accounts.issue_token(sup.id), "token_type": "Bearer"})


@api.post("/auth/revoke")
@token_required
def revoke_token() -> Any:
    """End the bearer token of this request at once; `{"everywhere": true}` also ends every other token and
    dashboard session of its supervisor. -> `{revoked: n}`."""
    everywhere = False
    if request.get_data(cache=True).strip():
        everywhere = bool_field(json_body(), "everywhere", False)
    token = request.headers.get("Authorization", "")[7:].strip()
    return jsonify({"revoked": _services().accounts.revoke(token, everywhere=everywhere)})
