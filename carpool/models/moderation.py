"""Moderation: reports of members, trips, conversations and messages (by members or
by the site itself), and the log of what moderators did."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .conversation import Conversation, Message
from .trip import Trip
from .types import UTCDateTime
from .user import User, utcnow

#: What a report is about; ``conversation`` is a whole conversation, reported by one side.
REPORT_KINDS = ("user", "trip", "conversation", "message")
#: Why it is reported, as the reporter chose from a short list.
REPORT_CATEGORIES = ("behaviour", "safety", "professional", "spam", "other")
#: What a moderator can do with a report (each closes it).
MODERATION_ACTIONS = ("warn", "hide_trip", "suspend", "ban", "lift", "close")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Report(db.Model):  # type: ignore[name-defined,misc]
    """A member (or the site, ``reporter_id`` NULL) asks the moderators to look at
    something. ``user_id`` is the member it is about: the member reported, the trip's
    driver, the message's sender, the other side of a conversation. While a report
    on a conversation or one of its messages is open, moderators may read it.

    ``flag`` names the rule an automatic report comes from ("above_ceiling",
    "many_trips", "many_seats"): one open flag per member and rule.
    """

    __tablename__ = "report"
    __table_args__ = (
        CheckConstraint(_in("kind", REPORT_KINDS), name="kind"),
        CheckConstraint(_in("category", REPORT_CATEGORIES), name="category"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    category: Mapped[str] = mapped_column(String(12))
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), default=None, index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    trip_id: Mapped[int | None] = mapped_column(
        ForeignKey("trip.id", ondelete="CASCADE"), default=None, index=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), default=None, index=True
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="CASCADE"), default=None, index=True
    )
    flag: Mapped[str | None] = mapped_column(String(20), default=None)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    trip: Mapped[Trip | None] = relationship()
    conversation: Mapped[Conversation | None] = relationship()
    message: Mapped[Message | None] = relationship()


class ModerationAction(db.Model):  # type: ignore[name-defined,misc]
    """One thing a moderator did, written in the same transaction as the deed. The
    site only adds rows: the log is never edited."""

    __tablename__ = "moderation_action"
    __table_args__ = (CheckConstraint(_in("action", MODERATION_ACTIONS), name="action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), default=None)
    trip_id: Mapped[int | None] = mapped_column(ForeignKey("trip.id", ondelete="SET NULL"), default=None)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="SET NULL"), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    #: The end of a suspension.
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    moderator: Mapped[User | None] = relationship(foreign_keys=[moderator_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    trip: Mapped[Trip | None] = relationship()
