"""Foundation schema: sites, API keys, users, spam engine state and check records.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=512), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('allowed_origins', sa.JSON(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('url')
    )
    op.create_table('spam_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('site_key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('ts', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_spam_events_lookup', 'spam_events', ['site_key', 'kind', 'key', 'ts'], unique=False)
    op.create_table('spam_state',
    sa.Column('site_key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('site_key', 'name')
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False, comment='personal data'),
    sa.Column('password_hash', sa.String(length=200), nullable=False, comment='argon2id'),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('site_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('hint', sa.String(length=4), nullable=False, comment='last characters, to tell keys apart'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash')
    )
    op.create_index(op.f('ix_api_keys_site_id'), 'api_keys', ['site_id'], unique=False)
    op.create_table('spam_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.String(length=36), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_spam', sa.Boolean(), nullable=False),
    sa.Column('discard', sa.Boolean(), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('is_test', sa.Boolean(), nullable=False),
    sa.Column('submission', sa.JSON(), nullable=False, comment='personal data'),
    sa.Column('content_key', sa.String(length=64), nullable=False),
    sa.Column('feedback', sa.String(length=8), nullable=True),
    sa.Column('feedback_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('metadata_purged', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('guid')
    )
    op.create_index(op.f('ix_spam_checks_created_at'), 'spam_checks', ['created_at'], unique=False)
    op.create_index('ix_spam_checks_site_content', 'spam_checks', ['site_id', 'content_key'], unique=False)
    op.create_index(op.f('ix_spam_checks_site_id'), 'spam_checks', ['site_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_spam_checks_site_id'), table_name='spam_checks')
    op.drop_index('ix_spam_checks_site_content', table_name='spam_checks')
    op.drop_index(op.f('ix_spam_checks_created_at'), table_name='spam_checks')
    op.drop_table('spam_checks')
    op.drop_index(op.f('ix_api_keys_site_id'), table_name='api_keys')
    op.drop_table('api_keys')
    op.drop_table('users')
    op.drop_table('spam_state')
    op.drop_index('ix_spam_events_lookup', table_name='spam_events')
    op.drop_table('spam_events')
    op.drop_table('sites')
