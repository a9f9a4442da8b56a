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

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from frontdesk.db import Database
from frontdesk.errors import InvalidInput
from frontdesk.models import FOLLOWUP_STATUSES, Call, Event, Followup, HelpRequest, KnowledgeEntry
from frontdesk.outbox import CALLER_KINDS
from frontdesk.usage import KNOWLEDGE_USED, LOOKUP_ACTIONS, READ_BACK_ACTIONS

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


def _hour_bucket(db: Database, column: Any) -> Any:
    """'YYYY-MM-DD HH' of a timestamp, in SQL (SQLite stores ISO text: its first 13 characters)."""
    if db.is_sqlite:
        return func.substr(column, 1, 13)
    return func.to_char(column, "YYYY-MM-DD HH24")


def _day_bucket(db: Database, column: Any) -> Any:
    if db.is_sqlite:
        return func.substr(column, 1, 10)
    return func.to_char(column, "YYYY-MM-DD")


def _seconds_between(db: Database, start: Any, end: Any) -> Any:
    if db.is_sqlite:
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def _in(column: Any, p: Period) -> Any:
    return and_(column >= p.since, column < p.until)


def build(db: Database, period: Period, now: datetime, embed: Embed | None = None) -> dict[str, Any]:
    """Every figure of the period, JSON-ready."""
    with db.read() as s:
        out: dict[str, Any] = {"from": period.start.isoformat(), "to": period.end.isoformat()}
        out.update(_calls(s, db, period))
        out.update(_requests(s, db, period))
        out.update(_events(s, period))
        out.update(_followups(s, period))
        out["pending_now"] = s.scalar(select(func.count()).select_from(HelpRequest)
                                      .where(HelpRequest.status == "pending")) or 0
        out["top_unanswered"] = top_unanswered(s, period, embed)
    out["deflected_calls"] = out["calls_with_question"] - out["escalated_calls"]
    out["deflection_rate"] = rate(out["deflected_calls"], out["calls_with_question"])
    out["escalation_rate"] = rate(out["escalated_calls"], out["calls_with_question"])
    return out


def _calls(s: Session, db: Database, p: Period) -> dict[str, Any]:
    bucket = _hour_bucket(db, Call.started_at)
    asked = or_(Call.questions > 0, Call.escalations > 0)
    rows = s.execute(
        select(bucket, func.count(), func.sum(case((asked, 1), else_=0)), func.sum(case((Call.escalations > 0, 1),
                                                                                        else_=0)))
        .where(_in(Call.started_at, p)).group_by(bucket)
    ).all()
    by_day: dict[str, list[int]] = {d.isoformat(): [0, 0, 0] for d in p.days}
    heat = [[0] * 24 for _ in range(7)]
    for hour, n, with_q, escalated in rows:
        day = str(hour)[:10]
        totals = by_day.setdefault(day, [0, 0, 0])
        totals[0] += n
        totals[1] += int(with_q or 0)
        totals[2] += int(escalated or 0)
        heat[date.fromisoformat(day).weekday()][int(str(hour)[11:13])] += n
    calls = sum(t[0] for t in by_day.values())
    with_q = sum(t[1] for t in by_day.values())
    escalated = sum(t[2] for t in by_day.values())
    return {
        "calls": calls, "calls_with_question": with_q, "silent_calls": calls - with_q, "escalated_calls": escalated,
        "calls_by_day": [{"day": d, "calls": t[0], "asked": t[1], "escalated": t[2], "silent": t[0] - t[1],
                          "deflected": t[1] - t[2], "deflection_rate": rate(t[1] - t[2], t[1])}
                         for d, t in sorted(by_day.items())],
        "busiest_hours": heat,
    }


def _requests(s: Session, db: Database, p: Period) -> dict[str, Any]:
    hr = HelpRequest
    created = s.scalar(select(func.count()).select_from(hr).where(_in(hr.created_at, p))) or 0
    day_r, day_e = _day_bucket(db, hr.resolved_at), _day_bucket(db, hr.ended_at)
    per_day: dict[str, dict[str, int]] = {d.isoformat(): defaultdict(int) for d in p.days}
    totals: dict[str, int] = defaultdict(int)
    waits: dict[str, list[float]] = defaultdict(list)
    # Answers (on time and late): one pass gives their counts and their times to answer.
    seconds = _seconds_between(db, hr.created_at, hr.resolved_at)
    for day, outcome, secs in s.execute(
        select(day_r, hr.outcome, seconds).where(_in(hr.resolved_at, p), hr.status == "resolved")
    ):
        per_day.setdefault(str(day), defaultdict(int))[str(outcome)] += 1
        totals[str(outcome)] += 1
        waits[str(day)].append(max(0.0, round(float(secs), 2)))  # julianday is exact to ~10 µs
    for day, outcome, n in s.execute(
        select(day_e, hr.outcome, func.count()).where(_in(hr.ended_at, p), hr.status == "unresolved")
        .group_by(day_e, hr.outcome)
    ):
        per_day.setdefault(str(day), defaultdict(int))[str(outcome)] += n
        totals[str(outcome)] += n
    every = sorted(w for ws in waits.values() for w in ws)
    ended = sum(totals.values())
    by_day = []
    for day, counts in sorted(per_day.items()):
        ws = sorted(waits.get(day, []))
        day_ended = sum(counts.values())
        by_day.append({"day": day, "answered": counts["answered"], "late_answers": counts["late_answer"],
                       "unresolved": counts["timeout"], "closed": counts["closed"],
                       "timeout_rate": rate(counts["timeout"] + counts["late_answer"], day_ended),
                       "time_to_answer_p50_seconds": percentile(ws, 0.5),
                       "time_to_answer_p90_seconds": percentile(ws, 0.9)})
    return {
        "requests": created, "ended": ended, "answered": totals["answered"], "late_answers": totals["late_answer"],
        "unresolved": totals["timeout"], "closed": totals["closed"],
        "timeout_rate": rate(totals["timeout"] + totals["late_answer"], ended),
        "time_to_answer_p50_seconds": percentile(every, 0.5), "time_to_answer_p90_seconds": percentile(every, 0.9),
        "requests_by_day": by_day,
    }


