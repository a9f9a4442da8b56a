"""What voice and text calls share: the LLM choice, the session's transcript recorder, and saying a
claimed in-call follow-up."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor, Future
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


class InlineExecutor(Executor):
    """Runs work at once in the caller's thread.

    The text-call hub's database work is sub-millisecond; running it on the loop thread avoids
    handing the GIL back and forth with a worker thread (up to 5 ms per hand-off under load).
    """

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run `fn` now and return its finished future."""
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


async def run_db(executor: Executor | None, fn: Any, *args: Any) -> Any:
    """Run blocking database work on `executor` (None: a worker thread) without blocking the loop."""
    if executor is None:
        return await asyncio.to_thread(fn, *args)
    return await asyncio.wrap_future(executor.submit(fn, *args))


def record_transcript(session: AgentSession[Any], calls: CallStore, call_id: str, writer: Executor) -> None:
    """Write every caller and agent message of `session` to the call's transcript.

    Writes go to `writer`, a single-thread executor: lines stay in order, and the event loop never
    blocks on the database. `flush(writer)` waits until everything queued so far is written.
    """

    def write(role: str, text: str) -> None:
        try:
            calls.add_line(call_id, role, text)
        except Exception:  # a transcript hiccup must not break the call
            log.exception("could not record a transcript line of call %s", call_id)

    def on_item(event: Any) -> None:
        item = event.item
        if getattr(item, "type", None) != "message":
            return
        role = ROLES.get(item.role)
        text = item.text_content or ""
        if role is not None and text:
            writer.submit(write, role, text)

    session.on("conversation_item_added", on_item)


async def flush(writer: Executor) -> None:
    """Wait until the transcript lines queued on `writer` so far are written."""
    await asyncio.wrap_future(writer.submit(lambda: None))
