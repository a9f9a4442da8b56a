"""What voice and text calls share: the LLM choice, the transcript recorder, and database hand-off."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor
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

        if settings.openai_base_url:
            return openai.LLM(model=settings.openai_model, api_key=settings.openai_api_key,
                              base_url=settings.openai_base_url)
        return openai.LLM(model=settings.openai_model, api_key=settings.openai_api_key)
    return OfflineBrain(max_chars=settings.max_message_chars)


async def run_db(executor: Executor | None, fn: Any, *args: Any) -> Any:
    """Run blocking database work on `executor` (None: a worker thread) without blocking the loop."""
    if executor is None:
        return await asyncio.to_thread(fn, *args)
    return await asyncio.wrap_future(executor.submit(fn, *args))


class TranscriptRecorder:
    """Writes every caller and agent message of a session to the call's transcript.

    Lines are timestamped when said and buffered; `flush()` writes the buffer in one transaction on
    `writer` (the hub: inline at the end of each turn; a voice job: a worker thread after each line),
    so lines stay in order and a turn costs one write.
    """

    def __init__(self, session: AgentSession[Any], calls: CallStore, call_id: str, writer: Executor,
                 autoflush: bool = False) -> None:
        self.calls, self.call_id, self.writer, self.autoflush = calls, call_id, writer, autoflush
        self._pending: list[tuple[str, str, Any]] = []
        session.on("conversation_item_added", self._on_item)

    def _on_item(self, event: Any) -> None:
        item = event.item
        if getattr(item, "type", None) != "message":
            return
        role = ROLES.get(item.role)
        text = item.text_content or ""
        if role is None or not text:
            return
        line = (role, text, self.calls.clock.now())
        if self.autoflush:  # each line goes to the writer thread on its own: nothing shared
            self.writer.submit(self._write, [line])
        else:
            self._pending.append(line)

    def _write(self, lines: list[tuple[str, str, Any]] | None = None) -> None:
        if lines is None:
            lines, self._pending = self._pending, []
        try:
            self.calls.add_lines(self.call_id, lines)
        except Exception:  # a transcript hiccup must not break the call
            log.exception("could not record %d transcript line(s) of call %s", len(lines), self.call_id)

    def take(self) -> list[tuple[str, str, Any]]:
        """The buffered lines, handed to the caller to write (the buffer is emptied)."""
        lines, self._pending = self._pending, []
        return lines

    async def flush(self) -> None:
        """Write the buffered lines and wait until everything queued so far is written."""
        await asyncio.wrap_future(self.writer.submit(self._write))
