"""Analytics on a hand-built history with known answers (SQLite and PostgreSQL): a late answer after a
timeout, grouped callers, a request closed unanswered, a re-sent follow-up, a silent call, an empty
period and period boundaries; then the page, the JSON API and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from frontdesk.analytics import Period, build, parse_period, percentile
from frontdesk.audit import record_event
from frontdesk.clock import FakeClock
from frontdesk.errors import InvalidInput
from frontdesk.models import Call, Followup, KnowledgeEntry
from frontdesk.notifications.manage import resend
from frontdesk.outbox import CALLER_KINDS
from frontdesk.services import Services
from frontdesk.usage import record_lookup, record_read_back
from frontdesk.web import create_app

D = date(2026, 1, 5)  # the FakeClock starts on this day at 09:00


def _call(svc: Services, at: datetime | None = None, status: str = "ended") -> str:
    at = at or svc.clock.now()
    with svc.db.write() as s:
        call = Call(channel="text", status=status, caller_phone="", started_at=at, last_seen_at=at,
                    ended_at=at if status == "ended" else None)
        s.add(call)
        s.flush()
        return call.id


def _history(svc: Services, clock: FakeClock) -> dict[str, Any]:
    """The history of the module docstring; returns the ids the tests refer to."""
    _call(svc, datetime(2026, 1, 4, 23, 59, 30))  # the day before: outside period D
    _call(svc, datetime(2026, 1, 6, 0, 0, 0))  # the first instant of D+1: outside period D
    with svc.db.write() as s:
        seed = svc.knowledge.add(s, "What are your opening hours?", "9 to 6, Tuesday to Saturday.", source="seed",
                                 by="seed", now=clock.now()).id
    db, desk = svc.db, svc.desk
    c1 = _call(svc, status="live")  # answered from the knowledge base, then a person took it over
    record_lookup(db, clock, c1, "answered", seed)
    c2 = _call(svc)
    record_lookup(db, clock, c2, "read_back")
    record_read_back(db, clock, c2, seed, confirmed=True)
    _call(svc)  # c3 asks nothing
    ids: dict[str, Any] = {}
    calls = {n: _call(svc) for n in ("c4", "c5", "c6", "c7", "c8")}
    for c in calls.values():
        record_lookup(db, clock, c, "unanswered")
    ids["r1"] = desk.escalate("Do you do henna tattoos?", call_id=calls["c4"]).request_id
    ids["r2"] = desk.escalate("Can I bring my dog to my appointment?", call_id=calls["c5"]).request_id
    assert desk.escalate("Can I bring my dog to my appointment?", call_id=calls["c6"]).request_id == ids["r2"]
    ids["r3"] = desk.escalate("Do you sponsor the little league team?", call_id=calls["c7"]).request_id
    ids["r4"] = desk.escalate("Do you offer wedding trials on Sundays?", call_id=calls["c8"]).request_id
    clock.advance(minutes=3)
    desk.answer(ids["r1"], "No, sorry.", by="sup@example.com")  # learned: 180 s to answer
    with db.read() as s:
        learned = s.scalar(select(KnowledgeEntry.id).where(KnowledgeEntry.source == "learned"))
    clock.advance(minutes=1)
    c10 = _call(svc)
    record_lookup(db, clock, c10, "answered", learned)
    clock.advance(minutes=1)
    desk.close(ids["r3"], by="sup@example.com", reason="spam")
    clock.advance(minutes=3)  # 09:08
    c9 = _call(svc)
    record_lookup(db, clock, c9, "read_back")
    record_read_back(db, clock, c9, seed, confirmed=False)
    ids["r5"] = desk.escalate("Do you have balayage for kids?", call_id=c9).request_id
    # Transfers (live handoff), counted by kind from their events: c1 offered and taken by a person (so
    # c1 is not deflected), and one more offer's event.
    boss = svc.accounts.create("taker@example.com", "long-enough-1")
    with db.read() as s:
        live_c1 = s.get(Call, c1)
    offer = svc.transfers.store.create_offer(live_c1, reason="asked_for_person", question="", summary="",
                                             caller="", offered_to=[boss.id])
    svc.transfers.store.accept(offer.id, boss)
    with db.write() as s:
        record_event(s, clock.now(), entity="call", entity_id=c1, action="transfer_offered", actor="agent")
    clock.advance(minutes=3)  # 09:11: r2 and r4 (created 09:00, 600 s deadline) time out, r5 stays pending
    assert desk.sweep() == 2
    # Caller follow-ups of day D: sent, sent, failed, dead then re-sent and sent, still queued.
    with db.write() as s:
        rows = list(s.scalars(select(Followup.id).where(Followup.kind.in_(CALLER_KINDS)).order_by(Followup.id)))
        assert len(rows) == 5
        for fid, status in zip(rows, ("sent", "sent", "failed", "dead", "queued"), strict=True):
            s.execute(update(Followup).where(Followup.id == fid).values(status=status))
    resend(db, clock, svc.settings, rows[3], by="sup@example.com")
    with db.write() as s:
        s.execute(update(Followup).where(Followup.id == rows[3]).values(status="sent"))
    clock.advance(seconds=(datetime(2026, 1, 6, 10, 0) - clock.now()).total_seconds())
    desk.answer(ids["r2"], "Small dogs are welcome.", by="sup@example.com")  # late, on D+1
    ids["channel"] = _channel(svc, rows[0])
    return ids


def _channel(svc: Services, fid: int) -> str:
    with svc.db.read() as s:
        return str(s.scalar(select(Followup.channel).where(Followup.id == fid)))


@pytest.fixture
def history(services: Services, clock: FakeClock) -> dict[str, Any]:
    return _history(services, clock)


def test_every_figure_of_day_d(services: Services, clock: FakeClock, history: dict[str, Any]) -> None:
    r = build(services.db, Period(D, D), clock.now())
    assert (r["calls"], r["silent_calls"], r["calls_with_question"]) == (10, 1, 9)
    # c2 and c10 were deflected; c1 too asked nothing a supervisor answered, but a person took the call.
    assert (r["escalated_calls"], r["transferred_calls"], r["deflected_calls"]) == (6, 1, 2)
    assert r["deflection_rate"] == pytest.approx(2 / 9) and r["escalation_rate"] == pytest.approx(6 / 9)
    assert r["requests"] == 5
    # r2 timed out on D but was answered late on D+1: it ends on D+1, once, as a late answer.
    assert (r["answered"], r["late_answers"], r["unresolved"], r["closed"], r["ended"]) == (1, 0, 1, 1, 3)
    assert r["timeout_rate"] == pytest.approx(1 / 3)
    assert r["time_to_answer_p50_seconds"] == 180 and r["time_to_answer_p90_seconds"] == 180
    assert r["knowledge_reuse"] | {"learned_share": None} == {
        "seed": 2, "learned": 1, "manual": 0, "import": 0, "total": 3, "learned_share": None}
    assert r["knowledge_reuse"]["learned_share"] == pytest.approx(1 / 3)
    assert r["read_back"] == {"offered": 2, "confirmed": 1, "declined": 1, "other": 0, "confirmed_rate": 0.5}
    assert r["searches"] == {"answered": 2, "read_back": 2, "unanswered": 5}
    assert r["transfers"] == {"transfer_offered": 2, "transfer_taken": 1}
    channel = history["channel"]
    assert r["followups_by_channel"] == {channel: {
        "queued": 1, "sent": 3, "failed": 1, "dead": 0, "cancelled": 0, "delivery_rate": 0.75}}
    assert r["followup_delivery_rate"] == 0.75
    assert r["pending_now"] == 1
    assert sorted(t["question"] for t in r["top_unanswered"]) == [
        "Do you have balayage for kids?", "Do you offer wedding trials on Sundays?"]
    assert [d["day"] for d in r["calls_by_day"]] == ["2026-01-05"]
    assert r["busiest_hours"][0][9] == 10 and sum(map(sum, r["busiest_hours"])) == 10  # Monday 09:00


def test_period_boundaries(services: Services, clock: FakeClock, history: dict[str, Any]) -> None:
    two = build(services.db, Period(D, D + timedelta(days=1)), clock.now())
    assert (two["calls"], two["silent_calls"]) == (11, 2)
    assert (two["answered"], two["late_answers"], two["unresolved"], two["closed"], two["ended"]) == (1, 1, 1, 1, 4)
    assert two["time_to_answer_p50_seconds"] == 180
    assert two["time_to_answer_p90_seconds"] == (datetime(2026, 1, 6, 10) - datetime(2026, 1, 5, 9)).total_seconds()
    after = build(services.db, Period(D + timedelta(days=1), D + timedelta(days=1)), clock.now())
    assert (after["requests"], after["late_answers"], after["ended"], after["timeout_rate"]) == (0, 1, 1, 1.0)
    assert (after["calls"], after["silent_calls"], after["deflection_rate"]) == (1, 1, None)
    before = build(services.db, Period(D - timedelta(days=1), D - timedelta(days=1)), clock.now())
    assert before["calls"] == 1 and before["requests"] == 0


def test_an_empty_period_is_zeros_and_nulls(services: Services, clock: FakeClock, history: dict[str, Any]) -> None:
    r = build(services.db, Period(date(2025, 6, 1), date(2025, 6, 7)), clock.now())
    assert (r["calls"], r["requests"], r["ended"], r["answered"]) == (0, 0, 0, 0)
    for key in ("deflection_rate", "escalation_rate", "timeout_rate", "time_to_answer_p50_seconds",
                "time_to_answer_p90_seconds", "followup_delivery_rate"):
        assert r[key] is None, key
    assert r["top_unanswered"] == [] and len(r["calls_by_day"]) == 7 and r["knowledge_reuse"]["total"] == 0


def test_parse_period_and_percentiles() -> None:
    today = date(2026, 1, 5)
    assert parse_period(None, None, today) == Period(date(2025, 12, 30), today)
    assert parse_period("2026-01-01", "2026-01-02", today) == Period(date(2026, 1, 1), date(2026, 1, 2))
    for bad in (("nope", None), ("2026-01-03", "2026-01-01"), ("2020-01-01", "2026-01-01")):
        with pytest.raises(InvalidInput):
            parse_period(*bad, today)
    assert percentile([], 0.5) is None
    assert percentile([1, 2, 3, 4], 0.5) == 2 and percentile([1, 2, 3, 4], 0.9) == 4


def test_page_api_and_csv(services: Services, clock: FakeClock, history: dict[str, Any]) -> None:
    sup = services.accounts.create("boss@example.com", "long-enough-1")
    h = {"Authorization": f"Bearer {services.accounts.issue_token(sup.id)}"}
    app = create_app(services=services)
    client = app.test_client()
    assert client.get("/analytics").status_code == 302
    assert client.get("/api/v1/analytics").status_code == 401
    r = client.get("/api/v1/analytics?from=2026-01-05&to=2026-01-05", headers=h).get_json()
    assert r["calls"] == 10 and r["late_answers"] == 0
    assert client.get("/api/v1/analytics?from=2026-13-01", headers=h).status_code == 400
    page = client.get("/analytics?from=2026-01-05&to=2026-01-06", headers=h)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Deflection rate" in body and "chart-calls" in body
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "3.0 min" in body and "0.0 min" not in body  # p50 of 180 s
    out = client.get("/api/v1/analytics/export.csv?from=2026-01-05&to=2026-01-06", headers=h)
    assert out.status_code == 200 and out.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(out.get_data(as_text=True))))
    assert len(rows) == 5
    by_id = {int(row["id"]): row for row in rows}
    assert by_id[history["r2"]]["outcome"] == "late_answer" and by_id[history["r1"]]["seconds_to_answer"] == "180"
    assert by_id[history["r3"]]["outcome"] == "closed"


def test_csv_cells_never_start_a_formula(services: Services, clock: FakeClock) -> None:
    sup = services.accounts.create("boss@example.com", "long-enough-1")
    h = {"Authorization": f"Bearer {services.accounts.issue_token(sup.id)}"}
    services.desk.escalate("=HYPERLINK(\"http://evil\")", call_id=_call(services))
    text = create_app(services=services).test_client().get("/api/v1/analytics/export.csv", headers=h).get_data(
        as_text=True)
    assert "'=HYPERLINK" in text
