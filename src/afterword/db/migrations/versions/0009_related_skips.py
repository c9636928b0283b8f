"""Related posts: the last refused articles per site, with the reason (admin page).

Revision ID: 0009_related_skips
Revises: 0008_comment_likes
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_related_skips"
down_revision = "0008_comment_likes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "related_skips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_related_skips_site_id", "related_skips", ["site_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_related_skips_site_id", table_name="related_skips")
    op.drop_table("related_skips")
