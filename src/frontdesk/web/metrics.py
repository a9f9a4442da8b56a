"""`/metrics`: Prometheus text of the queue and delivery state, read from the database at scrape time.

Counts only (no caller text, no phone numbers), so it is safe to expose to an operations network.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, current_app
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from frontdesk.models import Call, Followup, HelpRequest, KnowledgeEntry
from frontdesk.services import Services

bp = Blueprint("metrics", __name__)


class StoreCollector(Collector):
    """Gauges computed from the store on every scrape."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        """Yield the metric families."""
        svc = self.services
        with svc.db.read() as s:
            by_status = s.execute(select(HelpRequest.status, func.count()).group_by(HelpRequest.status)).all()
            by_outcome = s.execute(
                select(HelpRequest.outcome, func.count()).where(HelpRequest.outcome.is_not(None))
                .group_by(HelpRequest.outcome)
            ).all()
            oldest = s.scalar(select(func.min(HelpRequest.created_at)).where(HelpRequest.status == "pending"))
            followups = s.execute(
                select(Followup.kind, Followup.status, func.count()).group_by(Followup.kind, Followup.status)
            ).all()
            live = s.scalar(select(func.count()).select_from(Call).where(Call.status == "live")) or 0
            kb = s.execute(select(KnowledgeEntry.status, func.count()).group_by(KnowledgeEntry.status)).all()
        g = GaugeMetricFamily("frontdesk_help_requests", "Help requests by status.", labels=["status"])
        counts = dict(by_status)
        for status in ("pending", "resolved", "unresolved"):
            g.add_metric([status], counts.get(status, 0))
        yield g
        g = GaugeMetricFamily("frontdesk_help_request_outcomes", "Ended help requests by how they ended.",
                              labels=["outcome"])
        for outcome, n in by_outcome:
            g.add_metric([str(outcome)], n)
        yield g
        age = (svc.clock.now() - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily("frontdesk_pending_oldest_age_seconds", "Age of the oldest pending request.",
                                value=age)
        g = GaugeMetricFamily("frontdesk_followups", "Outbox rows by kind and status.", labels=["kind", "status"])
        for kind, status, n in followups:
            g.add_metric([kind, status], n)
        yield g
        yield GaugeMetricFamily("frontdesk_calls_live", "Calls currently live.", value=live)
        g = GaugeMetricFamily("frontdesk_knowledge_entries", "Knowledge entries by status.", labels=["status"])
        for status, n in kb:
            g.add_metric([status], n)
        yield g


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text exposition of queue, outcome, delivery and knowledge figures."""
    registry = current_app.extensions.get("frontdesk_metrics")
    if registry is None:
        registry = CollectorRegistry()
        registry.register(StoreCollector(current_app.extensions["frontdesk"]))
        current_app.extensions["frontdesk_metrics"] = registry
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4; charset=utf-8")
