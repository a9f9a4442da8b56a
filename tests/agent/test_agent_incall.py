"""In-call delivery: a supervisor's answer (or a timeout) reaches the caller who is still on the line,
through the database, said once; a caller who hung up gets it by text instead."""

from __future__ import annotations

import socket

from agent_helpers import wait_until
from sqlalchemy import select

from frontdesk import outbox
from frontdesk.clock import FakeClock
from frontdesk.models import Followup
from frontdesk.services import Services

UNKNOWN = "Do you offer a scalp detox treatment with rosemary oil?"


def agent_lines(svc: Services, call_id: str) -> list[str]:
    return [line.text for line in svc.calls.transcript(call_id) if line.role == "agent"]


def caller_followups(svc: Services) -> list[Followup]:
    with svc.db.read() as s:
        return list(s.scalars(select(Followup).where(Followup.kind.in_(outbox.CALLER_KINDS))))


def test_answer_reaches_the_still_connected_caller_once(salon: Services, hub) -> None:  # type: ignore[no-untyped-def]
    call = hub.start_call("+15550001111", "Dana")
    turn = hub.send(call.id, UNKNOWN)
    assert turn.help_request_id is not None and "supervisor" in turn.reply
    salon.desk.answer(turn.help_request_id, "Yes: the rosemary scalp detox is $40.", by="sup@x")
    assert wait_until(lambda: any("$40" in t for t in agent_lines(salon, call.id)), 2.0)
    # Marked sent right after it was said and recorded (confirm_in_call follows the transcript write).
    assert wait_until(lambda: caller_followups(salon)[0].status == "sent", 2.0)
    [row] = caller_followups(salon)
    assert row.channel == "in_call" and row.recipient == call.id and row.status == "sent"
    assert row.body.startswith("Good news")
    # Said once: nothing more is said however long we keep listening.
    assert not wait_until(lambda: sum("$40" in t for t in agent_lines(salon, call.id)) > 1, 0.5)
    # The call goes on normally afterwards.
    assert "$40" in hub.send(call.id, "how much is the rosemary scalp detox?").reply


def test_timeout_is_told_in_call(salon: Services, hub, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    call = hub.start_call("+15550003333")
    turn = hub.send(call.id, "Can you dye my dog's fur pink for a party?")
    clock.advance(salon.settings.request_timeout_seconds + 1)
    salon.calls.beat([call.id], hub.holder)  # the hub's heartbeat, on the fake clock
    assert salon.desk.sweep() == 1
    assert wait_until(lambda: len(agent_lines(salon, call.id)) >= 3, 2.0)
    assert "couldn't reach my supervisor" in agent_lines(salon, call.id)[-1]
    assert turn.help_request_id is not None


def test_caller_who_hung_up_is_texted_not_spoken_to(salon: Services, hub) -> None:  # type: ignore[no-untyped-def]
    call = hub.start_call("+15550005555")
    turn = hub.send(call.id, UNKNOWN)
    hub.end_call(call.id)
    assert salon.calls.get(call.id).status == "ended"
    salon.desk.answer(turn.help_request_id, "Yes, $40.", by="sup@x")
    [row] = caller_followups(salon)
    assert row.channel == "console" and row.recipient == "+15550005555" and row.status == "queued"
    assert not any("$40" in t for t in agent_lines(salon, call.id))


def test_two_callers_waiting_on_one_question_each_hear_it(salon: Services, hub) -> None:  # type: ignore[no-untyped-def]
    a, b = hub.start_call("+15550000001"), hub.start_call("+15550000002")
    ra, rb = hub.send(a.id, UNKNOWN), hub.send(b.id, UNKNOWN)
    assert ra.help_request_id == rb.help_request_id
    salon.desk.answer(ra.help_request_id, "Yes, it's $40.", by="sup@x")
    for call in (a, b):
        assert wait_until(lambda c=call: any("$40" in t for t in agent_lines(salon, c.id)), 2.0)


def test_a_row_is_claimed_once_even_with_two_holders(salon: Services) -> None:
    call = salon.calls.start(channel="voice", holder="job:1", caller_phone="+15550006666")
    esc = salon.desk.escalate(UNKNOWN, call_id=call.id, caller_phone="+15550006666")
    salon.desk.answer(esc.request_id, "Yes, $40.", by="sup@x")
    [(fid, cid)] = salon.calls.queued_in_call([call.id])
    first, second = salon.calls.claim_in_call(fid), salon.calls.claim_in_call(fid)
    assert first is not None and "$40" in first.text and cid == call.id
    assert second is None
    assert salon.calls.queued_in_call([call.id]) == []


def test_abandoned_calls_are_those_of_a_gone_holder_left_idle(salon: Services, clock: FakeClock) -> None:
    ghost = salon.calls.start(channel="text", holder="hub:some-host:1", caller_phone="+15550007777")
    mine_dead = salon.calls.start(channel="text", holder=f"hub:{socket.gethostname()}:999999999")
    voice = salon.calls.start(channel="voice", holder="job:abc")
    assert salon.calls.abandoned() == []  # fresh: their callers may still come back to another process
    clock.advance(salon.settings.call_idle_timeout_seconds + 1)
    assert sorted(salon.calls.abandoned()) == sorted([ghost.id, mine_dead.id])  # voice calls: their LiveKit job's
    assert salon.calls.orphaned(salon.calls.get(mine_dead.id)) and not salon.calls.orphaned(salon.calls.get(voice.id))


def test_idle_text_call_is_hung_up_so_answers_go_by_text(salon: Services, hub, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    call = hub.start_call("+15550008888")
    clock.advance(salon.settings.call_idle_timeout_seconds + 1)
    assert wait_until(lambda: salon.calls.get(call.id).status == "ended", 5.0)
    assert not hub.holds(call.id)
