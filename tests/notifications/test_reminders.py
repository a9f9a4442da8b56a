"""Supervisor reminders at half the deadline: once, even with several workers."""

from __future__ import annotations

import threading

from sqlalchemy import select

from frontdesk import outbox
from frontdesk.models import Event
from frontdesk.notifications import send_reminders

from .conftest import followups


def reminders(svc) -> list:  # type: ignore[no-untyped-def]
    return followups(svc, kind=outbox.SUPERVISOR_REMINDER)


def test_reminder_once_at_half_the_deadline(make_services, receiver) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(request_timeout_seconds=600, supervisor_webhook_url=receiver.url, webhook_secret="x" * 32)
    rid = svc.desk.escalate("Do you do balayage?", caller_phone="+15551230000").request_id
    answered = svc.desk.escalate("Are you open on Sundays?", caller_phone="+15551230001").request_id
    svc.desk.answer(answered, "No, closed on Sundays.", by="boss@example.com")
    svc.dispatcher.run_once()
    svc.clock.advance(299)
    assert send_reminders(svc.db, svc.clock, svc.settings) == 0
    svc.clock.advance(1)
    assert send_reminders(svc.db, svc.clock, svc.settings) == 1
    assert {(r.help_request_id, r.channel) for r in reminders(svc)} == {(rid, "console"), (rid, "webhook")}
    svc.clock.advance(100)
    assert send_reminders(svc.db, svc.clock, svc.settings) == 0  # once only
    receiver.got.clear()
    svc.dispatcher.run_once()
    [(headers, body)] = receiver.got
    assert headers["X-Frontdesk-Event"] == "help_request.reminder" and b"balayage" in body
    assert all(r.status == "sent" for r in reminders(svc))


def test_concurrent_reminder_workers_remind_once(make_services) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(request_timeout_seconds=100)
    others = [make_services(request_timeout_seconds=100) for _ in range(3)]
    ids = [svc.desk.escalate(f"Question {i} about dyes?", caller_phone="+15551230000").request_id for i in range(20)]
    svc.clock.advance(60)
    counts: list[int] = []
    barrier = threading.Barrier(4)

    def run(worker) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        counts.append(send_reminders(worker.db, worker.clock, worker.settings))

    threads = [threading.Thread(target=run, args=(w,)) for w in [svc, *others]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(counts) == 20
    assert sorted(r.help_request_id for r in reminders(svc)) == ids


def test_timed_out_requests_get_no_reminder(make_services) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(request_timeout_seconds=100)
    svc.desk.escalate("Do you sell shampoo?", caller_phone="+15551230000")
    svc.clock.advance(101)
    svc.desk.sweep()
    assert send_reminders(svc.db, svc.clock, svc.settings) == 0


def test_reminder_retrying_when_the_request_is_answered_is_cancelled(make_services, receiver) -> None:  # type: ignore[no-untyped-def]
    """A reminder stuck in retries must not page the supervisor after someone has answered."""
    svc = make_services(request_timeout_seconds=600, supervisor_webhook_url=receiver.url, webhook_secret="x" * 32,
                        outbox_backoff_seconds=5)
    rid = svc.desk.escalate("Do you do balayage?", caller_phone="+15551230000").request_id
    svc.dispatcher.run_once()  # the first alerts go out
    svc.clock.advance(300)
    assert send_reminders(svc.db, svc.clock, svc.settings) == 1
    receiver.got.clear()
    receiver.statuses = [503]
    svc.dispatcher.run_once()  # the webhook reminder fails and waits for a retry
    assert len(receiver.got) == 1
    [hook] = [r for r in reminders(svc) if r.channel == "webhook"]
    assert hook.status == "failed"
    svc.desk.answer(rid, "Yes, balayage is $180.", by="boss@example.com")
    svc.clock.advance(60)
    svc.dispatcher.drain()
    assert len(receiver.got) == 1, "the reminder was sent after the request had been answered"
    [hook] = [r for r in reminders(svc) if r.channel == "webhook"]
    assert hook.status == "cancelled" and "resolved" in (hook.last_error or "")
    with svc.db.read() as s:
        actions = [e.action for e in s.scalars(select(Event).where(Event.entity_id == str(hook.id),
                                                                   Event.entity == "followup"))]
    assert actions == ["followup_cancelled"]


def test_alert_not_yet_sent_is_cancelled_once_answered_but_kept_after_a_timeout(make_services, receiver) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(request_timeout_seconds=60, supervisor_webhook_url=receiver.url, webhook_secret="x" * 32)
    answered = svc.desk.escalate("Do you sell gift cards?", caller_phone="+15551230000").request_id
    timed_out = svc.desk.escalate("Do you do perms?", caller_phone="+15551230001").request_id
    svc.desk.answer(answered, "Yes, any amount.", by="boss@example.com")
    svc.clock.advance(61)
    svc.desk.sweep()
    svc.dispatcher.drain()
    alerts = {(r.help_request_id, r.channel): r.status for r in followups(svc, kind=outbox.SUPERVISOR_ALERT)}
    # Answered before the alert left: nobody needs paging. Timed out: a late answer still helps the caller.
    assert alerts[(answered, "webhook")] == "cancelled"
    assert alerts[(timed_out, "webhook")] == "sent"
    bodies = [body for _, body in receiver.got]
    assert any(b"perms" in b for b in bodies) and not any(b"gift cards" in b for b in bodies)
    # The callers' own follow-ups are never cancelled.
    caller = {r.help_request_id: r.status for r in followups(svc) if r.kind.startswith("caller")}
    assert caller == {answered: "sent", timed_out: "sent"}
