"""How the receptionist answers and escalates, below its LLM tools: the knowledge base and profile
search, read-back bookkeeping, and opening (or joining) a help request once per question."""

from __future__ import annotations

import logging

from livekit.agents import ToolError

from frontdesk.agent import handoff_tool
from frontdesk.agent.call_state import CallState, Confirmation
from frontdesk.errors import LifecycleError
from frontdesk.knowledge.simple import content_words
from frontdesk.lifecycle import MAX_QUESTION_CHARS
from frontdesk.text import clean, mask_phone, normalize_question
from frontdesk.usage import Usage, record_usage

log = logging.getLogger(__name__)

# A hostile caller cannot flood the supervisors' queue from one call.
MAX_ESCALATIONS_PER_CALL = 5


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


def count_usage(state: CallState, item: Usage) -> None:
    """Record one look-up of this call (and the entry that answered) or the caller's yes or no to a
    read-back, in a transaction of its own (best effort: never costs the caller their answer)."""
    try:
        with state.services.db.write() as s:
            record_usage(s, state.services.clock.now(), state.call_id, [item])
    except Exception:
        log.exception("could not record a knowledge look-up")


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
