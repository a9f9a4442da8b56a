"""Caller follow-ups: in-call rows rerouted to text when nobody speaks them; SMS through a fake Twilio;
the console fallback; callers without a number."""

from __future__ import annotations

import logging

from sqlalchemy import update

from frontdesk import outbox
from frontdesk.models import Call, Event, Followup

from .conftest import add_call, end_call, followups, twilio_settings

PHONE = "+15551234567"


def ask_and_answer(svc, call_id: str | None, phone: str = PHONE) -> int:  # type: ignore[no-untyped-def]
    rid = svc.desk.escalate("Do you do keratin treatments?", call_id=call_id, caller_phone=phone,
                            caller_name="Dana").request_id
    svc.dispatcher.run_once()  # the supervisor alert
    svc.desk.answer(rid, "Yes, on Saturdays.", by="boss@example.com")
    return rid


def caller_row(svc, rid: int) -> Followup:  # type: ignore[no-untyped-def]
    return followups(svc, help_request_id=rid, kind=outbox.CALLER_ANSWER)[0]


def beat(svc, call_id: str) -> None:  # type: ignore[no-untyped-def]
    with svc.db.write() as s:
        s.execute(update(Call).where(Call.id == call_id).values(last_seen_at=svc.clock.now()))


def test_live_call_row_waits_for_its_holder_then_goes_to_sms_when_not_picked_up(make_services, twilio) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(**twilio_settings(twilio))
    call = add_call(svc, phone=PHONE)
    rid = ask_and_answer(svc, call)
    row = caller_row(svc, rid)
    assert (row.channel, row.status) == ("in_call", "queued")
    svc.clock.advance(4)
    beat(svc, call)
    svc.dispatcher.run_once()
    assert caller_row(svc, rid).channel == "in_call"  # the holder still has time to say it
    assert twilio.messages == []
    svc.clock.advance(2)  # 6 s > in_call_pickup_seconds, holder alive but never picked it up
    beat(svc, call)
    svc.dispatcher.run_once()
    row = caller_row(svc, rid)
    assert (row.channel, row.status, row.recipient) == ("sms", "sent", PHONE)
    assert len(twilio.messages) == 1
    sms = twilio.messages[0]
    assert sms["to"] == PHONE and sms["from"] == "+15550000000"
    assert "Yes, on Saturdays." in sms["body"] and sms["body"].startswith("Hi Dana")
    assert row.provider_id == sms["sid"]


def reroute_reason(svc, row_id: int) -> str:  # type: ignore[no-untyped-def]
    with svc.db.read() as s:
        event = s.query(Event).filter_by(entity_id=str(row_id), action="followup_rerouted").one()
        return str(event.details["reason"])


def test_ended_call_switches_at_once(make_services) -> None:  # type: ignore[no-untyped-def]
    svc = make_services()
    call = add_call(svc, phone="+15550000001")
    rid = ask_and_answer(svc, call, "+15550000001")
    assert caller_row(svc, rid).channel == "in_call"
    end_call(svc, call)
    svc.dispatcher.run_once()  # no time has passed
    row = caller_row(svc, rid)
    assert (row.channel, row.status, row.recipient) == ("console", "sent", "+15550000001")
    assert reroute_reason(svc, row.id) == "call ended"


def test_stale_holder_switches(make_services) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(in_call_pickup_seconds=600)  # only the heartbeat can trigger the switch here
    call = add_call(svc, phone="+15550000002")
    rid = ask_and_answer(svc, call, "+15550000002")
    svc.clock.advance(outbox.HEARTBEAT_GRACE_SECONDS - 1)
    svc.dispatcher.run_once()
    assert caller_row(svc, rid).channel == "in_call"  # holder still within its grace
    svc.clock.advance(2)
    svc.dispatcher.run_once()
    row = caller_row(svc, rid)
    assert (row.channel, row.status) == ("console", "sent")
    assert reroute_reason(svc, row.id) == "call holder stopped responding"


def test_holder_marking_sent_wins_over_the_switch(make_services) -> None:  # type: ignore[no-untyped-def]
    svc = make_services()
    call = add_call(svc)
    rid = ask_and_answer(svc, call)
    row = caller_row(svc, rid)
    end_call(svc, call)
    with svc.db.write() as s:  # exactly what a call holder does after speaking the answer
        s.execute(update(Followup).where(Followup.id == row.id, Followup.status == "queued",
                                          Followup.channel == "in_call").values(status="sent", sent_at=svc.clock.now()))
    svc.dispatcher.run_once()
    row = caller_row(svc, rid)
    assert (row.channel, row.status) == ("in_call", "sent")  # not texted a second time


