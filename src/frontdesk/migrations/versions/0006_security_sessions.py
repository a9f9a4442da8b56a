"""server-side sessions and revocable tokens (api_tokens.kind), and shared rate-limit windows

Revision ID: security_1
Revises: calls_1
"""

from alembic import op
import sqlalchemy as sa

revision = "security_1"
down_revision = "calls_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows are API tokens; sessions so far lived only in signed cookies (they end at this upgrade).
    with op.batch_alter_table("api_tokens", recreate="auto") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), nullable=False, server_default="api"))
        batch_op.create_check_constraint("ck_api_tokens_kind", "kind IN ('api', 'session')")
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("rate_limits")
    op.execute("DELETE FROM api_tokens WHERE kind = 'session'")
    with op.batch_alter_table("api_tokens", recreate="auto") as batch_op:
        batch_op.drop_constraint("ck_api_tokens_kind", type_="check")
        batch_op.drop_column("kind")
