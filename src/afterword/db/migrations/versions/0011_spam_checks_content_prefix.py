"""Check records: index the first 12 hex digits of content_key, not all 64.

Every Akismet check inserts a record, and the content index is the one B-tree a new record
lands in at a random place (the key is a digest): each row dirties its own index page,
which is written out whole. Entries a quarter of the size make a quarter of the pages, so a
batch of records shares more of them. 48 bits still tell a site's checks apart; the lookup
compares the whole key too.

Revision ID: 0011_spam_checks_content_prefix
Revises: 0010_spam_checks_site_index
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_spam_checks_content_prefix"
down_revision = "0010_spam_checks_site_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_spam_checks_site_content", table_name="spam_checks")
    op.create_index("ix_spam_checks_site_content_prefix", "spam_checks",
                    ["site_id", sa.text("substr(content_key, 1, 12)")], unique=False)


def downgrade() -> None:
    op.drop_index("ix_spam_checks_site_content_prefix", table_name="spam_checks")
    op.create_index("ix_spam_checks_site_content", "spam_checks", ["site_id", "content_key"],
                    unique=False)
