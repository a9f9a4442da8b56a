"""inbound_replies: supervisors' SMS and email replies, unique per provider message id

Revision ID: anywhere_1
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "anywhere_1"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("provider_id", sa.String(length=200), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("help_request_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["supervisor_id"], ["supervisors.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["help_request_id"], ["help_requests.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "provider_id", name="uq_inbound_provider_id"),
    )
    op.create_index("ix_inbound_sender_request", "inbound_replies", ["sender", "help_request_id"])


def downgrade() -> None:
    op.drop_index("ix_inbound_sender_request", table_name="inbound_replies")
    op.drop_table("inbound_replies")
