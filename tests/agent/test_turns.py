"""The turn classifier: what the caller's message is before anything is searched or escalated."""

from __future__ import annotations

import pytest

from frontdesk.agent.turns import classify, is_real_question, split_questions

CASES = [
    # The junk requests: short replies after an answer.
    ("no", "no"), ("nope, that's all", "no"), ("no that's it thanks", "no"), ("not really", "no"),
    ("no thanks", "no"), ("nope that's everything", "no"),
    ("yes please", "yes"), ("yeah", "yes"), ("yes", "yes"),
    ("hmm", "filler"), ("um, let me think", "filler"), ("hold on a sec", "filler"), ("ok", "filler"),
    ("okay", "filler"), ("uh", "filler"),
    ("thanks", "thanks"), ("great, thank you", "thanks"), ("perfect", "thanks"), ("cool thanks", "thanks"),
    ("thank you so much", "thanks"), ("ok thank you", "thanks"),
    ("bye", "goodbye"), ("thanks, bye", "goodbye"), ("that's all for now, bye", "goodbye"),
    ("have a nice day", "goodbye"), ("goodbye", "goodbye"),
    ("hi", "greeting"), ("hello there", "greeting"), ("good morning", "greeting"),
    ("how are you today?", "small_talk"), ("what's your name?", "small_talk"), ("who am I talking to?", "small_talk"),
    ("", "garbage"), ("???", "garbage"), ("asdfgh", "garbage"), ("asdf jkl", "garbage"), ("zzzz", "garbage"),
    ("qwrtypsdf", "garbage"),
    ("can I talk to a manager", "person"), ("I want to speak to a real person", "person"),
    ("put me through to someone please", "person"),
    ("I'd like to book a haircut for Saturday", "booking"), ("can I make an appointment for tomorrow?", "booking"),
    ("I want to schedule a colour appointment", "booking"),
    ("sorry, I meant is there parking", "correction"), ("no wait, I meant how early should I arrive", "correction"),
    ("do you take walk-ins?", "question"), ("hi, do you take walk-ins?", "question"),
    ("How much is a men's haircut, and do you take walk-ins?", "question"),
    ("Can I bring my dog to my appointment?", "question"),
]


@pytest.mark.parametrize("text,kind", CASES, ids=[c[0] or "empty" for c in CASES])
def test_classify(text: str, kind: str) -> None:
    assert classify(text).kind == kind


def test_a_correction_carries_the_new_question() -> None:
    assert classify("sorry, I meant is there parking").questions == ["is there parking"]
    assert classify("no wait, I meant how early should I arrive").questions == ["how early should I arrive"]
    assert classify("sorry, I meant").questions == []


def test_several_questions_split_and_statements_stay_with_their_question() -> None:
    assert split_questions("How much is a men's haircut, and do you take walk-ins?") == [
        "How much is a men's haircut", "do you take walk-ins"]
    assert split_questions("do you sell gift cards? and is there parking?") == ["do you sell gift cards",
                                                                                   "is there parking"]
    assert split_questions("I have long hair. How much is balayage?") == ["I have long hair How much is balayage"]
    assert split_questions("hi. do you take walk-ins?") == ["do you take walk-ins"]
    # One question keeps the caller's exact words.
    assert classify("do you sell gift cards?").questions == ["do you sell gift cards?"]


def test_only_real_questions_are_worth_a_supervisor() -> None:
    assert is_real_question("do you do balayage?")
    assert is_real_question("eyebrow threading prices")
    assert not is_real_question("balayage")
    assert not is_real_question("the the the")
