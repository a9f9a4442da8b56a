"""queue: priority inputs on help requests, per-call question counters, analytics indexes

Revision ID: queue_1
Revises: conversation_1
"""

import sqlalchemy as sa
from alembic import op

revision = "queue_1"
down_revision = "conversation_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("help_requests") as batch_op:
        batch_op.add_column(sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("marked_urgent", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("repeat_caller", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("calls") as batch_op:
        batch_op.add_column(sa.Column("questions", sa.Integer(), server_default=sa.text("0"), nullable=False))
        batch_op.add_column(sa.Column("escalations", sa.Integer(), server_default=sa.text("0"), nullable=False))
    # Calls that already waited on a request did escalate (their questions before this are unknown).
    op.execute("UPDATE calls SET escalations = (SELECT count(*) FROM help_request_callers w "
               "WHERE w.call_id = calls.id)")
    op.create_index("ix_help_created", "help_requests", ["created_at"])
    # Covering: a period's figures are read from these indexes alone.
    op.create_index("ix_help_resolved", "help_requests", ["resolved_at", "status", "outcome", "created_at"])
    op.create_index("ix_help_ended", "help_requests", ["ended_at", "status", "outcome"])
    op.create_index("ix_calls_started", "calls", ["started_at", "questions", "escalations"])
    op.create_index("ix_calls_phone_started", "calls", ["caller_phone", "started_at"])
    op.create_index("ix_events_action_at", "events", ["action", "at", "entity_id"])
    op.create_index("ix_followups_created", "followups", ["created_at", "kind", "channel", "status"])


def downgrade() -> None:
    for name, table in (("ix_followups_created", "followups"), ("ix_events_action_at", "events"),
                        ("ix_calls_phone_started", "calls"), ("ix_calls_started", "calls"),
                        ("ix_help_ended", "help_requests"), ("ix_help_resolved", "help_requests"),
                        ("ix_help_created", "help_requests")):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_column("escalations")
        batch_op.drop_column("questions")
    with op.batch_alter_table("help_requests") as batch_op:
        batch_op.drop_column("repeat_caller")
        batch_op.drop_column("marked_urgent")
        batch_op.drop_column("urgent")
