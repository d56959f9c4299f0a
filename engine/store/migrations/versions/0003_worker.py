"""Worker: job leases, incidents, buffered and idempotent messages

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gz_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_by", sa.String(length=64), nullable=True))
    op.create_table(
        "gz_incident",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=True),
        sa.Column("element_id", sa.String(length=128), nullable=True),
        sa.Column("region", sa.String(length=255), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["gz_job.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("gz_incident", schema=None) as batch_op:
        batch_op.create_index("ix_gz_incident_open", ["resolved_at"], unique=False)
    op.create_table(
        "gz_message",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("business_key", sa.String(length=128), nullable=True),
        sa.Column("instance_id", sa.String(length=36), nullable=True),
        sa.Column("region", sa.String(length=255), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", name="uq_gz_message_id"),
    )
    with op.batch_alter_table("gz_message", schema=None) as batch_op:
        batch_op.create_index("ix_gz_message_waiting", ["name", "business_key", "status"], unique=False)


def downgrade() -> None:
    op.drop_table("gz_message")
    op.drop_table("gz_incident")
    with op.batch_alter_table("gz_job", schema=None) as batch_op:
        batch_op.drop_column("locked_by")
