"""Figures for `/analytics` and `GET /api/v1/analytics`, read from the store for a period of whole UTC days.

Definitions (the README's "Analytics" section says the same):
- a call belongs to the day it started; it *asked something* when the receptionist looked up at least
  one question in it (`calls.questions`, one per `lookup_*` event) or it escalated (`calls.escalations`,
  one per caller joining a help request). A call that asked nothing is neither deflected nor escalated.
- deflected: asked something, never escalated, never transferred to a person.
- a request *ends* once, at its final end: answered (`resolved_at`, on time), late answer (`resolved_at`
  after it had timed out: counted once, as late, never also as a timeout), unresolved (timed out and not
  answered since, `ended_at`) or closed by hand (`ended_at`). `answered + late_answers + unresolved +
  closed = ended`.
- time to answer: `resolved_at - created_at` of every answer (on time and late) given in the period,
  nearest-rank percentiles.

Each figure is one range scan along an index (`ix_calls_started`, `ix_help_resolved`, `ix_help_ended`,
`ix_events_action_at`, `ix_followups_created`), so 30 days of 100,000 requests and 1,000,000 events
stay well under 300 ms (bench/dashboard.py).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from frontdesk import analytics_parts
from frontdesk.db import Database
from frontdesk.errors import InvalidInput
from frontdesk.models import FOLLOWUP_STATUSES, HelpRequest, KnowledgeEntry

MAX_DAYS = 366
DEFAULT_DAYS = 7
TOPIC_SAMPLE = 200  # newest unanswered questions grouped into topics
TOPIC_SIMILARITY = 0.72  # cosine at or above which two questions are one topic
TOP_TOPICS = 10
DELIVERED, UNDELIVERED = ("sent",), ("failed", "dead")
Embed = Callable[[list[str]], Any]  # texts -> unit vectors (rows), the knowledge base's embedder


@dataclass(frozen=True)
class Period:
    """Whole UTC days `start`..`end` (inclusive)."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        """First instant of the period."""
        return datetime.combine(self.start, time())

    @property
    def until(self) -> datetime:
        """First instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time())

    @property
    def days(self) -> list[date]:
        """Every day of the period."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def parse_period(start: str | None, end: str | None, today: date, default_days: int = DEFAULT_DAYS) -> Period:
    """`from`/`to` ISO dates (either may be missing: `to` defaults to today, `from` to `to` - 6 days)."""
    try:
        last = date.fromisoformat(end.strip()) if end and end.strip() else today
        first = date.fromisoformat(start.strip()) if start and start.strip() else last - timedelta(days=default_days - 1)
    except (ValueError, TypeError):
        raise InvalidInput("'from' and 'to' must be ISO dates (YYYY-MM-DD)") from None
    if first > last:
        raise InvalidInput("'from' must not be after 'to'")
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput(f"a period is at most {MAX_DAYS} days")
    return Period(first, last)


def rate(part: int, whole: int) -> float | None:
    """`part / whole`, or None when there is nothing to divide by."""
    return part / whole if whole else None


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(p * len(sorted_values)) - 1)]


def build(db: Database, period: Period, now: datetime, embed: Embed | None = None, live: bool = False) -> dict[str, Any]:
    """Every figure of the period, JSON-ready.

    Closed days (before `now`'s day) come from the daily roll-up (`analytics_rollup.py`), the rest is
    read live; `live=True` reads the whole period live (the roll-up's tests compare the two).
    """
    from frontdesk import analytics_rollup

    if live:
        with db.read() as s:
            part = analytics_parts.compute(s, db, period.start, period.end)
    else:
        part = analytics_rollup.part_of(db, period.start, period.end, today=now.date())
    with db.read() as s:
        out = finish(part, period, _sources(s, part["used"]))
        out["pending_now"] = s.scalar(select(func.count()).select_from(HelpRequest)
                                      .where(HelpRequest.status == "pending")) or 0
        out["top_unanswered"] = top_unanswered(s, period, embed)
    return out


def _sources(s: Session, used: dict[str, int]) -> dict[str, str]:
    """Knowledge entry id -> its source now (an entry deleted since is missing)."""
    sources: dict[str, str] = {}
    ids = [int(i) for i in used if str(i).isdigit()]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        sources.update({str(i): str(src) for i, src in s.execute(
            select(KnowledgeEntry.id, KnowledgeEntry.source).where(KnowledgeEntry.id.in_(chunk)))})
    return sources


def finish(part: analytics_parts.Part, period: Period, sources: dict[str, str]) -> dict[str, Any]:
    """The figures of `period` from its part (and the knowledge entries' sources)."""
    out: dict[str, Any] = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    out.update(_calls(part, period))
    out.update(_requests(part, period))
    out.update(_events(part, sources))
    out.update(_followups(part))
    return out


def _calls(part: analytics_parts.Part, p: Period) -> dict[str, Any]:
    width = len(analytics_parts.CALL_FIELDS)
    by_day: dict[str, list[int]] = {d.isoformat(): [0] * width for d in p.days}
    heat = [[0] * 24 for _ in range(7)]
    for hour, counts in part["hours"].items():
        day = hour[:10]
        totals = by_day.setdefault(day, [0] * width)
        for i, n in enumerate(counts):
            totals[i] += n
        heat[date.fromisoformat(day).weekday()][int(hour[11:13])] += counts[0]
    calls, asked, escalated, transferred, deflected = (sum(t[i] for t in by_day.values()) for i in range(width))
    return {
        "calls": calls, "calls_with_question": asked, "silent_calls": calls - asked, "escalated_calls": escalated,
        "transferred_calls": transferred, "deflected_calls": deflected,
        "deflection_rate": rate(deflected, asked), "escalation_rate": rate(escalated, asked),
        "calls_by_day": [{"day": d, "calls": t[0], "asked": t[1], "escalated": t[2], "transferred": t[3],
                          "silent": t[0] - t[1], "deflected": t[4], "deflection_rate": rate(t[4], t[1])}
                         for d, t in sorted(by_day.items())],
        "busiest_hours": heat,
    }


def _requests(part: analytics_parts.Part, p: Period) -> dict[str, Any]:
    per_day: dict[str, dict[str, int]] = {d.isoformat(): defaultdict(int) for d in p.days}
    totals: dict[str, int] = defaultdict(int)
    for day, outcomes in part["ends"].items():
        for outcome, n in outcomes.items():
            per_day.setdefault(day, defaultdict(int))[outcome] += n
            totals[outcome] += n
    every = sorted(w for ws in part["waits"].values() for w in ws)
    ended = sum(totals.values())
    by_day = []
    for day, counts in sorted(per_day.items()):
        ws = sorted(part["waits"].get(day, []))
        day_ended = sum(counts.values())
        by_day.append({"day": day, "answered": counts["answered"], "late_answers": counts["late_answer"],
                       "unresolved": counts["timeout"], "closed": counts["closed"],
                       "timeout_rate": rate(counts["timeout"] + counts["late_answer"], day_ended),
                       "time_to_answer_p50_seconds": percentile(ws, 0.5),
                       "time_to_answer_p90_seconds": percentile(ws, 0.9)})
    return {
        "requests": part["created"], "ended": ended, "answered": totals["answered"],
        "late_answers": totals["late_answer"], "unresolved": totals["timeout"], "closed": totals["closed"],
        "timeout_rate": rate(totals["timeout"] + totals["late_answer"], ended),
        "time_to_answer_p50_seconds": percentile(every, 0.5), "time_to_answer_p90_seconds": percentile(every, 0.9),
        "requests_by_day": by_day,
    }


def _events(part: analytics_parts.Part, sources: dict[str, str]) -> dict[str, Any]:
    counts = part["actions"]
    reuse: dict[str, Any] = {"seed": 0, "learned": 0, "manual": 0, "import": 0}
    for entry_id, n in part["used"].items():
        source = sources.get(str(entry_id), "deleted")
        reuse[source] = reuse.get(source, 0) + int(n)
    reuse["total"] = sum(v for v in reuse.values())
    reuse["learned_share"] = rate(reuse["learned"], reuse["total"])
    offered = counts.get("lookup_read_back", 0)
    confirmed, declined = counts.get("read_back_confirmed", 0), counts.get("read_back_declined", 0)
    return {
        "searches": {"answered": counts.get("lookup_answered", 0), "read_back": offered,
                     "unanswered": counts.get("lookup_unanswered", 0)},
        "knowledge_reuse": reuse,
        "read_back": {"offered": offered, "confirmed": confirmed, "declined": declined,
                      "other": max(0, offered - confirmed - declined),
                      "confirmed_rate": rate(confirmed, confirmed + declined)},
        # Transfers (live handoff) are counted from their events whatever their kinds: `transfer_*`.
        "transfers": {k: n for k, n in sorted(counts.items()) if k.startswith("transfer_")},
    }


def _followups(part: analytics_parts.Part) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    for channel, counts in sorted(part["followups"].items()):
        done = sum(counts.get(k, 0) for k in DELIVERED + UNDELIVERED)
        out[channel] = {**{k: counts.get(k, 0) for k in FOLLOWUP_STATUSES},
                        "delivery_rate": rate(sum(counts.get(k, 0) for k in DELIVERED), done)}
    by_channel = part["followups"].values()
    delivered = sum(sum(c.get(k, 0) for k in DELIVERED) for c in by_channel)
    finished = sum(sum(c.get(k, 0) for k in DELIVERED + UNDELIVERED) for c in by_channel)
    return {"followup_delivery_rate": rate(delivered, finished), "followups_by_channel": out}


def top_unanswered(s: Session, p: Period, embed: Embed | None) -> list[dict[str, Any]]:
    """Pending and timed-out questions of the period grouped by meaning (newest `TOPIC_SAMPLE`)."""
    hr = HelpRequest
    rows = s.execute(
        select(hr.id, hr.question, hr.normalized_question)
        .where(and_(hr.created_at >= p.since, hr.created_at < p.until), or_(hr.status == "pending", hr.outcome == "timeout"))
        .order_by(hr.created_at.desc()).limit(TOPIC_SAMPLE)
    ).all()
    if not rows:
        return []
    groups: list[dict[str, Any]] = []
    vectors = None
    if embed is not None:
        try:
            vectors = embed([r.question for r in rows])
        except Exception:  # no model: fall back to the same words
            vectors = None
    reps: list[int] = []
    for i, r in enumerate(rows):
        home = None
        for g, rep in zip(groups, reps, strict=True):
            same = (float(vectors[i] @ vectors[rep]) >= TOPIC_SIMILARITY if vectors is not None
                    else r.normalized_question == rows[rep].normalized_question)
            if same:
                home = g
                break
        if home is None:
            groups.append({"question": r.question, "requests": 0, "examples": []})
            reps.append(i)
            home = groups[-1]
        home["requests"] += 1
        if len(home["examples"]) < 3 and r.question != home["question"]:
            home["examples"].append(r.question)
    groups.sort(key=lambda g: -g["requests"])
    return groups[:TOP_TOPICS]

