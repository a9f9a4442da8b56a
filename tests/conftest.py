"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
a fake clock, and the services and Flask app built on them."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from frontdesk.clock import FakeClock
from frontdesk.db import Database
from frontdesk.migrate import upgrade
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def _reset_postgres(url: str) -> None:
    db = Database(url)
    db.drop_everything()
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A URL of an empty database: a SQLite file, and PostgreSQL when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/frontdesk.db"
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    _reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A SQLite file URL only (for tests that are about the web or the agent, not the store)."""
    return f"sqlite:///{tmp_path}/frontdesk.db"


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """Local fakes (pytest-httpserver, one server per session) listen on 127.0.0.1, on a random free port."""
    return ("127.0.0.1", 0)


@pytest.fixture
def clock() -> FakeClock:
    """A clock that only moves when the test says so."""
    return FakeClock()


def make_settings(url: str, **overrides: object) -> Settings:
    """Test settings: given database, a real-looking secret, no external services."""
    base: dict[str, object] = dict(
        database_url=url, secret_key="test-secret-" + "k" * 40, env="test", request_timeout_seconds=600,
        livekit_url="", livekit_api_key="", livekit_api_secret="", openai_api_key="", deepgram_api_key="",
        supervisor_webhook_url="", webhook_secret="", twilio_account_sid="", twilio_auth_token="",
        twilio_from_number="", calls_rate_limit_per_minute=0,
    )
    base.update(overrides)
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Settings on the parametrised database."""
    return make_settings(db_url)


@pytest.fixture
def services(settings: Settings, clock: FakeClock) -> Iterator[Services]:
    """Migrated database and every service, on the fake clock; no background threads."""
    svc = build_services(settings, clock=clock)
    upgrade(svc.db)
    yield svc
    svc.stop()
