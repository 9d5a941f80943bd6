"""invariants checked by the database

What the services already keep, now refused by the database too, so that no bug or
hand-made change can store it: a trip's or a regular trip's status among those the
site knows, a booking's price never below zero, and no member reviewing or reporting
a no-show of themselves.

Revision ID: 7a3c9e5d2b14
Revises: 9d4f2b7c1e60
Create Date: 2026-12-04 14:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "7a3c9e5d2b14"
down_revision = "9d4f2b7c1e60"
branch_labels = None
depends_on = None

#: (table, constraint name without the convention's prefix, condition)
CHECKS = [
    ("trip", "status", "status IN ('published', 'cancelled', 'hidden')"),
    ("regular_trip", "status", "status IN ('published', 'cancelled')"),
    ("booking", "price_cents", "price_cents >= 0"),
    ("review", "not_oneself", "author_id <> subject_id"),
    ("no_show", "not_oneself", "reporter_id <> reported_id"),
]


def upgrade():
    for table, name, condition in CHECKS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_check_constraint(name, condition)


def downgrade():
    for table, name, _ in reversed(CHECKS):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"ck_{table}_{name}"), type_="check")
