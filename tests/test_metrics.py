"""`/metrics` reports queue figures in Prometheus text, without caller data."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from frontdesk.services import Services
from frontdesk.web import create_app


def test_metrics_counts_requests_by_status(services: Services) -> None:
    a = services.desk.escalate("Do you do rosemary scalp detox?", caller_phone="+15551234567").request_id
    services.desk.escalate("Can I bring my parrot?", caller_phone="+15557654321")
    services.desk.answer(a, "Yes, $40.", by="sup@example.com")
    body = create_app(services=services).test_client().get("/metrics").get_data(as_text=True)
    families = {f.name: f for f in text_string_to_metric_families(body)}
    statuses = {s.labels["status"]: s.value for s in families["frontdesk_help_requests"].samples}
    assert statuses == {"pending": 1, "resolved": 1, "unresolved": 0}
    outcomes = {s.labels["outcome"]: s.value for s in families["frontdesk_help_request_outcomes"].samples}
    assert outcomes == {"answered": 1}
    assert "+1555" not in body and "parrot" not in body


def test_metrics_queue_bands_searches_lag_and_api_latency(services: Services) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from frontdesk.models import Followup
    from frontdesk.usage import record_lookup, set_urgent

    a = services.desk.escalate("Is it ok, I am allergic to latex?", caller_phone="+15551234567").request_id
    services.desk.escalate("Can I bring my parrot?", caller_phone="+15557654321")
    set_urgent(services.db, services.clock, a, True, by="sup@example.com")
    record_lookup(services.db, services.clock, None, "answered")  # no call: not counted
    with services.db.write() as s:
        s.execute(update(Followup).values(next_attempt_at=services.clock.now() - timedelta(seconds=30)))
    sup = services.accounts.create("m@example.com", "long-enough-1")
    client = create_app(services=services).test_client()
    h = {"Authorization": f"Bearer {services.accounts.issue_token(sup.id)}"}
    assert client.get("/api/v1/help-requests?status=pending", headers=h).status_code == 200
    body = client.get("/metrics").get_data(as_text=True)
    families = {f.name: f for f in text_string_to_metric_families(body)}
    bands = {s.labels["band"]: s.value for s in families["frontdesk_queue_depth"].samples}
    assert sum(bands.values()) == 2 and bands["low"] == 1 and bands["medium"] == 1  # urgent: 40
    assert families["frontdesk_dispatcher_lag_seconds"].samples[0].value == 30
    searches = {s.labels["result"]: s.value for s in families["frontdesk_searches"].samples}
    assert searches == {"answered": 0, "read_back": 0, "unanswered": 0, "escalated": 2}
    routes = {s.labels["route"] for s in families["frontdesk_api_request_seconds"].samples}
    assert routes == {"/api/v1/help-requests"}
    assert {s.labels["transport"] for s in families["frontdesk_calls_live_by_transport"].samples} == {"text", "voice"}
    assert "+1555" not in body and "parrot" not in body
