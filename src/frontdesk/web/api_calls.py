"""Public text-call API (`/api/v1/calls`): start a call, talk, read the transcript, hang up.

No authentication (it is the caller's side), so: unguessable call ids, per-IP rate limit on new
calls, bounded text, and every bad input answered with a JSON 4xx.
"""

from __future__ import annotations

import contextlib
import json
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from frontdesk.call_holders import TURN_TIMEOUT_SECONDS, Elsewhere
from frontdesk.calls import call_dict
from frontdesk.errors import LifecycleError
from frontdesk.held_calls import hold_view
from frontdesk.phones import PhoneError, to_e164
from frontdesk.services import Services
from frontdesk.text import clean
from frontdesk.web.errors import ApiError
from frontdesk.web.ratelimit import shared_limiter
from frontdesk.web.turn_forward import HOP_HEADER, forwarder

bp = Blueprint("api_calls", __name__, url_prefix="/api/v1/calls")
MAX_ID_CHARS = 64


def _services() -> Services:
    return current_app.extensions["frontdesk"]  # type: ignore[no-any-return]


def _check_new_call_rate(svc: Services) -> None:
    """429 when this client address started too many calls in the last minute."""
    limiter = shared_limiter(current_app, "calls", svc.settings.calls_rate_limit_per_minute)
    if not limiter.hit(f"calls:{request.remote_addr or '?'}"):
        raise ApiError(429, "rate_limited", "too many new calls from this address; try again in a minute")


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400; never a 500 on odd bytes or deep nesting."""
    raw = request.get_data(cache=True)
    if not raw:
        raise ApiError(400, "invalid", "send a JSON object body")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", "the body must be a JSON object")
    return data


def _string(data: dict[str, Any], key: str, *, required: bool, limit: int) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ApiError(400, "invalid", f"'{key}' must be a string")
    return clean(value, limit)


def _call_id(call_id: str) -> str:
    if len(call_id) > MAX_ID_CHARS or not (call_id.isascii() and call_id.isalnum()):
        raise ApiError(404, "not_found", "no such call")
    return call_id


def _caller_phone(raw: str | None) -> str:
    """The caller's number in E.164 (validated with `phonenumbers`); a 400 with a message fit for callers."""
    try:
        return to_e164(raw or "", _services().settings.phone_region)
    except PhoneError as exc:
        raise ApiError(400, "invalid", f"{exc} ('caller_phone')") from None


@bp.before_request
def _enabled() -> None:
    if not _services().settings.calls_api_enabled:
        raise ApiError(404, "disabled", "the text-call API is disabled on this server")


@bp.post("")
def start_call() -> tuple[Response, int]:
    """Start a text call: `{caller_phone, caller_name?}` -> 201 `{id, greeting}`."""
    svc = _services()
    _check_new_call_rate(svc)
    data = json_body()
    phone = _caller_phone(_string(data, "caller_phone", required=True, limit=40))
    name = _string(data, "caller_name", required=False, limit=200)
    started = _turn(lambda: svc.call_hub().start_call(phone, name))
    return jsonify({"id": started.id, "greeting": started.greeting}), 201


@bp.post("/<call_id:call_id>/messages")
def send_message(call_id: str) -> Response:
    """Say something as the caller: `{text}` -> `{reply, help_request_id, held_by}`; while a supervisor
    holds the call, `reply` is null and `held_by` names them (the line reaches them live)."""
    call_id = _call_id(call_id)
    svc = _services()
    data = json_body()
    text = _string(data, "text", required=True, limit=svc.settings.max_message_chars)
    if not text:
        raise ApiError(400, "invalid", "'text' is empty")
    held_by = svc.transfers.caller_line_if_held(call_id, text)
    if held_by is not None:  # a supervisor holds the call: the receptionist stays silent
        return jsonify({"reply": None, "help_request_id": None, "held_by": held_by})
    hub = svc.call_hub()
    if not svc.settings.forward_turns or request.headers.get(HOP_HEADER):
        turn = _turn(lambda: hub.send(call_id, text))
    else:
        where = svc.calls.locate(call_id, hub.holder, hub.version_of(call_id))
        if isinstance(where, Elsewhere):  # another live process holds the call: the turn goes there
            reply = forwarder(current_app, TURN_TIMEOUT_SECONDS + 2).forward(
                where.url, call_id, request.get_data(cache=True))
            if reply is not None:
                return reply
            where = None  # its holder is unreachable: the claim takes the call over here
        turn = _turn(lambda: hub.send(call_id, text, where, peeked=True))
    return jsonify({"reply": turn.reply, "help_request_id": turn.help_request_id, "held_by": None})


@bp.get("/<call_id:call_id>")
def get_call(call_id: str) -> Response:
    """The call's status and transcript (`role` caller, agent or supervisor)."""
    call_id = _call_id(call_id)
    svc = _services()
    call = svc.calls.get(call_id)
    svc.calls.touch(call)  # seen by whichever process holds the call (idle hang-up)
    if svc.calls.orphaned(call):
        # Its holder died: pick it up here, so its in-call answers are said (any process may).
        with contextlib.suppress(LifecycleError, FutureTimeout, TimeoutError):
            svc.call_hub().adopt(call_id)
    # `on_hold`/`held_by`: the caller page opens its live stream while it waits for or talks to a person.
    return jsonify({**call_dict(call, svc.calls.transcript(call_id)), **hold_view(svc.db, call)})


@bp.post("/<call_id:call_id>/end")
def end_call(call_id: str) -> Response:
    """Hang up (idempotent), whichever process holds the call."""
    call_id = _call_id(call_id)
    svc = _services()
    svc.calls.get(call_id)  # 404 for unknown ids
    hub = svc.running_hub
    if hub is not None and hub.holds(call_id):
        _turn(lambda: hub.end_call(call_id))
    else:
        svc.calls.end(call_id)  # the holder, in another process, lets go at its next heartbeat
    return jsonify(call_dict(svc.calls.get(call_id), svc.calls.transcript(call_id)))


@bp.post("/voice-token")
def voice_token() -> Response:
    """A LiveKit token for a voice call from the caller page: `{caller_phone?, caller_name?}`."""
    svc = _services()
    if not svc.settings.livekit_configured:
        raise ApiError(404, "voice_disabled", "voice calls are not configured on this server")
    _check_new_call_rate(svc)
    data = json_body()
    phone = _string(data, "caller_phone", required=False, limit=40)
    phone = _caller_phone(phone) if phone else phone
    name = _string(data, "caller_name", required=False, limit=200)
    from frontdesk.agent.tokens import web_caller_token

    return jsonify(web_caller_token(svc.settings, phone, name))


def _turn(work: Any) -> Any:
    try:
        return work()
    except (FutureTimeout, TimeoutError):
        raise ApiError(503, "busy", "the receptionist is busy; please try again") from None
