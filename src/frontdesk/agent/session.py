"""What voice and text calls share: the LLM choice, the session's transcript recorder, and saying a
claimed in-call follow-up."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from livekit.agents import AgentSession, llm

from frontdesk.agent.brain import OfflineBrain
from frontdesk.settings import Settings

if TYPE_CHECKING:
    from frontdesk.calls import CallStore

log = logging.getLogger(__name__)

ROLES = {"user": "caller", "assistant": "agent"}


def make_llm(settings: Settings) -> llm.LLM:
    """OpenAI when a key is set, else the offline brain. Built per process, never at import."""
    if settings.openai_api_key:
        from livekit.plugins import openai

        return openai.LLM(model=settings.openai_model, api_key=settings.openai_api_key)
    return OfflineBrain(max_chars=settings.max_message_chars)


def record_transcript(session: AgentSession[Any], calls: CallStore, call_id: str) -> None:
    """Write every caller and agent message of `session` to the call's transcript."""

    def on_item(event: Any) -> None:
        item = event.item
        if getattr(item, "type", None) != "message":
            return
        role = ROLES.get(item.role)
        text = item.text_content or ""
        if role is None or not text:
            return
        try:
            calls.add_line(call_id, role, text)
        except Exception:  # a transcript hiccup must not break the call
            log.exception("could not record a transcript line of call %s", call_id)

    session.on("conversation_item_added", on_item)
