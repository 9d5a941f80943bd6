"""alerts know their sub-cells and the fastest drive between their places

A new trip is compared only with the alerts a search of their places would find it
for: the sub-cells of the two places and the fastest drive between them narrow the
alerts read from the search index, as they narrow a search. Alerts kept before have
None in the three columns (any sub-cell, no time: read as before) until
``flask trips reindex`` places them again.

Revision ID: 3f8b2d6e9a41
Revises: 7a3c9e5d2b14
Create Date: 2026-12-04 16:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3f8b2d6e9a41"
down_revision = "7a3c9e5d2b14"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pickup_subcell", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("dropoff_subcell", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("fastest_s", sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_column("fastest_s")
        batch_op.drop_column("dropoff_subcell")
        batch_op.drop_column("pickup_subcell")
