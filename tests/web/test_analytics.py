"""The analytics page: figures count each request once, by how it finally ended."""

from __future__ import annotations

from frontdesk.analytics import build_report
from frontdesk.clock import FakeClock
from frontdesk.models import Call
from frontdesk.services import Services
from frontdesk.web import create_app


def _call(services: Services, clock: FakeClock) -> str:
    with services.db.write() as s:
        call = Call(channel="text", status="ended", caller_phone="+15550001111", started_at=clock.now(),
                    last_seen_at=clock.now())
        s.add(call)
        s.flush()
        return call.id


def test_report_counts_each_request_once(services: Services, clock: FakeClock) -> None:
    calls = [_call(services, clock) for _ in range(4)]
    a = services.desk.escalate("Do you do henna?", call_id=calls[0]).request_id
    b = services.desk.escalate("Do you do perms?", call_id=calls[1]).request_id
    clock.advance(minutes=3)
    services.desk.answer(a, "Yes.", by="sup@example.com")
    clock.advance(seconds=services.settings.request_timeout_seconds)
    services.desk.sweep()
    services.desk.answer(b, "No, sorry.", by="sup@example.com")  # late answer after the timeout
    report = build_report(services.db, clock.now(), 7)
    assert report.calls == 4 and report.escalated_calls == 2 and report.deflection_rate == 0.5
    assert report.outcomes == {"answered": 1, "late_answer": 1}  # the timeout is not counted twice
    assert report.on_time_rate == 0.5 and report.answer_minutes_median == 3.0
    assert report.learned_entries == 2


def test_analytics_page_needs_login_and_shows_deflection(services: Services) -> None:
    app = create_app(services=services)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    assert client.get("/analytics").status_code == 302
    services.accounts.create("boss@example.com", "long-enough-1")
    client.post("/login", data={"email": "boss@example.com", "password": "long-enough-1"})
    page = client.get("/analytics?days=30").get_data(as_text=True)
    assert "Deflection rate" in page and "Answered late" in page


def test_analytics_with_a_bearer_token(services: Services) -> None:
    sup = services.accounts.create("ops@example.com", "long-enough-1")
    token = services.accounts.issue_token(sup.id)
    client = create_app(services=services).test_client()
    page = client.get("/analytics", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 200 and "Deflection rate" in page.get_data(as_text=True)
    assert client.get("/analytics", headers={"Authorization": "Bearer wrong"}).status_code == 302
