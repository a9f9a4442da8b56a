"""The knowledge store serves through the live semantic index: vectors stored with rows,
fresh across processes without restart, archived / pending-review / expired never served."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from frontdesk.knowledge.embedding import minilm_available
from frontdesk.knowledge.retrieval import deserialize_vector
from frontdesk.knowledge.store import KnowledgeBase
from frontdesk.models import KnowledgeEntry
from frontdesk.services import Services

pytestmark = pytest.mark.skipif(not minilm_available(), reason="MiniLM weights not installed")


def test_vectors_are_stored_with_the_row(services: Services) -> None:
    kb = services.knowledge
    e = kb.create("Do you do balayage?", "Yes, from $200.", by="sup@example.com")
    with services.db.read() as s:
        row = s.get(KnowledgeEntry, e.id)
        assert row is not None and row.embedding is not None and row.embedding_model == "all-MiniLM-L6-v2"
        first = deserialize_vector(row.embedding)
    assert first.shape == (384,)
    kb.update(e.id, by="sup@example.com", answer="Yes, from $220.")
    with services.db.read() as s:
        row = s.get(KnowledgeEntry, e.id)
        assert row is not None and row.embedding is not None
        assert (deserialize_vector(row.embedding) != first).any()


def test_learned_entry_is_searchable_at_once_and_edits_show(services: Services) -> None:
    kb = services.knowledge
    kb.create("What are your opening hours?", "Tuesday to Saturday, 9 to 5.", by="sup@example.com")
    assert not kb.search("do you do box braids").answerable
    e = kb.create("Do you do box braids?", "Yes, box braids from $150.", by="sup@example.com")
    res = kb.search("do you do box braids")
    assert res.answerable and res.best is not None and res.best.id == e.id
    kb.update(e.id, by="sup@example.com", answer="Yes, box braids from $180.")  # same fake-clock instant
    res = kb.search("do you do box braids")
    assert res.best is not None and "$180" in res.best.answer


@pytest.mark.parametrize("status", ["archived", "pending_review"])
def test_unserved_statuses_are_never_served(services: Services, status: str) -> None:
    kb = services.knowledge
    e = kb.create("Do you do box braids?", "Yes, box braids from $150.", by="sup@example.com")
    assert kb.search("do you do box braids").answerable
    kb.update(e.id, by="sup@example.com", status=status)
    res = kb.search("do you do box braids")
    assert not res.answerable and all(m.id != e.id for m in res.matches)
    kb.update(e.id, by="sup@example.com", status="active")
    assert kb.search("do you do box braids").answerable


def test_expired_entries_are_not_served(services: Services, clock) -> None:  # type: ignore[no-untyped-def]
    kb = services.knowledge
    e = kb.create("Is Maria in today?", "Yes, Maria is in until 3pm today.", by="sup@example.com")
    with services.db.write() as s:
        s.execute(update(KnowledgeEntry).where(KnowledgeEntry.id == e.id)
                  .values(expires_at=clock.now() + timedelta(hours=1)))
    kb.index.mark_dirty()
    assert kb.search("is maria in today").answerable
    clock.advance(hours=2)
    assert not kb.search("is maria in today").answerable


def test_another_process_sees_changes_within_a_second(services: Services) -> None:
    # A second KnowledgeBase on the same database stands in for another process.
    other = KnowledgeBase(services.db, services.clock)
    services.knowledge.create("What are your opening hours?", "9 to 5.", by="sup@example.com")
    assert not other.search("do you do box braids").answerable  # builds its index now
    e = services.knowledge.create("Do you do box braids?", "Yes, from $150.", by="sup@example.com")
    deadline = time.monotonic() + 1.5
    while not other.search("do you do box braids").answerable:
        assert time.monotonic() < deadline, "not visible in the other process within a second"
        time.sleep(0.1)
    services.knowledge.update(e.id, by="sup@example.com", status="archived")
    deadline = time.monotonic() + 1.5
    while other.search("do you do box braids").answerable:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_import_batches_vectors_and_missing_vectors_are_filled(services: Services) -> None:
    kb = services.knowledge
    n = kb.import_json('[{"question": "Where are you?", "answer": "123 Main St."},'
                       ' {"question": "Do you take walk-ins?", "answer": "Yes, when a stylist is free."}]',
                       by="sup@example.com")
    assert n == 2
    with services.db.write() as s:  # e.g. rows written by an older version without vectors
        s.execute(update(KnowledgeEntry).values(embedding=None, embedding_model=None))
    fresh = KnowledgeBase(services.db, services.clock)
    res = fresh.search("can i just walk in")
    assert res.answerable
    with services.db.read() as s:
        assert all(b is not None for b in s.scalars(select(KnowledgeEntry.embedding)))


def test_same_question_groups_pending_requests(services: Services) -> None:
    desk = services.desk
    a = desk.escalate("Do you do lash extensions?", caller_phone="+15550000001")
    b = desk.escalate("um do you guys do lash extensions", caller_phone="+15550000002")
    c = desk.escalate("Do you do hair extensions?", caller_phone="+15550000003")
    assert a.request_id == b.request_id
    assert c.request_id != a.request_id
