"""An in-call notice is marked sent only once it was said: a holder that dies or a caller who hangs up
between the claim and the end of the notice gets it texted (found by bench/load: a caller hanging up
while the answer was being said heard nothing and got no text)."""

from __future__ import annotations

from sqlalchemy import select

from frontdesk.clock import FakeClock
from frontdesk.models import Followup
from frontdesk.notifications.incall import reroute_in_call
from frontdesk.services import Services

UNKNOWN = "Do you offer a scalp detox treatment with rosemary oil?"


def _answered_voice_call(svc: Services) -> tuple[str, int]:
    call = svc.calls.start(channel="voice", holder="job:1", caller_phone="+15550006666")
    esc = svc.desk.escalate(UNKNOWN, call_id=call.id, caller_phone="+15550006666")
    svc.desk.answer(esc.request_id, "Yes, $40.", by="sup@x")
    [(fid, _cid)] = svc.calls.queued_in_call([call.id])
    return call.id, fid


def _row(svc: Services, fid: int) -> Followup:
    with svc.db.read() as s:
        return s.scalars(select(Followup).where(Followup.id == fid)).one()


def test_claimed_then_said_is_sent_once(salon: Services) -> None:
    _call_id, fid = _answered_voice_call(salon)
    message = salon.calls.claim_in_call(fid)
    assert message is not None and _row(salon, fid).status == "queued"  # being said
    assert salon.calls.claim_in_call(fid) is None  # nobody else says it meanwhile
    assert salon.calls.confirm_in_call(message)
    assert (_row(salon, fid).channel, _row(salon, fid).status) == ("in_call", "sent")
    assert not salon.calls.confirm_in_call(message)


def test_caller_hanging_up_mid_notice_gets_a_text(salon: Services, clock: FakeClock) -> None:
    call_id, fid = _answered_voice_call(salon)
    message = salon.calls.claim_in_call(fid)
    assert message is not None
    clock.advance(salon.settings.in_call_pickup_seconds + 1)
    assert reroute_in_call(salon.db, clock, salon.settings) == 0  # still being said by a live holder
    salon.calls.end(call_id)  # the caller hangs up before the notice is over
    assert reroute_in_call(salon.db, clock, salon.settings) == 1
    row = _row(salon, fid)
    assert row.channel != "in_call" and row.status == "queued" and row.claimed_by is None
    assert not salon.calls.confirm_in_call(message)  # too late: the text goes out instead


def test_holder_killed_mid_notice_gets_a_text(salon: Services, clock: FakeClock) -> None:
    _call_id, fid = _answered_voice_call(salon)
    assert salon.calls.claim_in_call(fid) is not None
    clock.advance(11)  # the holder stopped beating (kill -9) while saying it
    assert reroute_in_call(salon.db, clock, salon.settings) == 1
    assert _row(salon, fid).channel != "in_call"
