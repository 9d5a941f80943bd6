"""Bookings: a passenger asks for seats on their own leg of a trip, the driver answers,
either can cancel. Seats are never sold twice: every change of seats takes the trip's
row lock first (:func:`carpool.services.seats.lock`).

Each change is one transaction, all or nothing (:func:`_all_or_nothing`): the booking,
its history, its seats and the mails that tell of it are committed together, or not
at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import or_, select

from routing import LatLon, RoutingError

from ..extensions import db
from ..i18n import site_zone
from ..models import Booking, RegularTrip, Trip, User
from . import mail, notify, reviews, seats, standing
from .messages import DateText, ServiceError, routing_problem
from .roads import get_router, trip_legs
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
    "PeriodRequest",
    "accept",
    "answer_period",
    "cancel_booking",
    "cancel_period",
    "decline",
    "get_booking",
    "my_trips",
    "period_of",
    "remind_tomorrow",
    "request_booking",
    "request_period",
    "trip_bookings",
]

ACTIVE = seats.HOLDING
MAX_MESSAGE = 1000

P = ParamSpec("P")
R = TypeVar("R")


def _all_or_nothing(change: Callable[P, R]) -> Callable[P, R]:
    """Roll back what ``change`` wrote unless it returns.

    A change writes before it is done (the seat lock, the booking, its history, then
    its mails): failing in between (a mail that cannot be written, a worker stopped
    by its timeout, which raises SystemExit) must not leave the booking half made in
    the session, for the caller's next commit to store, nor the trip's seats locked
    until the session ends (on SQLite, the whole database for writing).
    """

    @wraps(change)
    def all_or_nothing(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return change(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise

    return all_or_nothing


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


@_all_or_nothing
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
    booking = _book(trip, passenger_id, request, now)
    notify.booking_changed(booking, "instant" if trip.instant_booking else "requested")
    db.session.commit()
    mail.deliver_soon()
    return booking.id


def _book(
    trip: Trip, passenger_id: int, request: BookingRequest, now: datetime, period_key: str | None = None
) -> Booking:
    """The booking of ``request`` on ``trip``, checked under the trip's seat lock and
    added to the session (the caller notifies and commits); on a refusal the
    transaction is rolled back."""
    if not 1 <= request.seats <= trip.seats:
        raise BookingError(_l("Ask for between 1 and %(most)d seats.", most=trip.seats))
    try:
        match = get_router().match(
            trip_legs(trip), request.pickup, request.dropoff, max_detour_s=trip.max_detour_s
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
        shared_m=match.shared_length_m,
        price_cents=per_seat * request.seats,
        currency=trip.currency,
        message=clean_text(request.message, limit=MAX_MESSAGE),
        period_key=period_key,
    )
    seats.record(booking, "requested", passenger_id, booking.message)
    if trip.instant_booking:
        seats.record(booking, "accepted", None)
    db.session.add(booking)
    db.session.flush()  # its id, for the mails' links
    return booking


@dataclass(frozen=True)
class PeriodRequest:
    """Seats on every date from ``first_day`` to ``last_day`` (local dates) of the
    regular trip ``trip_id`` is a date of, from the passenger's pickup to their
    drop-off."""

    trip_id: int
    first_day: date
    last_day: date
    pickup: LatLon
    dropoff: LatLon
    pickup_name: str
    dropoff_name: str
    seats: int
    message: str = ""


def _local_day(trip: Trip) -> date:
    return trip.departure_at.astimezone(site_zone()).date()


@_all_or_nothing
def request_period(passenger_id: int, request: PeriodRequest, *, now: datetime | None = None) -> int:
    """Ask for seats on every date of a regular trip in a period, all or none: one
    booking per date, answered and cancelled together; returns the first one's id.
    The driver is told once.

    Raises
    ------
    TripNotFound
        If there is no such trip.
    BookingError
        For a trip that is not a date of a regular trip, a period without a date
        still to come, or any date that cannot be booked (its date is named).
    """
    now = now or datetime.now(UTC)
    regular_id = _open_trip(request.trip_id, passenger_id).regular_id
    if regular_id is None:
        raise BookingError(_l("This trip is not a regular trip."))
    if request.last_day < request.first_day:
        raise BookingError(_l("The last date comes before the first."))
    dates = [
        trip
        for trip in db.session.scalars(
            # Locks are taken in the order of the trips' ids: two periods never wait
            # for each other.
            select(Trip)
            .where(Trip.regular_id == regular_id, Trip.status == "published", Trip.departure_at > now)
            .order_by(Trip.id)
        )
        if request.first_day <= _local_day(trip) <= request.last_day
    ]
    if not dates:
        raise BookingError(_l("This regular trip has no date to come in this period."))
    key = uuid.uuid4().hex
    booked: list[Booking] = []
    for trip in dates:
        one = BookingRequest(
            trip_id=trip.id,
            pickup=request.pickup,
            dropoff=request.dropoff,
            pickup_name=request.pickup_name,
            dropoff_name=request.dropoff_name,
            seats=request.seats,
            message=request.message,
        )
        day = _local_day(trip)
        try:
            booked.append(_book(trip, passenger_id, one, now, period_key=key))
        except BookingError as refused:
            db.session.rollback()
            raise BookingError(
                _l("%(date)s: %(problem)s", date=DateText(day), problem=refused.message)
            ) from refused
    booked.sort(key=_pickup_at)
    notify.booking_changed(booked[0], "instant" if dates[0].instant_booking else "requested", period=booked)
    db.session.commit()
    mail.deliver_soon()
    return booked[0].id


def period_of(booking: Booking) -> list[Booking]:
    """The bookings asked for together with ``booking`` (itself alone if none), by
    pickup time."""
    if booking.period_key is None:
        return [booking]
    together = db.session.scalars(select(Booking).where(Booking.period_key == booking.period_key))
    return sorted(together, key=_pickup_at)


def _booking(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingNotFound(booking_id)
    return booking


def _as_driver(booking_id: int, driver_id: int) -> Booking:
    """The booking a driver answers: their trip's, and only while they may act."""
    booking = _booking(booking_id)
    if booking.trip.driver_id != driver_id:
        raise NotYourBooking(booking_id)
    refused = standing.refusal(driver_id)
    if refused is not None:
        raise BookingError(refused)
    return booking


