"""The Receptionist agent and its tools: the same agent serves voice and text calls.

The LLM may only read (lookup_answer), settle a read-back (confirm_answer), ask for help
(request_help) and record the caller's contact details; request ids, states and deadlines are
decided in code (DESIGN invariant 5).
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from livekit.agents import Agent, RunContext, ToolError, function_tool, llm

from frontdesk.agent import handoff_tool
from frontdesk.agent.profile import ProfileView
from frontdesk.agent.session import run_db
from frontdesk.errors import LifecycleError
from frontdesk.knowledge.simple import content_words
from frontdesk.lifecycle import MAX_QUESTION_CHARS
from frontdesk.text import clean, mask_phone, normalize_question, valid_phone
from frontdesk.usage import record_lookup, record_read_back

if TYPE_CHECKING:
    from frontdesk.services import Services

log = logging.getLogger(__name__)

# A hostile caller cannot flood the supervisors' queue from one call.
MAX_ESCALATIONS_PER_CALL = 5
# A lookup still running after this long is waiting on the LLM judge: tell the caller so.
JUDGE_NOTICE_SECONDS = 0.7
ONE_MOMENT = "One moment, let me check that."


@dataclass(frozen=True)
class Confirmation:
    """What a read-back is about: the caller's question and the entry that may answer it."""

    question: str
    entry_id: int
    entry_question: str
    answer: str


@dataclass
class CallState:
    """Per-call data the tools read (`ctx.userdata`)."""

    services: Services
    call_id: str
    profile: ProfileView
    caller_phone: str = ""
    caller_name: str = ""
    escalations: dict[str, int] = field(default_factory=dict)  # normalized question -> request id
    turn_help_request_id: int | None = None
    db_executor: Executor | None = None  # where tools run database work (None: a worker thread)
    search_executor: Executor | None = None  # where knowledge searches run (None: a worker thread)
    # The offline brain's verdict on this turn's question, reused by lookup_answer for the same words
    # (saves a second knowledge search per turn).
    found: tuple[str, dict[str, object]] | None = None
    # A borderline match read back to the caller ("are you asking ...?"), waiting for their yes or no.
    confirming: Confirmation | None = None
    # Live handoff: the transfer this call asked for (a voice job watches it).
    transfer_id: int | None = None


def covers_every_word(query: str, question: str) -> bool:
    """True when an entry's question contains every meaningful word the caller said (2 or more).

    A lexical safety net next to the knowledge base's own verdict: "how much is the rosemary scalp
    detox?" is answered by the learned entry "Do you offer a scalp detox treatment with rosemary oil?".
    """
    words = content_words(query)
    return len(words) >= 2 and words <= content_words(question)


def find_answer(state: CallState, question: str, remember: bool = False) -> dict[str, object]:
    """Search the knowledge base, then the business profile; the agent's only source of answers.

    Returns `{answerable, answer, source, reason, matches, entry_id, confirm}`; reads only. `confirm`
    is a `Confirmation` when the best entry is worth reading back to the caller (never told unasked).
    With `remember`, the verdict is kept for this turn's `lookup_answer` on the same words.
    """
    question = clean(question, MAX_QUESTION_CHARS)
    found = _find(state, question)
    if remember:
        state.found = (question, found)
    return found


def _find(state: CallState, question: str) -> dict[str, object]:
    # The profile is the source of truth for what it holds (hours, address, phone, services): it answers
    # first, so a knowledge entry restating an older fact never contradicts it.
    fact = state.profile.lookup(question)
    if fact:
        return {"answerable": True, "answer": fact, "source": "profile", "reason": "business profile",
                "matches": [], "entry_id": None, "confirm": None}
    result = state.services.knowledge.search(question)
    matches = [{"question": m.question, "score": m.score} for m in result.matches]
    best = result.best if result.answerable else None
    reason = result.reason
    if best is None and result.matches and covers_every_word(question, result.matches[0].question):
        best, reason = result.matches[0], "entry covers every word of the question"
    if best is not None:
        return {"answerable": True, "answer": best.answer, "source": "knowledge", "reason": reason,
                "matches": matches, "entry_id": best.id, "confirm": None}
    c = result.confirm
    confirm = Confirmation(question, c.id, c.question, c.answer) if c is not None else None
    return {"answerable": False, "answer": None, "source": None, "reason": reason, "matches": matches,
            "entry_id": None, "confirm": confirm}


