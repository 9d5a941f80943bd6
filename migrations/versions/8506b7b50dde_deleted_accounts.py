"""Deleted accounts; the distance a booking shares, kept; anonymous trips

Revision ID: 8506b7b50dde
Revises: 486b8ef47557
Create Date: 2026-12-01 16:39:10.532061

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8506b7b50dde"
down_revision = "486b8ef47557"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shared_m", sa.Float(), nullable=True))
    with op.batch_alter_table("trip", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("trip", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_column("shared_m")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
