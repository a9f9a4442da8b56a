"""The queue's priority: which pending request a supervisor should answer first, and why.

All weights live here. A pending request scores the sum of:

| factor | points |
|---|---|
| each caller still on the line (at most 3 counted) | `LIVE_CALLER` = 30 |
| each caller beyond the first waiting on the same question (at most 5) | `EXTRA_CALLER` = 10 |
| urgent (urgency words in a caller's question, or marked by a supervisor) | `URGENT` = 40 |
| a repeat caller (called in the 30 days before) | `REPEAT_CALLER` = 15 |
| deadline close: <= 2 min left 40, <= 5 min 25, <= 10 min 15, <= 15 min 5 | `DEADLINE_BANDS` |
| waited: 2 points per full 5 minutes, at most 20 | `WAIT_STEP_SECONDS`, `WAIT_POINTS`, `WAIT_MAX_STEPS` |

Ties go to the soonest deadline, then the oldest id. A supervisor's mark (urgent or not urgent)
overrides the words. The same weights are used twice: `score()` in Python (cards, tests) and
`score_sql()` as one SQL expression, so the queue is ordered in the database over every pending
request without loading them all (bench/dashboard: 10,000 pending).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from frontdesk.models import PENDING, HelpRequest
from frontdesk.text import short_duration

LIVE_CALLER, LIVE_CAP = 30, 3
EXTRA_CALLER, EXTRA_CAP = 10, 5
URGENT = 40
REPEAT_CALLER = 15
REPEAT_WINDOW = timedelta(days=30)
DEADLINE_BANDS: tuple[tuple[int, int], ...] = ((120, 40), (300, 25), (600, 15), (900, 5))  # (seconds left <=, points)
WAIT_STEP_SECONDS, WAIT_POINTS, WAIT_MAX_STEPS = 300, 2, 10


@dataclass(frozen=True)
class Factors:
    """What the priority of one pending request is computed from."""

    callers_live: int = 0
    callers_waiting: int = 1
    urgent: bool = False
    repeat_caller: bool = False
    seconds_left: float = 1800.0
    seconds_waited: float = 0.0


def deadline_points(seconds_left: float) -> int:
    """Points for how close the deadline is (first band that holds)."""
    for limit, points in DEADLINE_BANDS:
        if seconds_left <= limit:
            return points
    return 0


def wait_points(seconds_waited: float) -> int:
    """Points for how long the request has waited."""
    return WAIT_POINTS * min(WAIT_MAX_STEPS, max(0, int(seconds_waited // WAIT_STEP_SECONDS)))


def score(f: Factors) -> int:
    """The priority: higher is answered first."""
    return (
        LIVE_CALLER * min(LIVE_CAP, max(0, f.callers_live))
        + EXTRA_CALLER * min(EXTRA_CAP, max(0, f.callers_waiting - 1))
        + (URGENT if f.urgent else 0)
        + (REPEAT_CALLER if f.repeat_caller else 0)
        + deadline_points(f.seconds_left)
        + wait_points(f.seconds_waited)
    )


def reasons(f: Factors, urgent_by: str = "") -> list[str]:
    """Short strings saying why the request sits where it does, biggest factors first."""
    out: list[str] = []
    if f.callers_live:
        out.append(f"{f.callers_live} caller{'s' if f.callers_live != 1 else ''} on the line")
    if f.urgent:
        out.append(urgent_by or "urgent")
    if f.callers_waiting > 1:
        out.append(f"{f.callers_waiting} callers asked")
    if f.repeat_caller:
        out.append("repeat caller")
    if f.seconds_left <= 0:
        out.append("deadline passed")
    else:
        out.append(f"{short_duration(f.seconds_left)} left")
    if wait_points(f.seconds_waited):
        out.append(f"waited {short_duration(f.seconds_waited)}")
    return out


def is_urgent(request: HelpRequest) -> bool:
    """A supervisor's mark when there is one, else the urgency words."""
    return bool(request.urgent if request.marked_urgent is None else request.marked_urgent)


def factors_of(request: HelpRequest, callers_live: int, callers_waiting: int, now: datetime) -> Factors:
    """The factors of a loaded request (its waiter counts come from the caller)."""
    return Factors(
        callers_live=callers_live,
        callers_waiting=max(1, callers_waiting),
        urgent=is_urgent(request),
        repeat_caller=bool(request.repeat_caller),
        seconds_left=(request.expires_at - now).total_seconds(),
        seconds_waited=(now - request.created_at).total_seconds(),
    )


# -- the same score in SQL, for ordering every pending request in the database ------------------
def _capped(value: ColumnElement[Any], cap: int) -> ColumnElement[Any]:
    return case((value > cap, cap), (value < 0, 0), else_=value)


def score_sql(now: datetime, live: Any, waiting: Any) -> ColumnElement[Any]:
    """`score()` as a SQL expression over `help_requests` plus live / waiting caller counts.

    Time bands are compared as timestamps (`expires_at <= now + band`), so no date arithmetic in SQL
    and the expression is the same on SQLite and PostgreSQL.
    """
    hr = HelpRequest
    urgent = func.coalesce(hr.marked_urgent, hr.urgent)
    deadline = case(
        *[(hr.expires_at <= now + timedelta(seconds=limit), points) for limit, points in DEADLINE_BANDS],
        else_=0,
    )
    waited: ColumnElement[Any] = literal(0, Integer)
    for step in range(1, WAIT_MAX_STEPS + 1):
        waited = waited + case(
            (hr.created_at <= now - timedelta(seconds=step * WAIT_STEP_SECONDS), WAIT_POINTS), else_=0
        )
    return (
        LIVE_CALLER * _capped(live, LIVE_CAP)
        + EXTRA_CALLER * _capped(waiting - 1, EXTRA_CAP)
        + case((urgent == True, URGENT), else_=0)  # noqa: E712 (SQL comparison)
        + case((hr.repeat_caller == True, REPEAT_CALLER), else_=0)  # noqa: E712
        + deadline
        + waited
    )


def scored_pending(now: datetime, where: list[Any] | None = None) -> Any:
    """SELECT `id, priority, expires_at` of every pending request (plus `where`), scored by `score_sql`.

    Every input is a column of `help_requests` (the caller counts are kept by queue_counts.py's
    triggers), so this is one scan of the partial index `ix_help_queue`, with no join.
    """
    hr = HelpRequest
    priority = score_sql(now, hr.callers_live, hr.callers_waiting).label("priority")
    return select(hr.id, priority, hr.expires_at).where(hr.status == PENDING, *(where or []))


def ordered_pending(
    s: Any, now: datetime, limit: int, offset: int = 0, where: list[Any] | None = None
) -> list[tuple[int, int]]:
    """`(id, priority)` of one page of pending requests, highest priority first (ties: soonest deadline)."""
    scored = scored_pending(now, where).subquery()
    stmt = (select(scored.c.id, scored.c.priority)
            .order_by(scored.c.priority.desc(), scored.c.expires_at.asc(), scored.c.id.asc())
            .limit(limit).offset(offset))
    return [(int(rid), int(p)) for rid, p in s.execute(stmt).all()]
