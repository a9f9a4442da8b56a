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
