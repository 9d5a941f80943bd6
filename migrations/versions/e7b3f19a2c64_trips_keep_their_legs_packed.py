"""trips keep their legs packed

What matching reads of a trip (its stops' road nodes, the time and length of each
leg) moves from three columns of its stops into one short binary value of the trip,
which a search reads for thousands of candidate trips at once. The values already
kept are packed here (trips without them keep none, as before: searches route them).

Revision ID: e7b3f19a2c64
Revises: c41e0a7d9b52
Create Date: 2026-12-03 08:10:00.000000

"""

import itertools
import struct

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e7b3f19a2c64"
down_revision = "c41e0a7d9b52"
branch_labels = None
depends_on = None

_TRIPS_PER_BATCH = 2_000

trip = sa.table("trip", sa.column("id", sa.Integer), sa.column("legs", sa.LargeBinary))
trip_stop = sa.table(
    "trip_stop",
    sa.column("id", sa.Integer),
    sa.column("trip_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("node", sa.Integer),
    sa.column("leg_time_s", sa.Float),
    sa.column("leg_length_m", sa.Float),
)


def _pack(nodes, times, lengths):
    """As ``routing.pack_legs`` writes them: little-endian float64s, the nodes, then
    the legs' times, then their lengths (written out here, so that this migration
    means the same whatever the routing core becomes)."""
    values = [*nodes, *times, *lengths]
    return struct.pack(f"<{len(values)}d", *values)


def _unpack(packed):
    values = struct.unpack(f"<{len(packed) // 8}d", packed)
    stops = (len(values) + 2) // 3
    return [int(n) for n in values[:stops]], values[stops : 2 * stops - 1], values[2 * stops - 1 :]


def _trip_batches(connection, query):
    ids = connection.execute(query).scalars().all()
    for start in range(0, len(ids), _TRIPS_PER_BATCH):
        yield ids[start : start + _TRIPS_PER_BATCH]


def upgrade():
    with op.batch_alter_table("trip", schema=None) as batch_op:
        batch_op.add_column(sa.Column("legs", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    kept = sa.select(trip_stop.c.trip_id).where(trip_stop.c.node.is_not(None)).distinct()
    update = trip.update().where(trip.c.id == sa.bindparam("b_id")).values(legs=sa.bindparam("b_legs"))
    for batch in _trip_batches(connection, kept.order_by(trip_stop.c.trip_id)):
        rows = connection.execute(
            sa.select(trip_stop.c.trip_id, trip_stop.c.node, trip_stop.c.leg_time_s, trip_stop.c.leg_length_m)
            .where(trip_stop.c.trip_id.in_(batch))
            .order_by(trip_stop.c.trip_id, trip_stop.c.position)
        )
        values = []
        for trip_id, stops in itertools.groupby(rows, key=lambda row: row[0]):
            _, nodes, times, lengths = zip(*stops, strict=True)
            legs = (times[:-1], lengths[:-1])
            if None not in nodes and None not in legs[0] and None not in legs[1] and len(nodes) >= 2:
                values.append({"b_id": trip_id, "b_legs": _pack(nodes, *legs)})
        if values:
            connection.execute(update, values)
    with op.batch_alter_table("trip_stop", schema=None) as batch_op:
        batch_op.drop_column("leg_length_m")
        batch_op.drop_column("leg_time_s")
        batch_op.drop_column("node")


def downgrade():
    with op.batch_alter_table("trip_stop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("node", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("leg_time_s", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("leg_length_m", sa.Float(), nullable=True))
    connection = op.get_bind()
    update = (
        trip_stop.update()
        .where(trip_stop.c.id == sa.bindparam("b_id"))
        .values(
            node=sa.bindparam("b_node"),
            leg_time_s=sa.bindparam("b_time"),
            leg_length_m=sa.bindparam("b_length"),
        )
    )
    packed = sa.select(trip.c.id).where(trip.c.legs.is_not(None)).order_by(trip.c.id)
    for batch in _trip_batches(connection, packed):
        legs = dict(connection.execute(sa.select(trip.c.id, trip.c.legs).where(trip.c.id.in_(batch))).all())
        stops = connection.execute(
            sa.select(trip_stop.c.trip_id, trip_stop.c.id)
            .where(trip_stop.c.trip_id.in_(batch))
            .order_by(trip_stop.c.trip_id, trip_stop.c.position)
        )
        values = []
        for trip_id, rows in itertools.groupby(stops, key=lambda row: row[0]):
            nodes, times, lengths = _unpack(legs[trip_id])
            stop_ids = [stop_id for _, stop_id in rows]
            if len(stop_ids) != len(nodes):
                continue  # not the stops the legs were computed for
            for stop_id, node, time_s, length_m in itertools.zip_longest(stop_ids, nodes, times, lengths):
                values.append({"b_id": stop_id, "b_node": node, "b_time": time_s, "b_length": length_m})
        if values:
            connection.execute(update, values)
    with op.batch_alter_table("trip", schema=None) as batch_op:
        batch_op.drop_column("legs")