def _count_actions(s: Session, p: Period, where: Any) -> dict[str, int]:
    rows = s.execute(select(Event.action, func.count()).where(where, _in(Event.at, p)).group_by(Event.action))
    return {str(a): int(n) for a, n in rows}


def _events(s: Session, p: Period) -> dict[str, Any]:
    counts = _count_actions(s, p, Event.action.in_(LOOKUP_ACTIONS + READ_BACK_ACTIONS))
    used = {str(i): int(n) for i, n in s.execute(
        select(Event.entity_id, func.count()).where(Event.action == KNOWLEDGE_USED, _in(Event.at, p))
        .group_by(Event.entity_id)
    )}
    sources: dict[str, str] = {}
    ids = [int(i) for i in used if str(i).isdigit()]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        sources.update({str(i): str(src) for i, src in s.execute(
            select(KnowledgeEntry.id, KnowledgeEntry.source).where(KnowledgeEntry.id.in_(chunk)))})
    reuse: dict[str, Any] = {"seed": 0, "learned": 0, "manual": 0, "import": 0}
    for entry_id, n in used.items():
        source = sources.get(str(entry_id), "deleted")
        reuse[source] = reuse.get(source, 0) + int(n)
    reuse["total"] = sum(v for v in reuse.values())
    reuse["learned_share"] = rate(reuse["learned"], reuse["total"])
    offered = counts.get("lookup_read_back", 0)
    confirmed, declined = counts.get("read_back_confirmed", 0), counts.get("read_back_declined", 0)
    # Transfers (live handoff) are counted from their events whatever their kinds: `transfer_*`.
    transfers = _count_actions(s, p, and_(Event.action >= "transfer_", Event.action < "transfer`"))
    return {
        "searches": {"answered": counts.get("lookup_answered", 0), "read_back": offered,
                     "unanswered": counts.get("lookup_unanswered", 0)},
        "knowledge_reuse": reuse,
        "read_back": {"offered": offered, "confirmed": confirmed, "declined": declined,
                      "other": max(0, offered - confirmed - declined),
                      "confirmed_rate": rate(confirmed, confirmed + declined)},
        "transfers": transfers,
    }


def _followups(s: Session, p: Period) -> dict[str, Any]:
    rows = s.execute(
        select(Followup.channel, Followup.status, func.count())
        .where(_in(Followup.created_at, p), Followup.kind.in_(CALLER_KINDS))
        .group_by(Followup.channel, Followup.status)
    ).all()
    by_channel: dict[str, dict[str, Any]] = {}
    for channel, status, n in rows:
        by_channel.setdefault(str(channel), defaultdict(int))[str(status)] += n
    out: dict[str, dict[str, Any]] = {}
    for channel, counts in sorted(by_channel.items()):
        done = sum(counts[k] for k in DELIVERED + UNDELIVERED)
        out[channel] = {**{k: counts[k] for k in FOLLOWUP_STATUSES},
                        "delivery_rate": rate(sum(counts[k] for k in DELIVERED), done)}
    delivered = sum(sum(c[k] for k in DELIVERED) for c in by_channel.values())
    finished = sum(sum(c[k] for k in DELIVERED + UNDELIVERED) for c in by_channel.values())
    return {"followup_delivery_rate": rate(delivered, finished), "followups_by_channel": out}


def top_unanswered(s: Session, p: Period, embed: Embed | None) -> list[dict[str, Any]]:
    """Pending and timed-out questions of the period grouped by meaning (newest `TOPIC_SAMPLE`)."""
    hr = HelpRequest
    rows = s.execute(
        select(hr.id, hr.question, hr.normalized_question)
        .where(_in(hr.created_at, p), or_(hr.status == "pending", hr.outcome == "timeout"))
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

