"""Reviews after a trip, and no-shows reported

Revision ID: 727edc10c644
Revises: 198e7953d350
Create Date: 2026-12-01 16:04:28.448930

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "727edc10c644"
down_revision = "198e7953d350"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "no_show",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reported_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_no_show_booking_id_booking"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reported_id"], ["user.id"], name=op.f("fk_no_show_reported_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["user.id"], name=op.f("fk_no_show_reporter_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_no_show")),
        sa.UniqueConstraint("booking_id", "reporter_id", name=op.f("uq_no_show_booking_id_reporter_id")),
    )
    with op.batch_alter_table("no_show", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_no_show_reported_id"), ["reported_id"], unique=False)

    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_review_rating")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"], name=op.f("fk_review_author_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_review_booking_id_booking"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["user.id"], name=op.f("fk_review_subject_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
        sa.UniqueConstraint("booking_id", "author_id", name=op.f("uq_review_booking_id_author_id")),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_subject_id"), ["subject_id"], unique=False)


def downgrade():
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_subject_id"))

    op.drop_table("review")
    with op.batch_alter_table("no_show", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_no_show_reported_id"))

    op.drop_table("no_show")
