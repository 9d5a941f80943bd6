"""Bookings: a passenger asks for seats on their own leg of a trip, the driver answers,
either can cancel. Seats are never sold twice: every change of seats takes the trip's
row lock first (:func:`carpool.services.seats.lock`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import select

from routing import LatLon, RoutingError

from ..extensions import db
from ..models import Booking, Trip, User
from . import mail, notify, seats, standing
from .messages import ServiceError, routing_problem
from .roads import get_router, trip_route
from .search import leg_price_cents
from .text import clean_name, clean_text
from .trips import TripNotFound, label

__all__ = [
    "ACTIVE",
    "BookingError",
    "BookingNotFound",
    "BookingRequest",
    "BookingView",
    "MyTrips",
    "NotYourBooking",
    "accept",
    "cancel_booking",
    "decline",
    "get_booking",
    "my_trips",
    "remind_tomorrow",
    "request_booking",
    "trip_bookings",
]

ACTIVE = seats.HOLDING
MAX_MESSAGE = 1000


class BookingError(ServiceError):
    """A booking, or a change of it, that cannot be made."""


class BookingNotFound(LookupError):
    """No booking has this id."""


class NotYourBooking(PermissionError):
    """Only the booking's passenger and the trip's driver may see or change it."""


@dataclass(frozen=True)
class BookingRequest:
    """What a passenger asks for, from a search result."""

    trip_id: int
    pickup: LatLon
    dropoff: LatLon
    pickup_name: str
    dropoff_name: str
    seats: int
    message: str = ""


def _pickup_at(booking: Booking) -> datetime:
    return booking.trip.departure_at + timedelta(seconds=booking.pickup_offset_s)


def _open_trip(trip_id: int, passenger_id: int) -> Trip:
    trip = db.session.get(Trip, trip_id)
    if trip is None:
        raise TripNotFound(trip_id)
    if trip.status != "published":
        raise BookingError(_l("This trip is cancelled."))
    if trip.driver_id == passenger_id:
        raise BookingError(_l("You cannot book your own trip."))
    if db.session.get(User, passenger_id) is None:
        raise BookingError(_l("Unknown passenger."))
    refused = standing.refusal(passenger_id)
    if refused is not None:
        raise BookingError(refused)
    return trip


def _no_seats(left: int) -> BookingError:
    if left <= 0:
        return BookingError(_l("No seat is left on this part of the trip."))
    return BookingError(
        lazy_ngettext(
            "Only %(num)d seat is left on this part of the trip.",
            "Only %(num)d seats are left on this part of the trip.",
            left,
        )
    )


def request_booking(passenger_id: int, request: BookingRequest, *, now: datetime | None = None) -> int:
    """Ask for seats on a trip, from the passenger's pickup to their drop-off; returns
    the booking's id. Accepted at once when the driver chose instant booking.

    Raises
    ------
    TripNotFound
        If there is no such trip.
    BookingError
        For one's own trip, a cancelled or departed trip, a pickup or drop-off the
        driver cannot take within their detour, a second booking on the same trip,
        more seats than are left on that part of the trip, or a suspended passenger.
    """
    now = now or datetime.now(UTC)
    trip = _open_trip(request.trip_id, passenger_id)
    if not 1 <= request.seats <= trip.seats:
        raise BookingError(_l("Ask for between 1 and %(most)d seats.", most=trip.seats))
    try:
        match = get_router().match(
            trip_route(trip), request.pickup, request.dropoff, max_detour_s=trip.max_detour_s
        )
    except RoutingError as error:
        raise BookingError(routing_problem(error)) from error
    if match is None or match.detour_s > trip.max_detour_s:
        raise BookingError(_l("This trip cannot take you there within the detour its driver accepts."))
    if trip.departure_at + timedelta(seconds=match.pickup_offset_s) <= now:
        raise BookingError(_l("This trip has already passed your pickup."))
    seats.lock(trip.id)
    mine = db.session.scalar(
        select(Booking.id).where(
            Booking.trip_id == trip.id, Booking.passenger_id == passenger_id, Booking.status.in_(ACTIVE)
        )
    )
    if mine is not None:
        db.session.rollback()
        raise BookingError(_l("You already have a booking on this trip."))
    left = trip.seats - seats.booked(trip.id, match.pickup_offset_s, match.dropoff_offset_s)
    if request.seats > left:
        db.session.rollback()
        raise _no_seats(left)
    per_seat = leg_price_cents(trip.contribution_cents, match.shared_length_m, trip.length_m)
    booking = Booking(
        trip_id=trip.id,
        passenger_id=passenger_id,
        seats=request.seats,
        pickup_name=clean_name(request.pickup_name)[:200],
        pickup_lat=request.pickup[0],
        pickup_lon=request.pickup[1],
        dropoff_name=clean_name(request.dropoff_name)[:200],
        dropoff_lat=request.dropoff[0],
        dropoff_lon=request.dropoff[1],
        pickup_offset_s=match.pickup_offset_s,
        dropoff_offset_s=match.dropoff_offset_s,
        detour_s=match.detour_s,
        price_cents=per_seat * request.seats,
        currency=trip.currency,
        message=clean_text(request.message, limit=MAX_MESSAGE),
    )
    seats.record(booking, "requested", passenger_id, booking.message)
    if trip.instant_booking:
        seats.record(booking, "accepted", None)
    db.session.add(booking)
    db.session.flush()  # its id, for the mails' links
    notify.booking_changed(booking, "instant" if trip.instant_booking else "requested")
    db.session.commit()
    mail.deliver_soon()
    return booking.id


def _booking(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingNotFound(booking_id)
    return booking


def _as_driver(booking_id: int, driver_id: int) -> Booking:
    booking = _booking(booking_id)
    if booking.trip.driver_id != driver_id:
        raise NotYourBooking(booking_id)
    return booking


def accept(booking_id: int, driver_id: int, *, now: datetime | None = None) -> None:
    """The driver accepts a requested booking, if its seats are still free.

    Raises
    ------
    BookingNotFound, NotYourBooking
        For an unknown booking, or one on another driver's trip.
    BookingError
        If the booking is not waiting for an answer, the trip is cancelled or has
        passed the pickup, or the seats are taken on part of the passenger's leg.
    """
    now = now or datetime.now(UTC)
    booking = _as_driver(booking_id, driver_id)
    seats.lock(booking.trip_id)
    # Read again under the lock: another request may have answered meanwhile.
    db.session.refresh(booking)
    db.session.refresh(booking.trip)
    if booking.status != "requested":
        db.session.rollback()
        raise BookingError(_l("This booking is not waiting for an answer."))
    if booking.trip.status != "published" or _pickup_at(booking) <= now:
        db.session.rollback()
        raise BookingError(_l("This trip is cancelled or has passed the pickup."))
    taken = seats.booked(booking.trip_id, booking.pickup_offset_s, booking.dropoff_offset_s)
    if booking.seats > booking.trip.seats - taken:
        db.session.rollback()
        raise _no_seats(booking.trip.seats - taken)
    seats.record(booking, "accepted", driver_id)
    notify.booking_changed(booking, "accepted")
    db.session.commit()
    mail.deliver_soon()


def decline(booking_id: int, driver_id: int, reason: str = "") -> None:
    """The driver declines a requested booking.

    Raises
    ------
    BookingNotFound, NotYourBooking
        As :func:`accept`.
    BookingError
        If the booking is not waiting for an answer.
    """
    booking = _as_driver(booking_id, driver_id)
    if booking.status != "requested":
        raise BookingError(_l("This booking is not waiting for an answer."))
    seats.record(booking, "declined", driver_id, clean_text(reason, limit=500))
    notify.booking_changed(booking, "declined")
    db.session.commit()
    mail.deliver_soon()


def cancel_booking(booking_id: int, user_id: int, reason: str = "", *, now: datetime | None = None) -> None:
    """The passenger or the driver cancels a booking before the pickup. Within
    ``LATE_CANCELLATION_HOURS`` of the pickup, an accepted booking's cancellation
    counts as late.

    Raises
    ------
    BookingNotFound, NotYourBooking
        For an unknown booking, or someone who is neither its passenger nor its driver.
    BookingError
        If it is already declined or cancelled, or the pickup has passed.
    """
    now = now or datetime.now(UTC)
    booking = _booking(booking_id)
    if user_id not in (booking.passenger_id, booking.trip.driver_id):
        raise NotYourBooking(booking_id)
    if booking.status not in ACTIVE:
        raise BookingError(_l("This booking is no longer active."))
    pickup_at = _pickup_at(booking)
    if pickup_at <= now:
        raise BookingError(_l("The pickup has passed: this booking can no longer be cancelled."))
    deadline = pickup_at - timedelta(hours=current_app.config["LATE_CANCELLATION_HOURS"])
    booking.late_cancellation = booking.status == "accepted" and now > deadline
    seats.record(booking, "cancelled", user_id, clean_text(reason, limit=500))
    notify.booking_changed(booking, "cancelled")
    db.session.commit()
    mail.deliver_soon()


@dataclass(frozen=True)
class EventView:
    status: str
    at: datetime
    note: str


@dataclass(frozen=True)
class BookingView:
    """A booking as its passenger or the trip's driver sees it.

    ``other_phone`` is the phone number of the other side, given only once the
    booking is accepted (and while it stays so).
    """

    id: int
    trip_id: int
    trip_from: str
    trip_to: str
    viewer_is_driver: bool
    #: A moderator (administrator) reads it: nothing to do on the page, no phone.
    moderating: bool
    driver_name: str
    passenger_name: str
    seats: int
    status: str
    pickup_name: str
    dropoff_name: str
    pickup_at: datetime
    dropoff_at: datetime
    price_cents: int
    currency: str
    message: str
    late_cancellation: bool
    other_phone: str
    events: tuple[EventView, ...]

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def _view(booking: Booking, viewer_id: int, *, moderating: bool = False) -> BookingView:
    trip = booking.trip
    as_driver = viewer_id == trip.driver_id
    other = booking.passenger if as_driver else trip.driver
    shared = booking.status == "accepted" and not moderating
    return BookingView(
        id=booking.id,
        trip_id=trip.id,
        trip_from=trip.stops[0].name,
        trip_to=trip.stops[-1].name,
        viewer_is_driver=as_driver,
        moderating=moderating,
        driver_name=trip.driver.display_name,
        passenger_name=booking.passenger.display_name,
        seats=booking.seats,
        status=booking.status,
        pickup_name=booking.pickup_name,
        dropoff_name=booking.dropoff_name,
        pickup_at=_pickup_at(booking),
        dropoff_at=trip.departure_at + timedelta(seconds=booking.dropoff_offset_s),
        price_cents=booking.price_cents,
        currency=booking.currency,
        message=booking.message,
        late_cancellation=booking.late_cancellation,
        other_phone=other.phone if shared else "",
        events=tuple(EventView(e.status, e.at, e.note) for e in booking.events),
    )


def get_booking(booking_id: int, viewer_id: int) -> BookingView:
    """A booking for its page; the moderators (administrators) read it too, without
    the phone numbers and without changing it.

    Raises
    ------
    BookingNotFound, NotYourBooking
        For an unknown booking, or someone who is neither its passenger nor its
        driver nor a moderator.
    """
    booking = _booking(booking_id)
    if viewer_id in (booking.passenger_id, booking.trip.driver_id):
        return _view(booking, viewer_id)
    viewer = db.session.get(User, viewer_id)
    if viewer is None or not viewer.is_admin:
        raise NotYourBooking(booking_id)
    return _view(booking, viewer_id, moderating=True)


def trip_bookings(trip_id: int, driver_id: int) -> list[BookingView]:
    """The bookings of a driver's trip, in pickup order (empty for anyone else)."""
    rows = db.session.scalars(
        select(Booking)
        .join(Trip, Trip.id == Booking.trip_id)
        .where(Booking.trip_id == trip_id, Trip.driver_id == driver_id)
        .order_by(Booking.pickup_offset_s, Booking.id)
    )
    return [_view(b, driver_id) for b in rows]


