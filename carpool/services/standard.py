"""The French "standard covoiturage" interop API: what partners (MaaS platforms, other
operators) find here, in the shapes the standard gives.

Drivers' journeys are found by the site's own search (:func:`search.find_passing`:
en-route matching, each driver's detour limit), so a partner sees the trips and the
order a member would see; passengers' journeys are the public ride requests
(:func:`alerts.open_request_alerts`). The functions return JSON-ready dicts whose
keys are the standard's.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from routing import InvalidPointError, LatLon, RoutingError
from routing.distance import geodesic_m

from ..extensions import db
from ..i18n import site_zone
from ..models import Alert, RegularTrip, Trip, User
from . import alerts, reviews, search, seats
from .messages import ServiceError, routing_problem
from .polyline import encode
from .roads import get_router, trip_route

__all__ = [
    "DEFAULT_TIME_DELTA_S",
    "MAX_TIME_DELTA_S",
    "WEEKDAYS",
    "JourneyQuery",
    "RegularQuery",
    "StandardApiError",
    "driver_journeys",
    "driver_regular_trips",
    "operator_id",
    "passenger_journeys",
    "passenger_regular_trips",
]

#: The standard's names of the days of the week, Monday first (Python's weekday()).
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
DEFAULT_TIME_DELTA_S = 900
#: The widest time margin: the search's own flexibility, three days.
MAX_TIME_DELTA_S = search.MAX_FLEX_DAYS * 24 * 3600
#: Without maxDepartureDate, regular trips are listed for this long ahead.
DEFAULT_REGULAR_SPAN = timedelta(weeks=4)
#: The longest span asked for regular trips: a regular trip runs a year at most.
MAX_REGULAR_SPAN = timedelta(weeks=53)
#: How the standard's luggage sizes (1 very small … 5 very big) read ours.
_LUGGAGE_SIZE = {"small": 2, "medium": 3, "large": 4}
_DAY_S = 24 * 3600


class StandardApiError(ServiceError):
    """A partner's query that cannot be answered (a 400)."""


@dataclass(frozen=True)
class JourneyQuery:
    """A search for journeys on one date: from near ``departure`` to near
    ``arrival``, picked up at ``departure_date`` give or take ``time_delta_s``.
    Radii are in kilometres; ``count`` caps the results (None: all)."""

    departure: LatLon
    arrival: LatLon
    departure_date: datetime
    time_delta_s: int = DEFAULT_TIME_DELTA_S
    departure_radius_km: float = 1.0
    arrival_radius_km: float = 1.0
    count: int | None = None


@dataclass(frozen=True)
class RegularQuery:
    """A search for regular trips: picked up at ``time_of_day`` (local) give or take
    ``time_delta_s``, on some of ``weekdays`` (0 = Monday), with dates between
    ``min_departure`` (default now) and ``max_departure`` (default four weeks later)."""

    departure: LatLon
    arrival: LatLon
    time_of_day: time
    weekdays: frozenset[int] = frozenset(range(7))
    time_delta_s: int = DEFAULT_TIME_DELTA_S
    departure_radius_km: float = 1.0
    arrival_radius_km: float = 1.0
    min_departure: datetime | None = None
    max_departure: datetime | None = None
    count: int | None = None


# -- checks ---------------------------------------------------------------------------------


def _check_point(point: LatLon) -> None:
    lat, lon = point
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise StandardApiError(routing_problem(InvalidPointError(point)))
    try:
        get_router().snap(point)
    except RoutingError as error:
        raise StandardApiError(routing_problem(error)) from error


def _check_common(
    departure: LatLon, arrival: LatLon, delta_s: int, radii: tuple[float, float], count: int | None
) -> None:
    _check_point(departure)
    _check_point(arrival)
    if not 0 <= delta_s <= MAX_TIME_DELTA_S:
        raise StandardApiError(_l("timeDelta must be between 0 and %(most)d seconds.", most=MAX_TIME_DELTA_S))
    if not all(math.isfinite(radius) and radius >= 0 for radius in radii):
        raise StandardApiError(_l("A radius must be a positive number of kilometres."))
    if count is not None and count < 1:
        raise StandardApiError(_l("count must be at least 1."))


def _out_of_range() -> StandardApiError:
    return StandardApiError(_l("This date is out of range."))


