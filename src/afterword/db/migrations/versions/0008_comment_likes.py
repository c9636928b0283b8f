"""Likes: one per reader and comment.

Revision ID: 0008_comment_likes
Revises: 0007_comment_status_at
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_comment_likes"
down_revision = "0007_comment_status_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comment_likes",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("reader", sa.String(length=64), nullable=False, comment="personal data (keyed)"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("comment_id", "reader"),
    )


def downgrade() -> None:
    op.drop_table("comment_likes")