#: A trip in "My trips": id, "From → To", departure, status, its bookings.
DrivenTrip = tuple[int, str, datetime, str, tuple[BookingView, ...]]


@dataclass(frozen=True)
class MyTrips:
    """A member's trips as a driver and bookings as a passenger, to come and past."""

    driving: tuple[DrivenTrip, ...]
    riding: tuple[BookingView, ...]
    past_driving: tuple[DrivenTrip, ...]
    past_riding: tuple[BookingView, ...]


def my_trips(user_id: int, *, now: datetime | None = None) -> MyTrips:
    """What "My trips" shows: (trip id, route, departure, status, bookings) for each
    trip driven, and each booking as a passenger; past ones apart."""
    now = now or datetime.now(UTC)
    driven = db.session.scalars(
        select(Trip).where(Trip.driver_id == user_id).order_by(Trip.departure_at.desc()).limit(200)
    )
    driving: list[DrivenTrip] = []
    past_driving: list[DrivenTrip] = []
    for trip in driven:
        entry: DrivenTrip = (
            trip.id,
            label(trip),
            trip.departure_at,
            trip.status,
            tuple(trip_bookings(trip.id, user_id)),
        )
        arrived = trip.departure_at + timedelta(seconds=trip.time_s) < now
        (past_driving if arrived else driving).append(entry)
    booked = db.session.scalars(
        select(Booking).where(Booking.passenger_id == user_id).order_by(Booking.id.desc()).limit(200)
    )
    riding: list[BookingView] = []
    past_riding: list[BookingView] = []
    for booking in booked:
        view = _view(booking, user_id)
        (past_riding if view.dropoff_at < now else riding).append(view)
    return MyTrips(
        driving=tuple(reversed(driving)),
        riding=tuple(sorted(riding, key=lambda b: b.pickup_at)),
        past_driving=tuple(past_driving),
        past_riding=tuple(past_riding),
    )


def remind_tomorrow(*, now: datetime | None = None) -> int:
    """Queue the reminders of trips that leave tomorrow (local date): to each
    passenger of an accepted booking, and to the driver when someone comes along.
    Each member is reminded once per trip, however often this runs; returns how
    many trips were looked at."""
    now = now or datetime.now(UTC)
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time.min, zone)
    trips = list(
        db.session.scalars(
            select(Trip).where(
                Trip.status == "published",
                Trip.departure_at >= start,
                Trip.departure_at < start + timedelta(days=1),
            )
        )
    )
    for trip in trips:
        riding = list(
            db.session.scalars(
                select(Booking).where(Booking.trip_id == trip.id, Booking.status == "accepted")
            )
        )
        if riding:
            notify.reminder(trip.driver, trip, riding)
        for booking in riding:
            notify.reminder(booking.passenger, trip, [booking])
    db.session.commit()
    mail.deliver_soon()
    return len(trips)
