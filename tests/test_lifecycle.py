"""The help-request state machine (DESIGN.md invariant 1) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from frontdesk.clock import FakeClock
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.models import Event, Followup, HelpRequest, HelpRequestCaller, KnowledgeEntry
from frontdesk.services import Services


def _status(svc: Services, rid: int) -> HelpRequest:
    with svc.db.read() as s:
        return s.get_one(HelpRequest, rid)


def _to_state(svc: Services, clock: FakeClock, state: str) -> int:
    """A request brought to `state` through the public operations."""
    rid = svc.desk.escalate("Do you do rosemary scalp detox?", caller_phone="+15550001111").request_id
    if state == "resolved":
        svc.desk.answer(rid, "Yes, $40.", by="sup@example.com")
    elif state == "unresolved":
        clock.advance(svc.settings.request_timeout_seconds + 1)
        assert svc.desk.sweep() == 1
    return rid


ALLOWED = [
    ("pending", "answer", "resolved", "answered"),
    ("pending", "timeout", "unresolved", "timeout"),
    ("pending", "close", "unresolved", "closed"),
    ("unresolved", "answer", "resolved", "late_answer"),
]
REFUSED = [
    ("resolved", "answer"),
    ("resolved", "close"),
    ("resolved", "timeout"),
    ("unresolved", "close"),
    ("unresolved", "timeout"),
]


def _do(svc: Services, clock: FakeClock, rid: int, action: str) -> int | None:
    if action == "answer":
        svc.desk.answer(rid, "Our answer.", by="sup@example.com")
    elif action == "close":
        svc.desk.close(rid, by="sup@example.com", reason="spam")
    else:
        clock.advance(svc.settings.request_timeout_seconds + 1)
        return svc.desk.sweep()
    return None


@pytest.mark.parametrize(("start", "action", "end", "outcome"), ALLOWED)
def test_allowed_transitions(services: Services, clock: FakeClock, start: str, action: str, end: str,
                             outcome: str) -> None:
    rid = _to_state(services, clock, start)
    _do(services, clock, rid, action)
    req = _status(services, rid)
    assert (req.status, req.outcome) == (end, outcome)
    with services.db.read() as s:
        actions = list(s.scalars(select(Event.action).where(Event.help_request_id == rid, Event.entity == "help_request")))
    assert actions[-1] == outcome  # every transition leaves an event


@pytest.mark.parametrize(("start", "action"), REFUSED)
def test_refused_transitions(services: Services, clock: FakeClock, start: str, action: str) -> None:
    rid = _to_state(services, clock, start)
    before = _status(services, rid)
    if action == "timeout":
        assert _do(services, clock, rid, action) == 0
    else:
        with pytest.raises(Conflict) as err:
            _do(services, clock, rid, action)
        assert err.value.status == start and "already" in str(err.value)
    after = _status(services, rid)
    assert (after.status, after.outcome, after.answer) == (before.status, before.outcome, before.answer)


def test_second_answer_is_a_conflict_and_keeps_the_first(services: Services) -> None:
    rid = services.desk.escalate("Is there parking for bikes?").request_id
    services.desk.answer(rid, "Yes, racks out front.", by="a@example.com")
    with pytest.raises(Conflict):
        services.desk.answer(rid, "No.", by="b@example.com")
    req = _status(services, rid)
    assert (req.answer, req.answered_by) == ("Yes, racks out front.", "a@example.com")


def test_answer_learns_follows_up_and_records_in_one_go(services: Services) -> None:
    rid = services.desk.escalate("Do you braid hair?", call_id=None, caller_phone="+15550002222").request_id
    services.desk.answer(rid, "Yes, box braids from $150.", by="sup@example.com", kb_question="Do you do braids?")
    with services.db.read() as s:
        entry = s.scalar(select(KnowledgeEntry).where(KnowledgeEntry.source_request_id == rid))
        kinds = sorted(s.scalars(select(Followup.kind).where(Followup.help_request_id == rid)))
    assert entry is not None and entry.question == "Do you do braids?" and entry.source == "learned"
    assert kinds == ["caller_answer", "supervisor_alert"]
    assert services.knowledge.search("do you do braids").answerable


def test_opting_out_of_learning(services: Services) -> None:
    rid = services.desk.escalate("Is Maria in today?").request_id
    services.desk.answer(rid, "She is, until 3pm.", by="sup@example.com", add_to_kb=False)
    with services.db.read() as s:
        assert s.scalar(select(func.count(KnowledgeEntry.id))) == 0


def test_same_question_from_several_callers_is_one_request(services: Services) -> None:
    a = services.desk.escalate("Do you do lash extensions?", caller_phone="+15550000001")
    b = services.desk.escalate("do you do LASH extensions", caller_phone="+15550000002")
    assert b.request_id == a.request_id and b.joined_existing
    services.desk.answer(a.request_id, "No, hair only.", by="sup@example.com")
    with services.db.read() as s:
        recipients = sorted(s.scalars(select(Followup.recipient).where(Followup.kind == "caller_answer")))
    assert recipients == ["+15550000001", "+15550000002"]  # one answer serves every waiting caller


def test_one_escalation_per_question_per_call(services: Services, clock: FakeClock) -> None:
    call_id = services.calls.start(channel="text", holder="test", caller_phone="+15550004444").id
    first = services.desk.escalate("Can I bring my dog?", call_id=call_id, caller_phone="+15550004444")
    again = services.desk.escalate("can i bring my dog", call_id=call_id, caller_phone="+15550004444")
    assert again.request_id == first.request_id and again.already_waiting
    with services.db.read() as s:
        assert s.scalar(select(func.count(HelpRequestCaller.id))) == 1
    services.desk.answer(first.request_id, "Dogs are welcome.", by="sup@example.com")
    with services.db.read() as s:
        row = s.scalar(select(Followup).where(Followup.kind == "caller_answer"))
    assert row is not None and (row.channel, row.recipient) == ("in_call", call_id)  # still on the line


def test_deadline_is_stored_at_creation(services: Services, clock: FakeClock) -> None:
    rid = services.desk.escalate("Do you sell wigs?").request_id
    req = _status(services, rid)
    assert (req.expires_at - req.created_at).total_seconds() == services.settings.request_timeout_seconds
    clock.advance(services.settings.request_timeout_seconds - 1)
    assert services.desk.sweep() == 0
    clock.advance(1)
    assert services.desk.sweep() == 1
    with services.db.read() as s:
        kinds = list(s.scalars(select(Followup.kind).where(Followup.help_request_id == rid, Followup.kind == "caller_timeout")))
    assert kinds == ["caller_timeout"]


@pytest.mark.parametrize("question", ["", "   ", "\x00\x01", "?!?"])
def test_empty_question_is_refused(services: Services, question: str) -> None:
    with pytest.raises(InvalidInput):
        services.desk.escalate(question)
    with services.db.read() as s:
        assert s.scalar(select(func.count(HelpRequest.id))) == 0


def test_empty_answer_and_unknown_request(services: Services) -> None:
    rid = services.desk.escalate("Do you do perms?").request_id
    with pytest.raises(InvalidInput):
        services.desk.answer(rid, "  ", by="sup@example.com")
    with pytest.raises(NotFound):
        services.desk.answer(rid + 100, "Yes", by="sup@example.com")
    assert _status(services, rid).status == "pending"


def test_hostile_text_is_bounded_and_kept_verbatim(services: Services) -> None:
    nasty = '<script>alert(1)</script>"><img src=x onerror=alert(2)> ' + "🙂" * 3000
    rid = services.desk.escalate(nasty, caller_phone="+15550003333").request_id
    req = _status(services, rid)
    assert req.question.startswith("<script>alert(1)</script>") and len(req.question) <= 1000
    with services.db.read() as s:
        assert s.scalar(select(func.count(HelpRequestCaller.id))) == 1
