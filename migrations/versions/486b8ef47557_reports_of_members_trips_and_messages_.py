"""Reports of members, trips and messages; moderation log; suspensions and bans

Revision ID: 486b8ef47557
Revises: 727edc10c644
Create Date: 2026-12-01 16:20:08.233850

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "486b8ef47557"
down_revision = "727edc10c644"
branch_labels = None
depends_on = None

_conversation_report = sa.table(
    "conversation_report",
    sa.column("id", sa.Integer),
    sa.column("conversation_id", sa.Integer),
    sa.column("reporter_id", sa.Integer),
    sa.column("reason", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("closed_at", sa.DateTime(timezone=True)),
)
_report = sa.table(
    "report",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("category", sa.String),
    sa.column("reporter_id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("trip_id", sa.Integer),
    sa.column("conversation_id", sa.Integer),
    sa.column("reason", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("closed_at", sa.DateTime(timezone=True)),
)
_conversation = sa.table(
    "conversation",
    sa.column("id", sa.Integer),
    sa.column("trip_id", sa.Integer),
    sa.column("passenger_id", sa.Integer),
)
_trip = sa.table("trip", sa.column("id", sa.Integer), sa.column("driver_id", sa.Integer))


def _create_report():
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("trip_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("flag", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "category IN ('behaviour', 'safety', 'professional', 'spam', 'other')",
            name=op.f("ck_report_category"),
        ),
        sa.CheckConstraint(
            "kind IN ('user', 'trip', 'conversation', 'message')", name=op.f("ck_report_kind")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversation.id"],
            name=op.f("fk_report_conversation_id_conversation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name=op.f("fk_report_message_id_message"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["user.id"], name=op.f("fk_report_reporter_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["trip_id"], ["trip.id"], name=op.f("fk_report_trip_id_trip"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_report_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        for column in (
            "closed_at",
            "conversation_id",
            "created_at",
            "message_id",
            "reporter_id",
            "trip_id",
            "user_id",
        ):
            batch_op.create_index(batch_op.f(f"ix_report_{column}"), [column], unique=False)


def _create_conversation_report():
    op.create_table(
        "conversation_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversation.id"],
            name=op.f("fk_conversation_report_conversation_id_conversation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["user.id"],
            name=op.f("fk_conversation_report_reporter_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_report")),
    )
    with op.batch_alter_table("conversation_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_report_conversation_id"), ["conversation_id"], unique=False
        )


def copy_conversation_reports():
    """Each report of a conversation becomes a general report of kind "conversation",
    about the other side of the conversation (new ids: nothing refers to the old)."""
    report, conversation, trip = _conversation_report, _conversation, _trip
    other_side = sa.case(
        (report.c.reporter_id == conversation.c.passenger_id, trip.c.driver_id),
        else_=conversation.c.passenger_id,
    )
    rows = (
        sa.select(
            sa.literal("conversation", sa.String),
            sa.literal("other", sa.String),
            report.c.reporter_id,
            other_side,
            conversation.c.trip_id,
            report.c.conversation_id,
            report.c.reason,
            report.c.created_at,
            report.c.closed_at,
        )
        .select_from(
            report.join(conversation, conversation.c.id == report.c.conversation_id).join(
                trip, trip.c.id == conversation.c.trip_id
            )
        )
        .order_by(report.c.id)
    )
    columns = ["kind", "category", "reporter_id", "user_id", "trip_id", "conversation_id", "reason"]
    op.execute(_report.insert().from_select([*columns, "created_at", "closed_at"], rows))


def copy_back_conversation_reports():
    """Members' reports of a conversation or of one of its messages become reports of
    that conversation again; reports of members and trips, and the site's flags,
    have no place in the old table and go."""
    rows = (
        sa.select(
            _report.c.conversation_id,
            _report.c.reporter_id,
            _report.c.reason,
            _report.c.created_at,
            _report.c.closed_at,
        )
        .where(_report.c.conversation_id.is_not(None), _report.c.reporter_id.is_not(None))
        .order_by(_report.c.id)
    )
    op.execute(
        _conversation_report.insert().from_select(
            ["conversation_id", "reporter_id", "reason", "created_at", "closed_at"], rows
        )
    )


def upgrade():
    _create_report()
    copy_conversation_reports()
    with op.batch_alter_table("conversation_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_report_conversation_id"))
    op.drop_table("conversation_report")

    op.create_table(
        "moderation_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("trip_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('warn', 'hide_trip', 'suspend', 'ban', 'lift', 'close')",
            name=op.f("ck_moderation_action_action"),
        ),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["user.id"],
            name=op.f("fk_moderation_action_moderator_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["report.id"],
            name=op.f("fk_moderation_action_report_id_report"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["trip_id"], ["trip.id"], name=op.f("fk_moderation_action_trip_id_trip"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_moderation_action_user_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_action")),
    )
    with op.batch_alter_table("moderation_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moderation_action_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_moderation_action_moderator_id"), ["moderator_id"], unique=False)

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("banned_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("banned_at")
        batch_op.drop_column("suspended_until")

    with op.batch_alter_table("moderation_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_action_moderator_id"))
        batch_op.drop_index(batch_op.f("ix_moderation_action_at"))
    op.drop_table("moderation_action")

    _create_conversation_report()
    copy_back_conversation_reports()
    with op.batch_alter_table("report", schema=None) as batch_op:
        for column in (
            "user_id",
            "trip_id",
            "reporter_id",
            "message_id",
            "created_at",
            "conversation_id",
            "closed_at",
        ):
            batch_op.drop_index(batch_op.f(f"ix_report_{column}"))
    op.drop_table("report")
