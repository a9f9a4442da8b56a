"""queue: stored caller counts per request (kept by triggers) and the priority order's partial index

Revision ID: dashboard_2
Revises: dashboard_1
"""

import sqlalchemy as sa
from alembic import op

revision = "dashboard_2"
down_revision = "dashboard_1"
branch_labels = None
depends_on = None

INDEX_COLUMNS = ["expires_at", "created_at", "urgent", "marked_urgent", "repeat_caller", "callers_waiting",
                 "callers_live"]


def upgrade() -> None:
    from frontdesk.queue_counts import recount_sql, trigger_ddl

    # Plain ADD COLUMN (no batch copy on SQLite): the table keeps its triggers and planner statistics.
    op.add_column("help_requests", sa.Column("callers_waiting", sa.Integer(), server_default=sa.text("0"),
                                             nullable=False))
    op.add_column("help_requests", sa.Column("callers_live", sa.Integer(), server_default=sa.text("0"),
                                             nullable=False))
    bind = op.get_bind()
    bind.exec_driver_sql(recount_sql("id IN (SELECT help_request_id FROM help_request_callers)"))
    for statement in trigger_ddl(bind.dialect.name):
        bind.exec_driver_sql(statement)
    op.create_index("ix_help_queue", "help_requests", INDEX_COLUMNS, sqlite_where=sa.text("status = 'pending'"),
                    postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    from frontdesk.queue_counts import drop_trigger_ddl

    op.drop_index("ix_help_queue", table_name="help_requests")
    bind = op.get_bind()
    for statement in drop_trigger_ddl(bind.dialect.name):
        bind.exec_driver_sql(statement)
    with op.batch_alter_table("help_requests") as batch_op:
        batch_op.drop_column("callers_live")
        batch_op.drop_column("callers_waiting")
