"""After a trip: what its driver and passengers say of each other, and who did not come."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .booking import Booking
from .types import UTCDateTime
from .user import User, utcnow


class Review(db.Model):  # type: ignore[name-defined,misc]
    """A rating (1 to 5 stars) and an optional comment, by the driver of the
    passenger of ``booking`` or the other way round; one per booking and author.

    ``subject_id`` is the member reviewed: kept, not worked out from the booking each
    time, so that a profile reads its reviews with one indexed query.
    """

    __tablename__ = "review"
    __table_args__ = (
        UniqueConstraint("booking_id", "author_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint("author_id <> subject_id", name="not_oneself"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: No index of its own: the unique constraint's, which starts with it, serves.
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    #: When it was first written: the author may change it for REVIEW_EDIT_DAYS after.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    booking: Mapped[Booking] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    subject: Mapped[User] = relationship(foreign_keys=[subject_id])


class NoShow(db.Model):  # type: ignore[name-defined,misc]
    """The driver says the passenger of ``booking`` did not come, or the passenger
    says the driver did not; once per booking and reporter."""

    __tablename__ = "no_show"
    __table_args__ = (
        UniqueConstraint("booking_id", "reporter_id"),
        CheckConstraint("reporter_id <> reported_id", name="not_oneself"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: No index of its own: the unique constraint's, which starts with it, serves.
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reported_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
