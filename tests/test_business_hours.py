"""Structured opening hours: open or closed at a moment (in the business's time zone), and the next opening."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frontdesk.business_hours import clean_opening_hours, is_open, next_opening_text, summary
from frontdesk.errors import InvalidInput

# The demo salon: Tuesday-Friday 9-19, Saturday 9-17, in San Francisco (UTC-8 in winter, UTC-7 in summer).
SALON = {
    "opening_hours": {
        "tuesday": {"open": "09:00", "close": "19:00"}, "wednesday": {"open": "09:00", "close": "19:00"},
        "thursday": {"open": "09:00", "close": "19:00"}, "friday": {"open": "09:00", "close": "19:00"},
        "saturday": {"open": "09:00", "close": "17:00"},
    },
    "timezone": "America/Los_Angeles",
}


def utc(*args: int) -> datetime:
    """A naive UTC time, as the store's clock gives."""
    return datetime(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize(("now", "expected"), [
    (utc(2026, 1, 6, 17, 0), True),    # Tue 09:00 PST: opening minute
    (utc(2026, 1, 6, 16, 59), False),  # Tue 08:59 PST
    (utc(2026, 1, 7, 2, 59), True),    # Tue 18:59 PST (already Wednesday in UTC)
    (utc(2026, 1, 7, 3, 0), False),    # Tue 19:00 PST: closed
    (utc(2026, 1, 5, 20, 0), False),   # Monday noon: closed all day
    (utc(2026, 7, 7, 16, 0), True),    # Tue 09:00 PDT (summer time: UTC-7)
    (utc(2026, 7, 7, 15, 59), False),  # Tue 08:59 PDT
])
def test_is_open_in_the_business_time_zone(now: datetime, expected: bool) -> None:
    assert is_open(SALON, now) is expected


def test_aware_times_are_accepted() -> None:
    assert is_open(SALON, datetime(2026, 1, 6, 17, 30, tzinfo=UTC))


@pytest.mark.parametrize(("now", "text"), [
    (utc(2026, 1, 4, 20, 0), "we open again Tuesday at 9:00"),      # Sunday noon
    (utc(2026, 1, 5, 20, 0), "we open again tomorrow at 9:00"),     # Monday noon
    (utc(2026, 1, 6, 15, 0), "we open again today at 9:00"),        # Tuesday 07:00
    (utc(2026, 1, 7, 3, 30), "we open again tomorrow at 9:00"),     # Tuesday 19:30 (Wednesday in UTC)
    (utc(2026, 1, 11, 1, 30), "we open again Tuesday at 9:00"),     # Saturday 17:30: wraps over Sun and Mon
    (utc(2026, 1, 6, 18, 0), "we're open now until 19:00"),         # Tuesday 10:00
])
def test_next_opening_text(now: datetime, text: str) -> None:
    assert next_opening_text(SALON, now) == text


def test_week_wraps_to_the_same_day_next_week() -> None:
    only_monday = {"opening_hours": {"monday": {"open": "10:00", "close": "12:00"}}, "timezone": "Europe/Paris"}
    # Monday 13:00 in Paris (12:00 UTC in winter): the next opening is a week later.
    assert next_opening_text(only_monday, utc(2026, 1, 5, 12, 0)) == "we open again next Monday at 10:00"


def test_hours_past_midnight() -> None:
    bar = {"opening_hours": {"friday": {"open": "18:00", "close": "02:00"}}, "timezone": "UTC"}
    assert is_open(bar, utc(2026, 1, 9, 23, 0))        # Friday 23:00
    assert is_open(bar, utc(2026, 1, 10, 1, 59))       # Saturday 01:59: Friday's night
    assert not is_open(bar, utc(2026, 1, 10, 2, 0))
    assert next_opening_text(bar, utc(2026, 1, 10, 1, 0)) == "we're open now until 2:00"


def test_no_structured_hours_means_never_closed() -> None:
    assert is_open({"opening_hours": {}, "timezone": "UTC"}, utc(2026, 1, 5, 3, 0))
    assert next_opening_text({}, utc(2026, 1, 5, 3, 0)) == ""


def test_objects_with_attributes_work_too() -> None:
    from frontdesk.agent.profile import ProfileView

    view = ProfileView(opening_hours=SALON["opening_hours"], timezone="America/Los_Angeles")  # type: ignore[arg-type]
    assert is_open(view, utc(2026, 1, 6, 18, 0)) and not is_open(view, utc(2026, 1, 5, 18, 0))


def test_validation() -> None:
    assert clean_opening_hours({"monday": {"open": "9:00", "close": "17:30"}, "tuesday": None}) == {
        "monday": {"open": "09:00", "close": "17:30"}}
    assert clean_opening_hours({"sunday": {"open": "10:00", "close": "24:00"}})["sunday"]["close"] == "24:00"
    for bad in ([], {"funday": None}, {"monday": {"open": "25:00", "close": "10:00"}},
                {"monday": {"open": "10:00", "close": "10:00"}}, {"monday": {"open": "10:00"}},
                {"monday": "9-5"}, {"monday": {"open": "24:00", "close": "10:00"}}):
        with pytest.raises(InvalidInput):
            clean_opening_hours(bad)
    assert summary(SALON).startswith("Tuesday 9:00-19:00") and summary(SALON).endswith("(America/Los_Angeles)")


def test_demo_salon_is_seeded_with_hours(services) -> None:  # type: ignore[no-untyped-def]
    from frontdesk.agent.profile import load_profile
    from frontdesk.demo import seed_demo
    from frontdesk.models import BusinessProfile

    seed_demo(services.db, services.clock, services.knowledge)
    view = load_profile(services.db)
    assert view.timezone == "America/Los_Angeles" and set(view.opening_hours) == {
        "tuesday", "wednesday", "thursday", "friday", "saturday"}
    assert next_opening_text(view, utc(2026, 1, 5, 20, 0)) == "we open again tomorrow at 9:00"
    # A demo database seeded before structured hours existed gets them on the next seed.
    with services.db.write() as s:
        s.get_one(BusinessProfile, 1).opening_hours = {}
    seed_demo(services.db, services.clock, services.knowledge)
    assert load_profile(services.db).opening_hours
