"""The site's public figures (the transparency page): trips published, seats booked,
kilometres shared and the CO₂ they avoided, month by month and in all.

Only what happened counts. Seats, kilometres and CO₂ come from *rides*: accepted
bookings, on trips that were not cancelled, whose drop-off time has passed (the trip
left and reached the passenger's drop-off). A booking for a trip to come is never
counted, so the page never shows kilometres that have not been driven yet. Trips
published are counted from the month they were published in, unless cancelled.

Months are calendar months in the site's ``TIMEZONE``: a trip leaving at 00:30 on
1 March in Paris is a March trip, though it is still February in UTC.

The distance a passenger shares is not stored: it is the routing core's
:attr:`routing.Match.shared_length_m` for the booking's pickup and drop-off on its
trip's route, computed again as when the booking was made (the route is rebuilt from
the trip's stops, and a match takes the smallest detour whatever the limit, so it is
the same insertion), then remembered per booking for the life of the process: a ride
that has taken place does not change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from routing import RoutingError

from ..extensions import db
from ..i18n import site_zone
from ..models import Booking, Trip
from .roads import RoadGraphMissing, get_router, trip_legs

__all__ = [
    "MONTHS",
    "Figures",
    "Transparency",
    "last_months",
    "month_of",
    "monthly_counts",
    "shared_length_m",
    "transparency",
]

#: Months the transparency page shows, the current one included.
MONTHS = 12
#: Shared lengths already computed, per booking id: one float per ride, in the app.
_SHARED_KEY = "carpool.shared_length_m"


@dataclass(frozen=True)
class Figures:
    """What happened over a period.

    ``km`` are passenger-kilometres: for each ride, its seats times the distance the
    passenger rode with the driver. ``co2_kg`` is what those kilometres avoided at
    ``CO2_G_PER_KM``.
    """

    trips: int
    seats: int
    km: float
    co2_kg: float


@dataclass(frozen=True)
class Transparency:
    """The transparency page's figures: one entry per month in each series (oldest
    first, months with nothing at 0), and the totals since the site opened.

    ``timezone`` is the one the months are counted in. ``unmeasured`` counts rides
    whose distance the road graph loaded now cannot give (a region imported again
    without their roads): their seats count, their kilometres do not.
    """

    months: tuple[date, ...]
    trips: tuple[int, ...]
    seats: tuple[int, ...]
    km: tuple[float, ...]
    co2_kg: tuple[float, ...]
    total: Figures
    co2_g_per_km: float
    unmeasured: int
    timezone: str


def month_of(moment: datetime, zone: ZoneInfo) -> date:
    """The first day of the month ``moment`` falls in, in ``zone``.

    Examples
    --------
    >>> month_of(datetime(2025, 2, 28, 23, 30, tzinfo=UTC), ZoneInfo("Europe/Paris"))
    datetime.date(2025, 3, 1)
    """
    local = moment.astimezone(zone)
    return date(local.year, local.month, 1)


def last_months(now: datetime, count: int, zone: ZoneInfo) -> tuple[date, ...]:
    """The first days of the ``count`` months up to ``now``'s (included), oldest first.

    Examples
    --------
    >>> last_months(datetime(2025, 2, 10, tzinfo=UTC), 3, ZoneInfo("Europe/Paris"))
    (datetime.date(2024, 12, 1), datetime.date(2025, 1, 1), datetime.date(2025, 2, 1))
    """
    current = month_of(now, zone)
    index = current.year * 12 + current.month - 1
    return tuple(date((i // 12), i % 12 + 1, 1) for i in range(index - count + 1, index + 1))


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def monthly_counts(
    column: InstrumentedAttribute[datetime],
    months: Sequence[date],
    *,
    where: Iterable[ColumnElement[bool]] = (),
    zone: ZoneInfo | None = None,
) -> tuple[int, ...]:
    """How many rows of ``column``'s table fall in each of ``months``, by that moment.

    Parameters
    ----------
    column : InstrumentedAttribute[datetime]
        A model's moment column (``User.created_at``): it says which month a row is in.
    months : sequence of date
        The first days of consecutive months, oldest first (see :func:`last_months`).
    where : iterable of ColumnElement[bool], optional
        Conditions the rows counted meet besides (``Trip.status == "published"``).
    zone : ZoneInfo, optional
        The time zone the months are in; the site's ``TIMEZONE`` by default.

    Returns
    -------
    tuple of int
        One count per month, 0 for a month without rows.
    """
    zone = zone or site_zone()
    starts = [datetime.combine(month, time.min, zone) for month in months]
    starts.append(datetime.combine(_next_month(months[-1]), time.min, zone))
    # Counted by the database, in one query whatever the rows: the local months'
    # boundaries are computed here as moments, and a CASE on them names each row's
    # month. Both SQLite and PostgreSQL run that alike, where truncating to a month in
    # the site's time zone would not be portable (SQLite knows no time zones).
    bucket = case(*((column < end, i) for i, end in enumerate(starts[1:])))
    rows = select(bucket.label("month")).where(column >= starts[0], column < starts[-1], *where).subquery()
    # Grouped by the subquery's column: PostgreSQL would not see two copies of the CASE,
    # each with its own parameters, as the same expression.
    per_month = [0] * len(months)
    for month, count in db.session.execute(select(rows.c.month, func.count()).group_by(rows.c.month)):
        per_month[month] += count
    return tuple(per_month)


def shared_length_m(booking: Booking) -> float | None:
    """The distance in metres the booking's passenger rides with the driver, from the
    pickup to the drop-off (see the module's note); None when the road graph loaded
    now cannot route it."""
    if booking.shared_m is not None:  # kept at booking
        return booking.shared_m
    cache: dict[int, float | None] = current_app.extensions.setdefault(_SHARED_KEY, {})
    if booking.id in cache:
        return cache[booking.id]
    try:
        match = get_router().match(
            trip_legs(booking.trip),
            (booking.pickup_lat, booking.pickup_lon),
            (booking.dropoff_lat, booking.dropoff_lon),
            max_detour_s=math.inf,
        )
    except (RoutingError, RoadGraphMissing):
        return None  # not remembered: the next import may route it
    length = match.shared_length_m if match is not None else None
    cache[booking.id] = length
    return length


def _rides(now: datetime) -> Iterator[Booking]:
    """Accepted bookings on trips not cancelled whose drop-off is past."""
    bookings = db.session.scalars(
        select(Booking)
        .join(Trip, Trip.id == Booking.trip_id)
        .where(Booking.status == "accepted", Trip.status == "published", Trip.departure_at <= now)
        .options(selectinload(Booking.trip).selectinload(Trip.stops))
    )
    for booking in bookings:
        if booking.trip.departure_at + timedelta(seconds=booking.dropoff_offset_s) <= now:
            yield booking


def _trips_published(now: datetime, firsts: tuple[date, ...], zone: ZoneInfo) -> tuple[list[int], int]:
    """Trips not cancelled published in each of the months ``firsts``, and in all."""
    # Neither cancelled trips nor those the moderators withdrew.
    counted = (Trip.status == "published", Trip.created_at <= now)
    per_month = list(monthly_counts(Trip.created_at, firsts, where=counted, zone=zone))
    return per_month, db.session.scalar(select(func.count(Trip.id)).where(*counted)) or 0


@dataclass
class _Shared:
    """Seats and passenger-metres of the rides, per month (by departure) and in all."""

    seats: list[int]
    metres: list[float]
    total_seats: int = 0
    total_metres: float = 0.0
    unmeasured: int = 0


def _rides_shared(now: datetime, firsts: tuple[date, ...], zone: ZoneInfo) -> _Shared:
    index = {month: i for i, month in enumerate(firsts)}
    shared = _Shared(seats=[0] * len(firsts), metres=[0.0] * len(firsts))
    for ride in _rides(now):
        length = shared_length_m(ride)
        shared.unmeasured += length is None
        passenger_m = ride.seats * (length or 0.0)
        shared.total_seats += ride.seats
        shared.total_metres += passenger_m
        i = index.get(month_of(ride.trip.departure_at, zone))
        if i is not None:  # older rides count in the totals only
            shared.seats[i] += ride.seats
            shared.metres[i] += passenger_m
    return shared


def transparency(*, now: datetime | None = None, months: int = MONTHS) -> Transparency:
    """The figures of the ``months`` months up to ``now``'s, and since the start (see
    the module's note on what counts)."""
    now = now or datetime.now(UTC)
    zone = site_zone()
    firsts = last_months(now, months, zone)
    trips, total_trips = _trips_published(now, firsts, zone)
    shared = _rides_shared(now, firsts, zone)
    factor = float(current_app.config["CO2_G_PER_KM"])
    km = tuple(m / 1000 for m in shared.metres)
    total_km = shared.total_metres / 1000
    return Transparency(
        months=firsts,
        trips=tuple(trips),
        seats=tuple(shared.seats),
        km=km,
        co2_kg=tuple(k * factor / 1000 for k in km),
        total=Figures(
            trips=total_trips, seats=shared.total_seats, km=total_km, co2_kg=total_km * factor / 1000
        ),
        co2_g_per_km=factor,
        unmeasured=shared.unmeasured,
        timezone=str(zone),
    )
