"""The analytics roll-up (analytics_rollup.py) always equals the live computation: on the hand-built history
of test_analytics, then after each kind of change to a day already stored (a late answer, a re-sent
follow-up, a transfer taken, a call's late question), across period boundaries, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update

from frontdesk import analytics_parts, analytics_rollup
from frontdesk.analytics import Period, build
from frontdesk.clock import FakeClock
from frontdesk.migrate import upgrade
from frontdesk.models import AnalyticsDay, Call, Followup, HelpRequest
from frontdesk.notifications.manage import resend
from frontdesk.outbox import CALLER_KINDS
from frontdesk.services import Services
from frontdesk.usage import record_lookup
from tests.web.test_analytics import D, _history

PERIODS = [(D, D), (D, D + timedelta(days=1)), (D - timedelta(days=1), D + timedelta(days=2)),
           (D + timedelta(days=1), D + timedelta(days=1)), (D + timedelta(days=2), D + timedelta(days=3))]


def _same(svc: Services, clock: FakeClock, first: date, last: date) -> dict[str, Any]:
    """Build the period both ways and check they agree; the rolled-up figures."""
    rolled = build(svc.db, Period(first, last), clock.now())
    live = build(svc.db, Period(first, last), clock.now(), live=True)
    assert rolled == live, (first, last)
    return rolled


def _stored_days(svc: Services) -> dict[str, int]:
    with svc.db.read() as s:
        return {d: g for d, g, p in s.execute(select(AnalyticsDay.day, AnalyticsDay.gen, AnalyticsDay.part))
                if p is not None}


@pytest.fixture
def rolled(services: Services, clock: FakeClock) -> dict[str, Any]:
    """The history, two days later (D and D+1 are closed), with every period read once (so stored)."""
    ids = _history(services, clock)
    clock.advance(seconds=(datetime.combine(D + timedelta(days=2), datetime.min.time()) + timedelta(hours=12)
                           - clock.now()).total_seconds())
    for first, last in PERIODS:
        _same(services, clock, first, last)
    assert set(_stored_days(services)) == {"2026-01-04", "2026-01-05", "2026-01-06"}  # closed days only
    return ids


def test_stored_days_equal_live(services: Services, clock: FakeClock, rolled: dict[str, Any]) -> None:
    r = _same(services, clock, D, D)
    assert (r["calls"], r["deflected_calls"], r["transferred_calls"], r["unresolved"]) == (10, 2, 1, 1)
    # A second read is served from the stored rows: same figures, no day computed again.
    before = _stored_days(services)
    assert _same(services, clock, D - timedelta(days=1), D + timedelta(days=2)) == build(
        services.db, Period(D - timedelta(days=1), D + timedelta(days=2)), clock.now(), live=True)
    assert _stored_days(services) == before


def test_late_answer_changes_the_day_it_timed_out(services: Services, clock: FakeClock,
                                                  rolled: dict[str, Any]) -> None:
    services.desk.answer(rolled["r4"], "Yes, on Sundays too.", by="sup@example.com")  # timed out on D
    assert "2026-01-05" not in _stored_days(services)  # emptied by the trigger
    day = _same(services, clock, D, D)
    assert (day["unresolved"], day["ended"]) == (0, 2)
    today = _same(services, clock, D + timedelta(days=2), D + timedelta(days=2))
    assert today["late_answers"] == 1
    for first, last in PERIODS:
        _same(services, clock, first, last)


def test_resent_followup_and_call_changes(services: Services, clock: FakeClock, rolled: dict[str, Any]) -> None:
    with services.db.read() as s:
        dead = s.scalar(select(Followup.id).where(Followup.kind.in_(CALLER_KINDS), Followup.status == "failed"))
    assert dead is not None
    resend(services.db, clock, services.settings, dead, by="sup@example.com")
    assert "2026-01-05" not in _stored_days(services)
    after = _same(services, clock, D, D)
    assert after["followup_delivery_rate"] == pytest.approx(3 / 3)  # failed -> queued again: not finished
    _same(services, clock, D, D)
    # A question counted late in a call that started on D (a call crossing midnight, say).
    with services.db.read() as s:
        silent = s.scalar(select(Call.id).where(Call.questions == 0, Call.escalations == 0,
                                                Call.started_at >= datetime(2026, 1, 5), Call.started_at
                                                < datetime(2026, 1, 6)))
    assert silent is not None
    record_lookup(services.db, clock, silent, "answered")
    assert _same(services, clock, D, D)["silent_calls"] == 0


def test_transfer_taken_later_is_not_a_deflection(services: Services, clock: FakeClock,
                                                  rolled: dict[str, Any]) -> None:
    with services.db.read() as s:  # c10: answered from the knowledge base on D, deflected
        c10 = s.scalar(select(Call.id).where(Call.questions == 1, Call.escalations == 0, Call.status == "ended")
                       .order_by(Call.started_at.desc()))
    with services.db.write() as s:
        s.execute(update(Call).where(Call.id == c10).values(status="live", ended_at=None))
    sup = services.accounts.create("late-taker@example.com", "long-enough-1")
    services.transfers.store.takeover(c10, sup)
    assert _same(services, clock, D, D)["deflected_calls"] == 1


def test_a_write_during_the_computation_is_not_stored(services: Services, clock: FakeClock,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _history(services, clock)
    clock.advance(days=2)
    real = analytics_parts.compute

    def racing(s: Any, db: Any, first: date, last: date) -> analytics_parts.Part:
        part = real(s, db, first, last)
        with services.db.write() as w:  # another request changes day D meanwhile
            w.execute(update(HelpRequest).where(HelpRequest.outcome == "closed").values(outcome="timeout"))
        return part

    monkeypatch.setattr(analytics_parts, "compute", racing)
    build(services.db, Period(D, D), clock.now())
    monkeypatch.setattr(analytics_parts, "compute", real)
    assert "2026-01-05" not in _stored_days(services)
    assert _same(services, clock, D, D)["closed"] == 0


def test_a_new_definition_recomputes_every_day(services: Services, clock: FakeClock, rolled: dict[str, Any],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with services.db.write() as s:  # what an older definition might have stored
        stale = json.dumps(analytics_parts.empty())
        s.execute(update(AnalyticsDay).values(part=stale))
    monkeypatch.setattr(analytics_rollup, "VERSION", analytics_rollup.VERSION + 1)
    assert _same(services, clock, D, D)["calls"] == 10


def test_upgrade_puts_back_triggers_a_table_rebuild_dropped(services: Services) -> None:
    dialect = services.db.engine.dialect.name
    with services.db.engine.begin() as conn:
        for statement in analytics_rollup.drop_trigger_ddl(dialect):
            conn.exec_driver_sql(statement)
    upgrade(services.db)
    query = ("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'analytics_touch_%'"
             if dialect == "sqlite" else
             "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'analytics_touch_%'")
    with services.db.engine.connect() as conn:
        assert conn.execute(text(query)).scalar() == (15 if dialect == "sqlite" else 5)
