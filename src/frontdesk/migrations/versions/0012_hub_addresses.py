"""calls: where each text-call hub is reached, so a turn is forwarded to the process holding its call

Revision ID: calls_3
Revises: dashboard_2
"""

import sqlalchemy as sa
from alembic import op

revision = "calls_3"
down_revision = "dashboard_2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_addresses",
        sa.Column("holder", sa.String(200), primary_key=True),
        sa.Column("url", sa.String(300), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("hub_addresses")
