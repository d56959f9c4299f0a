"""Work lists page through the candidate index alone

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gz_task_candidate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE gz_task_candidate SET created_at = "
               "(SELECT created_at FROM gz_task WHERE gz_task.id = gz_task_candidate.task_id)")
    with op.batch_alter_table("gz_task_candidate", schema=None) as batch_op:
        batch_op.alter_column("created_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_index("ix_gz_candidate_group_region")
        batch_op.create_index("ix_gz_candidate_worklist", ["group_name", "region", "created_at", "task_id"],
                              unique=False, postgresql_ops={"region": "varchar_pattern_ops"})


def downgrade() -> None:
    with op.batch_alter_table("gz_task_candidate", schema=None) as batch_op:
        batch_op.drop_index("ix_gz_candidate_worklist")
        batch_op.create_index("ix_gz_candidate_group_region", ["group_name", "region"], unique=False)
        batch_op.drop_column("created_at")
