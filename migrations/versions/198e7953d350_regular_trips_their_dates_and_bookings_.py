"""Regular trips, their dates, and bookings of a period

Revision ID: 198e7953d350
Revises: 0058e3843078
Create Date: 2026-12-01 16:16:38.595769

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "198e7953d350"
down_revision = "0058e3843078"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "regular_trip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("driver_id", sa.Integer(), nullable=False),
        sa.Column("times", sa.String(length=60), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("start_on <= end_on", name=op.f("ck_regular_trip_dates")),
        sa.ForeignKeyConstraint(["driver_id"], ["user.id"], name=op.f("fk_regular_trip_driver_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regular_trip")),
    )
    with op.batch_alter_table("regular_trip", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regular_trip_driver_id"), ["driver_id"], unique=False)

    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.add_column(sa.Column("period_key", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_booking_period_key"), ["period_key"], unique=False)

    with op.batch_alter_table("trip", schema=None) as batch_op:
        batch_op.add_column(sa.Column("regular_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("occurrence_on", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_trip_regular_id"), ["regular_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_trip_regular_id_regular_trip"),
            "regular_trip",
            ["regular_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("trip", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_trip_regular_id_regular_trip"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_trip_regular_id"))
        batch_op.drop_column("occurrence_on")
        batch_op.drop_column("regular_id")

    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_period_key"))
        batch_op.drop_column("period_key")

    with op.batch_alter_table("regular_trip", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regular_trip_driver_id"))

    op.drop_table("regular_trip")
