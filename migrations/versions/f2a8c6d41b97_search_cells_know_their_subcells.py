"""search cells know their sub-cells

Each entry of the search index also says which of its cell's 8 × 8 sub-cells its
trip's driver can reach within the detour (a 64-bit mask, ``routing.cells``): a
search then reads the trips that pass within a few hundred metres of the pickup and
the drop-off, not all those that pass somewhere in their 25 km² cells. The entries
already there claim every sub-cell (-1: all bits), which leaves their searches as they
were until ``flask trips reindex`` computes their masks.

Revision ID: f2a8c6d41b97
Revises: e7b3f19a2c64
Create Date: 2026-12-03 13:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f2a8c6d41b97"
down_revision = "e7b3f19a2c64"
branch_labels = None
depends_on = None

_WINDOW = ["cell", "pickup_from", "pickup_until", "trip_id", "first_s"]


def upgrade():
    with op.batch_alter_table("trip_cell", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("subcells", sa.BigInteger(), server_default=sa.text("-1"), nullable=False)
        )
        # The pickup's lookup stays read from the index alone, the mask included.
        batch_op.drop_index("ix_trip_cell_window")
        batch_op.create_index("ix_trip_cell_window", [*_WINDOW, "subcells"], unique=False)


def downgrade():
    with op.batch_alter_table("trip_cell", schema=None) as batch_op:
        batch_op.drop_index("ix_trip_cell_window")
        batch_op.create_index("ix_trip_cell_window", _WINDOW, unique=False)
        batch_op.drop_column("subcells")
