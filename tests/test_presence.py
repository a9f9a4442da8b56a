"""Availability: statuses, heartbeats and the lapse to offline, on a fake clock."""

from __future__ import annotations

import pytest

from frontdesk import presence
from frontdesk.clock import FakeClock
from frontdesk.errors import InvalidInput
from frontdesk.services import Services


def _sup(services: Services, email: str, name: str = "") -> int:
    return services.accounts.create(email, "correct-horse-battery-9", name).id


def _online_ids(services: Services) -> list[int]:
    with services.db.read() as s:
        return [sup.id for sup in presence.online_supervisors(s, services.clock.now(), services.settings)]


def test_new_supervisors_are_offline(services: Services) -> None:
    _sup(services, "ana@example.com")
    assert _online_ids(services) == []
    with services.db.read() as s:
        [row] = presence.list_supervisors(s, services.clock.now(), services.settings)
    assert row["availability"] == "offline" and row["last_seen_at"] is None


def test_online_lapses_to_offline_without_a_heartbeat(services: Services, clock: FakeClock) -> None:
    ana = _sup(services, "ana@example.com")
    assert services.settings.presence_timeout_seconds == 90
    presence.set_availability(services.db, clock.now(), ana, "online")
    assert _online_ids(services) == [ana]
    clock.advance(60)
    assert presence.heartbeat(services.db, clock.now(), ana, services.settings) == "online"
    clock.advance(89)
    assert _online_ids(services) == [ana]  # 89 s since the last beat: still online
    clock.advance(2)
    assert _online_ids(services) == []  # 91 s: lapsed
    with services.db.read() as s:
        [row] = presence.list_supervisors(s, clock.now(), services.settings)
    assert row["availability"] == "offline"
    # The tab comes back: its beat revives the chosen "online".
    assert presence.heartbeat(services.db, clock.now(), ana, services.settings) == "online"
    assert _online_ids(services) == [ana]


def test_away_and_offline_are_never_changed_by_heartbeats(services: Services, clock: FakeClock) -> None:
    ana = _sup(services, "ana@example.com")
    presence.set_availability(services.db, clock.now(), ana, "away")
    assert presence.heartbeat(services.db, clock.now(), ana, services.settings) == "away"
    presence.set_availability(services.db, clock.now(), ana, "offline")
    assert presence.heartbeat(services.db, clock.now(), ana, services.settings) == "offline"
    assert _online_ids(services) == []


def test_unknown_status_is_refused(services: Services, clock: FakeClock) -> None:
    ana = _sup(services, "ana@example.com")
    for bad in ("sleeping", "", None, 1, ["online"]):
        with pytest.raises(InvalidInput):
            presence.set_availability(services.db, clock.now(), ana, bad)


def test_only_active_online_supervisors_count_and_list_order(services: Services, clock: FakeClock) -> None:
    ana, ben, cy = (_sup(services, f"{n}@example.com", n.capitalize()) for n in ("ana", "ben", "cy"))
    for who in (ana, ben):
        presence.set_availability(services.db, clock.now(), who, "online")
    presence.set_availability(services.db, clock.now(), cy, "away")
    from frontdesk.models import Supervisor

    with services.db.write() as s:
        s.get(Supervisor, ben).is_active = False  # type: ignore[union-attr]
    assert _online_ids(services) == [ana]
    with services.db.read() as s:
        rows = presence.list_supervisors(s, clock.now(), services.settings)
    assert [(r["name"], r["availability"]) for r in rows] == [("Ana", "online"), ("Cy", "away")]


def test_a_change_of_status_is_an_event(services: Services, clock: FakeClock) -> None:
    from sqlalchemy import select

    from frontdesk.models import Event

    ana = _sup(services, "ana@example.com")
    presence.set_availability(services.db, clock.now(), ana, "online")
    presence.set_availability(services.db, clock.now(), ana, "online")  # no change, no event
    with services.db.read() as s:
        events = list(s.scalars(select(Event).where(Event.action == "availability")))
    assert [(e.details["before"], e.details["status"]) for e in events] == [("offline", "online")]
