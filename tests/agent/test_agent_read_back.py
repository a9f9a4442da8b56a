"""Read-back: a borderline match is checked with the caller ("is your question: ...?") instead of
guessing or escalating at once. The answer is told only after a yes; a no escalates the caller's own
question; anything else is a new question. Offline brain and a scripted model, in LiveKit's harness."""

from __future__ import annotations

import json

import pytest
from agent_helpers import ScriptedLLM, new_state, run, text_session, wait_until
from sqlalchemy import select

from frontdesk.agent.brain import READ_BACK, OfflineBrain, read_back_reply
from frontdesk.agent.receptionist import Receptionist
from frontdesk.models import HelpRequest, KnowledgeEntry, NearMiss
from frontdesk.services import Services

# Against the demo salon: the right entry ("Do you sell gift cards?") is read back, not told.
SYNONYM = "do you have gift certificates"
# The best entry is the wrong one (a price, not a duration): the caller says no.
NEAR_MISS = "is there a bus stop nearby"


def pending(svc: Services) -> list[HelpRequest]:
    with svc.db.read() as s:
        return list(s.scalars(select(HelpRequest).where(HelpRequest.status == "pending")))


def uses(svc: Services, question: str) -> int:
    with svc.db.read() as s:
        return s.scalars(select(KnowledgeEntry.times_used).where(KnowledgeEntry.question == question)).one()


def _texts(result) -> str:  # type: ignore[no-untyped-def]
    return " ".join(e.item.text_content or "" for e in result.events if e.type == "message")


def test_a_yes_gets_the_answer_and_nothing_is_escalated(salon: Services) -> None:
    async def body() -> tuple[str, str, str]:
        state = new_state(salon)
        async with text_session(OfflineBrain(), state) as session:
            await session.start(Receptionist(state))
            first = await session.run(user_input=SYNONYM)
            first.expect.next_event().is_function_call(name="lookup_answer")
            out = first.expect.next_event().is_function_call_output().event().item.output
            first.expect.next_event().is_message(role="assistant")
            first.expect.no_more_events()
            second = await session.run(user_input="yes, that's right")
            second.expect.next_event().is_function_call(name="confirm_answer", arguments={"confirmed": True})
            return out, _texts(first), _texts(second)

    before = uses(salon, "Do you sell gift cards?")
    out, read_back, answer = run(body())
    found = json.loads(out)
    # The model sees the entry's question only: the unconfirmed answer never leaves the code.
    assert found["answerable"] is False and found["confirm_question"] == "Do you sell gift cards?"
    assert "answer" not in found or found["answer"] is None
    assert read_back == READ_BACK.format(question="Do you sell gift cards?")
    assert "gift card" in answer.lower() and answer != read_back
    assert pending(salon) == []
    assert uses(salon, "Do you sell gift cards?") == before + 1


def test_a_no_escalates_the_callers_own_question(salon: Services) -> None:
    async def body() -> tuple[str, int | None]:
        state = new_state(salon, phone="+15550007777")
        async with text_session(OfflineBrain(), state) as session:
            await session.start(Receptionist(state))
            first = await session.run(user_input=NEAR_MISS)
            assert "is your question" in _texts(first)
            second = await session.run(user_input="no, I mean how long it takes")
            second.expect.next_event().is_function_call(name="confirm_answer", arguments={"confirmed": False})
            return _texts(second), state.turn_help_request_id

    reply, request_id = run(body())
    assert reply == salon.settings.msg_escalation
    [request] = pending(salon)
    assert request.id == request_id and request.question == NEAR_MISS
    assert "$" not in reply  # the read-back entry's price was never told


