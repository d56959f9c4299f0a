"""Instances started by other instances; messages correlated by property values; audit heads on instances

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gz_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("reply_message", sa.String(length=128), nullable=True))
        batch_op.create_index("ix_gz_instance_parent", ["parent_id"], unique=False)
        batch_op.add_column(sa.Column("audit_seq", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("audit_hash", sa.String(length=64), nullable=False, server_default="0" * 64))
    with op.batch_alter_table("gz_message_subscription", schema=None) as batch_op:
        batch_op.add_column(sa.Column("correlation", sa.String(length=512), nullable=True))
        batch_op.create_index("ix_gz_subscription_correlation", ["message_name", "correlation"], unique=False)
    with op.batch_alter_table("gz_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("correlation", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gz_message", schema=None) as batch_op:
        batch_op.drop_column("correlation")
    with op.batch_alter_table("gz_message_subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_gz_subscription_correlation")
        batch_op.drop_column("correlation")
    with op.batch_alter_table("gz_instance", schema=None) as batch_op:
        batch_op.drop_column("audit_hash")
        batch_op.drop_column("audit_seq")
        batch_op.drop_index("ix_gz_instance_parent")
        batch_op.drop_column("reply_message")
        batch_op.drop_column("parent_id")
