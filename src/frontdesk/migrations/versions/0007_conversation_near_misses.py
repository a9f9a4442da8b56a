"""kb_near_misses: questions a knowledge entry was read back for and the caller said it is not theirs

Revision ID: conversation_1
Revises: security_1
"""

import sqlalchemy as sa
from alembic import op

revision = "conversation_1"
down_revision = "security_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_near_misses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["knowledge_entries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_near_miss_entry", "kb_near_misses", ["entry_id"])


def downgrade() -> None:
    op.drop_index("ix_near_miss_entry", table_name="kb_near_misses")
    op.drop_table("kb_near_misses")
