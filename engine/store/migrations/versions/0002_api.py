"""HTTP API: idempotency keys

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gz_idempotency_key',
    sa.Column('actor_id', sa.String(length=128), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('actor_id', 'key')
    )
    with op.batch_alter_table('gz_idempotency_key', schema=None) as batch_op:
        batch_op.create_index('ix_gz_idempotency_created', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('gz_idempotency_key', schema=None) as batch_op:
        batch_op.drop_index('ix_gz_idempotency_created')
    op.drop_table('gz_idempotency_key')
