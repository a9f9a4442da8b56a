"""The Receptionist agent and its tools: the same agent serves voice and text calls.

The LLM may only read (lookup_answer), settle a read-back (confirm_answer), ask for help
(request_help) and record the caller's contact details; request ids, states and deadlines are
decided in code (DESIGN invariant 5).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from livekit.agents import Agent, RunContext, ToolError, llm

from frontdesk.agent import handoff_tool
from frontdesk.agent.answering import (
    count_usage,
    escalate,
    find_answer,
    prepare_question,
    record_near_miss,
    take_verdict,
)
from frontdesk.agent.call_state import CallState, Confirmation
from frontdesk.agent.session import run_db
from frontdesk.agent.tool_schemas import schema_once
from frontdesk.errors import LifecycleError
from frontdesk.lifecycle import MAX_QUESTION_CHARS
from frontdesk.text import clean, valid_phone

if TYPE_CHECKING:
    from frontdesk.usage import Usage

log = logging.getLogger(__name__)

# A lookup still running after this long is waiting on the LLM judge: tell the caller so.
JUDGE_NOTICE_SECONDS = 0.7
ONE_MOMENT = "One moment, let me check that."


def caller_spoke_since_lookup(items: list[Any]) -> bool:
    """Whether the caller said something after the last `lookup_answer` result in the chat history."""
    spoke = False
    for item in reversed(items):
        if item.type == "message" and item.role == "user":
            spoke = True
        elif item.type == "function_call_output" and item.name == "lookup_answer":
            return spoke
    return False


async def _count(state: CallState, item: Usage) -> None:
    """Count a look-up or a read-back answer: in the hub, in the transaction that ends the turn (with
    its transcript lines: no database round trip of its own); otherwise (voice) now, off the loop."""
    if state.usage is not None:
        state.usage.append(item)
    else:
        await run_db(None, count_usage, state, item)


async def _search_telling_a_slow_judge(ctx: RunContext[CallState], question: str) -> dict[str, object]:
    """`find_answer` off the loop; when an LLM judge is configured and the search is still running after
    `JUDGE_NOTICE_SECONDS` (a borderline match waiting on the judge), the caller hears "one moment" first."""
    state = ctx.userdata
    search = asyncio.ensure_future(run_db(state.search_executor, find_answer, state, question))
    if getattr(state.services.knowledge.index, "llm_judge", None) is not None:
        done, _ = await asyncio.wait({search}, timeout=JUDGE_NOTICE_SECONDS)
        if not done:
            ctx.session.say(ONE_MOMENT)
    return await search


class Receptionist(Agent):
    """The salon's receptionist: answers from the knowledge base and profile, escalates the rest."""

    def __init__(self, state: CallState, chat_ctx: llm.ChatContext | None = None) -> None:
        # `chat_ctx`: the conversation so far, when a text call's session is rebuilt in another process.
        super().__init__(instructions=state.profile.instructions(state.services.settings), chat_ctx=chat_ctx)

    @schema_once
    async def lookup_answer(self, ctx: RunContext[CallState], question: str) -> str:
        """Look up the answer to the caller's question in the salon's knowledge base and profile.

        Returns JSON with `answerable` (only then may you tell the caller `answer`), the `answer`,
        and the best `matches` with their scores.

        Args:
            question: the caller's question, in their words
        """
        state = ctx.userdata
        found = take_verdict(state, question)
        if found is None:
            found = await _search_telling_a_slow_judge(ctx, question)
        entry_id = found.pop("entry_id")
        confirm = found.pop("confirm")
        # The entry's answer stays in code until the caller says yes: the model only sees its question.
        state.confirming = confirm if isinstance(confirm, Confirmation) else None
        if state.confirming is not None:
            found["confirm_question"] = state.confirming.entry_question
        result = "answered" if found.get("answerable") else "read_back" if state.confirming else "unanswered"
        await _count(state, ("lookup", result, entry_id if isinstance(entry_id, int) else None))
        return json.dumps(found)

    @schema_once
    async def confirm_answer(self, ctx: RunContext[CallState], confirmed: bool) -> str:
        """Settle a read-back: after lookup_answer returned `confirm_question` and you asked the caller
        whether that is what they mean, pass their reply.

        Returns JSON with the `answer` to tell the caller when `confirmed` is true; otherwise the
        question goes to the supervisor and it returns the sentence to tell the caller.

        Args:
            confirmed: true only if the caller said that is what they are asking
        """
        state = ctx.userdata
        if state.confirming is None:
            raise ToolError("Nothing is waiting for the caller's confirmation; call lookup_answer first.")
        if not caller_spoke_since_lookup(ctx.session.history.items):
            # Enforced in code, not left to the model: the caller must have heard the read-back and replied.
            raise ToolError("Ask the caller whether that is their question first, then pass their reply.")
        pending, state.confirming = state.confirming, None
        await _count(state, ("read_back", pending.entry_id, confirmed))
        if confirmed:
            return json.dumps({"answerable": True, "answer": pending.answer, "source": "knowledge",
                               "reason": "the caller confirmed the question"})
        # Learned at once, in every process: the next caller with these words is not read this entry back.
        await run_db(state.db_executor, record_near_miss, state, pending)
        if not state.services.knowledge.is_prepared(pending.question):
            await run_db(state.search_executor, prepare_question, state, pending.question)
        return await run_db(state.db_executor, escalate, state, pending.question)

    @schema_once
    async def request_help(self, ctx: RunContext[CallState], question: str) -> str:
        """Ask a human supervisor a question you cannot answer from lookup_answer or the profile.

        Returns the sentence to tell the caller.

        Args:
            question: the caller's question, in their words
        """
        state = ctx.userdata
        if not state.services.knowledge.is_prepared(clean(question, MAX_QUESTION_CHARS)):
            # Embed the question off the database thread first, so the escalation's duplicate check
            # there costs no model pass. Usually skipped: this turn's search just embedded these words.
            await run_db(state.search_executor, prepare_question, state, question)
        return await run_db(state.db_executor, escalate, state, question)

    @schema_once
    async def request_transfer(self, ctx: RunContext[CallState], reason: str) -> str:
        """Connect the caller with a person on the team: call this when the caller asks to speak to
        someone (a person, a human, the manager) or the matter is urgent. The code decides whether a
        transfer happens and who takes it.

        Returns the sentence to tell the caller.

        Args:
            reason: why, in a few words (e.g. "asked for the manager", "urgent: allergic reaction")
        """
        state = ctx.userdata
        said = handoff_tool.last_caller_text(ctx.session.history.items)
        return str(await run_db(state.db_executor, handoff_tool.request_transfer, state, said, clean(reason, 300)))

    @schema_once
    async def set_caller_name(self, ctx: RunContext[CallState], name: str) -> str:
        """Record the caller's name when they tell you it.

        Args:
            name: the caller's name
        """
        state = ctx.userdata
        try:
            state.caller_name = await run_db(state.db_executor, state.services.calls.set_caller_name,
                                            state.call_id, name)
        except LifecycleError as exc:
            raise ToolError(f"Could not record the name: {exc}") from None
        return f"Thanks, {state.caller_name}."

    @schema_once
    async def set_caller_phone(self, ctx: RunContext[CallState], phone: str) -> str:
        """Record the phone number where the caller can be texted an answer.

        Args:
            phone: the caller's phone number with area code, e.g. +1 415 555 0100
        """
        state = ctx.userdata
        if not valid_phone(clean(phone, 40)):
            raise ToolError("That is not a valid phone number; ask the caller to repeat it with the area code.")
        state.caller_phone = await run_db(state.db_executor, state.services.calls.set_caller_phone,
                                            state.call_id, phone)
        return f"Thanks, I've noted your number ending in {state.caller_phone[-4:]}."
