"""Rate limits on login and new calls hold across processes: two apps on one database share the count."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from frontdesk.clock import FakeClock
from frontdesk.migrate import upgrade
from frontdesk.services import Services, build_services
from frontdesk.web import create_app
from frontdesk.web.ratelimit import SharedRateLimiter
from tests.conftest import make_settings
from tests.web.conftest import EMAIL, PASSWORD


@pytest.fixture
def two_apps(db_url: str, clock: FakeClock) -> Iterator[tuple[Flask, Flask]]:
    """Two apps with their own services (as two `serve` processes) on one database and one clock."""
    made: list[Services] = []
    for _ in range(2):
        svc = build_services(make_settings(db_url, login_rate_limit_per_minute=6, calls_rate_limit_per_minute=4),
                             clock=clock)
        made.append(svc)
    upgrade(made[0].db)
    made[0].accounts.create(EMAIL, PASSWORD)
    apps = []
    for svc in made:
        app = create_app(services=svc)
        app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
        apps.append(app)
    yield apps[0], apps[1]
    for svc in made:
        svc.stop()


def test_login_limit_is_shared_by_two_processes(two_apps: tuple[Flask, Flask], clock: FakeClock) -> None:
    a, b = two_apps
    statuses = []
    for i in range(8):  # alternate like a round-robin balancer
        app = a if i % 2 == 0 else b
        statuses.append(app.test_client().post("/login", data={"email": EMAIL, "password": "wrong-password"})
                        .status_code)
    assert statuses == [401] * 6 + [429] * 2
    r = b.test_client().post("/api/v1/auth/token", json={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 429
    clock.advance(seconds=61)
    assert a.test_client().post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 302


def test_new_call_limit_is_shared_by_two_processes(two_apps: tuple[Flask, Flask]) -> None:
    a, b = two_apps
    # A bad body still counts as an attempt: the limit is checked before the body is read.
    statuses = [(a if i % 2 else b).test_client().post("/api/v1/calls", data=b"{").status_code for i in range(6)]
    assert statuses == [400] * 4 + [429] * 2
    other = a.test_client().post("/api/v1/calls", data=b"{", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 400  # another address has its own count


def test_shared_limiter_counts_in_fixed_windows(services: Services, clock: FakeClock) -> None:
    limiter = SharedRateLimiter(services.db, 3, 60.0, now=lambda: clock.now().timestamp())
    assert [limiter.hit("k") for _ in range(5)] == [True, True, True, False, False]
    assert limiter.hit("other")
    assert 1 <= limiter.retry_after("k") <= 61
    clock.advance(seconds=60)
    assert limiter.hit("k")
    assert SharedRateLimiter(services.db, 0).hit("k")  # 0 = off


def test_old_windows_are_pruned(services: Services, clock: FakeClock) -> None:
    from sqlalchemy import func, select

    from frontdesk.models import RateLimitWindow
    from frontdesk.web import ratelimit

    limiter = SharedRateLimiter(services.db, 5, 60.0, now=lambda: clock.now().timestamp())
    for i in range(ratelimit.PRUNE_EVERY - 1):
        limiter.hit(f"ip-{i}")
    clock.advance(seconds=120)
    limiter.hit("last")
    with services.db.read() as s:
        assert s.scalar(select(func.count()).select_from(RateLimitWindow)) == 1
