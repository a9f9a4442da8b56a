"""Live handoff on text calls: each outcome (taken, declined by all, nobody in time, caller hangs up
during the hold, transfer fails, nobody online), the receptionist silent while held, release gives the
call back, the caller hears the fallback and the help request exists; every outcome is an event."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from frontdesk import presence
from frontdesk.clock import FakeClock
from frontdesk.errors import Conflict
from frontdesk.models import Event, HelpRequest, Supervisor, Transfer
from frontdesk.services import Services

ASK = "Can I talk to a real person please?"


def online(svc: Services, email: str, name: str = "") -> Supervisor:
    sup = svc.accounts.create(email, "password-123456", name=name)
    presence.set_availability(svc.db, svc.clock.now(), sup.id, "online")
    return sup


def transfer(svc: Services, call_id: str) -> Transfer:
    with svc.db.read() as s:
        return s.scalars(select(Transfer).where(Transfer.call_id == call_id).order_by(Transfer.id.desc())).first()


def actions(svc: Services, transfer_id: int) -> list[str]:
    with svc.db.read() as s:
        return list(s.scalars(select(Event.action).where(Event.entity == "transfer",
                                                         Event.entity_id == str(transfer_id)).order_by(Event.id)))


def lines(svc: Services, call_id: str) -> list[tuple[str, str]]:
    return [(x.role, x.text) for x in svc.calls.transcript(call_id)]


def pending(svc: Services) -> list[HelpRequest]:
    with svc.db.read() as s:
        return list(s.scalars(select(HelpRequest).where(HelpRequest.status == "pending")))


def test_taken_held_then_released(salon: Services, hub: Any) -> None:
    sam = online(salon, "sam@example.com", "Sam")
    call = hub.start_call("+15550001111", "Dana")
    turn = hub.send(call.id, "What time do you open?")
    turn = hub.send(call.id, ASK)
    assert "connecting you" in turn.reply
    t = transfer(salon, call.id)
    assert t.status == "offered" and t.reason == "asked_for_person" and t.question == "What time do you open?"
    assert "Caller (1 message)" in t.summary and "+1" in t.caller and "5550001111" not in t.caller
    taken = salon.transfers.accept(t.id, sam)
    assert taken.call_id == call.id and taken.transport == "text"
    salon.transfers.say(call.id, sam, "Hi Dana, this is Sam.")
    # While held, the caller's line reaches Sam and the receptionist says nothing.
    assert salon.transfers.caller_line_if_held(call.id, "Hi Sam! What are your opening hours?") == "Sam"
    assert lines(salon, call.id)[-2:] == [("supervisor", "Hi Dana, this is Sam."),
                                          ("caller", "Hi Sam! What are your opening hours?")]
    salon.transfers.release(call.id, sam)
    assert lines(salon, call.id)[-1][0] == "agent" and "anything else" in lines(salon, call.id)[-1][1]
    # The receptionist is back (its session rebuilt with everything said meanwhile).
    assert "9am" in hub.send(call.id, "What time do you open?").reply
    assert transfer(salon, call.id).status == "ended"
    assert actions(salon, t.id) == ["transfer_offered", "transfer_taken", "transfer_ended"]
    assert pending(salon) == []


def test_second_accept_conflicts_and_others_cannot_talk_or_release(salon: Services, hub: Any) -> None:
    a, b = online(salon, "ann@example.com", "Ann"), online(salon, "bob@example.com", "Bob")
    call = hub.start_call("+15550002222")
    hub.send(call.id, ASK)
    t = transfer(salon, call.id)
    salon.transfers.accept(t.id, a)
    with pytest.raises(Conflict):
        salon.transfers.accept(t.id, b)
    with pytest.raises(Conflict):
        salon.transfers.say(call.id, b, "hello")
    with pytest.raises(Conflict):
        salon.transfers.release(call.id, b)
    with pytest.raises(Conflict):
        salon.transfers.takeover(call.id, b)


def test_nobody_accepts_in_time_caller_hears_fallback_and_request_exists(salon: Services, hub: Any,
                                                                        clock: FakeClock) -> None:
    online(salon, "sam@example.com")
    call = hub.start_call("+15550003333")
    hub.send(call.id, "Can I speak to the manager? I want to rent the salon for a film shoot.")
    t = transfer(salon, call.id)
    clock.advance(salon.settings.transfer_timeout_seconds + 1)
    assert salon.transfers.sweep() == 1
    t = transfer(salon, call.id)
    assert t.status == "expired" and t.help_request_id is not None
    [req] = pending(salon)
    assert req.id == t.help_request_id and "film shoot" in req.question
    role, said = lines(salon, call.id)[-1]
    assert role == "agent" and "couldn't reach anyone" in said and "ending in 3333" in said
    assert actions(salon, t.id) == ["transfer_offered", "transfer_expired", "transfer_fallback"]
    # The receptionist carries on normally afterwards.
    assert "9am" in hub.send(call.id, "What time do you open?").reply


def test_declined_by_everyone_online_falls_back_at_once(salon: Services, hub: Any) -> None:
    a, b = online(salon, "ann@example.com"), online(salon, "bob@example.com")
    call = hub.start_call("+15550004444")
    hub.send(call.id, ASK)
    t = transfer(salon, call.id)
    assert salon.transfers.decline(t.id, a) == "offered"
    assert salon.transfers.decline(t.id, b) == "declined"
    t = transfer(salon, call.id)
    assert t.help_request_id is not None and len(pending(salon)) == 1
    assert "nobody on the team can take your call" in lines(salon, call.id)[-1][1]
    assert actions(salon, t.id) == ["transfer_offered", "transfer_declined_by", "transfer_declined_by",
                                    "transfer_declined", "transfer_fallback"]


def test_caller_hangs_up_during_the_hold_cancels_the_offer(salon: Services, hub: Any) -> None:
    sam = online(salon, "sam@example.com")
    call = hub.start_call("+15550005555")
    hub.send(call.id, ASK)
    t = transfer(salon, call.id)
    hub.end_call(call.id)
    assert transfer(salon, call.id).status == "cancelled"
    with pytest.raises(Conflict):
        salon.transfers.accept(t.id, sam)
    assert actions(salon, t.id) == ["transfer_offered", "transfer_cancelled"]
    assert salon.transfers.store.recent("offered") == []


def test_a_failed_transfer_falls_back(salon: Services, hub: Any) -> None:
    sam = online(salon, "sam@example.com")
    call = hub.start_call("+15550006666")
    hub.send(call.id, ASK)
    t = transfer(salon, call.id)
    salon.transfers.accept(t.id, sam)
    assert salon.transfers.fail(t.id, "sip transfer refused")
    t = transfer(salon, call.id)
    assert t.status == "failed" and t.help_request_id is not None
    assert "didn't go through" in lines(salon, call.id)[-1][1]
    assert salon.transfers.store.held_by(call.id) is None  # let go: the receptionist answers again
    assert "9am" in hub.send(call.id, "What time do you open?").reply


def test_nobody_online_no_offer_help_request_and_callback(salon: Services, hub: Any) -> None:
    call = hub.start_call("+15550007777")
    hub.send(call.id, "Do you do bridal makeup trials?")
    turn = hub.send(call.id, ASK)
    assert "nobody free" in turn.reply and "ending in 7777" in turn.reply
    assert transfer(salon, call.id) is None
    assert len(pending(salon)) == 1


def test_takeover_without_offer_and_end_by_supervisor(salon: Services, hub: Any) -> None:
    sam = online(salon, "sam@example.com", "Sam")
    call = hub.start_call("+15550008888")
    taken = salon.transfers.takeover(call.id, sam)
    assert transfer(salon, call.id).reason == "takeover" and taken.transport == "text"
    assert salon.transfers.caller_line_if_held(call.id, "hello?") == "Sam"
    salon.calls.end(call.id, "supervisor_ended")
    assert transfer(salon, call.id).status == "ended"


def test_the_receptionist_never_replies_while_held_in_any_process(salon: Services, hub: Any) -> None:
    sam = online(salon, "sam@example.com", "Sam")
    call = hub.start_call("+15550009999")
    salon.transfers.takeover(call.id, sam)
    answered = salon.desk.escalate("Do you sell wigs?", call_id=call.id, caller_phone="+15550009999")
    salon.desk.answer(answered.request_id, "Yes, we do.", by="x@x")
    for text in ("What time do you open?", "hello?", "Do you sell gift cards?"):
        assert salon.transfers.caller_line_if_held(call.id, text) == "Sam"
    assert [r for r, _ in lines(salon, call.id)] == ["agent", "caller", "caller", "caller"]
