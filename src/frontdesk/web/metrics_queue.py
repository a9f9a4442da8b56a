"""`/metrics` additions of the queue and analytics work: queue depth by priority band, dispatcher lag,
follow-ups by channel and status, live calls by transport, searches by result, and latency histograms
of the API. Label values come from fixed sets or route templates: no caller data, no ids.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select

from frontdesk import priority
from frontdesk.models import Call, Event, Followup, HelpRequestCaller
from frontdesk.services import Services
from frontdesk.usage import LOOKUP_ACTIONS

# Priority bands of the queue-depth gauge (lower bound of each band).
BANDS: tuple[tuple[str, int], ...] = (("critical", 100), ("high", 60), ("medium", 30), ("low", 0))
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def band_counts(s: Any, now: Any) -> dict[str, int]:
    """How many pending requests fall in each priority band (one statement over the pending rows)."""
    scored = priority.scored_pending(now).subquery()
    band = case(*[(scored.c.priority >= low, name) for name, low in BANDS[:-1]], else_=BANDS[-1][0])
    counts = {name: 0 for name, _ in BANDS}
    for name, n in s.execute(select(band, func.count()).group_by(band)):
        counts[str(name)] = int(n)
    return counts


class QueueCollector(Collector):
    """Gauges and counters read from the store at scrape time."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        """Yield the metric families."""
        svc = self.services
        now = svc.clock.now()
        with svc.db.read() as s:
            bands = band_counts(s, now)
            due = s.scalar(select(func.min(Followup.next_attempt_at))
                           .where(Followup.status == "queued", Followup.next_attempt_at <= now))
            followups = s.execute(select(Followup.channel, Followup.status, func.count())
                                  .group_by(Followup.channel, Followup.status)).all()
            live = s.execute(select(Call.channel, func.count()).where(Call.status == "live")
                             .group_by(Call.channel)).all()
            lookups = dict(s.execute(select(Event.action, func.count()).where(Event.action.in_(LOOKUP_ACTIONS))
                                     .group_by(Event.action)).all())
            escalated = s.scalar(select(func.count()).select_from(HelpRequestCaller)) or 0
        g_ = GaugeMetricFamily("frontdesk_queue_depth", "Pending requests by priority band "
                               "(critical >= 100, high >= 60, medium >= 30, low).", labels=["band"])
        for name, _ in BANDS:
            g_.add_metric([name], bands[name])
        yield g_
        yield GaugeMetricFamily("frontdesk_dispatcher_lag_seconds",
                                "Age of the oldest follow-up due and not yet sent (0 when none).",
                                value=(now - due).total_seconds() if due else 0.0)
        g_ = GaugeMetricFamily("frontdesk_followups_by_channel", "Outbox rows by channel and status.",
                               labels=["channel", "status"])
        for channel, status, n in followups:
            g_.add_metric([str(channel), str(status)], n)
        yield g_
        g_ = GaugeMetricFamily("frontdesk_calls_live_by_transport", "Live calls by transport.", labels=["transport"])
        counts = {str(c): n for c, n in live}
        for transport in sorted({"text", "voice", *counts}):
            g_.add_metric([transport], counts.get(transport, 0))
        yield g_
        c = CounterMetricFamily("frontdesk_searches", "Knowledge look-ups of callers' questions by result; "
                                "escalated: callers who started or joined a help request.", labels=["result"])
        for action in LOOKUP_ACTIONS:
            c.add_metric([action.removeprefix("lookup_")], lookups.get(action, 0))
        c.add_metric(["escalated"], escalated)
        yield c


def install(app: Flask, services: Services) -> CollectorRegistry:
    """The app's `/metrics` registry (store gauges + these) and the API latency histogram hooks."""
    from frontdesk.web.metrics import StoreCollector

    registry = CollectorRegistry()
    registry.register(StoreCollector(services))
    registry.register(QueueCollector(services))
    latency = Histogram("frontdesk_api_request_seconds", "Latency of /api/v1 requests by route template.",
                        ["method", "route", "status"], registry=registry, buckets=LATENCY_BUCKETS)
    app.extensions["frontdesk_metrics"] = registry

    @app.before_request
    def _start_timer() -> None:
        g.fd_started = time.perf_counter()

    @app.after_request
    def _observe(response: Any) -> Any:
        started = g.pop("fd_started", None)
        if started is not None and request.path.startswith("/api/"):
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            method = request.method if request.method in METHODS else "other"
            latency.labels(method, route, str(response.status_code)).observe(time.perf_counter() - started)
        return response

    return registry
