"""Turning claimed outbox rows into messages: bodies are rendered at send time, a batch at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk import outbox
from frontdesk.inbound.messages import alert_suffix
from frontdesk.models import BusinessProfile, HelpRequest, HelpRequestCaller
from frontdesk.notifications.channels import Message
from frontdesk.settings import Settings
from frontdesk.text import mask_phone

DEFAULT_BUSINESS = "our team"
SMS_MAX_CHARS = 1600  # Twilio refuses longer bodies
EVENTS = {
    outbox.SUPERVISOR_ALERT: "help_request.created",
    outbox.SUPERVISOR_REMINDER: "help_request.reminder",
    outbox.CALLER_ANSWER: "caller.answer",
    outbox.CALLER_TIMEOUT: "caller.timeout",
    outbox.CALLER_CLOSED: "caller.closed",
}


@dataclass(frozen=True)
class Claim:
    """A follow-up row this dispatcher owns until `claimed_until`."""

    id: int
    help_request_id: int | None
    call_id: str | None
    kind: str
    channel: str
    recipient: str
    attempts: int
    created_at: datetime
    payload: dict[str, Any]
    dedupe_key: str
    claimed_until: datetime
    maybe_sent: bool


def delivery_id(dedupe_key: str, payload: dict[str, Any] | None) -> str:
    """Stable across retries of one follow-up; a deliberate re-send gets a new one."""
    resends = int((payload or {}).get("resends", 0))
    return dedupe_key if not resends else f"{dedupe_key}/resend-{resends}"


def business_name(session: Session) -> str:
    """The business's name from its profile, or a neutral fallback."""
    name = session.scalar(select(BusinessProfile.name).where(BusinessProfile.id == 1))
    return name or DEFAULT_BUSINESS


def prepare(session: Session, claims: list[Claim], settings: Settings) -> dict[int, Message]:
    """Render every claim of a batch with a handful of queries; claims whose request is gone are left out."""
    request_ids = {c.help_request_id for c in claims if c.help_request_id is not None}
    requests = {
        r.id: r for r in session.scalars(select(HelpRequest).where(HelpRequest.id.in_(request_ids)))
    } if request_ids else {}
    waiters: dict[int, list[HelpRequestCaller]] = {}
    if request_ids:
        for w in session.scalars(
            select(HelpRequestCaller)
            .where(HelpRequestCaller.help_request_id.in_(request_ids))
            .order_by(HelpRequestCaller.id)
        ):
            waiters.setdefault(w.help_request_id, []).append(w)
    business = business_name(session)
    messages: dict[int, Message] = {}
    for claim in claims:
        request = requests.get(claim.help_request_id or -1)
        if request is None:
            continue
        group = waiters.get(request.id, [])
        if claim.kind.startswith("caller"):
            waiter = _waiter_of(group, claim)
            text = outbox.render(claim.kind, request, business, settings, caller_name=waiter.caller_name if waiter else "")
        else:
            caller = mask_phone(group[0].caller_phone) if group and group[0].caller_phone else "unknown"
            text = outbox.render(claim.kind, request, business, settings, caller=caller)
        messages[claim.id] = _message(claim, request, text, group, settings, obsolete_because(claim.kind, request))
    return messages


def obsolete_because(kind: str, request: HelpRequest) -> str:
    """Why a supervisor alert or reminder should no longer go out, or "" when it should.

    A reminder only makes sense while the request is pending; an alert also after a timeout (a late
    answer still reaches the caller), but not once the request was answered or closed by hand.
    Queued rows are checked when they are sent, so a retried alert never pages someone for nothing.
    """
    if kind == outbox.SUPERVISOR_REMINDER and request.status != "pending":
        return f"help request already {request.status}"
    if kind == outbox.SUPERVISOR_ALERT and (request.status == "resolved" or request.outcome == "closed"):
        return "help request already answered" if request.status == "resolved" else "help request closed by hand"
    return ""


def _with_reply_hint(claim: Claim, request_id: int, text: str, settings: Settings) -> str:
    """Alerts a supervisor can answer by replying end with how (and the `Q<id>` tag); the hint is kept
    whole even when the alert is cut to fit one SMS."""
    if claim.kind not in (outbox.SUPERVISOR_ALERT, outbox.SUPERVISOR_REMINDER):
        return text
    if claim.channel == "email" and not settings.inbound_email_secret:
        return text
    if claim.channel not in ("sms", "email"):
        return text
    hint = alert_suffix(request_id)
    return text[: SMS_MAX_CHARS - len(hint) - 1] + ("\n" if claim.channel == "sms" else "\n\n") + hint


def _waiter_of(group: list[HelpRequestCaller], claim: Claim) -> HelpRequestCaller | None:
    for w in group:
        if claim.call_id is not None and w.call_id == claim.call_id:
            return w
    for w in group:
        if w.caller_phone and w.caller_phone == claim.recipient:
            return w
    return None


def _message(
    claim: Claim, request: HelpRequest, text: str, group: list[HelpRequestCaller], settings: Settings,
    obsolete: str = "",
) -> Message:
    did = delivery_id(claim.dedupe_key, claim.payload)
    text = _with_reply_hint(claim, request.id, text, settings)
    if claim.channel == "sms":
        text = text[:SMS_MAX_CHARS]
    event = EVENTS.get(claim.kind, claim.kind)
    payload: dict[str, Any] = {}
    if claim.channel in ("webhook", "email"):
        payload = {
            "event": event,
            "delivery_id": did,
            "kind": claim.kind,
            "text": text,
            "help_request": {
                "id": request.id,
                "question": request.question,
                "status": request.status,
                "caller": mask_phone(group[0].caller_phone) if group and group[0].caller_phone else "unknown",
                "waiting_callers": len(group),
                "created_at": request.created_at.isoformat() + "Z",
                "expires_at": request.expires_at.isoformat() + "Z",
                "url": outbox.request_url(settings, request.id),
            },
        }
    return Message(
        followup_id=claim.id,
        delivery_id=did,
        kind=claim.kind,
        channel=claim.channel,
        recipient=claim.recipient,
        text=text,
        created_at=claim.created_at,
        event=event,
        payload=payload,
        maybe_sent=claim.maybe_sent,
        obsolete=obsolete,
    )
