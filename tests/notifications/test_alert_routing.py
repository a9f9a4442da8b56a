"""Alerts for new help requests go to online supervisors' own channels; with nobody online, to every
configured channel and every supervisor's phone (as before availability existed)."""

from __future__ import annotations

from typing import Any

from frontdesk import presence
from frontdesk.outbox import SUPERVISOR_REMINDER, enqueue_supervisor_alerts

from .conftest import followups, twilio_settings

PHONE = "+15551234567"
SHARED = "+15559990000"


def _team(svc: Any) -> dict[str, int]:
    ids = {}
    for name, phone in (("ana", "+1 415 555 0101"), ("ben", "+15550002222"), ("cy", "")):
        ids[name] = svc.accounts.create(f"{name}@example.com", "correct-horse-battery-9", name.capitalize(),
                                        phone=phone).id
    return ids


def _online(svc: Any, *ids: int) -> None:
    for sup_id in ids:
        presence.set_availability(svc.db, svc.clock.now(), sup_id, "online")


def _routes(svc: Any, rid: int) -> set[tuple[str, str]]:
    return {(f.channel, f.recipient) for f in followups(svc, help_request_id=rid, kind="supervisor_alert")}


def _all_channels(twilio: Any, receiver: Any) -> dict[str, Any]:
    return dict(supervisor_phone=SHARED, supervisor_webhook_url=receiver.url, supervisor_email="desk@example.com",
                smtp_host="127.0.0.1", **twilio_settings(twilio))


def test_nobody_online_alerts_every_channel_and_every_phone(make_services, twilio, receiver) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(**_all_channels(twilio, receiver))
    _team(svc)
    rid = svc.desk.escalate("Can I bring my parrot?", caller_phone=PHONE).request_id
    assert _routes(svc, rid) == {("console", "log"), ("webhook", receiver.url), ("sms", SHARED),
                                 ("email", "desk@example.com"), ("sms", "+14155550101"), ("sms", "+15550002222")}


def test_online_supervisors_get_it_on_their_own_channels_only(make_services, twilio, receiver) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(**_all_channels(twilio, receiver))
    team = _team(svc)
    _online(svc, team["ana"], team["cy"])
    rid = svc.desk.escalate("Can I bring my parrot?", caller_phone=PHONE).request_id
    assert _routes(svc, rid) == {("console", "log"), ("sms", "+14155550101"), ("email", "ana@example.com"),
                                 ("email", "cy@example.com")}
    svc.dispatcher.run_once()
    assert [m["to"] for m in twilio.messages] == ["+14155550101"]


def test_a_lapsed_online_supervisor_no_longer_counts(make_services, twilio, clock) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(**twilio_settings(twilio))
    team = _team(svc)
    _online(svc, team["ben"])
    clock.advance(svc.settings.presence_timeout_seconds + 1)
    rid = svc.desk.escalate("Do you do wedding hair?", caller_phone=PHONE).request_id
    assert ("sms", "+14155550101") in _routes(svc, rid)  # everyone's phone again


def test_without_twilio_or_smtp_online_alerts_only_log(make_services) -> None:  # type: ignore[no-untyped-def]
    svc = make_services()
    team = _team(svc)
    _online(svc, team["ana"])
    rid = svc.desk.escalate("Can I bring my parrot?", caller_phone=PHONE).request_id
    assert _routes(svc, rid) == {("console", "log")}  # Ana sees it live in the dashboard she has open


def test_reminder_widens_to_everybody_and_phones_are_not_doubled(make_services, twilio, receiver) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(supervisor_phone="+14155550101", **twilio_settings(twilio))  # Ana's phone is also the shared one
    team = _team(svc)
    _online(svc, team["ben"])
    rid = svc.desk.escalate("Can I bring my parrot?", caller_phone=PHONE).request_id
    with svc.db.write() as s:
        enqueue_supervisor_alerts(s, rid, svc.settings, svc.clock.now(), kind=SUPERVISOR_REMINDER)

    reminders = [(f.channel, f.recipient) for f in followups(svc, help_request_id=rid, kind=SUPERVISOR_REMINDER)]
    assert sorted(reminders) == [("console", "log"), ("sms", "+14155550101"), ("sms", "+15550002222")]
