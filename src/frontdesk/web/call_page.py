"""The caller-facing page `/call` ("Call the salon"): a chat over the text-call API, and a voice call
through LiveKit when it is configured."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

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
