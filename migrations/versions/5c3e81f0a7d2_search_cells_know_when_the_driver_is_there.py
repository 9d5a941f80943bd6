"""search cells know when the driver can be there

The search index's entries say when the driver can be at a pickup or a drop-off in
their cell, at the earliest and at the latest (``earliest_s``, ``latest_s``, seconds
from the departure), instead of when the legs that reach the cell start and end
(``first_s``, ``last_s``): a search then leaves out, in the database, the trips that
cannot be at the drop-off after driving there from the pickup.

The columns are renamed. An entry written before keeps bounds that still hold, only
wider: the start of its first leg is never after the earliest moment, and the end of
its last leg plus the driver's whole detour never before the latest (``latest_s``
becomes ``last_s`` plus the trip's ``max_detour_s``, which is what its
``pickup_until`` already said). ``flask trips reindex`` makes them as narrow as new
entries. A downgrade renames them back: ``latest_s`` is never before the moment the
driver can be at a drop-off, which is all the older code asked of ``last_s``.

Revision ID: 5c3e81f0a7d2
Revises: 0b5d7e9f3a18
Create Date: 2026-12-04 06:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5c3e81f0a7d2"
down_revision = "0b5d7e9f3a18"
branch_labels = None
depends_on = None


def _rename(old, new):
    # SQLite (3.25 and later) and PostgreSQL both rename a column in place, and the
    # index that holds it follows: no copy of a table of millions of rows.
    op.execute(f"ALTER TABLE trip_cell RENAME COLUMN {old} TO {new}")


def upgrade():
    _rename("first_s", "earliest_s")
    _rename("last_s", "latest_s")
    op.execute(
        "UPDATE trip_cell SET latest_s = latest_s"
        " + (SELECT trip.max_detour_s FROM trip WHERE trip.id = trip_cell.trip_id)"
    )


def downgrade():
    _rename("earliest_s", "first_s")
    _rename("latest_s", "last_s")