def take_verdict(state: CallState, question: str) -> dict[str, object] | None:
    """This turn's `find_answer` verdict on the same words, if the brain already searched (no I/O)."""
    cached, state.found = state.found, None
    if cached is not None and cached[0] == clean(question, MAX_QUESTION_CHARS):
        return dict(cached[1])
    return None


def count_use(state: CallState, result: str, entry_id: int | None) -> None:
    """Record one look-up of this call and the entry that answered (best effort: never costs the caller their answer)."""
    try:
        record_lookup(state.services.db, state.services.clock, state.call_id, result, entry_id)
    except Exception:
        log.exception("could not record a knowledge look-up")


def count_read_back(state: CallState, entry_id: int, confirmed: bool) -> None:
    """Record the caller's yes or no to a read-back (best effort)."""
    try:
        record_read_back(state.services.db, state.services.clock, state.call_id, entry_id, confirmed)
    except Exception:
        log.exception("could not record a read-back")


def record_near_miss(state: CallState, pending: Confirmation) -> None:
    """A declined read-back: `pending.entry_id` does not answer the caller's question (best effort)."""
    try:
        state.services.knowledge.add_near_miss(pending.question, pending.entry_id)
    except Exception:
        log.exception("could not record a near miss")


def prepare_question(state: CallState, question: str) -> None:
    """Embed `question` ahead of `escalate` (best effort: escalating never depends on it)."""
    try:
        state.services.knowledge.prepare_question(clean(question, MAX_QUESTION_CHARS))
    except Exception:
        log.warning("could not prepare question for escalation", exc_info=True)


def escalate(state: CallState, question: str) -> str:
    """Open (or join) a help request for this call, once per question; returns what to tell the caller."""
    settings = state.services.settings
    question = clean(question, MAX_QUESTION_CHARS)
    key = normalize_question(question)
    if not key:
        raise ToolError("The question is empty; ask the caller what they would like to know.")
    if key in state.escalations:
        state.turn_help_request_id = state.escalations[key]
        return settings.msg_escalation
    if len(state.escalations) >= MAX_ESCALATIONS_PER_CALL:
        return ("I've already passed several questions to my supervisor on this call; "
                "they'll get back to you on all of them.")
    try:
        result = state.services.desk.escalate(
            question, call_id=state.call_id, caller_phone=state.caller_phone, caller_name=state.caller_name
        )
    except LifecycleError as exc:
        raise ToolError(f"Could not reach the supervisor queue: {exc}") from None
    state.escalations[key] = result.request_id
    state.turn_help_request_id = result.request_id
    log.info("call %s escalated to request %s (caller %s)", state.call_id, result.request_id,
             mask_phone(state.caller_phone))
    said = settings.msg_escalation
    if not state.caller_phone:
        said += " What's the best phone number to text you the answer?"
    return handoff_tool.offer_after_escalation(state, question, said)


def caller_spoke_since_lookup(items: list[Any]) -> bool:
    """Whether the caller said something after the last `lookup_answer` result in the chat history."""
    spoke = False
    for item in reversed(items):
        if item.type == "message" and item.role == "user":
            spoke = True
        elif item.type == "function_call_output" and item.name == "lookup_answer":
            return spoke
    return False


async def _record(state: CallState, fn: Any, *args: Any) -> None:
    if state.db_executor is not None:
        # Not awaited: the hub's one database thread runs it before the end-of-turn transcript
        # flush, so the turn still ends with everything written, minus one thread hop.
        state.db_executor.submit(fn, state, *args)
    else:
        await run_db(None, fn, state, *args)


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

    @function_tool
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
        await _record(state, count_use, result, entry_id if isinstance(entry_id, int) else None)
        return json.dumps(found)

    @function_tool
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
        await _record(state, count_read_back, pending.entry_id, confirmed)
        if confirmed:
            return json.dumps({"answerable": True, "answer": pending.answer, "source": "knowledge",
                               "reason": "the caller confirmed the question"})
        # Learned at once, in every process: the next caller with these words is not read this entry back.
        await run_db(state.db_executor, record_near_miss, state, pending)
        if not state.services.knowledge.is_prepared(pending.question):
            await run_db(state.search_executor, prepare_question, state, pending.question)
        return await run_db(state.db_executor, escalate, state, pending.question)

    @function_tool
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

    @function_tool
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

    @function_tool
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

    @function_tool
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