@_all_or_nothing
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
    _accept(booking, driver_id, now)
    notify.booking_changed(booking, "accepted")
    db.session.commit()
    mail.deliver_soon()


def _accept(booking: Booking, driver_id: int, now: datetime) -> None:
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


@_all_or_nothing
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


@_all_or_nothing
def answer_period(
    booking_id: int, driver_id: int, *, accepted: bool, reason: str = "", now: datetime | None = None
) -> int:
    """The driver accepts, or declines, every date still waiting for an answer in
    the period of ``booking``: all or none; the passenger is told once. Returns how
    many dates were answered.

    Raises
    ------
    BookingNotFound, NotYourBooking
        As :func:`accept`.
    BookingError
        If no date waits for an answer, or (accepting) a date's seats are taken
        (its date is named).
    """
    now = now or datetime.now(UTC)
    booking = _as_driver(booking_id, driver_id)
    waiting = [b for b in period_of(booking) if b.status == "requested" and _pickup_at(b) > now]
    if not waiting:
        raise BookingError(_l("This booking is not waiting for an answer."))
    for one in sorted(waiting, key=lambda b: b.trip_id):  # locks in the order of the trips
        if not accepted:
            seats.record(one, "declined", driver_id, clean_text(reason, limit=500))
            continue
        try:
            _accept(one, driver_id, now)
        except BookingError as refused:
            raise BookingError(
                _l("%(date)s: %(problem)s", date=DateText(_local_day(one.trip)), problem=refused.message)
            ) from refused
    notify.booking_changed(waiting[0], "accepted" if accepted else "declined", period=waiting)
    db.session.commit()
    mail.deliver_soon()
    return len(waiting)


def _cancel(booking: Booking, user_id: int, reason: str, now: datetime) -> None:
    deadline = _pickup_at(booking) - timedelta(hours=current_app.config["LATE_CANCELLATION_HOURS"])
    booking.late_cancellation = booking.status == "accepted" and now > deadline
    seats.record(booking, "cancelled", user_id, clean_text(reason, limit=500))


def _as_party(booking_id: int, user_id: int) -> Booking:
    booking = _booking(booking_id)
    if user_id not in (booking.passenger_id, booking.trip.driver_id):
        raise NotYourBooking(booking_id)
    return booking


@_all_or_nothing
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
    booking = _as_party(booking_id, user_id)
    if booking.status not in ACTIVE:
        raise BookingError(_l("This booking is no longer active."))
    if _pickup_at(booking) <= now:
        raise BookingError(_l("The pickup has passed: this booking can no longer be cancelled."))
    _cancel(booking, user_id, reason, now)
    notify.booking_changed(booking, "cancelled")
    db.session.commit()
    mail.deliver_soon()


@_all_or_nothing
def cancel_period(booking_id: int, user_id: int, reason: str = "", *, now: datetime | None = None) -> int:
    """The passenger or the driver cancels every date still to come of the period
    of ``booking``; the other side is told once. Returns how many were cancelled.

    Raises
    ------
    BookingNotFound, NotYourBooking
        As :func:`cancel_booking`.
    BookingError
        If no date of the period is still active and to come.
    """
    now = now or datetime.now(UTC)
    booking = _as_party(booking_id, user_id)
    active = [b for b in period_of(booking) if b.status in ACTIVE and _pickup_at(b) > now]
    if not active:
        raise BookingError(_l("This booking is no longer active."))
    for one in active:
        _cancel(one, user_id, reason, now)
    notify.booking_changed(active[0], "cancelled", period=active)
    db.session.commit()
    mail.deliver_soon()
    return len(active)


@dataclass(frozen=True)
class EventView:
    status: str
    at: datetime
    note: str


