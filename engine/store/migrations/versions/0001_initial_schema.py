"""initial schema

Revision ID: 0001
Revises: 
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gz_audit_event',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('chain', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.String(length=128), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chain', 'seq', name='uq_gz_audit_chain_seq')
    )
    with op.batch_alter_table('gz_audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_gz_audit_instance', ['instance_id'], unique=False)

    op.create_table('gz_audit_head',
    sa.Column('chain', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain')
    )
    op.create_table('gz_definition_file',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    op.create_table('gz_definition_version',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('start_form', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deployed_by', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'key', 'content_hash', name='uq_gz_version_hash'),
    sa.UniqueConstraint('kind', 'key', 'version', name='uq_gz_version_number')
    )
    with op.batch_alter_table('gz_definition_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gz_definition_version_key'), ['key'], unique=False)

    op.create_table('gz_instance',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('process_key', sa.String(length=128), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('business_key', sa.String(length=128), nullable=True),
    sa.Column('region', sa.String(length=255), nullable=False),
    sa.Column('started_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.LargeBinary(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['gz_definition_version.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('gz_instance', schema=None) as batch_op:
        batch_op.create_index('ix_gz_instance_business_key', ['business_key'], unique=False)
        batch_op.create_index('ix_gz_instance_key_status', ['process_key', 'status'], unique=False)
        batch_op.create_index('ix_gz_instance_region', ['region'], unique=False)

    op.create_table('gz_job',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('element_id', sa.String(length=128), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['gz_instance.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('gz_job', schema=None) as batch_op:
        batch_op.create_index('ix_gz_job_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_gz_job_instance', ['instance_id'], unique=False)

    op.create_table('gz_message_subscription',
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('message_name', sa.String(length=128), nullable=False),
    sa.Column('element_id', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['gz_instance.id'], ),
    sa.PrimaryKeyConstraint('instance_id', 'message_name')
    )
    with op.batch_alter_table('gz_message_subscription', schema=None) as batch_op:
        batch_op.create_index('ix_gz_subscription_name', ['message_name'], unique=False)

    op.create_table('gz_task',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('process_key', sa.String(length=128), nullable=False),
    sa.Column('element_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('region', sa.String(length=255), nullable=False),
    sa.Column('candidate_groups', sa.JSON(), nullable=False),
    sa.Column('assignee', sa.String(length=128), nullable=True),
    sa.Column('form', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['gz_instance.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('gz_task', schema=None) as batch_op:
        batch_op.create_index('ix_gz_task_assignee', ['assignee', 'status'], unique=False)
        batch_op.create_index('ix_gz_task_instance', ['instance_id'], unique=False)
        batch_op.create_index('ix_gz_task_status_region', ['status', 'region'], unique=False)

    op.create_table('gz_task_candidate',
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('group_name', sa.String(length=128), nullable=False),
    sa.Column('region', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['gz_task.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'group_name')
    )
    with op.batch_alter_table('gz_task_candidate', schema=None) as batch_op:
        batch_op.create_index('ix_gz_candidate_group_region', ['group_name', 'region'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('gz_task_candidate', schema=None) as batch_op:
        batch_op.drop_index('ix_gz_candidate_group_region')

    op.drop_table('gz_task_candidate')
    with op.batch_alter_table('gz_task', schema=None) as batch_op:
        batch_op.drop_index('ix_gz_task_status_region')
        batch_op.drop_index('ix_gz_task_instance')
        batch_op.drop_index('ix_gz_task_assignee')

    op.drop_table('gz_task')
    with op.batch_alter_table('gz_message_subscription', schema=None) as batch_op:
        batch_op.drop_index('ix_gz_subscription_name')

    op.drop_table('gz_message_subscription')
    with op.batch_alter_table('gz_job', schema=None) as batch_op:
        batch_op.drop_index('ix_gz_job_instance')
        batch_op.drop_index('ix_gz_job_due')

    op.drop_table('gz_job')
    with op.batch_alter_table('gz_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_gz_instance_region')
        batch_op.drop_index('ix_gz_instance_key_status')
        batch_op.drop_index('ix_gz_instance_business_key')

    op.drop_table('gz_instance')
    with op.batch_alter_table('gz_definition_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gz_definition_version_key'))

    op.drop_table('gz_definition_version')
    op.drop_table('gz_definition_file')
    op.drop_table('gz_audit_head')
    with op.batch_alter_table('gz_audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_gz_audit_instance')

    op.drop_table('gz_audit_event')
