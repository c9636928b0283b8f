"""Record when a comment's status last changed.

Retention of spam and deleted comments counts from the moment a moderator (or the author)
put them there, not from the comment's own date: marking an old comment as spam by mistake
must leave the whole undo period, not delete it at the next retention run.

Revision ID: 0007_comment_status_at
Revises: 0006_spam_events_ts
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_comment_status_at"
down_revision = "0006_spam_events_ts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("status_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("status_at")
