"""live handoff: transfers, and the supervisor holding a call

Revision ID: calls_2
Revises: queue_1
"""

import sqlalchemy as sa
from alembic import op

revision = "calls_2"
down_revision = "queue_1"
branch_labels = None
depends_on = None

STATUSES = "status IN ('offered', 'taken', 'declined', 'expired', 'cancelled', 'failed', 'ended')"


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch_op:
        batch_op.add_column(sa.Column("held_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("held_by", sa.String(length=200), nullable=True))
        batch_op.create_foreign_key("fk_calls_held_by_id", "supervisors", ["held_by_id"], ["id"], ondelete="SET NULL")
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=32), nullable=False),
        sa.Column("transport", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("caller", sa.String(length=60), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("offered_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("taken_by_id", sa.Integer(), nullable=True),
        sa.Column("taken_by", sa.String(length=200), nullable=True),
        sa.Column("offered_to", sa.JSON(), nullable=False),
        sa.Column("declined_by", sa.JSON(), nullable=False),
        sa.Column("help_request_id", sa.Integer(), nullable=True),
        sa.Column("told", sa.Text(), nullable=True),
        sa.Column("detail", sa.String(length=40), nullable=True),
        sa.CheckConstraint(STATUSES, name="ck_transfer_status"),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["taken_by_id"], ["supervisors.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["help_request_id"], ["help_requests.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_transfers_status_expires", "transfers", ["status", "expires_at"])
    op.create_index("ix_transfers_call", "transfers", ["call_id"])


def downgrade() -> None:
    op.drop_index("ix_transfers_call", table_name="transfers")
    op.drop_index("ix_transfers_status_expires", table_name="transfers")
    op.drop_table("transfers")
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_constraint("fk_calls_held_by_id", type_="foreignkey")
        batch_op.drop_column("held_by")
        batch_op.drop_column("held_by_id")
