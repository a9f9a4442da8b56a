"""Answering by SMS reply: Twilio's signed webhook (signatures made with the `twilio` package's own
RequestValidator), which request a reply belongs to, skip/close, no overwrite, MessageSid idempotency,
and the caller told exactly as after a dashboard answer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update
from twilio.request_validator import RequestValidator

from frontdesk import outbox
from frontdesk.models import Event, HelpRequest, InboundReply, KnowledgeEntry, Supervisor
from frontdesk.web import create_app

from .conftest import add_call, end_call, followups, twilio_settings

PUBLIC = "https://desk.example.com"
URL = PUBLIC + "/webhooks/twilio/sms"
ANA, BEN = "+15557770001", "+15557770002"
TOKEN = "t" * 32
_sids = iter(range(1, 10_000))


@pytest.fixture
def sms(make_services, twilio):  # type: ignore[no-untyped-def]
    """Services with Twilio on a fake, the shared SUPERVISOR_PHONE, Ana and Ben with their own phones."""
    svc = make_services(public_base_url=PUBLIC, supervisor_phone=ANA, **twilio_settings(twilio))
    for email, name, phone in (("ana@example.com", "ana", ANA), ("ben@example.com", "Ben", BEN)):
        svc.accounts.create(email, "correct-horse-battery-9", name)
        with svc.db.write() as s:
            s.execute(update(Supervisor).where(Supervisor.email == email).values(phone=phone))
    app = create_app(services=svc)
    return svc, app.test_client(), twilio


def post(client: Any, body: str, frm: str = ANA, sid: str | None = None, sign: str = "ok",
         url: str = URL) -> Any:
    params = {"From": frm, "To": "+15550000000", "Body": body, "MessageSid": sid or f"SM{next(_sids):032d}",
              "AccountSid": "AC" + "0" * 32, "NumMedia": "0"}
    headers = {}
    if sign == "ok":
        headers["X-Twilio-Signature"] = RequestValidator(TOKEN).compute_signature(url, params)
    elif sign == "tampered":  # signed for another body
        headers["X-Twilio-Signature"] = RequestValidator(TOKEN).compute_signature(url, {**params, "Body": "x"})
    return client.post("/webhooks/twilio/sms", data=params, headers=headers)


def ask(svc: Any, question: str, phone: str = "+15551230000", name: str = "Dana", live: bool = True) -> int:
    call = add_call(svc, phone=phone, name=name, status="live")
    rid = svc.desk.escalate(question, call_id=call, caller_phone=phone, caller_name=name).request_id
    if not live:
        end_call(svc, call)
    svc.dispatcher.run_once()  # the SMS alert leaves
    return int(rid)


def request(svc: Any, rid: int) -> HelpRequest:
    with svc.db.read() as s:
        return s.get_one(HelpRequest, rid)


def test_alert_sms_ends_with_how_to_reply_and_its_tag(sms) -> None:  # type: ignore[no-untyped-def]
    svc, _, twilio = sms
    rid = ask(svc, "Do you rent the salon for film shoots?")
    [alert] = [m for m in twilio.messages if m["to"] == ANA]
    assert f"Q{rid}" in alert["body"]
    assert alert["body"].rstrip().endswith(f"If several are open, start with Q{rid}.")
    assert "Reply with your answer, or 'skip'" in alert["body"]


def test_answer_by_reply_goes_through_the_lifecycle(sms, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    svc, client, _ = sms
    rid = ask(svc, "Do you rent the salon for film shoots?")
    calls: list[dict[str, Any]] = []
    real = svc.desk.answer
    monkeypatch.setattr(svc.desk, "answer", lambda *a, **kw: calls.append(kw) or real(*a, **kw))
    r = post(client, "Yes, on Mondays, $300 an hour.")
    assert r.status_code == 200 and r.mimetype == "application/xml"
    assert f"Thanks, Dana has been told (Q{rid})." in r.get_data(as_text=True)
    assert calls and calls[0]["by"] == "ana@example.com" and calls[0]["add_to_kb"] is True
    req = request(svc, rid)
    assert (req.status, req.outcome, req.answer, req.answered_by) == (
        "resolved", "answered", "Yes, on Mondays, $300 an hour.", "ana@example.com")
    with svc.db.read() as s:
        assert s.scalar(select(KnowledgeEntry.id).where(KnowledgeEntry.source_request_id == rid)) is not None
        actions = list(s.scalars(select(Event.action).where(Event.help_request_id == rid)))
    assert "answered" in actions
    [row] = followups(svc, help_request_id=rid, kind=outbox.CALLER_ANSWER)
    assert (row.channel, row.status) == ("in_call", "queued")  # the live caller hears it in the call


def test_hung_up_caller_gets_a_text(sms) -> None:  # type: ignore[no-untyped-def]
    svc, client, twilio = sms
    rid = ask(svc, "Is there parking nearby?", phone="+15551239999", live=False)
    post(client, "Yes, free behind the salon.")
    svc.dispatcher.run_once()
    [row] = followups(svc, help_request_id=rid, kind=outbox.CALLER_ANSWER)
    assert (row.channel, row.status) == ("sms", "sent")
    texts = [m for m in twilio.messages if m["to"] == "+15551239999"]
    assert len(texts) == 1 and "free behind the salon" in texts[0]["body"]


def test_q_prefix_picks_the_request_and_an_unprefixed_reply_is_ambiguous(sms) -> None:  # type: ignore[no-untyped-def]
    svc, client, _ = sms
    r1 = ask(svc, "Can I bring my parrot?", phone="+15551230001")
    r2 = ask(svc, "Do you offer scalp tattoos?", phone="+15551230002")
    r = post(client, "Yes they are welcome")
    text = r.get_data(as_text=True)
    assert "I couldn't tell which question you're answering: reply 'Q" in text
    assert f"Q{r1}" in text and f"Q{r2}" in text
    assert request(svc, r1).status == request(svc, r2).status == "pending"
    r = post(client, f"Q{r1} Parrots are welcome in their cage.")
    assert f"(Q{r1})" in r.get_data(as_text=True)
    assert request(svc, r1).answer == "Parrots are welcome in their cage."
    assert request(svc, r2).status == "pending"
    post(client, "No scalp tattoos, sorry.")  # one open request left for this number: no prefix needed
    assert request(svc, r2).answer == "No scalp tattoos, sorry."


def test_reply_to_an_answered_request_never_overwrites(sms) -> None:  # type: ignore[no-untyped-def]
    svc, client, _ = sms
    rid = ask(svc, "Do you sell gift cards?")
    post(client, f"Q{rid} Yes, any amount.", frm=BEN)
    r = post(client, "No we don't.")
    assert f"That request was already answered by Ben (Q{rid})" in r.get_data(as_text=True)
    r = post(client, f"Q{rid} Actually no.")
    assert "already answered by Ben" in r.get_data(as_text=True)
    req = request(svc, rid)
    assert (req.answer, req.answered_by) == ("Yes, any amount.", "ben@example.com")


def test_unknown_number_is_refused_and_changes_nothing(sms) -> None:  # type: ignore[no-untyped-def]
    svc, client, _ = sms
    rid = ask(svc, "Do you sell gift cards?")
    r = post(client, "Yes.", frm="+15559999999")
    assert r.status_code == 200 and "<Message>" not in r.get_data(as_text=True)  # nothing texted back
    assert request(svc, rid).status == "pending"
    with svc.db.read() as s:
        assert s.scalar(select(InboundReply.id)) is None


@pytest.mark.parametrize("sign", ["missing", "tampered"])
def test_bad_signature_is_403_and_changes_nothing(sms, sign) -> None:  # type: ignore[no-untyped-def]
    svc, client, _ = sms
    rid = ask(svc, "Do you sell gift cards?")
    r = post(client, "Yes.", sign=sign)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert request(svc, rid).status == "pending"


def test_signature_for_the_internal_url_behind_a_proxy_is_checked_against_the_public_one(sms) -> None:  # type: ignore[no-untyped-def]
    svc, client, _ = sms
    rid = ask(svc, "Do you sell gift cards?")
    r = post(client, "Yes.", url="https://evil.example.com/webhooks/twilio/sms")
    assert r.status_code == 403
    r = post(client, "Yes.")  # signed for PUBLIC_BASE_URL, received as http://localhost/...
    assert r.status_code == 200 and request(svc, rid).status == "resolved"


def test_the_same_message_sid_twice_answers_once(sms) -> None:  # type: ignore[no-untyped-def]
    svc, client, _ = sms
    rid = ask(svc, "Do you sell gift cards?")
    first = post(client, "Yes, any amount.", sid="SM" + "3" * 32)
    again = post(client, "Yes, any amount.", sid="SM" + "3" * 32)
    assert first.get_data() == again.get_data()  # Twilio's retry gets the same reply
    post(client, f"Q{rid} No.", sid="SM" + "3" * 32)
    with svc.db.read() as s:
        answered = list(s.scalars(select(Event.id).where(Event.help_request_id == rid, Event.action == "answered")))
    assert len(answered) == 1 and request(svc, rid).answer == "Yes, any amount."
    assert len(followups(svc, help_request_id=rid, kind=outbox.CALLER_ANSWER)) == 1


def test_skip_and_close(sms) -> None:  # type: ignore[no-untyped-def]
    svc, client, _ = sms
    from frontdesk.presence import set_availability

    with svc.db.read() as s:  # Ana is online, so only her phone is alerted (availability routing)
        ana_id = s.scalar(select(Supervisor.id).where(Supervisor.email == "ana@example.com"))
    set_availability(svc.db, svc.clock.now(), ana_id, "online")
    rid = ask(svc, "Can I pay in bitcoin?")
    r = post(client, "skip")
    assert f"skipped Q{rid}" in r.get_data(as_text=True)
    assert request(svc, rid).status == "pending"
    r = post(client, "Not sure")  # skipped requests are no longer this number's default
    assert "no open question" in r.get_data(as_text=True) and request(svc, rid).status == "pending"
    r = post(client, "CLOSE", frm=BEN, sid=None)
    assert "no open question" in r.get_data(as_text=True)  # Ben was never alerted about it ...
    r = post(client, f"Q{rid} close", frm=BEN)  # ... but can name it
    assert f"Closed Q{rid}" in r.get_data(as_text=True)
    req = request(svc, rid)
    assert (req.status, req.outcome) == ("unresolved", "closed")
    [row] = followups(svc, help_request_id=rid, kind=outbox.CALLER_CLOSED)
    assert row.channel == "in_call"
    r = post(client, f"Q{rid} skip")
    assert "already closed by Ben" in r.get_data(as_text=True)


def test_a_timed_out_request_is_answered_late_and_the_caller_texted(sms) -> None:  # type: ignore[no-untyped-def]
    svc, client, twilio = sms
    rid = ask(svc, "Do you do house calls?", phone="+15551238888", live=False)
    svc.clock.advance(svc.settings.request_timeout_seconds + 1)
    svc.desk.sweep()
    r = post(client, "Yes, within 5 miles.")
    assert f"Q{rid} had timed out" in r.get_data(as_text=True)
    assert request(svc, rid).outcome == "late_answer"


def test_unknown_q_id_and_empty_reply(sms) -> None:  # type: ignore[no-untyped-def]
    svc, client, _ = sms
    rid = ask(svc, "Do you do house calls?")
    assert "There's no question Q999" in post(client, "Q999 yes").get_data(as_text=True)
    assert "had no answer in it" in post(client, f"Q{rid}").get_data(as_text=True)
    assert request(svc, rid).status == "pending"


def test_without_twilio_auth_token_the_webhook_is_closed(make_services) -> None:  # type: ignore[no-untyped-def]
    svc = make_services()
    r = create_app(services=svc).test_client().post("/webhooks/twilio/sms", data={"Body": "hi"})
    assert r.status_code == 403
