"""Seats of a trip: who holds them, counted per stretch of road, and the lock that
keeps them from being sold twice. Shared by the trips and the bookings services."""

from __future__ import annotations

from sqlalchemy import select, update

from ..extensions import db
from ..models import Booking, BookingEvent, Trip

__all__ = ["HOLDING", "booked", "lock", "most_held", "record", "release_all"]

#: Booking states that hold seats, or ask for them.
HOLDING = ("requested", "accepted")


def lock(trip_id: int) -> None:
    """Take the trip's seats for this transaction, until it commits or rolls back.

    The update raises ``seats_version``: PostgreSQL locks the row, SQLite the whole
    database for writing, so a second request waits here, then reads the seats the
    first one left. Checking seats after this call is safe; before it, it is not.
    """
    db.session.execute(update(Trip).where(Trip.id == trip_id).values(seats_version=Trip.seats_version + 1))


def booked(trip_id: int, start_s: float, end_s: float, *, excluding: int | None = None) -> int:
    """The most seats taken at once by accepted bookings between ``start_s`` and
    ``end_s`` (times from the departure). A passenger dropped off at ``t`` frees the
    seat for someone picked up at ``t`` or later.

    Read from the database, not the session: call :func:`lock` first to count what
    nobody else can change.
    """
    rows = db.session.execute(
        select(Booking.seats, Booking.pickup_offset_s, Booking.dropoff_offset_s).where(
            Booking.trip_id == trip_id,
            Booking.status == "accepted",
            Booking.id != (excluding if excluding is not None else -1),
            Booking.pickup_offset_s < end_s,
            Booking.dropoff_offset_s > start_s,
        )
    ).all()
    # Sweep: drop-offs before pickups at the same moment.
    events = sorted([(max(p, start_s), 1, s) for s, p, _ in rows] + [(d, 0, -s) for s, _, d in rows])
    most = current = 0
    for _, _, change in events:
        current += change
        most = max(most, current)
    return most


def most_held(trip: Trip) -> int:
    """The most seats accepted bookings take at once anywhere on the trip."""
    return booked(trip.id, 0.0, trip.time_s + 1)


def record(booking: Booking, status: str, actor_id: int | None, note: str = "") -> None:
    """Change a booking's status and keep the change in its history."""
    booking.status = status
    booking.events.append(BookingEvent(status=status, actor_id=actor_id, note=note))


def release_all(trip_id: int, actor_id: int, note: str) -> list[Booking]:
    """Cancel every booking of a trip that holds or asks for seats (the trip is
    cancelled); returns them. The caller commits."""
    held = list(
        db.session.scalars(select(Booking).where(Booking.trip_id == trip_id, Booking.status.in_(HOLDING)))
    )
    for booking in held:
        record(booking, "cancelled", actor_id, note)
    return held
