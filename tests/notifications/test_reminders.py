"""Supervisor reminders at half the deadline: once, even with several workers."""

from __future__ import annotations

import threading

from frontdesk import outbox
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
