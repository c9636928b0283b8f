"""Comments: threads and comments, with the indexes keyset paging needs.

Revision ID: 0002_comments
Revises: 0001_foundation
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_comments"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment_count", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_threads_site_url", "threads", ["site_id", "url"], unique=True)
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("root_id", sa.Integer(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False, comment="personal data"),
        sa.Column("email", sa.String(length=320), nullable=False,
                  comment="personal data, never shown publicly"),
        sa.Column("website", sa.String(length=512), nullable=False, comment="personal data"),
        sa.Column("text", sa.Text(), nullable=False, comment="personal data (Markdown)"),
        sa.Column("html", sa.Text(), nullable=False, comment="personal data (rendered)"),
        sa.Column("ip", sa.String(length=64), nullable=False,
                  comment="personal data (anonymised)"),
        sa.Column("ip_hash", sa.String(length=64), nullable=False,
                  comment="personal data (keyed)"),
        sa.Column("user_agent", sa.String(length=512), nullable=False, comment="personal data"),
        sa.Column("spam_probability", sa.Float(), nullable=True),
        sa.Column("spam_reasons", sa.JSON(), nullable=False),
        sa.Column("spam_submission", sa.JSON(), nullable=False, comment="personal data"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("likes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_id"], ["comments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_comments_thread_page", "comments", ["thread_id", "depth", "id"])
    op.create_index("ix_comments_thread_top", "comments",
                    ["thread_id", "depth", "likes", "id"])
    op.create_index("ix_comments_root", "comments", ["root_id", "id"])
    op.create_index("ix_comments_site_status", "comments", ["site_id", "status", "id"])
    op.create_index("ix_comments_parent", "comments", ["parent_id"])
    op.create_index("ix_comments_site_email", "comments", ["site_id", "email"])


def downgrade() -> None:
    op.drop_table("comments")
    op.drop_table("threads")
