"""The instance list's order: an index on (created_at, id), so the first page is read, not sorted

Revision ID: 0010
Revises: 0009
"""
from alembic import op


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gz_instance", schema=None) as batch_op:
        batch_op.create_index("ix_gz_instance_created", ["created_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("gz_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_gz_instance_created")
