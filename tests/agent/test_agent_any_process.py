"""Any process serves any text call: two hubs (as in two `serve` processes) on one database take turns
on the same call, as a round-robin balancer would send them. The database decides who holds the call;
the session is rebuilt from the stored transcript and state; in-call answers are said once, by the
current holder; a dead holder's call is picked up by the next request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from agent_helpers import settings_for, wait_until
from sqlalchemy import select

from frontdesk.agent.hub import CallHub
from frontdesk.clock import FakeClock
from frontdesk.demo import seed_demo
from frontdesk.errors import Conflict
from frontdesk.migrate import upgrade
from frontdesk.models import Followup, HelpRequest
from frontdesk.services import Services, build_services

UNKNOWN = "Do you offer a scalp detox treatment with rosemary oil?"


@pytest.fixture
def two(db_url: str, clock: FakeClock) -> Iterator[tuple[Services, CallHub, CallHub]]:
    """Two processes' services on one database, each with its own hub (own holder id)."""
    a = build_services(settings_for(db_url), clock=clock)
    upgrade(a.db)
    seed_demo(a.db, a.clock, a.knowledge)
    b = build_services(settings_for(db_url), clock=clock)
    hubs = [CallHub(a, holder="hub:test:a"), CallHub(b, holder="hub:test:b")]
    for h in hubs:
        h.start()
    yield a, hubs[0], hubs[1]
    for h in hubs:
        h.stop()
    a.stop()
    b.stop()


def lines(svc: Services, call_id: str) -> list[tuple[str, str]]:
    return [(x.role, x.text) for x in svc.calls.transcript(call_id)]


def test_alternating_turns_carry_the_conversation(two: Any) -> None:
    svc, a, b = two
    call = a.start_call("+15550001111", "Dana")
    assert "9am" in b.send(call.id, "What time do you open?").reply
    assert svc.calls.get(call.id).holder == "hub:test:b"
    first = a.send(call.id, UNKNOWN)
    assert first.help_request_id is not None
    # The same question again, on the other process: the stored state knows it was escalated already.
    again = b.send(call.id, UNKNOWN)
    assert again.help_request_id == first.help_request_id
    with svc.db.read() as s:
        assert len(s.scalars(select(HelpRequest)).all()) == 1
    # Every line is in the transcript once, in order.
    said = lines(svc, call.id)
    assert [r for r, _ in said] == ["agent", "caller", "agent", "caller", "agent", "caller", "agent"]
    assert svc.calls.get(call.id).holder == "hub:test:b"


def test_a_read_back_started_on_one_process_is_settled_on_the_other(two: Any) -> None:
    svc, a, b = two
    call = a.start_call("+15550002222")
    assert "is your question" in a.send(call.id, "do you have gift certificates").reply
    answer = b.send(call.id, "yes, that's right").reply
    assert "gift card" in answer.lower() and "is your question" not in answer
    with svc.db.read() as s:
        assert s.scalars(select(HelpRequest)).all() == []


def test_the_old_holder_lets_go_and_the_answer_is_said_once_by_the_new_one(two: Any) -> None:
    svc, a, b = two
    call = a.start_call("+15550003333")
    turn = a.send(call.id, UNKNOWN)
    b.send(call.id, "thanks")  # b holds it now
    assert wait_until(lambda: not a.holds(call.id), 5.0)  # a's heartbeat saw it moved
    svc.desk.answer(turn.help_request_id, "Yes: the rosemary scalp detox is $40.", by="sup@x")
    assert wait_until(lambda: any("$40" in t for _, t in lines(svc, call.id)), 3.0)
    assert not wait_until(lambda: sum("$40" in t for _, t in lines(svc, call.id)) > 1, 0.5)

    def answer_row() -> Followup:
        with svc.db.read() as s:
            [row] = s.scalars(select(Followup).where(Followup.kind == "caller_answer")).all()
        return row

    assert wait_until(lambda: answer_row().status == "sent", 3.0)  # marked sent once said and recorded
    assert answer_row().channel == "in_call"
    # The next turn, on a, knows what b said.
    assert "$40" in a.send(call.id, "how much is the rosemary scalp detox?").reply


def test_a_dead_holders_call_is_picked_up_by_the_next_request(two: Any, clock: FakeClock) -> None:
    svc, a, b = two
    call = a.start_call("+15550004444")
    a.send(call.id, "What time do you open?")
    a.stop()  # a is gone (released); b serves the caller's next message
    assert "9am" in b.send(call.id, "What time do you open?").reply
    assert svc.calls.get(call.id).holder == "hub:test:b"


def test_a_holder_gone_silent_is_taken_over_and_ended_calls_refuse(two: Any) -> None:
    svc, a, b = two
    call = svc.calls.start(channel="text", holder="hub:elsewhere:1", caller_phone="+15550005555")
    assert b.send(call.id, "What time do you open?").reply
    b.end_call(call.id)
    with pytest.raises(Conflict):
        a.send(call.id, "hello?")


def test_racing_claims_have_one_winner(two: Any) -> None:
    svc, a, b = two
    call = a.start_call("+15550006666")
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda h: h.send(call.id, "What time do you open?"), [a, b, a, b]))
    assert all("9am" in r.reply for r in results)
    holder = svc.calls.get(call.id).holder
    assert holder in ("hub:test:a", "hub:test:b")
    assert wait_until(lambda: [a.holds(call.id), b.holds(call.id)].count(True) == 1, 5.0)


def test_locate_says_where_a_call_is_served(two: Any, clock: FakeClock) -> None:
    """`locate`: this process's own call at its session's version (served here, no claim), a live
    registered holder elsewhere (forward the turn), anything else (claim it here)."""
    from frontdesk.call_holders import Claim, Elsewhere

    svc, a, b = two
    call = a.start_call("+15550007777")
    version = a.version_of(call.id)
    mine = svc.calls.locate(call.id, "hub:test:a", version)
    assert isinstance(mine, Claim) and not mine.rebuild and mine.version == version
    assert svc.calls.locate(call.id, "hub:test:a", None) is None  # no session here: claim
    assert svc.calls.locate(call.id, "hub:test:b", None) is None  # a registered no address: claim
    svc.calls.register_hub("hub:test:a", "http://127.0.0.1:9")
    assert svc.calls.locate(call.id, "hub:test:b", None) == Elsewhere("hub:test:a", "http://127.0.0.1:9")
    svc.calls.register_hub("hub:test:a", "http://127.0.0.1:10")  # a restarted holder id: its new address
    assert svc.calls.locate(call.id, "hub:test:b", None) == Elsewhere("hub:test:a", "http://127.0.0.1:10")
    # A holder whose heartbeat stopped (no hub runs for it here) is gone: claim, never forward.
    quiet = svc.calls.start(channel="text", holder="hub:elsewhere:1", caller_phone="+15550008888")
    svc.calls.register_hub("hub:elsewhere:1", "http://127.0.0.1:11")
    assert svc.calls.locate(quiet.id, "hub:test:b", None) == Elsewhere("hub:elsewhere:1", "http://127.0.0.1:11")
    clock.advance(seconds=3600)
    assert svc.calls.locate(quiet.id, "hub:test:b", None) is None
    svc.calls.unregister_hub("hub:elsewhere:1")
    svc.calls.unregister_hub("hub:test:a")
    with svc.db.read() as s:
        from frontdesk.models import HubAddress

        assert s.scalars(select(HubAddress)).all() == []
