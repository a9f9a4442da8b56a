"""Migrations: from empty to head, re-run as a no-op, down and up again, and in step with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from frontdesk.db import Database
from frontdesk.migrate import current_revision, head_revision, upgrade
from frontdesk.models import Base


def test_upgrade_from_empty_and_rerun(db_url: str) -> None:
    db = Database(db_url)
    assert current_revision(db) is None
    upgrade(db)
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    upgrade(db)  # idempotent
    assert current_revision(db) == head_revision()
    db.dispose()


def test_down_to_base_and_up_again(db_url: str) -> None:
    from alembic import command

    from frontdesk.migrate import alembic_config

    db = Database(db_url)
    upgrade(db)
    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert not set(Base.metadata.tables) & set(inspect(db.engine).get_table_names())
    upgrade(db)
    assert current_revision(db) == head_revision()
    db.dispose()


def test_migrations_match_the_models(db_url: str) -> None:
    db = Database(db_url)
    upgrade(db)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    db.dispose()
    assert diff == [], f"models changed without a migration: {diff}"


def test_0002_keeps_followups_and_allows_only_known_statuses(db_url: str) -> None:
    """The status constraint is rebuilt (SQLite copies the table): rows and indexes survive, bad values don't get in."""
    import pytest
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from frontdesk.migrate import alembic_config

    db = Database(db_url)
    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    row = ("INSERT INTO followups (kind, channel, recipient, body, payload, status, attempts, next_attempt_at,"
           " dedupe_key, created_at) VALUES ('caller_answer', 'console', '+15550001111', 'hi', '{}', :status, 0,"
           " '2026-11-25 00:00:00', :key, '2026-11-25 00:00:00')")
    with db.engine.begin() as conn:
        conn.execute(text(row), {"status": "queued", "key": "before-0002"})
    upgrade(db)
    with db.engine.begin() as conn:
        conn.execute(text(row), {"status": "cancelled", "key": "after-0002"})
        kept = conn.execute(text("SELECT dedupe_key, status FROM followups ORDER BY id")).all()
    assert [tuple(r) for r in kept] == [("before-0002", "queued"), ("after-0002", "cancelled")]
    assert {"ix_followups_due", "ix_followups_incall"} <= {i["name"] for i in inspect(db.engine).get_indexes("followups")}
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text(row), {"status": "bogus", "key": "never"})
    with db.engine.begin() as conn:  # down again: a cancelled row becomes dead, never "queued" again
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
        statuses = conn.execute(text("SELECT status FROM followups ORDER BY id")).scalars().all()
    assert statuses == ["queued", "dead"]
    db.dispose()


def test_processes_starting_at_once_migrate_one_after_another(db_url: str) -> None:
    """N `serve` processes started together on one database each run `upgrade`: none fails (on
    PostgreSQL concurrent trigger re-creation raised "tuple concurrently updated")."""
    import threading

    if db_url.startswith("sqlite"):
        return  # one writer at a time already (BEGIN IMMEDIATE on the file)
    dbs = [Database(db_url) for _ in range(4)]
    errors: list[BaseException] = []
    for _round in range(4):  # from empty, then re-runs at head (the trigger re-install)
        barrier = threading.Barrier(len(dbs))

        def run(db: Database, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                upgrade(db)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(db,), daemon=True) for db in dbs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not [t for t in threads if t.is_alive()], "concurrent upgrades hung"
        assert errors == []
    assert current_revision(dbs[0]) == head_revision()
    for db in dbs:
        db.dispose()
