"""The stored facts behind the analytics figures of a period, as mergeable *parts*.

A part holds counts keyed by day (or hour), the times to answer of each day, and the period's event and
follow-up counts: everything `analytics.finish()` needs to turn into figures. Parts of disjoint periods
add up (`merge`), which is what lets `analytics_rollup.py` keep one part per closed day and read a
30-day range as 30 stored rows plus today's part computed live. Definitions: see `analytics.py`.

Shape (JSON-ready, so a day's part can be stored as it is):
- `hours`: {"YYYY-MM-DD HH": [calls, asked, escalated, transferred, deflected]} by the call's start;
- `created`: requests created in the period;
- `ends`: {day: {outcome: n}} of requests that ended (finally) that day;
- `waits`: {day: [seconds to answer, ...]} of the answers given that day;
- `actions`: {event action: n} of look-ups, read-backs and `transfer_*` events;
- `used`: {knowledge entry id: times used} (its source is looked up when the figures are made);
- `followups`: {channel: {status: n}} of caller follow-ups created in the period.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from frontdesk.db import Database
from frontdesk.models import Call, Event, Followup, HelpRequest, Transfer
from frontdesk.outbox import CALLER_KINDS
from frontdesk.usage import KNOWLEDGE_USED, LOOKUP_ACTIONS, READ_BACK_ACTIONS

Part = dict[str, Any]
CALL_FIELDS = ("calls", "asked", "escalated", "transferred", "deflected")


def empty() -> Part:
    """The part of a period with nothing in it."""
    return {"hours": {}, "created": 0, "ends": {}, "waits": {}, "actions": {}, "used": {}, "followups": {}}


def merge(parts: Iterable[Part]) -> Part:
    """The part of the union of disjoint periods (counts added, times to answer put together)."""
    out = empty()
    for p in parts:
        for hour, counts in p["hours"].items():
            have = out["hours"].setdefault(hour, [0] * len(CALL_FIELDS))
            for i, n in enumerate(counts):
                have[i] += n
        out["created"] += p["created"]
        for day, outcomes in p["ends"].items():
            into = out["ends"].setdefault(day, {})
            for k, n in outcomes.items():
                into[k] = into.get(k, 0) + n
        for day, waits in p["waits"].items():
            out["waits"].setdefault(day, []).extend(waits)
        for key in ("actions", "used"):
            for k, n in p[key].items():
                out[key][k] = out[key].get(k, 0) + n
        for channel, statuses in p["followups"].items():
            into = out["followups"].setdefault(channel, {})
            for k, n in statuses.items():
                into[k] = into.get(k, 0) + n
    return out


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


def _in(column: Any, since: datetime, until: datetime) -> Any:
    return and_(column >= since, column < until)


def compute(s: Session, db: Database, first: date, last: date) -> Part:
    """The part of whole UTC days `first`..`last`, read from the store."""
    since = datetime.combine(first, datetime.min.time())
    until = datetime.combine(last + timedelta(days=1), datetime.min.time())
    part = empty()
    _calls(s, db, since, until, part)
    _requests(s, db, since, until, part)
    _events(s, since, until, part)
    _followups(s, since, until, part)
    return part


def _calls(s: Session, db: Database, since: datetime, until: datetime, part: Part) -> None:
    bucket = _hour_bucket(db, Call.started_at)
    # A call a person took over (a transfer someone accepted) was not handled by the receptionist alone.
    transferred = exists().where(Transfer.call_id == Call.id, Transfer.taken_by.is_not(None))
    escalated = Call.escalations > 0
    asked = or_(Call.questions > 0, escalated, transferred)
    rows = s.execute(
        select(bucket, func.count(), func.sum(case((asked, 1), else_=0)), func.sum(case((escalated, 1), else_=0)),
               func.sum(case((transferred, 1), else_=0)),
               func.sum(case((and_(asked, ~escalated, ~transferred), 1), else_=0)))
        .where(_in(Call.started_at, since, until)).group_by(bucket)
    ).all()
    for hour, *counts in rows:
        part["hours"][str(hour)] = [int(n or 0) for n in counts]


def _requests(s: Session, db: Database, since: datetime, until: datetime, part: Part) -> None:
    hr = HelpRequest
    part["created"] = s.scalar(select(func.count()).select_from(hr).where(_in(hr.created_at, since, until))) or 0
    day_r, day_e = _day_bucket(db, hr.resolved_at), _day_bucket(db, hr.ended_at)
    seconds = _seconds_between(db, hr.created_at, hr.resolved_at)
    # Answers (on time and late): one pass gives their counts and their times to answer.
    for day, outcome, secs in s.execute(
        select(day_r, hr.outcome, seconds).where(_in(hr.resolved_at, since, until), hr.status == "resolved")
    ):
        ends = part["ends"].setdefault(str(day), {})
        ends[str(outcome)] = ends.get(str(outcome), 0) + 1
        part["waits"].setdefault(str(day), []).append(max(0.0, round(float(secs), 2)))  # julianday: ~10 µs
    for day, outcome, n in s.execute(
        select(day_e, hr.outcome, func.count()).where(_in(hr.ended_at, since, until), hr.status == "unresolved")
        .group_by(day_e, hr.outcome)
    ):
        ends = part["ends"].setdefault(str(day), {})
        ends[str(outcome)] = ends.get(str(outcome), 0) + int(n)


def _events(s: Session, since: datetime, until: datetime, part: Part) -> None:
    counted = or_(Event.action.in_(LOOKUP_ACTIONS + READ_BACK_ACTIONS),
                  and_(Event.action >= "transfer_", Event.action < "transfer`"))  # every `transfer_*`
    part["actions"] = {str(a): int(n) for a, n in s.execute(
        select(Event.action, func.count()).where(counted, _in(Event.at, since, until)).group_by(Event.action))}
    part["used"] = {str(i): int(n) for i, n in s.execute(
        select(Event.entity_id, func.count()).where(Event.action == KNOWLEDGE_USED, _in(Event.at, since, until))
        .group_by(Event.entity_id))}


def _followups(s: Session, since: datetime, until: datetime, part: Part) -> None:
    for channel, status, n in s.execute(
        select(Followup.channel, Followup.status, func.count())
        .where(_in(Followup.created_at, since, until), Followup.kind.in_(CALLER_KINDS))
        .group_by(Followup.channel, Followup.status)
    ):
        part["followups"].setdefault(str(channel), {})[str(status)] = int(n)
