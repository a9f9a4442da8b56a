"""Schema migrations with Alembic; `frontdesk init-db` calls `upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from frontdesk.db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: PostgreSQL advisory lock key held by `upgrade` ("fdmg"): N `serve` processes starting at once on one
#: database migrate one after another (concurrent `CREATE OR REPLACE FUNCTION` fails with "tuple
#: concurrently updated", and two Alembic runs would both try the same revision).
UPGRADE_LOCK_KEY = 0x66646D67


def alembic_config() -> Config:
    """An Alembic config pointing at the migrations shipped inside the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Create or migrate the schema to `revision`; running it again changes nothing."""
    cfg = alembic_config()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({UPGRADE_LOCK_KEY})")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
        # A batch migration on SQLite rebuilds a table and drops its triggers: put them back.
        if inspect(connection).has_table("analytics_days"):
            from frontdesk import analytics_rollup, queue_counts

            analytics_rollup.install_triggers(connection)
            if "callers_live" in {c["name"] for c in inspect(connection).get_columns("help_requests")}:
                queue_counts.install_triggers(connection)


def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None when it has no schema yet."""
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
