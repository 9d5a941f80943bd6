"""Search along the route: trips that can pick a passenger up and drop them off on
their way, within the detour each driver accepts (the routing core's ``match_many``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from routing import Route, RoutingError

from ..extensions import db
from ..models import Trip
from .messages import routing_problem
from .roads import get_router, trip_routes

__all__ = ["MAX_FLEX_DAYS", "SearchError", "SearchQuery", "SearchResult", "find"]

MAX_FLEX_DAYS = 3
#: Longest trip considered: a trip that left this long before the window may still
#: pass the pickup inside it.
_LONGEST_TRIP = timedelta(hours=12)
_ROUTE_CACHE_SIZE = 50_000


class SearchError(ValueError):
    """A search that cannot be made; ``message`` is translated when shown."""

    def __init__(self, message: object) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class SearchQuery:
    """Where from, where to and when a passenger wants to travel."""

    pickup: tuple[float, float]
    dropoff: tuple[float, float]
    day: date
    flex_days: int = 0
    time_from: time | None = None
    time_to: time | None = None


@dataclass(frozen=True)
class SearchResult:
    """One trip that can take the passenger, with their own pickup and drop-off."""

    trip_id: int
    driver_name: str
    detour_s: float
    pickup_at: datetime
    dropoff_at: datetime
    price_cents: int
    currency: str
    seats_left: int
    score: float


def trip_route(trip: Trip) -> Route:
    """The trip's route, computed once per process (and again after a new import)."""
    cache = trip_routes()
    route = cache.get(trip.id)
    if route is None:
        points = [(s.lat, s.lon) for s in trip.stops]
        route = get_router().route(points[0], points[-1], via=points[1:-1])
        cache[trip.id] = route
        while len(cache) > _ROUTE_CACHE_SIZE:
            cache.popitem(last=False)
    else:
        cache.move_to_end(trip.id)
    return route


def _window(query: SearchQuery, zone: ZoneInfo) -> tuple[datetime, datetime]:
    first = query.day - timedelta(days=query.flex_days)
    last = query.day + timedelta(days=query.flex_days)
    start = datetime.combine(first, query.time_from or time.min, zone)
    end = datetime.combine(last, query.time_to or time.max, zone)
    return start, end


def _validate(query: SearchQuery) -> None:
    if not 0 <= query.flex_days <= MAX_FLEX_DAYS:
        raise SearchError(_l("Dates can be flexible by at most %(days)d days.", days=MAX_FLEX_DAYS))
    if query.time_from and query.time_to and query.time_from > query.time_to:
        raise SearchError(_l("The time window ends before it starts."))


def _in_hours(moment: datetime, query: SearchQuery, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone).time()
    return (query.time_from is None or local >= query.time_from) and (
        query.time_to is None or local <= query.time_to
    )


def _gap_minutes(pickup_at: datetime, query: SearchQuery, zone: ZoneInfo) -> float:
    """How far the pickup is from what the passenger asked for: from the start of
    the time window on the asked day, or else in whole days."""
    if query.time_from is not None:
        wished = datetime.combine(query.day, query.time_from, zone)
        return abs((pickup_at - wished).total_seconds()) / 60
    return abs((pickup_at.astimezone(zone).date() - query.day).days) * 24 * 60.0


def find(query: SearchQuery, *, now: datetime | None = None) -> list[SearchResult]:
    """Trips that pass by the pickup, then the drop-off, in the query's dates.

    Ranked by score = detour in minutes + half the minutes between the pickup and
    the start of the wished time window on the asked day (without a time window: the
    days between), so a small detour at the wished time comes first; ties by pickup
    time.

    Raises
    ------
    SearchError
        For impossible dates or points outside the region.
    """
    _validate(query)
    now = now or datetime.now(UTC)
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    start, end = _window(query, zone)
    trips = list(
        db.session.scalars(
            select(Trip)
            .where(
                Trip.status == "published",
                # In UTC, as stored: SQLite keeps no time zone and compares text.
                Trip.departure_at >= max(start - _LONGEST_TRIP, now).astimezone(UTC),
                Trip.departure_at <= end.astimezone(UTC),
            )
            .options(selectinload(Trip.stops), selectinload(Trip.driver))
        )
    )
    if not trips:
        return []
    routes = [trip_route(t) for t in trips]
    try:
        matches = get_router().match_many(
            routes, query.pickup, query.dropoff, max_detour_s=max(t.max_detour_s for t in trips)
        )
    except RoutingError as error:
        raise SearchError(routing_problem(error)) from error
    results = []
    for trip, match in zip(trips, matches, strict=True):
        if match is None or match.detour_s > trip.max_detour_s:
            continue
        departure = trip.departure_at.replace(tzinfo=trip.departure_at.tzinfo or UTC)
        pickup_at = departure + timedelta(seconds=match.pickup_offset_s)
        if not (start <= pickup_at <= end and _in_hours(pickup_at, query, zone)) or pickup_at < now:
            continue
        share = min(1.0, match.shared_length_m / trip.length_m) if trip.length_m else 1.0
        wait_min = _gap_minutes(pickup_at, query, zone)
        results.append(
            SearchResult(
                trip_id=trip.id,
                driver_name=trip.driver.display_name,
                detour_s=match.detour_s,
                pickup_at=pickup_at,
                dropoff_at=departure + timedelta(seconds=match.dropoff_offset_s),
                price_cents=round(trip.contribution_cents * share / 10) * 10,
                currency=trip.currency,
                seats_left=trip.seats,
                score=match.detour_s / 60 + wait_min / 2,
            )
        )
    return sorted(results, key=lambda r: (r.score, r.pickup_at))
