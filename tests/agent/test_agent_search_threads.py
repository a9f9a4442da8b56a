"""Knowledge searches on the hub's search threads: concurrent searches give the sequential results,
and an escalation embeds its question once per process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from frontdesk.knowledge.embedding import minilm_available
from frontdesk.knowledge.retrieval import SearchResult
from frontdesk.knowledge.store import KnowledgeBase
from frontdesk.services import Services

pytestmark = pytest.mark.skipif(not minilm_available(), reason="MiniLM weights not installed")

QUESTIONS = [
    "what time do you guys open", "are you open on saturday", "where are you located", "what's the address",
    "how much is a guy's haircut", "price for a women's cut", "how much is balayage", "do you do keratin",
    "do you do lash extensions", "do you take walk ins today", "can i book online", "do you sell gift cards",
    "how much to dye my hair", "is there parking nearby", "do you do nails", "how long does a blow dry take",
]


def summary(result: SearchResult) -> tuple[Any, ...]:
    return (result.answerable, result.reason, [(m.id, round(m.score, 5)) for m in result.matches])


def test_concurrent_searches_give_the_sequential_results(salon: Services) -> None:
    with ThreadPoolExecutor(8) as pool:  # shared passes, the index lock and the gate under contention
        concurrent = list(pool.map(salon.knowledge.search, QUESTIONS * 3))
    fresh = KnowledgeBase(salon.db, salon.clock, judge_from=salon.settings.kb_judge_from)  # its own index and cache: every question embedded alone
    sequential = [fresh.search(q) for q in QUESTIONS]
    assert [summary(r) for r in concurrent] == [summary(r) for r in sequential] * 3
    assert any(r.answerable for r in sequential) and not all(r.answerable for r in sequential)


def test_an_escalation_embeds_its_question_once(salon: Services, hub: Any) -> None:
    first = hub.start_call("+15550100001")
    pending = hub.send(first.id, "Do you do eyebrow tinting for kids?").help_request_id
    assert pending is not None
    emb = salon.knowledge.index.embedder
    passes = emb.passes
    call = hub.start_call("+15550100002")
    question = "Do you do henna brows for weddings?"
    turn = hub.send(call.id, question)
    assert turn.help_request_id is not None and turn.help_request_id != pending
    # The brain's search embedded it; the duplicate check against the pending request reused that vector.
    assert emb.passes == passes + 1
    assert salon.knowledge.is_prepared(question)
