"""Alerts: searches members keep, to hear of rides that will pass their way; a public
alert is also a ride request drivers see along their routes."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Time,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .trip import Trip
from .types import UTCDateTime
from .user import User, utcnow


class Alert(db.Model):  # type: ignore[name-defined,misc]
    """A member's wish to travel from one place to another: on one day (give or take
    ``flex_days``), or on some days of the week (``weekdays``, Monday = bit 0) until
    ``expires_on``; optionally within a time window of the pickup.

    ``pickup_cell`` and ``dropoff_cell`` are the search index's cells of the two
    places (see :mod:`routing.cells`): a new trip is compared only with the alerts
    whose cells it covers. They are None for places the imported region lacks.
    ``pickup_subcell`` and ``dropoff_subcell`` are the bits of their sub-cells in the
    index's masks, and ``fastest_s`` the fastest drive between them, which narrow
    those alerts as they narrow a search (None: kept before they were, any sub-cell
    and no time, until ``flask trips reindex``).
    """

    __tablename__ = "alert"
    __table_args__ = (
        CheckConstraint("flex_days BETWEEN 0 AND 3", name="flex_days"),
        CheckConstraint("weekdays BETWEEN 0 AND 127", name="weekdays"),
        CheckConstraint("seats BETWEEN 1 AND 8", name="seats"),
        # Either one day or some days of the week.
        CheckConstraint("(day IS NULL) <> (weekdays = 0)", name="day_or_weekdays"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    origin: Mapped[str] = mapped_column(String(200))
    origin_lat: Mapped[float] = mapped_column(Float)
    origin_lon: Mapped[float] = mapped_column(Float)
    destination: Mapped[str] = mapped_column(String(200))
    destination_lat: Mapped[float] = mapped_column(Float)
    destination_lon: Mapped[float] = mapped_column(Float)
    day: Mapped[date | None] = mapped_column(Date, index=True)
    flex_days: Mapped[int] = mapped_column(Integer, default=0)
    #: Days of the week of a regular need, Monday = 1, Tuesday = 2, … Sunday = 64; 0 for one day.
    weekdays: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    time_from: Mapped[time | None] = mapped_column(Time, default=None)
    time_to: Mapped[time | None] = mapped_column(Time, default=None)
    #: The last day it applies to (the asked day plus its flexibility for one day).
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Shown to drivers whose trips pass by, as "looking for a ride".
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    seats: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    pickup_cell: Mapped[int | None] = mapped_column(BigInteger, default=None, index=True)
    dropoff_cell: Mapped[int | None] = mapped_column(BigInteger, default=None)
    pickup_subcell: Mapped[int | None] = mapped_column(BigInteger, default=None)
    dropoff_subcell: Mapped[int | None] = mapped_column(BigInteger, default=None)
    fastest_s: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class AlertMatch(db.Model):  # type: ignore[name-defined,misc]
    """A trip found for an alert. The row is written with the alert's e-mail, in the
    same transaction, and its key makes that e-mail go once per alert and trip."""

    __tablename__ = "alert_match"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), primary_key=True)
    trip_id: Mapped[int] = mapped_column(
        ForeignKey("trip.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    alert: Mapped[Alert] = relationship()
    trip: Mapped[Trip] = relationship()
