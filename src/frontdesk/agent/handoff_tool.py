"""The receptionist's `request_transfer` tool, decided in code (invariant 5).

The model (or the offline brain) may only *ask* for a transfer; the code decides whether the caller
gets one: they asked for a person (`caller_intents.wants_person`), the matter is urgent
(`caller_intents.is_urgent`, or the model's own judgement when an OpenAI key is set), or the caller
has already been escalated twice in this call. Then `TransferDesk.request` offers the call to the
online supervisors, or with nobody online opens a help request and returns the fallback sentence.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from livekit.agents import ToolError

from frontdesk.caller_intents import is_urgent, wants_person
from frontdesk.text import clean

if TYPE_CHECKING:
    from frontdesk.agent.call_state import CallState

log = logging.getLogger(__name__)

ESCALATIONS_FOR_TRANSFER = 2


def last_caller_text(items: list[Any]) -> str:
    """The caller's last message in a chat history."""
    for item in reversed(items):
        if getattr(item, "type", None) == "message" and item.role == "user":
            return clean(item.text_content or "", 2000)
    return ""


def transfer_reason(state: CallState, caller_text: str, asked: str) -> str | None:
    """Why the caller should reach a person now, decided in code; None when they should not."""
    if wants_person(caller_text) or wants_person(asked):
        return "asked_for_person"
    if is_urgent(caller_text):
        return "urgent"
    if len(state.escalations) >= ESCALATIONS_FOR_TRANSFER:
        return "escalated_twice"
    if state.services.settings.openai_api_key and "urgent" in asked.casefold():
        return "urgent"  # the model's judgement counts for urgency when a model is configured
    return None


def request_transfer(state: CallState, caller_text: str, asked: str) -> str:
    """Offer the call to a person when the code agrees; returns the sentence to tell the caller."""
    reason = transfer_reason(state, caller_text, asked)
    if reason is None:
        raise ToolError("Only transfer when the caller asks for a person or the matter is urgent; "
                        "otherwise answer with lookup_answer or request_help.")
    said, offer = state.services.transfers.request(state.call_id, reason, caller_text or asked)
    if offer is not None:
        state.transfer_id = offer.id
    return said


def offer_after_escalation(state: CallState, question: str, said: str) -> str:
    """After an escalation: an urgent question, or the caller's second one, is also offered to a person
    who is online (nothing changes when nobody is)."""
    reason = "urgent" if is_urgent(question) else (
        "escalated_twice" if len(state.escalations) >= ESCALATIONS_FOR_TRANSFER else None)
    if reason is None or state.transfer_id is not None:
        return said
    transfers = state.services.transfers
    try:
        if not transfers.online_ids():
            return said
        _text, offer = transfers.request(state.call_id, reason, question)
    except Exception:  # the escalation already happened; a failed offer must not lose it
        log.exception("transfer offer after escalation failed")
        return said
    if offer is None:
        return said
    state.transfer_id = offer.id
    return f"{said} Meanwhile I'm trying to connect you with someone from the team; please hold on."