@dataclass(frozen=True)
class BookingView:
    """A booking as its passenger or the trip's driver sees it.

    ``other_phone`` is the phone number of the other side, given only once the
    booking is accepted (and while it stays so); ``after`` is what the viewer may do
    once the pickup time has passed (review, report a no-show).
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
    after: reviews.AfterTrip
    #: The bookings asked for together on a regular trip: (id, pickup, status) each.
    period: tuple[tuple[int, datetime, str], ...] = ()

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def _view(booking: Booking, viewer_id: int, now: datetime, *, moderating: bool = False) -> BookingView:
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
        after=reviews.AfterTrip() if moderating else reviews.after_trip(booking, viewer_id, now),
        period=tuple((b.id, _pickup_at(b), b.status) for b in period_of(booking))
        if booking.period_key
        else (),
    )


def get_booking(booking_id: int, viewer_id: int, *, now: datetime | None = None) -> BookingView:
    """A booking for its page; the moderators (administrators) read it too, without
    the phone numbers and without changing it.

    Raises
    ------
    BookingNotFound, NotYourBooking
        For an unknown booking, or someone who is neither its passenger nor its
        driver nor a moderator.
    """
    now = now or datetime.now(UTC)
    booking = _booking(booking_id)
    if viewer_id in (booking.passenger_id, booking.trip.driver_id):
        return _view(booking, viewer_id, now)
    viewer = db.session.get(User, viewer_id)
    if viewer is None or not viewer.is_admin:
        raise NotYourBooking(booking_id)
    return _view(booking, viewer_id, now, moderating=True)


def trip_bookings(trip_id: int, driver_id: int, *, now: datetime | None = None) -> list[BookingView]:
    """The bookings of a driver's trip, in pickup order (empty for anyone else)."""
    rows = db.session.scalars(
        select(Booking)
        .join(Trip, Trip.id == Booking.trip_id)
        .where(Booking.trip_id == trip_id, Trip.driver_id == driver_id)
        .order_by(Booking.pickup_offset_s, Booking.id)
    )
    now = now or datetime.now(UTC)
    return [_view(b, driver_id, now) for b in rows]


#: A trip in "My trips": id, "From → To", departure, status, its bookings.
DrivenTrip = tuple[int, str, datetime, str, tuple[BookingView, ...]]


@dataclass(frozen=True)
class MyTrips:
    """A member's trips as a driver and bookings as a passenger, to come and past."""

    regular: tuple[tuple[int, date], ...]  # regular trips driven: id, last date
    driving: tuple[DrivenTrip, ...]
    riding: tuple[BookingView, ...]
    past_driving: tuple[DrivenTrip, ...]
    past_riding: tuple[BookingView, ...]


def my_trips(user_id: int, *, now: datetime | None = None) -> MyTrips:
    """What "My trips" shows: (trip id, route, departure, status, bookings) for each
    trip driven, and each booking as a passenger; past ones apart."""
    now = now or datetime.now(UTC)
    driven = db.session.scalars(
        select(Trip)
        .where(
            Trip.driver_id == user_id,
            # The dates of a regular trip are listed on its page; here, the next two weeks'.
            or_(Trip.regular_id.is_(None), Trip.departure_at <= now + timedelta(days=14)),
        )
        .order_by(Trip.departure_at.desc())
        .limit(200)
    )
    driving: list[DrivenTrip] = []
    past_driving: list[DrivenTrip] = []
    for trip in driven:
        entry: DrivenTrip = (
            trip.id,
            label(trip),
            trip.departure_at,
            trip.status,
            tuple(trip_bookings(trip.id, user_id, now=now)),
        )
        arrived = trip.departure_at + timedelta(seconds=trip.time_s) < now
        (past_driving if arrived else driving).append(entry)
    booked = db.session.scalars(
        select(Booking).where(Booking.passenger_id == user_id).order_by(Booking.id.desc()).limit(200)
    )
    riding: list[BookingView] = []
    past_riding: list[BookingView] = []
    for booking in booked:
        view = _view(booking, user_id, now)
        (past_riding if view.dropoff_at < now else riding).append(view)
    regular = db.session.execute(
        select(RegularTrip.id, RegularTrip.end_on)
        .where(RegularTrip.driver_id == user_id, RegularTrip.status == "published")
        .order_by(RegularTrip.id)
    ).all()
    return MyTrips(
        regular=tuple((row.id, row.end_on) for row in regular),
        driving=tuple(reversed(driving)),
        riding=tuple(sorted(riding, key=lambda b: b.pickup_at)),
        past_driving=tuple(past_driving),
        past_riding=tuple(past_riding),
    )


@_all_or_nothing
def remind_tomorrow(*, now: datetime | None = None) -> int:
    """Queue the reminders of trips that leave tomorrow (local date): to each
    passenger of an accepted booking, and to the driver when someone comes along.
    Each member is reminded once per trip, however often this runs; returns how
    many trips were looked at."""
    now = now or datetime.now(UTC)
    zone = site_zone()
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
