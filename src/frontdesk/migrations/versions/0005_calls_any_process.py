"""any serve process can serve a text call: the call's version, stored agent state, last activity

Revision ID: calls_1
Revises: presence_1
"""

import sqlalchemy as sa
from alembic import op

revision = "calls_1"
down_revision = "presence_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("state", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("last_active_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_column("last_active_at")
        batch_op.drop_column("state")
        batch_op.drop_column("version")
