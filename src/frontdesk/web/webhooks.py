"""Inbound webhooks for answers from anywhere: Twilio's SMS webhook and an inbound-email webhook.

`POST /webhooks/twilio/sms` is what Twilio calls when a supervisor texts back. It is authenticated by
`X-Twilio-Signature` (HMAC-SHA1 of the public URL and the form, keyed with TWILIO_AUTH_TOKEN), checked
with the `twilio` package's own `RequestValidator`, and answers in TwiML.

`POST /webhooks/email/inbound` takes Postmark's inbound JSON (`From`/`FromFull`, `Subject`, `MessageID`,
`TextBody`, `StrippedTextReply`, `Headers`), authenticated by HTTP Basic auth whose password is
INBOUND_EMAIL_SECRET (Postmark puts credentials in the webhook URL: `https://any:SECRET@host/...`).
"""

from __future__ import annotations

import hmac
import logging
from email.utils import parseaddr
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from frontdesk.inbound.desk import EMAIL, SMS, ReplyDesk
from frontdesk.inbound.parse import Command, parse_reply, request_id_from_email, strip_quoted
from frontdesk.text import mask_phone
from frontdesk.web.errors import ApiError

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _services() -> Any:
    return current_app.extensions["frontdesk"]


def _twiml(text: str) -> Response:
    from twilio.twiml.messaging_response import MessagingResponse

    twiml = MessagingResponse()
    if text:
        twiml.message(text)
    return Response(str(twiml), status=200, mimetype="application/xml")


def signed_by_twilio(auth_token: str, public_base_url: str) -> bool:
    """True when `X-Twilio-Signature` signs this request's form for the URL Twilio called.

    Twilio signs the public URL it posted to. Behind a proxy this process sees another URL, so the
    public one (PUBLIC_BASE_URL + path and query) is checked first; the URL as received is also tried
    for deployments reached directly. Both need the auth token, so neither can be forged.
    """
    from twilio.request_validator import RequestValidator

    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not auth_token:
        return False
    validator = RequestValidator(auth_token)
    path = request.full_path.rstrip("?")
    urls = [public_base_url.rstrip("/") + path, request.url]
    return any(validator.validate(url, request.form, signature) for url in urls)


@bp.post("/twilio/sms")
def twilio_sms() -> Any:
    """A supervisor's SMS reply (Twilio's inbound message webhook) -> TwiML telling them what happened."""
    svc = _services()
    settings = svc.settings
    if not settings.twilio_auth_token:
        raise ApiError(403, "forbidden", "SMS replies are off: TWILIO_AUTH_TOKEN is not set")
    if not signed_by_twilio(settings.twilio_auth_token, settings.public_base_url):
        log.warning("SMS webhook: missing or wrong X-Twilio-Signature; refused")
        raise ApiError(403, "forbidden", "missing or invalid X-Twilio-Signature")
    account = request.form.get("AccountSid", "")
    if settings.twilio_account_sid and account and account != settings.twilio_account_sid:
        raise ApiError(403, "forbidden", "this message is for another Twilio account")
    sid = (request.form.get("MessageSid") or request.form.get("SmsSid") or "").strip()[:200]
    if not sid:
        raise ApiError(400, "invalid", "'MessageSid' is required")
    desk = ReplyDesk(svc)
    sender = desk.sender_by_phone(request.form.get("From", ""))
    if sender is None:
        # Not a supervisor: nothing is changed and nothing is texted back (no replies to strangers).
        log.warning("SMS reply from %s, not a supervisor's number: ignored", mask_phone(request.form.get("From")))
        return _twiml("")
    outcome = desk.handle(SMS, sid, sender, parse_reply(request.form.get("Body", "")))
    return _twiml(outcome.reply)


def _email_secret_ok(secret: str) -> bool:
    auth = request.authorization
    given = (auth.password if auth is not None else None) or request.headers.get("X-Inbound-Secret", "")
    return bool(given) and hmac.compare_digest(str(given).encode(), secret.encode())


def _headers(data: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for h in data.get("Headers") or []:
        if isinstance(h, dict) and isinstance(h.get("Name"), str) and isinstance(h.get("Value"), str):
            found.setdefault(h["Name"].lower(), h["Value"])
    return found


@bp.post("/email/inbound")
def email_inbound() -> Any:
    """A supervisor's email reply in Postmark's inbound JSON -> `{status, help_request_id, reply}`."""
    svc = _services()
    secret = svc.settings.inbound_email_secret
    if not secret:
        raise ApiError(403, "forbidden", "email replies are off: INBOUND_EMAIL_SECRET is not set")
    if not _email_secret_ok(secret):
        raise ApiError(403, "forbidden", "missing or wrong inbound-email credentials")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", "the body must be a JSON object (Postmark inbound format)")
    headers = _headers(data)
    spf = headers.get("received-spf", "")
    if spf and not spf.lower().startswith("pass"):
        return jsonify({"status": "ignored", "reason": "the sender's SPF check did not pass"})
    full = data.get("FromFull")
    address = full.get("Email", "") if isinstance(full, dict) else ""
    address = str(address or parseaddr(str(data.get("From") or ""))[1])
    message_id = str(data.get("MessageID") or headers.get("message-id") or "").strip()[:200]
    if not message_id:
        raise ApiError(400, "invalid", "'MessageID' is required")
    desk = ReplyDesk(svc)
    sender = desk.sender_by_email(address)
    if sender is None:
        log.warning("email reply from an address that is not a supervisor's: ignored")
        return jsonify({"status": "ignored", "reason": "not a supervisor's address"})
    text = str(data.get("StrippedTextReply") or "").strip() or strip_quoted(str(data.get("TextBody") or ""))
    command = parse_reply(text)
    if command.request_id is None:
        named = request_id_from_email(str(data.get("Subject") or ""),
                                      headers.get("in-reply-to", "") + " " + headers.get("references", ""))
        command = Command(command.action, command.text, named)
    outcome = desk.handle(EMAIL, message_id, sender, command)
    return jsonify({"status": outcome.action, "help_request_id": outcome.request_id, "reply": outcome.reply})
