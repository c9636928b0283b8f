"""Index spam events by time, so pruning old behaviour events is a range scan.

Revision ID: 0006_spam_events_ts
Revises: 0003_related
Create Date: 2026-11-24
"""

from alembic import op

revision = "0006_spam_events_ts"
down_revision = "0003_related"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_spam_events_ts", "spam_events", ["ts"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_spam_events_ts", table_name="spam_events")
