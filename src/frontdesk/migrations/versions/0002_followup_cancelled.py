"""follow-ups can be cancelled: a supervisor alert or reminder whose request has already ended

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD = "status IN ('queued', 'sent', 'failed', 'dead')"
NEW = "status IN ('queued', 'sent', 'failed', 'dead', 'cancelled')"


def _set_statuses(condition: str) -> None:
    # SQLite cannot alter a CHECK constraint in place: batch mode copies the table (indexes kept).
    with op.batch_alter_table("followups", recreate="auto") as batch_op:
        batch_op.drop_constraint("ck_followup_status", type_="check")
        batch_op.create_check_constraint("ck_followup_status", condition)


def upgrade() -> None:
    _set_statuses(NEW)


def downgrade() -> None:
    # Rows cancelled under 0002 have no status in 0001: they were never sent, so they count as dead.
    op.execute("UPDATE followups SET status = 'dead' WHERE status = 'cancelled'")
    _set_statuses(OLD)
