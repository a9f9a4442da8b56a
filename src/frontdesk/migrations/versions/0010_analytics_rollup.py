"""analytics roll-up: one row per closed day, kept right by triggers

Revision ID: dashboard_1
Revises: calls_2
"""

import sqlalchemy as sa
from alembic import op

revision = "dashboard_1"
down_revision = "calls_2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from frontdesk.analytics_rollup import trigger_ddl

    op.create_table(
        "analytics_days",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("gen", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("part", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("day"),
    )
    # Empty at first: each closed day is computed on its first read (analytics_rollup.part_of).
    bind = op.get_bind()
    for statement in trigger_ddl(bind.dialect.name):
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    from frontdesk.analytics_rollup import drop_trigger_ddl

    bind = op.get_bind()
    for statement in drop_trigger_ddl(bind.dialect.name):
        bind.exec_driver_sql(statement)
    op.drop_table("analytics_days")