#: Dates the API reads: far enough from the calendar's ends that moving them by a
#: margin or into the site's time zone cannot overflow.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _check_moment(moment: datetime) -> None:
    if not _EARLIEST <= moment <= _LATEST:
        raise _out_of_range()


# -- shared pieces --------------------------------------------------------------------------


def operator_id() -> str:
    """How this site names itself to partners: ``OPERATOR_ID``, else the host of
    ``SERVER_NAME``, else "carpool.localhost"."""
    configured = current_app.config.get("OPERATOR_ID") or current_app.config.get("SERVER_NAME") or ""
    return str(configured).split(":")[0] or "carpool.localhost"


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def _distance_m(a: LatLon, b: LatLon) -> int:
    return round(float(geodesic_m(a[0], a[1], b[0], b[1])))


def _node_point(node: int) -> LatLon:
    lat, lon = get_router().graph.node_latlon(node)
    return float(lat), float(lon)


def _user(user: User, grades: dict[int, Decimal]) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": str(user.id), "alias": user.display_name, "operator": operator_id()}
    if user.id in grades:
        rounded = int(grades[user.id].quantize(Decimal(1), rounding=ROUND_HALF_UP))
        shown["grade"] = min(5, max(1, rounded))
    return shown


def _preferences(trip: Trip) -> dict[str, Any]:
    """What the driver accepts on this trip, and their own music and chat wishes
    when they said them."""
    shown: dict[str, Any] = {
        "smoking": trip.smoking,
        "animals": trip.pets,
        "luggageSize": _LUGGAGE_SIZE.get(trip.luggage, 3),
    }
    music = {"music": True, "quiet": False}.get(trip.driver.music)
    if music is not None:
        shown["music"] = music
    talker = {"chatty": True, "quiet": False}.get(trip.driver.chattiness)
    if talker is not None:
        shown["isTalker"] = talker
    return shown


def _point_arg(point: LatLon) -> str:
    return f"{point[0]:.5f},{point[1]:.5f}"


def _trip_url(trip_id: int, pickup: LatLon, dropoff: LatLon) -> str:
    """The booking deep link: the trip's page with the passenger's pickup and
    drop-off, which its booking form takes."""
    return url_for(
        "trips.show", trip_id=trip_id, pickup=_point_arg(pickup), dropoff=_point_arg(dropoff), _external=True
    )


@dataclass(frozen=True)
class _Found:
    """A trip that passes, with the passenger's own pickup and drop-off nodes."""

    passing: search.Passing[Trip]
    pickup: LatLon
    dropoff: LatLon
    walk_to_pickup_m: int
    walk_from_dropoff_m: int


def _within_radii(
    passing: Sequence[search.Passing[Trip]], departure: LatLon, arrival: LatLon, radii_km: tuple[float, float]
) -> Iterator[_Found]:
    """The trips whose pickup and drop-off nodes are within the radii of the asked points."""
    for p in passing:
        pickup, dropoff = _node_point(p.match.pickup_node), _node_point(p.match.dropoff_node)
        to_pickup, from_dropoff = _distance_m(departure, pickup), _distance_m(dropoff, arrival)
        if to_pickup <= radii_km[0] * 1000 and from_dropoff <= radii_km[1] * 1000:
            yield _Found(p, pickup, dropoff, to_pickup, from_dropoff)


def _driver_trip(found: _Found, grades: dict[int, Decimal]) -> dict[str, Any]:
    """The standard's DriverTrip of a trip that passes."""
    p, trip = found.passing, found.passing.trip
    shown: dict[str, Any] = {
        "operator": operator_id(),
        "driver": _user(trip.driver, grades),
        "passengerPickupLat": found.pickup[0],
        "passengerPickupLng": found.pickup[1],
        "passengerDropLat": found.dropoff[0],
        "passengerDropLng": found.dropoff[1],
        "departureToPickupWalkingDistance": found.walk_to_pickup_m,
        "dropoffToArrivalWalkingDistance": found.walk_from_dropoff_m,
        "duration": round((p.dropoff_at - p.pickup_at).total_seconds()),
        "distance": round(p.match.shared_length_m),
        "driverDepartureLat": trip.stops[0].lat,
        "driverDepartureLng": trip.stops[0].lon,
        "driverArrivalLat": trip.stops[-1].lat,
        "driverArrivalLng": trip.stops[-1].lon,
        "driverDepartureAddress": trip.stops[0].name,
        "driverArrivalAddress": trip.stops[-1].name,
        "journeyPolyline": encode(trip_route(trip).coords),
        "preferences": _preferences(trip),
        "webUrl": _trip_url(trip.id, found.pickup, found.dropoff),
    }
    if trip.driver.car_model:
        shown["car"] = {"model": trip.driver.car_model}
    return shown


