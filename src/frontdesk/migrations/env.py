"""Alembic environment: the engine comes from `frontdesk.migrate`, never from a URL in an ini file."""

from __future__ import annotations

from alembic import context

from frontdesk.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on the connection handed over by `frontdesk.migrate.upgrade`."""
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
