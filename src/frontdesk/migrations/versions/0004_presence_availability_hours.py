"""supervisor availability (online/away/offline, last_seen_at) and structured opening hours

Revision ID: presence_1
Revises: anywhere_1
"""

import sqlalchemy as sa
from alembic import op

revision = "presence_1"
down_revision = "anywhere_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("supervisors", recreate="auto") as batch_op:
        batch_op.add_column(sa.Column("availability", sa.String(length=10), server_default="offline", nullable=False))
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(), nullable=True))
        batch_op.create_check_constraint("ck_supervisor_availability",
                                         "availability IN ('online', 'away', 'offline')")
    with op.batch_alter_table("business_profile", recreate="auto") as batch_op:
        batch_op.add_column(sa.Column("opening_hours", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("business_profile", recreate="auto") as batch_op:
        batch_op.drop_column("timezone")
        batch_op.drop_column("opening_hours")
    with op.batch_alter_table("supervisors", recreate="auto") as batch_op:
        batch_op.drop_constraint("ck_supervisor_availability", type_="check")
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("availability")
