"""The issue's first-minute failures, in LiveKit's harness: short replies, thanks and filler open no
help request; a booking is answered from the booking entry; two questions in one breath get two answers;
a request for a person uses `request_transfer` when the agent has it. Offline brain, and a scripted LLM
that uses the same tools."""

from __future__ import annotations

from typing import Any

from agent_helpers import ScriptedLLM, new_state, run, text_session
from livekit.agents import RunContext, function_tool
from sqlalchemy import func, select

from frontdesk.agent.brain import NO_TRANSFER, OfflineBrain
from frontdesk.agent.call_state import CallState
from frontdesk.agent.receptionist import Receptionist
from frontdesk.models import HelpRequest
from frontdesk.services import Services


def requests(svc: Services) -> int:
    with svc.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(HelpRequest)) or 0)


def texts(result: Any) -> str:
    return " ".join(e.item.text_content or "" for e in result.events if e.type == "message")


async def _say_all(svc: Services, lines: list[str], agent_cls: type[Receptionist] = Receptionist,
                   model: Any = None) -> list[str]:
    state = new_state(svc)
    async with text_session(model or OfflineBrain(), state) as session:
        await session.start(agent_cls(state))
        return [texts(await session.run(user_input=line)) for line in lines]


def test_short_replies_thanks_and_filler_open_no_help_request(salon: Services) -> None:
    lines = ["Do you take walk-ins?", "no", "hmm", "yes please", "nope, that's all", "no that's it thanks",
             "thanks", "asdf jkl", "how are you?", "bye"]
    replies = run(_say_all(salon, lines))
    assert "walk-ins" in replies[0]
    assert requests(salon) == 0
    assert all(r and "supervisor" not in r for r in replies)


def test_a_booking_request_is_answered_from_the_booking_entry(salon: Services) -> None:
    [reply] = run(_say_all(salon, ["I'd like to book a haircut for Saturday"]))
    assert "book by phone" in reply and requests(salon) == 0


def test_two_questions_in_one_breath_get_two_answers(salon: Services) -> None:
    [reply] = run(_say_all(salon, ["How much is a men's haircut, and do you take walk-ins?"]))
    assert "$40" in reply and "walk-ins" in reply and requests(salon) == 0


def test_one_answered_and_one_escalated_in_the_same_turn(salon: Services) -> None:
    [reply] = run(_say_all(salon, ["do you sell gift cards, and do you do eyebrow threading?"]))
    assert "gift cards are available" in reply and salon.settings.msg_escalation in reply
    with salon.db.read() as s:
        [question] = s.scalars(select(HelpRequest.question)).all()
    assert "threading" in question and "gift" not in question


def test_a_qualifier_the_entry_drops_is_not_read_back(salon: Services) -> None:
    [reply] = run(_say_all(salon, ["Can I bring my dog to my appointment?"]))
    assert "is your question" not in reply and requests(salon) == 1


def test_a_correction_answers_the_corrected_question(salon: Services) -> None:
    replies = run(_say_all(salon, ["do you take walk-ins", "sorry, I meant is there parking nearby"]))
    assert "street parking" in replies[1] and requests(salon) == 0


def test_a_person_with_nobody_online_gets_the_handoff_fallback(salon: Services) -> None:
    # The receptionist has the live-handoff tool: with nobody online the caller is told and offered a callback.
    [reply] = run(_say_all(salon, ["can I speak to a manager?"]))
    assert reply != NO_TRANSFER and "nobody free" in reply and requests(salon) == 1


class _WithTransfer(Receptionist):
    transferred: list[str] = []

    @function_tool
    async def request_transfer(self, ctx: RunContext[CallState], reason: str) -> str:
        """Hand the call to a person.

        Args:
            reason: why the caller wants a person
        """
        self.transferred.append(reason)
        return "Let me see if someone is free to take your call."


def test_a_person_with_a_transfer_tool_is_handed_over(salon: Services) -> None:
    _WithTransfer.transferred = []
    [reply] = run(_say_all(salon, ["can I speak to a manager?"], _WithTransfer))
    assert _WithTransfer.transferred == ["can I speak to a manager?"]
    assert reply == "Let me see if someone is free to take your call." and requests(salon) == 0


def test_a_scripted_llm_answers_two_questions_through_the_tools(salon: Services) -> None:
    """With an LLM key the model splits the questions itself: one lookup per question, then one reply."""
    model = ScriptedLLM([
        ("tools", [("lookup_answer", {"question": "How much is a men's haircut?"}),
                   ("lookup_answer", {"question": "Do you take walk-ins?"})]),
        ("text", "A men's haircut is $40, and yes, we take walk-ins when a stylist is free."),
        ("text", "You're welcome!"),
    ])
    replies = run(_say_all(salon, ["How much is a men's haircut, and do you take walk-ins?", "thanks"], model=model))
    outputs = [m for m in model.seen[1].items if m.type == "function_call_output"]
    assert len(outputs) == 2 and all('"answerable": true' in o.output for o in outputs)
    assert "$40" in replies[0] and requests(salon) == 0


def test_a_slow_judge_is_announced_to_the_caller_first(salon: Services) -> None:
    """With an LLM judge configured, a lookup that waits on it says "one moment" before the result."""
    import time

    from frontdesk.agent.receptionist import ONE_MOMENT

    def slow_judge(question: str, candidates: Any) -> str:
        time.sleep(1.0)
        return "escalate"

    live = salon.knowledge.index
    live.llm_judge = slow_judge
    live.refresh().llm_judge = slow_judge
    model = ScriptedLLM([("tool", ("lookup_answer", {"question": "do you have gift certificates"})),
                         ("text", "I'll check with my supervisor.")])
    [reply] = run(_say_all(salon, ["do you have gift certificates"], model=model))
    assert reply.startswith(ONE_MOMENT) and reply.endswith("I'll check with my supervisor.")
    # A fast lookup says nothing extra.
    live.llm_judge = live.refresh().llm_judge = None
    model = ScriptedLLM([("tool", ("lookup_answer", {"question": "do you have gift certificates"})), ("text", "ok")])
    assert run(_say_all(salon, ["do you have gift certificates"], model=model)) == ["ok"]
