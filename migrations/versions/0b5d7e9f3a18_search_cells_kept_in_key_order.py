"""search cells kept in key order

On SQLite, the search index's table becomes a WITHOUT ROWID table: its rows are
kept in the order of their key (cell, trip), so that a search looking a candidate
trip up in the drop-off's cell reads one B-tree, not an index and then the table
(about a third of a busy search's time in the database at 100,000 trips). Nothing
changes on PostgreSQL, whose tables have no rowid.

Revision ID: 0b5d7e9f3a18
Revises: f2a8c6d41b97
Create Date: 2026-12-03 14:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0b5d7e9f3a18"
down_revision = "f2a8c6d41b97"
branch_labels = None
depends_on = None


def _rebuild(*, with_rowid):
    if op.get_bind().dialect.name != "sqlite":
        return
    # The table is copied, dropped and its copy renamed (its indexes made again);
    # migrations run with references unchecked (see env.py), so nothing cascades.
    with op.batch_alter_table("trip_cell", recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}):
        pass  # nothing else changes


def upgrade():
    _rebuild(with_rowid=False)


def downgrade():
    _rebuild(with_rowid=True)