def _price(found: _Found) -> dict[str, Any]:
    trip = found.passing.trip
    cents = search.leg_price_cents(
        trip.contribution_cents, found.passing.match.shared_length_m, trip.length_m
    )
    return {"type": "PAYING" if cents else "FREE", "amount": cents / 100, "currency": trip.currency}


def _grades(users: Sequence[User]) -> dict[int, Decimal]:
    return reviews.average_ratings(user.id for user in users)


# -- driver journeys --------------------------------------------------------------------------


def _search_query(query: JourneyQuery, start: datetime, end: datetime) -> search.SearchQuery:
    """The site's search for a pickup between ``start`` and ``end``: that time window
    on its day; across midnight, the days around without a window (the results are
    then kept to the margin)."""
    zone = site_zone()
    first, last = start.astimezone(zone), end.astimezone(zone)
    if first.date() == last.date():
        return search.SearchQuery(
            pickup=query.departure,
            dropoff=query.arrival,
            day=first.date(),
            time_from=first.time().replace(tzinfo=None),
            time_to=last.time().replace(tzinfo=None),
        )
    day = query.departure_date.astimezone(zone).date()
    flex = max((day - first.date()).days, (last.date() - day).days)
    if flex > search.MAX_FLEX_DAYS:
        raise StandardApiError(_l("timeDelta must be between 0 and %(most)d seconds.", most=MAX_TIME_DELTA_S))
    return search.SearchQuery(pickup=query.departure, dropoff=query.arrival, day=day, flex_days=flex)


def _margin(moment: datetime, delta_s: int) -> tuple[datetime, datetime]:
    _check_moment(moment)
    return moment - timedelta(seconds=delta_s), moment + timedelta(seconds=delta_s)


