"""Incremental state: deltas after a compressed base, and the variables beside the state

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gz_state_delta",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", "seq"),
    )
    with op.batch_alter_table("gz_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variables", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gz_instance", schema=None) as batch_op:
        batch_op.drop_column("variables")
    op.drop_table("gz_state_delta")
