"""A database outage answers 503 + Retry-After (JSON under /api), never a 500 or a hang, and the
process recovers by itself when the database is back (pool pre-ping replaces dead connections)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from frontdesk.migrate import upgrade
from frontdesk.outage import engine_options, is_outage
from frontdesk.services import build_services
from frontdesk.web import create_app
from tests.conftest import PG_URL, make_settings

# Nothing listens on port 1: every connection attempt is refused at once, as while PostgreSQL restarts.
DOWN_URL = "postgresql://postgres@127.0.0.1:1/frontdesk_down"


@pytest.fixture
def down_app():  # type: ignore[no-untyped-def]
    svc = build_services(make_settings(DOWN_URL, db_connect_timeout_seconds=2))
    app = create_app(services=svc)
    yield app
    svc.stop()


@pytest.mark.parametrize("path", ["/api/v1/calls/abc123", "/api/v1/help-requests"])
def test_api_answers_503_json_with_retry_after(down_app, path: str) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": "Bearer " + "x" * 40}
    t0 = time.monotonic()
    r = down_app.test_client().get(path, headers=headers)
    assert time.monotonic() - t0 < 5
    assert r.status_code == 503, r.data[:300]
    assert r.get_json()["error"]["code"] == "unavailable"
    assert r.headers["Retry-After"].isdigit()


def test_caller_messages_answer_503_not_500(down_app) -> None:  # type: ignore[no-untyped-def]
    r = down_app.test_client().post("/api/v1/calls/abc123/end")
    assert r.status_code == 503
    assert r.get_json()["error"]["code"] == "unavailable"


def test_pages_answer_503_page(down_app) -> None:  # type: ignore[no-untyped-def]
    client = down_app.test_client()
    # The CSRF refusal page counts the queue for its header: the outage surfaces inside an error handler.
    r = client.post("/login", data={"email": "a@example.com", "password": "whatever-long-enough"})
    assert r.status_code == 503
    assert r.headers["Retry-After"].isdigit()
    assert b"unavailable" in r.data
    r = client.get("/pending", headers={"Cookie": "frontdesk_session=forged"})
    assert r.status_code in (302, 503), r.status_code


def test_outage_classification() -> None:
    refused = sa_exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
    assert is_outage(refused)
    assert is_outage(sa_exc.TimeoutError("pool"))
    assert not is_outage(sa_exc.IntegrityError("INSERT", {}, Exception("duplicate")))
    assert not is_outage(ValueError("x"))


def test_engine_options_bound_every_wait() -> None:
    opts = engine_options(make_settings(DOWN_URL, db_connect_timeout_seconds=3, db_statement_timeout_seconds=7))
    assert opts["connect_args"]["connect_timeout"] == 3
    assert "statement_timeout=7000" in opts["connect_args"]["options"]
    assert opts["pool_timeout"] == 6
    assert engine_options(make_settings("sqlite:///x.db")) == {}


@pytest.mark.postgres
def test_recovers_after_connections_are_killed() -> None:
    """What a PostgreSQL restart does to a running process: every pooled connection dies at once.
    The next requests succeed on fresh connections (pre-ping), without restarting anything."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    from tests.conftest import _reset_postgres

    _reset_postgres(PG_URL)
    svc = build_services(make_settings(PG_URL))
    upgrade(svc.db)
    app = create_app(services=svc)
    client = app.test_client()
    try:
        assert client.get("/api/v1/calls/abc123").status_code == 404  # pool warmed
        with svc.db.engine.connect() as conn:
            me = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        admin = build_services(make_settings(PG_URL)).db
        with admin.engine.begin() as conn:
            killed = conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
        admin.dispose()
        assert killed and me
        statuses = [client.get("/api/v1/calls/abc123").status_code for _ in range(5)]
        assert statuses == [404] * 5, statuses
    finally:
        svc.stop()