def driver_journeys(query: JourneyQuery, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Drivers' journeys that can take the passenger, as the site's search ranks them.

    Parameters
    ----------
    query : JourneyQuery
        The partner's search; the pickup must be within ``time_delta_s`` of
        ``departure_date``, the pickup and drop-off nodes within the radii of the
        asked points.
    now : datetime, optional
        The present (tests); no pickup before it is offered.

    Returns
    -------
    list of dict
        DriverJourney objects, at most ``count``.

    Raises
    ------
    StandardApiError
        For impossible points or points outside the region, a negative radius or
        margin, a margin over three days, ``count`` under 1, or a date out of range.
    """
    _check_common(
        query.departure,
        query.arrival,
        query.time_delta_s,
        (query.departure_radius_km, query.arrival_radius_km),
        query.count,
    )
    start, end = _margin(query.departure_date, query.time_delta_s)
    try:
        passing = search.find_passing(_search_query(query, start, end), now=now)
    except search.SearchError as error:
        raise StandardApiError(error.message) from error
    in_margin = [p for p in passing if start <= p.pickup_at <= end]
    radii = (query.departure_radius_km, query.arrival_radius_km)
    found = list(_within_radii(in_margin, query.departure, query.arrival, radii))[: query.count]
    grades = _grades([f.passing.trip.driver for f in found])
    return [_driver_journey(f, grades) for f in found]


def _driver_journey(found: _Found, grades: dict[int, Decimal]) -> dict[str, Any]:
    p = found.passing
    taken = seats.booked(p.trip.id, p.match.pickup_offset_s, p.match.dropoff_offset_s)
    return {
        **_driver_trip(found, grades),
        "id": str(p.trip.id),
        "passengerPickupDate": _seconds(p.pickup_at),
        "driverDepartureDate": _seconds(p.trip.departure_at),
        "type": "PLANNED",
        "availableSeats": max(0, p.trip.seats - taken),
        "price": _price(found),
    }


# -- passenger journeys -----------------------------------------------------------------------


def _near(alert: Alert, departure: LatLon, arrival: LatLon, radii_km: tuple[float, float]) -> bool:
    return (
        _distance_m(departure, (alert.origin_lat, alert.origin_lon)) <= radii_km[0] * 1000
        and _distance_m(arrival, (alert.destination_lat, alert.destination_lon)) <= radii_km[1] * 1000
    )


def _applies_on(alert: Alert, day: date, today: date) -> bool:
    """Whether the alert asks for a ride on ``day``."""
    if not today <= day <= alert.expires_on:
        return False
    if alert.day is not None:
        return abs((day - alert.day).days) <= alert.flex_days
    return bool(alert.weekdays >> day.weekday() & 1)


def _hours_of(alert: Alert, day: date) -> tuple[datetime, datetime]:
    """The alert's time window on ``day``, as moments (the whole day without one)."""
    zone = site_zone()
    start = datetime.combine(day, alert.time_from or time.min, zone)
    end = datetime.combine(day, alert.time_to or time.max, zone)
    return start, end


def _days_between(start: datetime, end: datetime) -> Iterator[date]:
    zone = site_zone()
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def _pickup_moment(
    alert: Alert, wished: datetime, start: datetime, end: datetime, now: datetime
) -> datetime | None:
    """The moment nearest ``wished``, between ``start`` and ``end`` and not past,
    at which the alert's passenger wants to be picked up; None if there is none."""
    today = now.astimezone(site_zone()).date()
    best: datetime | None = None
    for day in _days_between(start, end):
        if not _applies_on(alert, day, today):
            continue
        hours_start, hours_end = _hours_of(alert, day)
        low, high = max(start, hours_start, now), min(end, hours_end)
        if low > high:
            continue
        moment = min(max(wished, low), high)
        if best is None or abs(moment - wished) < abs(best - wished):
            best = moment
    return best


@dataclass(frozen=True)
class _Ride:
    """The route a passenger asks for, driven directly."""

    time_s: float
    length_m: float


def _direct_ride(alert: Alert) -> _Ride | None:
    try:
        route = get_router().route(
            (alert.origin_lat, alert.origin_lon), (alert.destination_lat, alert.destination_lon)
        )
    except RoutingError:
        return None
    return _Ride(route.time_s, route.length_m)


def _passenger_trip(alert: Alert, ride: _Ride, grades: dict[int, Decimal]) -> dict[str, Any]:
    """The standard's PassengerTrip of a ride request."""
    return {
        "operator": operator_id(),
        "passenger": _user(alert.user, grades),
        "passengerPickupLat": alert.origin_lat,
        "passengerPickupLng": alert.origin_lon,
        "passengerDropLat": alert.destination_lat,
        "passengerDropLng": alert.destination_lon,
        "passengerPickupAddress": alert.origin,
        "passengerDropAddress": alert.destination,
        "duration": round(ride.time_s),
        "distance": round(ride.length_m),
        "webUrl": url_for("alerts.requests", _external=True),
    }


def passenger_journeys(query: JourneyQuery, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Passengers' public ride requests that a driver leaving near ``departure`` for
    near ``arrival`` at ``departure_date`` (give or take ``time_delta_s``) can take.

    A request matches when its places are within the radii of the asked points and
    its date (or day of the week) and hours include a moment of the margin; the
    pickup given is that moment nearest ``departure_date``. Soonest pickup first.

    Returns
    -------
    list of dict
        PassengerJourney objects, at most ``count``.

    Raises
    ------
    StandardApiError
        As :func:`driver_journeys`.
    """
    _check_common(
        query.departure,
        query.arrival,
        query.time_delta_s,
        (query.departure_radius_km, query.arrival_radius_km),
        query.count,
    )
    now = now or datetime.now(UTC)
    start, end = _margin(query.departure_date, query.time_delta_s)
    radii = (query.departure_radius_km, query.arrival_radius_km)
    matched = []
    for alert in alerts.open_request_alerts(now=now):
        if not _near(alert, query.departure, query.arrival, radii):
            continue
        pickup_at = _pickup_moment(alert, query.departure_date, start, end, now)
        ride = _direct_ride(alert) if pickup_at is not None else None
        if pickup_at is not None and ride is not None:
            matched.append((pickup_at, alert, ride))
    matched.sort(key=lambda found: (found[0], found[1].id))
    matched = matched[: query.count]
    grades = _grades([alert.user for _, alert, _ in matched])
    return [
        {
            **_passenger_trip(alert, ride, grades),
            "id": str(alert.id),
            "requestedSeats": alert.seats,
            "passengerPickupDate": _seconds(pickup_at),
            # The standard requires it: the driver's departure the partner asked for.
            "driverDepartureDate": _seconds(query.departure_date),
            "type": "PLANNED",
        }
        for pickup_at, alert, ride in matched
    ]


# -- regular trips ----------------------------------------------------------------------------


def _check_regular(query: RegularQuery, now: datetime) -> tuple[datetime, datetime]:
    """The query checked, and the dates it covers."""
    _check_common(
        query.departure,
        query.arrival,
        query.time_delta_s,
        (query.departure_radius_km, query.arrival_radius_km),
        query.count,
    )
    if not query.weekdays or not query.weekdays <= set(range(7)):
        raise StandardApiError(_l("departureWeekdays must be days among MON, TUE, WED, THU, FRI, SAT, SUN."))
    for bound in (query.min_departure, query.max_departure):
        if bound is not None:
            _check_moment(bound)
    first = max(query.min_departure or now, now)
    last = query.max_departure or first + DEFAULT_REGULAR_SPAN
    if last < first:
        raise StandardApiError(_l("maxDepartureDate comes before minDepartureDate."))
    if last - first > MAX_REGULAR_SPAN:
        raise StandardApiError(_l("Ask for regular trips over one year at most."))
    return first, last


def _seconds_of_day(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _near_time_of_day(query: RegularQuery) -> Callable[[datetime], bool]:
    """Whether a pickup is on one of the query's days, within its margin of the time
    of day (the margin may run over midnight)."""
    zone = site_zone()
    wished = _seconds_of_day(query.time_of_day)

    def accepts(pickup_at: datetime) -> bool:
        local = pickup_at.astimezone(zone)
        gap = abs(_seconds_of_day(local.time()) - wished)
        return local.weekday() in query.weekdays and min(gap, _DAY_S - gap) <= query.time_delta_s

    return accepts


def _schedules(entries: Sequence[tuple[datetime, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Schedules: one per day of the week and pickup time, each with its dates."""
    zone = site_zone()
    grouped: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for pickup_at, journey in sorted(entries, key=lambda entry: entry[0]):
        local = pickup_at.astimezone(zone)
        grouped[(local.weekday(), local.strftime("%H:%M:%S"))].append(journey)
    return [
        {"passengerPickupDay": WEEKDAYS[day], "passengerPickupTimeOfDay": hour, "journeySchedules": journeys}
        for (day, hour), journeys in sorted(grouped.items())
    ]


def _published_series(regular_ids: set[int]) -> set[int]:
    return set(
        db.session.scalars(
            select(RegularTrip.id).where(RegularTrip.id.in_(regular_ids), RegularTrip.status == "published")
        )
    )


def driver_regular_trips(query: RegularQuery, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Drivers' regular trips whose dates between the query's bounds can take the
    passenger on the asked days, near the asked time of day.

    Each regular trip is matched date by date (its dates are trips of their own, so
    this is the search's rule); it is shown as its first matching date, with a
    schedule per day of the week and pickup time listing the matching dates.

    Returns
    -------
    list of dict
        DriverTrip objects with ``schedules``, soonest first, at most ``count``.

    Raises
    ------
    StandardApiError
        As :func:`driver_journeys`, and for days that are not days of the week or
        bounds that end before they start or span more than a year.
    """
    now = now or datetime.now(UTC)
    first, last = _check_regular(query, now)
    try:
        # Trips leaving between the two bounds, reaching the pickup after leaving.
        trips = [
            trip
            for trip in search.candidates_between(
                query.departure, query.arrival, first, last + search.LONGEST_TRIP
            )
            if first <= trip.departure_at <= last
        ]
    except RoutingError as error:
        raise StandardApiError(routing_problem(error)) from error
    published = _published_series({trip.regular_id for trip in trips if trip.regular_id is not None})
    occurrences = [trip for trip in trips if trip.regular_id in published]
    accepts = _near_time_of_day(query)
    try:
        passing = search.passing_trips(
            occurrences, query.departure, query.arrival, accepts=lambda at: at >= now and accepts(at)
        )
    except RoutingError as error:  # the routing server is down
        raise StandardApiError(routing_problem(error)) from error
    radii = (query.departure_radius_km, query.arrival_radius_km)
    by_series: dict[int, list[_Found]] = defaultdict(list)
    for found in _within_radii(
        sorted(passing, key=lambda p: p.pickup_at), query.departure, query.arrival, radii
    ):
        by_series[found.passing.trip.regular_id or 0].append(found)
    chosen = list(by_series.items())[: query.count]
    grades = _grades([dates[0].passing.trip.driver for _, dates in chosen])
    return [_driver_regular_trip(regular_id, dates, grades) for regular_id, dates in chosen]


def _driver_regular_trip(regular_id: int, dates: list[_Found], grades: dict[int, Decimal]) -> dict[str, Any]:
    entries = [
        (
            found.passing.pickup_at,
            {
                "id": str(found.passing.trip.id),
                "passengerPickupDate": _seconds(found.passing.pickup_at),
                "driverDepartureDate": _seconds(found.passing.trip.departure_at),
                "webUrl": _trip_url(found.passing.trip.id, found.pickup, found.dropoff),
                "type": "PLANNED",
            },
        )
        for found in dates
    ]
    return {
        **_driver_trip(dates[0], grades),
        "webUrl": url_for("trips.show_regular", regular_id=regular_id, _external=True),
        "schedules": _schedules(entries),
    }


def _window_seconds(alert: Alert) -> tuple[int, int]:
    start = _seconds_of_day(alert.time_from) if alert.time_from else 0
    end = _seconds_of_day(alert.time_to) if alert.time_to else _DAY_S - 1
    return start, end


def _pickup_time_of_day(alert: Alert, query: RegularQuery) -> int | None:
    """The time of day nearest the asked one, within its margin and the alert's
    hours; None if they do not meet."""
    start, end = _window_seconds(alert)
    wished = _seconds_of_day(query.time_of_day)
    low, high = max(start, wished - query.time_delta_s), min(end, wished + query.time_delta_s)
    if low > high:
        return None
    return min(max(wished, low), high)


def _alert_dates(
    alert: Alert, days: frozenset[int], seconds: int, first: datetime, last: datetime
) -> list[datetime]:
    """The pickups the alert asks for between ``first`` and ``last``, on ``days``."""
    zone = site_zone()
    hour = time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
    moments = []
    for day in _days_between(first, min(last, datetime.combine(alert.expires_on, time.max, zone))):
        moment = datetime.combine(day, hour, zone)
        if day.weekday() in days and alert.weekdays >> day.weekday() & 1 and first <= moment <= last:
            moments.append(moment)
    return moments


def passenger_regular_trips(query: RegularQuery, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Passengers' public ride requests on days of the week (regular needs) near the
    asked places, on some of the asked days, at hours within the margin of the asked
    time of day; each with a schedule per day and the dates to come.

    Returns
    -------
    list of dict
        PassengerTrip objects with ``schedules``, soonest first, at most ``count``.

    Raises
    ------
    StandardApiError
        As :func:`driver_regular_trips`.
    """
    now = now or datetime.now(UTC)
    first, last = _check_regular(query, now)
    radii = (query.departure_radius_km, query.arrival_radius_km)
    matched = []
    for alert in alerts.open_request_alerts(now=now):
        if alert.day is not None or not _near(alert, query.departure, query.arrival, radii):
            continue
        seconds = _pickup_time_of_day(alert, query)
        dates = _alert_dates(alert, query.weekdays, seconds, first, last) if seconds is not None else []
        ride = _direct_ride(alert) if dates else None
        if ride is not None:
            matched.append((dates, alert, ride))
    matched.sort(key=lambda found: (found[0][0], found[1].id))
    matched = matched[: query.count]
    grades = _grades([alert.user for _, alert, _ in matched])
    return [_passenger_regular_trip(alert, ride, dates, grades) for dates, alert, ride in matched]


def _passenger_regular_trip(
    alert: Alert, ride: _Ride, dates: list[datetime], grades: dict[int, Decimal]
) -> dict[str, Any]:
    web_url = url_for("alerts.requests", _external=True)
    entries = [
        (
            moment,
            {
                "id": f"{alert.id}-{moment.date().isoformat()}",
                "passengerPickupDate": _seconds(moment),
                "webUrl": web_url,
                "type": "PLANNED",
            },
        )
        for moment in dates
    ]
    return {**_passenger_trip(alert, ride, grades), "schedules": _schedules(entries)}
