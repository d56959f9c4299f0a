"""Audit keys: keyed event hashes (key id, algorithm), personal values beside the payload, checkpoints

Events already written keep their unkeyed sha256 links (key_id and algorithm NULL); the
migration has no key, so it cannot seal them: the first checkpoint after the upgrade does
(``Engine.upgrade_db`` takes it; see docs/audit.md).

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gz_audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("algorithm", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("personal", sa.JSON(), nullable=True))
    op.create_table(
        "gz_audit_checkpoint",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )


def downgrade() -> None:
    op.drop_table("gz_audit_checkpoint")
    with op.batch_alter_table("gz_audit_event", schema=None) as batch_op:
        batch_op.drop_column("personal")
        batch_op.drop_column("algorithm")
        batch_op.drop_column("key_id")