def test_console_fallback_logs_masked_number(make_services, caplog) -> None:  # type: ignore[no-untyped-def]
    """The body (caller question, name, answer) goes to the console outbox stream, never the application log."""
    svc = make_services()
    call = add_call(svc, phone=PHONE, status="ended")
    outbox: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: outbox.append(record.getMessage())  # type: ignore[method-assign]
    from frontdesk.notifications.console_outbox import outbox_logger

    outbox_logger().addHandler(handler)
    try:
        with caplog.at_level(logging.DEBUG):
            rid = ask_and_answer(svc, call)
            svc.dispatcher.run_once()
    finally:
        outbox_logger().removeHandler(handler)
    row = caller_row(svc, rid)
    assert (row.channel, row.status) == ("console", "sent")
    assert "console follow-up" in caplog.text and "4567" in caplog.text
    assert "Yes, on Saturdays." not in caplog.text and "keratin" not in caplog.text and "Dana" not in caplog.text
    assert PHONE not in caplog.text
    assert any("Yes, on Saturdays." in line and "4567" in line for line in outbox)
    assert not any(PHONE in line for line in outbox)


def test_caller_without_phone_is_dead_with_clear_error(make_services, twilio) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(**twilio_settings(twilio))
    gone = add_call(svc, phone="")
    rid = ask_and_answer(svc, gone, phone="")  # live in-call row, then the caller hangs up
    end_call(svc, gone)
    svc.dispatcher.run_once()
    row = caller_row(svc, rid)
    assert row.status == "dead" and "no phone number" in row.last_error
    nocall = svc.desk.escalate("Do you sell gift cards?", caller_phone="").request_id
    svc.clock.advance(svc.settings.request_timeout_seconds + 1)
    svc.desk.sweep()
    svc.dispatcher.run_once()
    row = followups(svc, help_request_id=nocall, kind=outbox.CALLER_TIMEOUT)[0]
    assert (row.channel, row.status) == ("sms", "dead") and "no phone number" in row.last_error
    assert twilio.messages == []


def test_twilio_errors_4xx_dead_5xx_retried(make_services, twilio) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(**twilio_settings(twilio))
    twilio.errors = [(400, 21211, "The 'To' number is not a valid phone number.")]
    r1 = ask_and_answer(svc, None, "+15550000003")
    svc.dispatcher.run_once()
    row = caller_row(svc, r1)
    assert row.status == "dead" and "21211" in row.last_error
    twilio.errors = [(503, 20500, "Internal error")]
    r2 = svc.desk.escalate("Is parking free?", caller_phone="+15550000004").request_id
    svc.desk.answer(r2, "Yes, behind the salon.", by="boss@example.com")
    svc.dispatcher.run_once()
    svc.dispatcher.run_once()
    assert caller_row(svc, r2).status == "failed"
    svc.clock.advance(svc.settings.outbox_backoff_seconds)
    svc.dispatcher.run_once()
    assert caller_row(svc, r2).status == "sent"
    assert [m["to"] for m in twilio.messages] == ["+15550000004"]


def test_supervisor_sms_alert(make_services, twilio) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(supervisor_phone="+15559990000", **twilio_settings(twilio))
    svc.desk.escalate("Can I bring my parrot?", caller_phone=PHONE)
    svc.dispatcher.run_once()
    assert len(twilio.messages) == 1
    body = twilio.messages[0]["body"]
    assert twilio.messages[0]["to"] == "+15559990000"
    assert body.startswith("Hey, I need help answering: Can I bring my parrot?") and "4567" in body
    assert PHONE not in body and "/requests/" in body


def test_crashed_sms_attempt_is_not_sent_twice(make_services, twilio) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(**twilio_settings(twilio))
    rid = svc.desk.escalate("Do you cut kids' hair?", caller_phone=PHONE).request_id
    svc.dispatcher.run_once()
    svc.desk.answer(rid, "Yes, under 12 is $20.", by="boss@example.com")
    [claim] = svc.dispatcher.claim(10)  # a dispatcher claims the row ...
    from frontdesk.notifications.render import prepare

    with svc.db.read() as s:
        text = prepare(s, [claim], svc.settings)[claim.id].text
    twilio.record(PHONE, "+15550000000", text)  # ... Twilio accepts the SMS, then the process dies
    svc.clock.advance(svc.settings.outbox_lease_seconds + 1)
    svc.dispatcher.run_once()  # the lease ran out: another attempt, which first asks Twilio
    row = caller_row(svc, rid)
    assert row.status == "sent" and row.provider_id == twilio.messages[0]["sid"]
    assert len(twilio.messages) == 1 and twilio.lists == 1
    assert row.attempts == 2
