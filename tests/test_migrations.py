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
