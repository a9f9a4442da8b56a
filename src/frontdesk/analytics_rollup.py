"""The analytics roll-up: each closed UTC day's part (`analytics_parts.py`) stored once, so a 30-day
range reads 30 small rows plus today's part computed live, instead of scanning 30 days of events.

Kept right by the database, not by the writers: triggers on every table a figure comes from (`calls`,
`help_requests`, `events`, `followups`, `transfers`) bump `analytics_days.gen` and empty `part` for
each day the changed row belongs to (before and after the change), whatever code or SQL wrote it: a
late answer empties the day the request timed out, a re-sent follow-up the day it was created. A day
is stored only if its `gen` did not move while it was computed (read `gen`, compute, then
`UPDATE ... WHERE gen = <read>`), so a write racing the computation never leaves a stale day behind.
Only days before today are stored; today and later are always read live. `VERSION` is part of each
stored day: change it when a definition changes and every day is recomputed on its next read.
"""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from frontdesk import analytics_parts
from frontdesk.db import Database
from frontdesk.models import AnalyticsDay

log = logging.getLogger(__name__)

VERSION = 1
# table -> (columns whose change can move a figure, SQL of the day(s) a row counts on, with ROW for OLD/NEW)
WATCHED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "calls": (("started_at", "questions", "escalations"), ("started_at",)),
    "help_requests": (("status", "outcome", "created_at", "resolved_at", "ended_at"),
                      ("created_at", "resolved_at", "ended_at")),
    "events": (("action", "at", "entity_id"), ("at",)),
    "followups": (("status", "channel", "kind", "created_at"), ("created_at",)),
    # A transfer someone took makes its call not deflected: the call's day.
    "transfers": (("taken_by", "call_id"), ("(SELECT started_at FROM calls WHERE calls.id = ROW.call_id)",)),
}


def _day_sql(dialect: str, expr: str, row: str) -> str:
    column = expr.replace("ROW", row) if "ROW" in expr else f"{row}.{expr}"
    return f"substr({column}, 1, 10)" if dialect == "sqlite" else f"to_char({column}, 'YYYY-MM-DD')"


def _bump(dialect: str, days: tuple[str, ...], row: str) -> str:
    where = ", ".join(_day_sql(dialect, d, row) for d in days)
    return f"UPDATE analytics_days SET gen = gen + 1, part = NULL WHERE day IN ({where});"


def trigger_ddl(dialect: str) -> list[str]:
    """CREATE statements of the roll-up's triggers (idempotent: re-running replaces them)."""
    out: list[str] = []
    for table, (columns, days) in WATCHED.items():
        name = f"analytics_touch_{table}"
        if dialect == "sqlite":
            for event, rows in (("INSERT", ("NEW",)), ("DELETE", ("OLD",)),
                                (f"UPDATE OF {', '.join(columns)}", ("OLD", "NEW"))):
                body = " ".join(_bump(dialect, days, r) for r in rows)
                out.append(f"CREATE TRIGGER IF NOT EXISTS {name}_{event.split()[0].lower()} AFTER {event} "
                           f"ON {table} FOR EACH ROW BEGIN {body} END")
        else:
            out.append(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF TG_OP <> 'INSERT' THEN {_bump(dialect, days, 'OLD')} END IF; "
                f"IF TG_OP <> 'DELETE' THEN {_bump(dialect, days, 'NEW')} END IF; "
                "RETURN NULL; END $$")
            out.append(f"CREATE OR REPLACE TRIGGER {name} AFTER INSERT OR DELETE OR UPDATE OF {', '.join(columns)} "
                       f"ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")
    return out


def drop_trigger_ddl(dialect: str) -> list[str]:
    """DROP statements of the roll-up's triggers."""
    out: list[str] = []
    for table in WATCHED:
        name = f"analytics_touch_{table}"
        if dialect == "sqlite":
            out += [f"DROP TRIGGER IF EXISTS {name}_{op}" for op in ("insert", "delete", "update")]
        else:
            out += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
    return out


def install_triggers(connection: Any) -> None:
    """(Re)create the triggers: SQLite drops a table's triggers when a batch migration rebuilds the
    table, so `migrate.upgrade()` runs this after every upgrade."""
    for statement in trigger_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


def part_of(db: Database, first: date, last: date, today: date) -> analytics_parts.Part:
    """The part of `first`..`last`: stored closed days (computing and storing the missing ones), the
    days from `today` on read live."""
    closed_last = min(last, today - timedelta(days=1))
    closed = [first + timedelta(days=i) for i in range((closed_last - first).days + 1)]
    parts = _stored(db, closed)
    missing = [d for d in closed if d.isoformat() not in parts]
    if missing:
        parts.update(_fill(db, missing))
    live = analytics_parts.empty()
    if last >= today:
        with db.read() as s:
            live = analytics_parts.compute(s, db, max(first, today), last)
    return analytics_parts.merge([*parts.values(), live])


def _stored(db: Database, days: list[date]) -> dict[str, analytics_parts.Part]:
    if not days:
        return {}
    with db.read() as s:
        rows = s.execute(select(AnalyticsDay.day, AnalyticsDay.part).where(
            AnalyticsDay.day >= days[0].isoformat(), AnalyticsDay.day <= days[-1].isoformat(),
            AnalyticsDay.version == VERSION, AnalyticsDay.part.is_not(None)))
        return {str(day): json.loads(str(part)) for day, part in rows}


def _fill(db: Database, days: list[date]) -> dict[str, analytics_parts.Part]:
    """Compute the given closed days and store each whose `gen` did not move meanwhile."""
    keys = [d.isoformat() for d in days]
    insert = sqlite_insert if db.is_sqlite else pg_insert
    with db.write() as s:  # the rows must exist before their gen is read, so a concurrent write bumps it
        s.execute(insert(AnalyticsDay).values([{"day": k, "gen": 0, "version": 0} for k in keys])
                  .on_conflict_do_nothing(index_elements=["day"]))
    computed: dict[str, tuple[int, analytics_parts.Part]] = {}
    with db.read() as s:
        gens = dict(s.execute(select(AnalyticsDay.day, AnalyticsDay.gen).where(AnalyticsDay.day.in_(keys))).all())
        for d in days:
            computed[d.isoformat()] = (int(gens[d.isoformat()]), analytics_parts.compute(s, db, d, d))
    stored = 0
    with db.write() as s:
        for key, (gen, part) in computed.items():
            stored += s.execute(update(AnalyticsDay).where(AnalyticsDay.day == key, AnalyticsDay.gen == gen)
                                .values(part=json.dumps(part, separators=(",", ":")), version=VERSION)
                                ).rowcount  # type: ignore[attr-defined]
    log.debug("analytics roll-up: %d days computed, %d stored", len(days), stored)
    return {k: p for k, (_, p) in computed.items()}
