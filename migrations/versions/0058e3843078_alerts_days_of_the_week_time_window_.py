"""Alerts: days of the week, time window, pause, expiry, ride requests, trips found

Revision ID: 0058e3843078
Revises: 33366ef45cbd
Create Date: 2026-12-01 16:03:55.412564

"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0058e3843078"
down_revision = "33366ef45cbd"
branch_labels = None
depends_on = None

_alert = sa.table(
    "alert",
    sa.column("id", sa.Integer),
    sa.column("day", sa.Date),
    sa.column("flex_days", sa.Integer),
    sa.column("expires_on", sa.Date),
)


def upgrade():
    op.create_table(
        "alert_match",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("trip_id", sa.Integer(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name=op.f("fk_alert_match_alert_id_alert"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["trip_id"], ["trip.id"], name=op.f("fk_alert_match_trip_id_trip"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("alert_id", "trip_id", name=op.f("pk_alert_match")),
    )
    with op.batch_alter_table("alert_match", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_match_trip_id"), ["trip_id"], unique=False)

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("weekdays", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("time_from", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("time_to", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("expires_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("seats", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("pickup_cell", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("dropoff_cell", sa.BigInteger(), nullable=True))
        batch_op.alter_column("day", existing_type=sa.Date(), nullable=True)

    # Alerts kept so far were for one day: they end with its flexibility. Their
    # search cells come with 'flask trips reindex'.
    connection = op.get_bind()
    for alert_id, day, flex_days in connection.execute(
        sa.select(_alert.c.id, _alert.c.day, _alert.c.flex_days)
    ):
        connection.execute(
            _alert.update().where(_alert.c.id == alert_id).values(expires_on=day + timedelta(days=flex_days))
        )

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.alter_column("expires_on", existing_type=sa.Date(), nullable=False)
        batch_op.create_index(batch_op.f("ix_alert_expires_on"), ["expires_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_pickup_cell"), ["pickup_cell"], unique=False)
        batch_op.create_check_constraint("weekdays", "weekdays BETWEEN 0 AND 127")
        batch_op.create_check_constraint("seats", "seats BETWEEN 1 AND 8")
        batch_op.create_check_constraint("day_or_weekdays", "(day IS NULL) <> (weekdays = 0)")


def downgrade():
    # Alerts on days of the week cannot be told as one day: they go.
    op.execute(_alert.delete().where(_alert.c.day.is_(None)))
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint("day_or_weekdays", type_="check")
        batch_op.drop_constraint("seats", type_="check")
        batch_op.drop_constraint("weekdays", type_="check")
        batch_op.drop_index(batch_op.f("ix_alert_pickup_cell"))
        batch_op.drop_index(batch_op.f("ix_alert_expires_on"))
        batch_op.alter_column("day", existing_type=sa.Date(), nullable=False)
        batch_op.drop_column("dropoff_cell")
        batch_op.drop_column("pickup_cell")
        batch_op.drop_column("seats")
        batch_op.drop_column("public")
        batch_op.drop_column("paused")
        batch_op.drop_column("expires_on")
        batch_op.drop_column("time_to")
        batch_op.drop_column("time_from")
        batch_op.drop_column("weekdays")

    with op.batch_alter_table("alert_match", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_match_trip_id"))

    op.drop_table("alert_match")
