"""The word lists behind handoff triggers and urgency: what they catch and what they must leave alone."""

import pytest

from frontdesk.caller_intents import is_urgent, urgent_words, wants_person


@pytest.mark.parametrize("text", [
    "Can I talk to someone?",
    "can i speak to a real person please",
    "Put me through to the manager",
    "I'd like to speak to someone at the salon please",
    "Can I speak to the manager? I want to rent the salon for a film shoot.",
    "Is there a human there?",
    "are you a robot",
    "transfer me",
    "I want to talk with the owner",
    "Can I have a person",
    "human please",
    "connect me to a stylist",
])
def test_asks_for_a_person(text: str) -> None:
    assert wants_person(text)


@pytest.mark.parametrize("text", [
    "What are your opening hours?",
    "How much is a men's haircut?",
    "Do you sell gift cards for someone else?",
    "no that's it thanks",
    "Can someone with curly hair get a keratin treatment?",
    "Does the manager's special include a wash?",
    "My friend talked to someone last week about prices",
])
def test_ordinary_questions_are_not_requests_for_a_person(text: str) -> None:
    assert not wants_person(text)


@pytest.mark.parametrize("text,words", [
    ("I had an allergic reaction to the dye", ["allergic", "reaction"]),
    ("URGENT: I left my keys at the salon", ["urgent", "left my"]),
    ("Can you fit me in today?", ["today"]),
])
def test_urgent(text: str, words: list[str]) -> None:
    assert is_urgent(text)
    assert urgent_words(text) == words


@pytest.mark.parametrize("text", ["Do you do balayage?", "What are your hours on Saturday?", "painting nails?"])
def test_not_urgent(text: str) -> None:
    assert not is_urgent(text)
