"""The caller-facing page `/call` ("Call the salon"): a chat over the text-call API, and a voice call
through LiveKit when it is configured."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, render_template

from frontdesk.agent.profile import load_profile

bp = Blueprint("call_page", __name__)


@bp.get("/call")
def call() -> str:
    """The "Call the salon" page."""
    svc = current_app.extensions["frontdesk"]
    return render_template(
        "call.html",
        business=load_profile(svc.db).name,
        voice_enabled=svc.settings.livekit_configured,
        text_enabled=svc.settings.calls_api_enabled,
    )


@bp.after_request
def _policy(response: Response) -> Response:
    """No inline script and nothing from other hosts, except the LiveKit server for voice calls."""
    svc = current_app.extensions["frontdesk"]
    connect = "'self'"
    if svc.settings.livekit_configured:
        parts = urlsplit(svc.settings.livekit_url)
        host = parts.netloc
        secure = parts.scheme in ("wss", "https")
        connect += f" {'wss' if secure else 'ws'}://{host} {'https' if secure else 'http'}://{host}"
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
        f"connect-src {connect}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    )
    return response
