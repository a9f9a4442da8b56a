"""Supervisor alerts by signed webhook to a local receiver: signature, retries, dead letters."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from frontdesk.models import Event
from frontdesk.notifications import signing

from .conftest import add_call, followups

SECRET = "webhook-secret-for-tests-0123456789"


@pytest.fixture
def svc(make_services, receiver):  # type: ignore[no-untyped-def]
    return make_services(supervisor_webhook_url=receiver.url, webhook_secret=SECRET,
                         outbox_max_attempts=3, outbox_backoff_seconds=2.0)


def escalate(svc, question: str = "Can I bring my parrot to my appointment?") -> int:  # type: ignore[no-untyped-def]
    call = add_call(svc, phone="+15550005555")
    return svc.desk.escalate(question, call_id=call, caller_phone="+15550005555").request_id


def webhook_row(svc, request_id: int):  # type: ignore[no-untyped-def]
    return followups(svc, help_request_id=request_id, channel="webhook")[0]


def test_new_request_reaches_receiver_signed_with_masked_caller(svc, receiver) -> None:  # type: ignore[no-untyped-def]
    rid = escalate(svc)
    assert svc.dispatcher.run_once() == 2  # console + webhook
    assert len(receiver.got) == 1
    headers, body = receiver.got[0]
    assert signing.verify(SECRET, headers, body, svc.clock.now())
    assert not signing.verify(SECRET, headers, body.replace(b"parrot", b"carrot"), svc.clock.now())
    doc = json.loads(body)
    assert doc["event"] == "help_request.created"
    hr = doc["help_request"]
    assert hr["id"] == rid and "parrot" in hr["question"]
    assert hr["caller"].endswith("5555") and "+15550005555" not in body.decode()
    assert hr["url"].endswith(f"/requests/{rid}") and hr["expires_at"] and hr["created_at"]
    assert doc["text"].startswith("Hey, I need help answering: Can I bring my parrot")
    row = webhook_row(svc, rid)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, svc.clock.now())
    assert headers["X-Frontdesk-Delivery"] == row.dedupe_key
    with svc.db.read() as s:
        assert s.query(Event).filter_by(entity="followup", entity_id=str(row.id), action="followup_sent").count() == 1


def test_5xx_is_retried_with_backoff_and_same_delivery_id(svc, receiver) -> None:  # type: ignore[no-untyped-def]
    rid = escalate(svc)
    receiver.statuses = [503, 502]
    svc.dispatcher.run_once()
    row = webhook_row(svc, rid)
    assert (row.status, row.attempts) == ("failed", 1) and "HTTP 503" in row.last_error
    assert row.next_attempt_at == svc.clock.now() + timedelta(seconds=2)
    assert svc.dispatcher.run_once() == 0  # not due yet: no hammering
    svc.clock.advance(2)
    svc.dispatcher.run_once()
    row = webhook_row(svc, rid)
    assert (row.status, row.attempts) == ("failed", 2)
    assert row.next_attempt_at == svc.clock.now() + timedelta(seconds=4)  # doubled
    svc.clock.advance(4)
    svc.dispatcher.run_once()
    row = webhook_row(svc, rid)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    ids = receiver.delivery_ids()
    assert len(ids) == 3 and len(set(ids)) == 1


def test_4xx_is_dead_at_once(svc, receiver) -> None:  # type: ignore[no-untyped-def]
    rid = escalate(svc)
    receiver.statuses = [404]
    svc.dispatcher.run_once()
    svc.clock.advance(3600)
    svc.dispatcher.run_once()
    row = webhook_row(svc, rid)
    assert (row.status, row.attempts) == ("dead", 1)
    assert row.last_error.startswith("HTTP 404")
    assert len(receiver.got) == 1


def test_dead_letter_after_max_attempts(svc, receiver) -> None:  # type: ignore[no-untyped-def]
    rid = escalate(svc)
    receiver.statuses = [500] * 10
    for _ in range(6):
        svc.dispatcher.run_once()
        svc.clock.advance(60)
    row = webhook_row(svc, rid)
    assert (row.status, row.attempts) == ("dead", 3)
    assert "HTTP 500" in row.last_error
    assert len(receiver.got) == 3
    with svc.db.read() as s:
        assert s.query(Event).filter_by(entity_id=str(row.id), action="followup_dead").count() == 1


def test_connection_errors_are_retried(make_services) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    svc = make_services(supervisor_webhook_url=f"http://127.0.0.1:{port}/hook", webhook_secret=SECRET)
    rid = escalate(svc)
    svc.dispatcher.run_once()
    row = webhook_row(svc, rid)
    assert row.status == "failed" and "connection error" in row.last_error
