"""Figures for the analytics page, read from the store over a time window.

Each request is counted once, by how it finally ended: a timeout later answered counts as a late
answer, never as both; a timeout is never a resolution.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import distinct, func, select

from frontdesk.db import Database
from frontdesk.models import Call, Followup, HelpRequest, HelpRequestCaller, KnowledgeEntry

MAX_SAMPLES = 10_000


@dataclass
class Report:
    """Everything the analytics page shows for one window."""

    days: int
    calls: int = 0
    escalated_calls: int = 0
    requests: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    pending_now: int = 0
    answer_minutes_median: float | None = None
    answer_minutes_p90: float | None = None
    learned_entries: int = 0
    followups: dict[str, int] = field(default_factory=dict)
    top_entries: list[tuple[str, int]] = field(default_factory=list)

    @property
    def deflection_rate(self) -> float | None:
        """Share of calls the AI handled with no supervisor involved."""
        return None if not self.calls else 1 - self.escalated_calls / self.calls

    @property
    def on_time_rate(self) -> float | None:
        """Share of ended requests a supervisor answered before the deadline."""
        ended = sum(self.outcomes.values())
        return None if not ended else self.outcomes.get("answered", 0) / ended


def build_report(db: Database, now: datetime, days: int) -> Report:
    """Compute the report for the last `days` days up to `now`."""
    since = now - timedelta(days=days)
    report = Report(days=days)
    with db.read() as s:
        report.calls = s.scalar(select(func.count()).select_from(Call).where(Call.started_at >= since)) or 0
        report.escalated_calls = s.scalar(
            select(func.count(distinct(HelpRequestCaller.call_id))).where(
                HelpRequestCaller.joined_at >= since, HelpRequestCaller.call_id.is_not(None)
            )
        ) or 0
        report.requests = s.scalar(
            select(func.count()).select_from(HelpRequest).where(HelpRequest.created_at >= since)
        ) or 0
        report.outcomes = {
            str(outcome): n
            for outcome, n in s.execute(
                select(HelpRequest.outcome, func.count())
                .where(HelpRequest.created_at >= since, HelpRequest.outcome.is_not(None))
                .group_by(HelpRequest.outcome)
            )
        }
        report.pending_now = s.scalar(
            select(func.count()).select_from(HelpRequest).where(HelpRequest.status == "pending")
        ) or 0
        waits = [
            (resolved - created).total_seconds() / 60
            for created, resolved in s.execute(  # outcome 'answered' implies resolved_at is set
                select(HelpRequest.created_at, HelpRequest.resolved_at)
                .where(HelpRequest.created_at >= since, HelpRequest.outcome == "answered")
                .order_by(HelpRequest.id.desc())
                .limit(MAX_SAMPLES)
            )
            if resolved is not None
        ]
        if waits:
            waits.sort()
            report.answer_minutes_median = statistics.median(waits)
            report.answer_minutes_p90 = waits[min(len(waits) - 1, int(len(waits) * 0.9))]
        report.learned_entries = s.scalar(
            select(func.count()).select_from(KnowledgeEntry).where(
                KnowledgeEntry.source == "learned", KnowledgeEntry.created_at >= since
            )
        ) or 0
        report.followups = {
            status: n
            for status, n in s.execute(
                select(Followup.status, func.count()).where(Followup.created_at >= since).group_by(Followup.status)
            )
        }
        report.top_entries = [
            (q, n)
            for q, n in s.execute(
                select(KnowledgeEntry.question, KnowledgeEntry.times_used)
                .where(KnowledgeEntry.status == "active", KnowledgeEntry.times_used > 0)
                .order_by(KnowledgeEntry.times_used.desc())
                .limit(5)
            )
        ]
    return report
