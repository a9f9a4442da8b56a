"""The audit trail as sentences an owner understands ("Ana answered it and added the answer to the
knowledge base."), for the request page. Unknown events still read as words, never as `key=value`."""

from __future__ import annotations

from typing import Any

KINDS = {
    "supervisor_alert": "alert to supervisors",
    "supervisor_reminder": "reminder to supervisors",
    "caller_answer": "answer to the caller",
    "caller_timeout": "“no answer in time” message to the caller",
    "caller_closed": "“we couldn't answer” message to the caller",
}
CHANNELS = {"sms": "by text message", "email": "by email", "webhook": "to the webhook", "console": "to the log",
            "in_call": "in the call"}


def who(actor: str) -> str:
    """The actor as a person would name them."""
    return {"agent": "The receptionist", "dispatcher": "The system", "cli": "An administrator",
            "api": "An API client", "sweeper": "The system"}.get(actor or "", actor or "Someone")


def _kind(details: dict[str, Any]) -> str:
    kind = str(details.get("kind") or "")
    return KINDS.get(kind, kind.replace("_", " ") or "message")


def _channel(details: dict[str, Any]) -> str:
    channel = str(details.get("channel") or "")
    return CHANNELS.get(channel, f"by {channel.replace('_', ' ')}" if channel else "")


def _followup(action: str, details: dict[str, Any], actor: str) -> str | None:
    kind, channel = _kind(details), _channel(details)
    attempts = int(details.get("attempts") or 0)
    if action == "followup_sent":
        tries = f" (after {attempts} attempts)" if attempts > 1 else ""
        return f"The {kind} was sent {channel}{tries}.".replace("  ", " ")
    if action == "followup_dead":
        why = details.get("error") or details.get("reason")
        return f"The {kind} could not be delivered {channel}" + (f": {why}." if why else ".")
    if action == "followup_cancelled":
        why = details.get("reason")
        return f"The {kind} {channel} was not sent" + (f": {why}." if why else ".")
    if action == "followup_rerouted":
        why = details.get("reason")
        return (f"The caller was no longer on the line, so the message goes {channel or 'by text'} instead"
                + (f" ({why})." if why else "."))
    if action == "followup_resend":
        return f"{who(actor)} asked to send a message again."
    return None


def sentence(entity: str, action: str, actor: str, details: dict[str, Any] | None, entity_id: str = "") -> str:
    """One audit event as a plain sentence."""
    details = details or {}
    name = who(actor)
    kb = " and added the answer to the knowledge base" if details.get("add_to_kb") else ""
    if action.startswith("followup_"):
        text = _followup(action, details, actor)
        if text:
            return text
    if entity == "knowledge":
        if action == "created":
            review = " (waiting for approval)" if details.get("status") == "pending_review" else ""
            return f"The answer became knowledge base entry #{entity_id}{review}."
        return f"{name} edited knowledge base entry #{entity_id}."
    simple = {
        "created": "The receptionist couldn't answer and asked a supervisor.",
        "caller_joined": "Another caller asked the same question and is waiting too.",
        "caller_left": "A waiting caller hung up; the answer will reach them by text.",
        "answered": f"{name} answered it{kb}.",
        "late_answer": f"{name} answered it after it had timed out{kb}; the caller gets the answer by text.",
        "timeout": "Nobody answered in time: the request became unresolved and the caller was told.",
        "reminder_queued": "Still unanswered at half its deadline: supervisors were reminded.",
        "skipped": f"{name} skipped it {_channel(details)}.".replace(" .", "."),
    }
    if action in simple:
        return simple[action]
    if action == "closed":
        reason = details.get("reason")
        return f"{name} closed it without an answer" + (f" ({reason})." if reason else ".")
    words = action.replace("_", " ")
    return f"{name}: {entity.replace('_', ' ')} {words}."
