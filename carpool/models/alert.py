"""Alerts passengers ask for when no ride passes their way yet."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime
from .user import utcnow


class Alert(db.Model):  # type: ignore[name-defined,misc]
    """A passenger's wish to hear of a ride from one place to another around a day.

    Kept from the empty search results; mailing members about new trips that match
    is the work of the notifications.
    """

    __tablename__ = "alert"
    __table_args__ = (CheckConstraint("flex_days BETWEEN 0 AND 3", name="flex_days"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    origin: Mapped[str] = mapped_column(String(200))
    origin_lat: Mapped[float] = mapped_column(Float)
    origin_lon: Mapped[float] = mapped_column(Float)
    destination: Mapped[str] = mapped_column(String(200))
    destination_lat: Mapped[float] = mapped_column(Float)
    destination_lon: Mapped[float] = mapped_column(Float)
    day: Mapped[date] = mapped_column(Date, index=True)
    flex_days: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
