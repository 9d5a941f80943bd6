"""Bookings: a passenger's seats on their own leg of a trip, and their history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .trip import Trip
from .types import UTCDateTime
from .user import User, utcnow

#: A booking's states; "requested" and "accepted" hold (or ask for) seats.
BOOKING_STATES = ("requested", "accepted", "declined", "cancelled")


class Booking(db.Model):  # type: ignore[name-defined,misc]
    """``seats`` on ``trip`` from the passenger's pickup to their drop-off.

    The offsets are the times from the trip's departure at which the driver reaches
    the pickup and the drop-off: seats are counted over that stretch only, so a seat
    freed at a drop-off can be booked again further on.
    """

    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint("seats BETWEEN 1 AND 8", name="seats"),
        CheckConstraint("pickup_offset_s <= dropoff_offset_s", name="order"),
        CheckConstraint("status IN ('requested', 'accepted', 'declined', 'cancelled')", name="status"),
        CheckConstraint("price_cents >= 0", name="price_cents"),  # the passenger pays, never the reverse
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("trip.id", ondelete="CASCADE"), index=True)
    passenger_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    seats: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), index=True)
    pickup_name: Mapped[str] = mapped_column(String(200))
    pickup_lat: Mapped[float] = mapped_column(Float)
    pickup_lon: Mapped[float] = mapped_column(Float)
    dropoff_name: Mapped[str] = mapped_column(String(200))
    dropoff_lat: Mapped[float] = mapped_column(Float)
    dropoff_lon: Mapped[float] = mapped_column(Float)
    pickup_offset_s: Mapped[float] = mapped_column(Float)
    dropoff_offset_s: Mapped[float] = mapped_column(Float)
    detour_s: Mapped[float] = mapped_column(Float)
    #: How far the passenger rides with the driver, from the match made at booking
    #: (the association's figures read it; older bookings have none).
    shared_m: Mapped[float | None] = mapped_column(Float, default=None)
    #: What the passenger pays the driver for their leg, for all their seats.
    price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Cancelled within the deadline before the pickup: it counts as late.
    late_cancellation: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Bookings asked for together, on every date of a regular trip in a period,
    #: share this key: they are answered and cancelled together.
    period_key: Mapped[str | None] = mapped_column(String(32), default=None, index=True)

    trip: Mapped[Trip] = relationship()
    passenger: Mapped[User] = relationship()
    events: Mapped[list[BookingEvent]] = relationship(
        order_by="BookingEvent.id", cascade="all, delete-orphan", back_populates="booking"
    )


class BookingEvent(db.Model):  # type: ignore[name-defined,misc]
    """One change of a booking's status: who, when, and why."""

    __tablename__ = "booking_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), default=None)
    note: Mapped[str] = mapped_column(Text, default="")

    booking: Mapped[Booking] = relationship(back_populates="events")
