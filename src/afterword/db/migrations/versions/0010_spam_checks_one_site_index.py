"""Check records: drop the site_id index that (site_id, content_key) already covers.

Every Akismet check inserts a record, and each index is one more B-tree to update per row;
lookups and the cascade by site use the composite index's leading column just as well.

Revision ID: 0010_spam_checks_site_index
Revises: 0009_related_skips
Create Date: 2026-11-24
"""

from alembic import op

revision = "0010_spam_checks_site_index"
down_revision = "0009_related_skips"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_spam_checks_site_id", table_name="spam_checks")


def downgrade() -> None:
    op.create_index("ix_spam_checks_site_id", "spam_checks", ["site_id"], unique=False)
