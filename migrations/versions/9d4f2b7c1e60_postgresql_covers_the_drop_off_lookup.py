"""postgresql covers the drop-off lookup

On PostgreSQL, an index of the search index's key that holds what the drop-off's
lookup reads (``latest_s``, ``subcells``): each candidate of a search is then looked
up without reading the table's row. SQLite keeps its rows in key order already
(``WITHOUT ROWID``) and gets no index.

Revision ID: 9d4f2b7c1e60
Revises: 5c3e81f0a7d2
Create Date: 2026-12-04 12:40:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "9d4f2b7c1e60"
down_revision = "5c3e81f0a7d2"
branch_labels = None
depends_on = None


def _on_postgresql():
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _on_postgresql():
        op.create_index(
            "ix_trip_cell_dropoff",
            "trip_cell",
            ["cell", "trip_id"],
            postgresql_include=["latest_s", "subcells"],
        )


def downgrade():
    if _on_postgresql():
        op.drop_index("ix_trip_cell_dropoff", table_name="trip_cell")
