"""Security: case owners, message senders, viewer groups, retention marks, stuck commands

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gz_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_gz_instance_owner", ["owner"], unique=False)
    # Until now the starter was the only person recorded with a case: they own it.
    op.execute("UPDATE gz_instance SET owner = started_by")
    with op.batch_alter_table("gz_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender", sa.JSON(), nullable=True))
    with op.batch_alter_table("gz_definition_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("viewer_groups", sa.JSON(), nullable=True))
    op.create_table(
        "gz_stuck_command",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("command", sa.String(length=64), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("gz_stuck_command")
    with op.batch_alter_table("gz_definition_version", schema=None) as batch_op:
        batch_op.drop_column("viewer_groups")
    with op.batch_alter_table("gz_message", schema=None) as batch_op:
        batch_op.drop_column("sender")
    with op.batch_alter_table("gz_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_gz_instance_owner")
        batch_op.drop_column("erased_at")
        batch_op.drop_column("owner")
