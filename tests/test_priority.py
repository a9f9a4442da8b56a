"""Queue priority on a fake clock: each factor alone, ties, the combination (README's worked example),
and the SQL ordering agreeing with the Python score, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import update

from frontdesk import priority
from frontdesk.clock import FakeClock
from frontdesk.models import Call, HelpRequest
from frontdesk.priority import Factors, reasons, score
from frontdesk.services import Services
from frontdesk.text import short_duration
from frontdesk.web import queries

NEUTRAL = ("Do you sell gift cards for the spa?", "Is there parking behind the building?")


@dataclass
class Spec:
    """One hand-built pending request."""

    question: str
    live: int = 0  # callers still on the line
    ended: int = 1  # callers who hung up
    repeat: bool = False  # the first caller called 3 days before
    waited_min: float = 1  # created this long ago
    left_s: float = 1200  # seconds before its deadline
    marked: bool | None = None  # a supervisor's mark
    ids: list[int] = field(default_factory=list)


_phone = iter(range(1000, 9999))


def build(svc: Services, clock: FakeClock, spec: Spec) -> int:
    now = clock.now()
    phones = [f"+1555000{next(_phone):04d}" for _ in range(spec.live + spec.ended)]
    with svc.db.write() as s:
        if spec.repeat:
            s.add(Call(channel="text", status="ended", caller_phone=phones[0], started_at=now - timedelta(days=3),
                       last_seen_at=now - timedelta(days=3)))
        calls = []
        for i, phone in enumerate(phones):
            c = Call(channel="text", status="live" if i < spec.live else "ended", caller_phone=phone,
                     started_at=now, last_seen_at=now)
            s.add(c)
            s.flush()
            calls.append((c.id, phone))
    rid = None
    for call_id, phone in calls:
        rid = svc.desk.escalate(spec.question, call_id=call_id, caller_phone=phone).request_id
    assert rid is not None
    with svc.db.write() as s:
        s.execute(update(HelpRequest).where(HelpRequest.id == rid).values(
            created_at=now - timedelta(minutes=spec.waited_min), expires_at=now + timedelta(seconds=spec.left_s),
            marked_urgent=spec.marked))
    return rid


CASES = [
    # (name, first, second, equal priorities?)
    ("a caller on the line", Spec(NEUTRAL[0], live=1, ended=0), Spec(NEUTRAL[1]), False),
    ("more callers asked", Spec(NEUTRAL[0], ended=3), Spec(NEUTRAL[1]), False),
    ("urgency words", Spec("My scalp is burned after the colour, what should I do?"), Spec(NEUTRAL[1]), False),
    ("marked urgent", Spec(NEUTRAL[0], marked=True), Spec(NEUTRAL[1]), False),
    ("marked not urgent beats the words (tie: soonest deadline)", Spec(NEUTRAL[0], left_s=1100),
     Spec("I have an allergy to nickel, is the salon ok?", marked=False), True),
    ("repeat caller", Spec(NEUTRAL[0], repeat=True), Spec(NEUTRAL[1]), False),
    ("deadline close", Spec(NEUTRAL[0], left_s=100, waited_min=1), Spec(NEUTRAL[1], left_s=1000, waited_min=1), False),
    ("waited long", Spec(NEUTRAL[0], waited_min=25), Spec(NEUTRAL[1], waited_min=1), False),
    ("tie: soonest deadline first", Spec(NEUTRAL[0], left_s=1000), Spec(NEUTRAL[1], left_s=1100), True),
    ("a live caller and urgency beat three who hung up", Spec("Help, I have a rash from the dye", live=1, ended=0),
     Spec(NEUTRAL[1], ended=3), False),
    ("three on the line beat urgency", Spec(NEUTRAL[0], live=3, ended=0),
     Spec("Is it an emergency appointment if I am in pain?"), False),
]


@pytest.mark.parametrize(("name", "first", "second", "equal"), CASES, ids=[c[0] for c in CASES])
def test_priority_orders_each_factor(services: Services, clock: FakeClock, name: str, first: Spec, second: Spec,
                                     equal: bool) -> None:
    # Built in the "wrong" order, so the order must come from the priority, not the id.
    b = build(services, clock, second)
    a = build(services, clock, first)
    now = clock.now()
    with services.db.read() as s:
        ranked = priority.ordered_pending(s, now, 10)
        views = queries.requests_by_id(s, [a, b], now=now)
    assert [rid for rid, _ in ranked] == [a, b], name
    by_id = {v.request.id: v for v in views}
    # SQL and Python agree on every number.
    assert dict(ranked) == {a: by_id[a].priority, b: by_id[b].priority}
    pa, pb = dict(ranked)[a], dict(ranked)[b]
    assert (pa == pb) if equal else (pa > pb), (name, pa, pb)


def test_worked_example_of_the_readme() -> None:
    f = Factors(callers_live=2, callers_waiting=3, seconds_left=4 * 60 + 10, seconds_waited=26 * 60)
    # 2 x 30 (on the line) + 2 x 10 (extra callers) + 25 (<= 5 min left) + 5 x 2 (26 min waited)
    assert score(f) == 115
    assert reasons(f) == ["2 callers on the line", "3 callers asked", "4 min left", "waited 26 min"]
    assert reasons(Factors(seconds_left=42)) == ["42 s left"]


@pytest.mark.parametrize(("left", "points"), [(0, 40), (120, 40), (121, 25), (300, 25), (600, 15), (900, 5),
                                              (901, 0)])
def test_deadline_bands(left: float, points: int) -> None:
    assert priority.deadline_points(left) == points


@pytest.mark.parametrize(("waited", "points"), [(0, 0), (299, 0), (300, 2), (1500, 10), (10_000, 20)])
def test_wait_points_are_capped(waited: float, points: int) -> None:
    assert priority.wait_points(waited) == points


def test_caps_on_callers() -> None:
    assert score(Factors(callers_live=9, callers_waiting=9)) == 3 * 30 + 5 * 10


def test_api_lists_pending_by_priority_and_marks_urgent(services: Services, clock: FakeClock) -> None:
    from frontdesk.web import create_app

    sup = services.accounts.create("p@example.com", "long-enough-1")
    h = {"Authorization": f"Bearer {services.accounts.issue_token(sup.id)}"}
    lone = build(services, clock, Spec(NEUTRAL[0]))
    crowd = build(services, clock, Spec(NEUTRAL[1], live=2, ended=0))
    client = create_app(services=services).test_client()
    items = client.get("/api/v1/help-requests?status=pending", headers=h).get_json()["items"]
    assert [i["id"] for i in items] == [crowd, lone]
    assert items[0]["priority_reasons"][0] == "2 callers on the line"
    r = client.post(f"/api/v1/help-requests/{lone}/urgent", json={"urgent": True}, headers=h)
    assert r.status_code == 200 and r.get_json()["urgent"] is True and "marked urgent" in r.get_json()["priority_reasons"]
    assert client.post(f"/api/v1/help-requests/{lone}/urgent", json={"urgent": 1}, headers=h).status_code == 400
    assert client.post(f"/api/v1/help-requests/{lone}/urgent", json={}, headers=h).status_code == 400
    assert client.post("/api/v1/help-requests/99999/urgent", json={"urgent": True}, headers=h).status_code == 404
    with services.db.read() as s:
        from sqlalchemy import select

        from frontdesk.models import Event

        actions = list(s.scalars(select(Event.action).where(Event.help_request_id == lone)))
    assert "marked_urgent" in actions
    services.desk.answer(lone, "Yes.", by="x@example.com", add_to_kb=False)
    assert client.post(f"/api/v1/help-requests/{lone}/urgent", json={"urgent": False}, headers=h).status_code == 409


@pytest.mark.parametrize(("seconds", "shown"), [(-5, "0 s"), (0, "0 s"), (59.9, "59 s"), (60, "1 min"),
                                                (3599, "59 min"), (3600, "1 h"), (4000, "1 h 6 min"),
                                                (47 * 3600 + 59 * 60, "47 h 59 min"), (48 * 3600, "2 days"),
                                                (10 * 86400, "10 days")])
def test_one_duration_for_reasons_and_pages(seconds: float, shown: str) -> None:
    """The queue's reasons and the pages' `duration` filter are one function (text.short_duration)."""
    from flask import Flask, render_template_string

    from frontdesk.web import filters

    app = Flask(__name__)
    filters.register(app, FakeClock())
    assert short_duration(seconds) == shown
    with app.app_context():
        assert render_template_string("{{ s|duration }}", s=seconds) == shown
    assert reasons(Factors(seconds_left=seconds))[-1] == (f"{shown} left" if seconds > 0 else "deadline passed")
