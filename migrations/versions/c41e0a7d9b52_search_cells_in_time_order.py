"""search cells in time order

Each entry of the search index says between which moments its trip's driver can be
at a pickup in the cell, and an index orders a cell's entries by them: a search reads
only the trips that can reach the pickup in its dates and hours. The entries already
there are given theirs from their trip (its departure, its detour limit).

Revision ID: c41e0a7d9b52
Revises: 3525c4937019
Create Date: 2026-12-02 16:45:00.000000

"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c41e0a7d9b52"
down_revision = "3525c4937019"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)
_TRIPS_PER_BATCH = 2_000

trip = sa.table(
    "trip",
    sa.column("id", sa.Integer),
    sa.column("departure_at", _MOMENT),
    sa.column("max_detour_s", sa.Integer),
)
trip_cell = sa.table(
    "trip_cell",
    sa.column("cell", sa.BigInteger),
    sa.column("trip_id", sa.Integer),
    sa.column("first_s", sa.Float),
    sa.column("last_s", sa.Float),
    sa.column("pickup_from", _MOMENT),
    sa.column("pickup_until", _MOMENT),
)


def upgrade():
    with op.batch_alter_table("trip_cell", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pickup_from", _MOMENT, nullable=True))
        batch_op.add_column(sa.Column("pickup_until", _MOMENT, nullable=True))
    _fill(op.get_bind())
    with op.batch_alter_table("trip_cell", schema=None) as batch_op:
        batch_op.alter_column("pickup_from", existing_type=_MOMENT, nullable=False)
        batch_op.alter_column("pickup_until", existing_type=_MOMENT, nullable=False)
        batch_op.create_index(
            "ix_trip_cell_window", ["cell", "pickup_from", "pickup_until", "trip_id", "first_s"], unique=False
        )


def _fill(connection):
    """The moments of every entry, as the site computes them when it indexes a trip
    (``carpool.services.trips.cell_rows``), trip by trip in batches: the arithmetic
    on moments is done here, the same on SQLite and PostgreSQL."""
    ids = (
        connection.execute(sa.select(trip_cell.c.trip_id).distinct().order_by(trip_cell.c.trip_id))
        .scalars()
        .all()
    )
    update = (
        trip_cell.update()
        .where(trip_cell.c.trip_id == sa.bindparam("b_trip"), trip_cell.c.cell == sa.bindparam("b_cell"))
        .values(pickup_from=sa.bindparam("b_from"), pickup_until=sa.bindparam("b_until"))
    )
    for start in range(0, len(ids), _TRIPS_PER_BATCH):
        batch = ids[start : start + _TRIPS_PER_BATCH]
        rows = connection.execute(
            sa.select(
                trip_cell.c.trip_id,
                trip_cell.c.cell,
                trip_cell.c.first_s,
                trip_cell.c.last_s,
                trip.c.departure_at,
                trip.c.max_detour_s,
            )
            .join(trip, trip.c.id == trip_cell.c.trip_id)
            .where(trip_cell.c.trip_id.in_(batch))
        )
        values = [
            {
                "b_trip": trip_id,
                "b_cell": cell,
                "b_from": departure + timedelta(seconds=first_s),
                "b_until": departure + timedelta(seconds=last_s + max_detour_s),
            }
            for trip_id, cell, first_s, last_s, departure, max_detour_s in rows
        ]
        if values:
            connection.execute(update, values)


def downgrade():
    with op.batch_alter_table("trip_cell", schema=None) as batch_op:
        batch_op.drop_index("ix_trip_cell_window")
        batch_op.drop_column("pickup_until")
        batch_op.drop_column("pickup_from")