def test_a_declined_read_back_is_learned_as_a_near_miss_in_every_process(salon: Services) -> None:
    """The next caller with that wording is not read the same entry back, here or in another process."""
    from frontdesk.knowledge.store import KnowledgeBase

    async def declined() -> None:
        state = new_state(salon, phone="+15550007778")
        async with text_session(OfflineBrain(), state) as session:
            await session.start(Receptionist(state))
            assert "is your question" in _texts(await session.run(user_input=NEAR_MISS))
            await session.run(user_input="no")

    other_process = KnowledgeBase(salon.db, salon.clock)  # its own index, as in another process
    assert other_process.search(NEAR_MISS).confirm is not None
    run(declined())
    with salon.db.read() as s:
        [(entry_id, question)] = s.execute(select(NearMiss.entry_id, NearMiss.question)).all()
        entry = s.get(KnowledgeEntry, entry_id)
    assert question == NEAR_MISS and entry is not None and entry.question == "Is there parking nearby?"
    assert salon.knowledge.search(NEAR_MISS).confirm is None
    # Another process picks it up at its next index refresh (every 0.5 s at most).
    assert wait_until(lambda: other_process.search(NEAR_MISS).confirm is None, 3.0)
    assert other_process.search(SYNONYM).confirm is not None  # other wordings are untouched

    async def next_caller() -> str:
        state = new_state(salon, phone="+15550007779")
        async with text_session(OfflineBrain(), state) as session:
            await session.start(Receptionist(state))
            return _texts(await session.run(user_input=NEAR_MISS))

    assert run(next_caller()) == salon.settings.msg_escalation


def test_something_else_after_a_read_back_is_a_new_question(salon: Services) -> None:
    async def body() -> tuple[str, str]:
        state = new_state(salon)
        async with text_session(OfflineBrain(), state) as session:
            await session.start(Receptionist(state))
            await session.run(user_input=SYNONYM)
            other = await session.run(user_input="How much is a men's haircut?")
            other.expect.next_event().is_function_call(name="lookup_answer")
            # A later bare "yes" has nothing to confirm any more: it is not taken as one.
            late = await session.run(user_input="yes")
            return _texts(other), " ".join(str(e.item) for e in late.events)

    answer, late = run(body())
    assert "$40" in answer
    assert "confirm_answer" not in late
    assert pending(salon) == []


def test_a_model_cannot_confirm_what_was_never_read_back(salon: Services) -> None:
    model = ScriptedLLM([("tool", ("confirm_answer", {"confirmed": True})), ("text", "sorry")])

    async def body() -> None:
        state = new_state(salon)
        async with text_session(model, state) as session:
            await session.start(Receptionist(state))
            result = await session.run(user_input="yes")
            result.expect.next_event().is_function_call(name="confirm_answer")
            result.expect.next_event().is_function_call_output(is_error=True)
    run(body())
    assert pending(salon) == []


def test_a_model_cannot_confirm_before_the_caller_replied(salon: Services) -> None:
    """A model that looks up and confirms in the same turn would tell an unchecked answer: refused."""
    model = ScriptedLLM([("tool", ("lookup_answer", {"question": SYNONYM})),
                         ("tool", ("confirm_answer", {"confirmed": True})), ("text", "Do you mean gift cards?")])

    async def body() -> str:
        state = new_state(salon)
        async with text_session(model, state) as session:
            await session.start(Receptionist(state))
            result = await session.run(user_input=SYNONYM)
            result.expect.contains_function_call(name="confirm_answer")
            out = result.expect.contains_function_call_output(is_error=True).event().item.output
            assert state.confirming is not None  # still waiting for the caller
            return out
    assert "gift card" not in run(body()).lower()


def test_a_scripted_model_follows_the_read_back_protocol(salon: Services) -> None:
    """The way a real model would: look up, ask the caller, pass their yes to confirm_answer."""
    model = ScriptedLLM([("tool", ("lookup_answer", {"question": SYNONYM})), ("text", "Do you mean gift cards?"),
                         ("tool", ("confirm_answer", {"confirmed": True})), ("text", "(spoken)")])

    async def body() -> str:
        state = new_state(salon)
        async with text_session(model, state) as session:
            await session.start(Receptionist(state))
            await session.run(user_input=SYNONYM)
            second = await session.run(user_input="yeah gift cards")
            return second.expect.contains_function_call_output().event().item.output
    found = json.loads(run(body()))
    assert found["answerable"] is True and "gift card" in found["answer"].lower()


@pytest.mark.parametrize(("reply", "verdict"), [
    ("yes", True), ("Yeah.", True), ("yes, that's exactly what I meant, thanks", True), ("uh huh", True),
    ("that's right", True), ("correct", True),
    ("no", False), ("nope", False), ("No, I meant for my kids", False), ("not really", False),
    ("that's not it", False),
    ("yes and do you do perms", None), ("how much is a perm", None), ("", None), ("right, and parking?", None),
])
def test_read_back_replies(reply: str, verdict: bool | None) -> None:
    assert read_back_reply(reply) is verdict
