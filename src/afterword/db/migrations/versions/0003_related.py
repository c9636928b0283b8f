"""Related posts: the articles of each site and a per-site change counter.

Numbered 0003 (the slot reserved for it) but applied after 0005: Alembic orders by
``down_revision``, not by file name.

Revision ID: 0003_related
Revises: 0005_privacy
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_related"
down_revision = "0005_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "related_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("image", sa.String(length=2048), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_related_articles_site_url", "related_articles", ["site_id", "url"],
                    unique=True)
    op.create_index("ix_related_articles_site_seq", "related_articles", ["site_id", "seq"])
    op.create_table(
        "related_state",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("site_id"),
    )


def downgrade() -> None:
    op.drop_table("related_state")
    op.drop_index("ix_related_articles_site_seq", table_name="related_articles")
    op.drop_index("ix_related_articles_site_url", table_name="related_articles")
    op.drop_table("related_articles")
