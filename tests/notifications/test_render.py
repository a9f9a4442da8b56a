"""Texts callers and supervisors receive: business name, caller name, the closing notice, SMS length."""

from __future__ import annotations

from frontdesk import outbox
from frontdesk.models import BusinessProfile

from .conftest import followups, twilio_settings


def set_business(svc, name: str) -> None:  # type: ignore[no-untyped-def]
    with svc.db.write() as s:
        s.add(BusinessProfile(id=1, name=name, updated_at=svc.clock.now(), updated_by="test"))


def test_closed_request_text_names_business_and_caller(make_services) -> None:  # type: ignore[no-untyped-def]
    svc = make_services()
    set_business(svc, "Bella Hair Studio")
    rid = svc.desk.escalate("Can you dye my dog?", caller_phone="+15551112222", caller_name="Dana").request_id
    svc.desk.close(rid, by="boss@example.com", reason="not a salon service")
    svc.dispatcher.run_once()
    [row] = followups(svc, help_request_id=rid, kind=outbox.CALLER_CLOSED)
    assert row.status == "sent"
    assert row.body.startswith('Hi Dana, this is Bella Hair Studio. About your question "Can you dye my dog?"')
    assert "couldn't get you an answer" in row.body


def test_supervisor_alert_text_and_unknown_business(make_services) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(public_base_url="https://desk.example.com/")
    rid = svc.desk.escalate("Do you do bridal updos?", caller_phone="+15551112222").request_id
    svc.desk.answer(rid, "Yes, book a trial first.", by="boss@example.com")
    svc.dispatcher.run_once()
    [alert] = followups(svc, help_request_id=rid, kind=outbox.SUPERVISOR_ALERT)
    assert alert.body == (f"Hey, I need help answering: Do you do bridal updos? (caller +1••••••2222). "
                          f"https://desk.example.com/requests/{rid}")
    [answer] = followups(svc, help_request_id=rid, kind=outbox.CALLER_ANSWER)
    assert answer.body.startswith("Hi there, this is our team.") and "Yes, book a trial first." in answer.body


def test_long_answers_fit_one_twilio_message(make_services, twilio) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(**twilio_settings(twilio))
    rid = svc.desk.escalate("What are all your prices?", caller_phone="+15551112222").request_id
    svc.desk.answer(rid, "Cut $40. " * 400, by="boss@example.com")
    svc.dispatcher.run_once()
    [sms] = twilio.messages
    assert len(sms["body"]) == 1600 and sms["body"].startswith("Hi there")
