"""Decision versions in force for a region: a street's table overrides the district's

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gz_definition_version", schema=None) as batch_op:
        # A regional version's content_hash covers its region too (see Repository._store), so the
        # unique (kind, key, content_hash) still holds and SQLite needs no table rebuild.
        batch_op.add_column(sa.Column("region", sa.String(length=255), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("gz_definition_version", schema=None) as batch_op:
        batch_op.drop_column("region")
