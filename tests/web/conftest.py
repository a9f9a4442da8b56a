"""Fixtures of the dashboard tests: the real app on a migrated SQLite file, a supervisor, helpers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from frontdesk.clock import FakeClock
from frontdesk.migrate import upgrade
from frontdesk.models import Call, TranscriptLine
from frontdesk.services import Services, build_services
from frontdesk.web import create_app
from tests.conftest import make_settings

EMAIL, PASSWORD = "sup@example.com", "correct-horse-battery-9"
XSS = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'


@pytest.fixture
def web_services(db_url: str, clock: FakeClock) -> Iterator[Services]:
    """Services on a fresh database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), one supervisor."""
    svc = build_services(make_settings(db_url), clock=clock)
    upgrade(svc.db)
    svc.accounts.create(EMAIL, PASSWORD, "Sam")
    yield svc
    svc.stop()


@pytest.fixture
def app(web_services: Services) -> Flask:
    """The real app; CSRF off so tests focus on behaviour (the CSRF test turns it back on)."""
    flask_app = create_app(services=web_services)
    flask_app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return flask_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client logged in as the supervisor."""
    c = app.test_client()
    r = c.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 302, r.data[:300]
    return c


@pytest.fixture
def token(app: Flask) -> str:
    """A bearer token of the supervisor."""
    r = app.test_client().post("/api/v1/auth/token", json={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 200
    return str(r.get_json()["token"])


def start_call(svc: Services, phone: str = "+15550001234", lines: list[tuple[str, str]] | None = None) -> str:
    """A live text call with some transcript lines; returns its id."""
    now = svc.clock.now()
    with svc.db.write() as s:
        call = Call(channel="text", status="live", caller_phone=phone, started_at=now, last_seen_at=now)
        s.add(call)
        s.flush()
        for role, text in lines or []:
            s.add(TranscriptLine(call_id=call.id, role=role, text=text, at=now))
        return call.id


def escalate(svc: Services, question: str, phone: str = "+15550001234", **kw: Any) -> int:
    """Open a help request from a live call the way the agent does; returns its id."""
    call_id = start_call(svc, phone, [("caller", question)])
    return svc.desk.escalate(question, call_id=call_id, caller_phone=phone, **kw).request_id
