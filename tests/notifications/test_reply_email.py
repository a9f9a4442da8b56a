"""Answering by email reply: Postmark's inbound JSON behind HTTP Basic auth, quoted text stripped, the
request found from the subject tag or the alert's Message-ID, idempotent on MessageID."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import select

from frontdesk.inbound.parse import parse_reply, request_id_from_email, strip_quoted
from frontdesk.models import Event, HelpRequest
from frontdesk.web import create_app

SECRET = "inbound-" + "s" * 24
_ids = iter(range(1, 10_000))


@pytest.fixture
def mail(make_services):  # type: ignore[no-untyped-def]
    svc = make_services(inbound_email_secret=SECRET, supervisor_email="desk@example.com")
    svc.accounts.create("ana@example.com", "correct-horse-battery-9", "Ana")
    return svc, create_app(services=svc).test_client()


def post(client: Any, text: str, frm: str = "ana@example.com", subject: str = "Re: Help needed", secret: str = SECRET,
         message_id: str | None = None, headers: list[dict[str, str]] | None = None, stripped: str = "") -> Any:
    body = {"From": f"Ana <{frm}>", "FromFull": {"Email": frm, "Name": "Ana"}, "Subject": subject,
            "MessageID": message_id or f"m-{next(_ids)}", "TextBody": text, "StrippedTextReply": stripped,
            "Headers": headers or []}
    auth = "Basic " + base64.b64encode(f"postmark:{secret}".encode()).decode()
    return client.post("/webhooks/email/inbound", json=body, headers={"Authorization": auth})


def status(svc: Any, rid: int) -> HelpRequest:
    with svc.db.read() as s:
        return s.get_one(HelpRequest, rid)


GMAIL_REPLY = """Yes, we do, $40 a session.

Thanks

On Tue, Dec 1, 2026 at 10:41 PM Frontdesk <frontdesk@localhost>
wrote:

> Hey, I need help answering: Do you do eyebrow threading?
> Q1 · Reply with your answer, or 'skip'.
"""


def test_strip_quoted_text_of_common_clients() -> None:
    assert strip_quoted(GMAIL_REPLY) == "Yes, we do, $40 a session.\n\nThanks"
    outlook = "Only on weekdays.\r\n\r\n-----Original Message-----\r\nFrom: Frontdesk\r\nHelp needed"
    assert strip_quoted(outlook) == "Only on weekdays."
    assert strip_quoted("Sure.\n-- \nAna, owner") == "Sure."
    assert strip_quoted("Yes\n\nSent from my iPhone\n\nOn 1 Dec, Frontdesk wrote:\n> x") == "Yes"


def test_parse_reply_prefix_and_commands() -> None:
    assert parse_reply("Q12 Yes we do") .request_id == 12
    assert parse_reply("[Q12]: yes").text == "yes"
    assert parse_reply("Quite expensive, $90").request_id is None
    assert parse_reply("q7 skip").action == "skip" and parse_reply("Close.").action == "close"
    assert request_id_from_email("Re: Help needed [Q42]: parrots?", "") == 42
    assert request_id_from_email("Re: hi", "<supervisor_alert.9.email@frontdesk>") == 9


def test_email_reply_answers_the_request_named_in_the_subject(mail) -> None:  # type: ignore[no-untyped-def]
    svc, client = mail
    rid = svc.desk.escalate("Do you do eyebrow threading?", caller_phone="+15550001111").request_id
    r = post(client, GMAIL_REPLY, subject=f"Re: Help needed [Q{rid}]: Do you do eyebrow threading?")
    assert r.status_code == 200 and r.get_json()["status"] == "answered"
    req = status(svc, rid)
    assert (req.answer, req.answered_by) == ("Yes, we do, $40 a session.\n\nThanks".replace("\n\n", " "),
                                            "ana@example.com")
    again = post(client, "Something else", subject=f"Re: [Q{rid}]", message_id="dup-1")
    assert again.get_json()["status"] == "conflict" and status(svc, rid).answer.startswith("Yes, we do")


def test_email_reply_found_from_in_reply_to_and_idempotent(mail) -> None:  # type: ignore[no-untyped-def]
    svc, client = mail
    rid = svc.desk.escalate("Do you sell gift cards?", caller_phone="+15550001112").request_id
    headers = [{"Name": "In-Reply-To", "Value": f"<supervisor_alert.{rid}.email@frontdesk>"}]
    for _ in range(2):
        r = post(client, "", stripped="Yes, any amount.", headers=headers, message_id="<abc@mail.example.com>")
        assert r.status_code == 200
    with svc.db.read() as s:
        answered = s.scalars(select(Event.id).where(Event.help_request_id == rid, Event.action == "answered")).all()
    assert len(answered) == 1 and status(svc, rid).answer == "Yes, any amount."


def test_email_refusals(mail) -> None:  # type: ignore[no-untyped-def]
    svc, client = mail
    rid = svc.desk.escalate("Do you sell gift cards?", caller_phone="+15550001113").request_id
    subject = f"Re: [Q{rid}]"
    assert post(client, "Yes", subject=subject, secret="wrong").status_code == 403
    assert post(client, "Yes", subject=subject, frm="mallory@example.com").get_json()["status"] == "ignored"
    spf = [{"Name": "Received-SPF", "Value": "Fail (sender not authorized)"}]
    assert post(client, "Yes", subject=subject, headers=spf).get_json()["status"] == "ignored"
    assert client.post("/webhooks/email/inbound", data="x", headers={"X-Inbound-Secret": SECRET}).status_code == 400
    assert status(svc, rid).status == "pending"
    assert post(client, "Yes!", subject=subject, frm="desk@example.com").get_json()["status"] == "answered"


def test_email_replies_off_without_a_secret(make_services) -> None:  # type: ignore[no-untyped-def]
    svc = make_services()
    r = create_app(services=svc).test_client().post("/webhooks/email/inbound", json={})
    assert r.status_code == 403
