"""Search along the route: trips that can pick a passenger up and drop them off on
their way, within the detour each driver accepts (the routing core's ``match_many``).
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, Generic, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
from flask import current_app
from flask_babel import lazy_gettext as _l
from numpy.typing import NDArray
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import aliased, selectinload

from routing import (
    Insertions,
    LatLon,
    Legs,
    LegsBatch,
    Match,
    Route,
    Router,
    RouterUnavailable,
    RoutingError,
    pack_legs,
)
from routing.cells import locate

from ..extensions import db
from ..i18n import site_zone
from ..models import Trip, TripCell, TripStop, User
from ..models.types import posix_seconds
from . import places
from .messages import ServiceError, routing_problem
from .roads import cached_route, get_router, trip_legs

__all__ = [
    "LONGEST_TRIP",
    "MAX_FLEX_DAYS",
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "PER_PAGE",
    "Candidate",
    "Candidates",
    "Ends",
    "Passing",
    "SearchError",
    "SearchPage",
    "SearchQuery",
    "SearchResult",
    "Spot",
    "candidates_between",
    "cell_near",
    "fastest_between",
    "find",
    "find_named",
    "find_page",
    "find_passing",
    "leg_price_cents",
    "passing_trips",
    "pickup_rule",
    "spots_near",
    "within_hours",
]

MAX_FLEX_DAYS = 3
#: Results a page shows, by default and at most (the API may ask for more a page).
PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 1_000
#: Longest trip considered: a driver who reached a cell this long before a search's
#: window can no longer be at a pickup in it inside the window.
LONGEST_TRIP = timedelta(hours=12)


class SearchError(ServiceError):
    """A search that cannot be made."""


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
    trip_from: str
    trip_to: str
    pickup: LatLon
    dropoff: LatLon
    detour_s: float
    pickup_at: datetime
    dropoff_at: datetime
    price_cents: int
    currency: str
    seats_left: int
    score: float


def leg_price_cents(contribution_cents: int, shared_m: float, trip_m: float) -> int:
    """What a passenger pays for their own leg: the trip's contribution in proportion
    to the distance shared, to the nearest 10 cents, never more than the whole trip's.

    Examples
    --------
    >>> leg_price_cents(1500, 50_000, 100_000), leg_price_cents(15, 100_000, 100_000)
    (750, 15)
    """
    share = min(1.0, shared_m / trip_m) if trip_m > 0 else 1.0
    return min(contribution_cents, int(contribution_cents * share / 10 + 0.5) * 10)


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


def within_hours(hour: time, time_from: time | None, time_to: time | None) -> bool:
    """Whether a local ``hour`` is inside a time window (open where a bound is None).

    Examples
    --------
    >>> within_hours(time(8), time(7, 30), None), within_hours(time(8), None, time(7))
    (True, False)
    """
    return (time_from is None or hour >= time_from) and (time_to is None or hour <= time_to)


def _in_hours(moment: datetime, query: SearchQuery, zone: ZoneInfo) -> bool:
    return within_hours(moment.astimezone(zone).time(), query.time_from, query.time_to)


class Spot(NamedTuple):
    """Where a point is in the search index: the cell of its road node, and the bit
    of that node's sub-cell in the cell's masks (see :mod:`routing.cells`)."""

    cell: int
    subcell: int


def spots_near(*points: LatLon) -> list[Spot]:
    """The search index's cell and sub-cell of the road node nearest each point: where
    a request from or to that point is looked up (detours are measured from there).

    Raises
    ------
    routing.RoutingError
        For a point that cannot be placed on the region's roads.
    """
    router = get_router()
    nodes = [router.graph.node_latlon(router.snap(point)) for point in points]
    return [Spot(*spot) for spot in locate(nodes, cell_m=current_app.config["SEARCH_CELL_M"])]


def fastest_between(pickup: LatLon, dropoff: LatLon) -> float:
    """The fastest time from the pickup's road node to the drop-off's, on the road
    graph's own times (those the search index was made with): a driver who takes the
    passenger drives at least that long between them. Infinite where no road joins
    them; zero with an OSRM server, whose times are not the graph's (the index then
    only asks that the driver can be in the pickup's cell before the drop-off's).

    Raises
    ------
    routing.RoutingError
        For a point that cannot be placed on the region's roads.
    """
    router = get_router()
    return router.travel_time(pickup, dropoff) if isinstance(router, Router) else 0.0


def cell_near(point: LatLon) -> int:
    """:func:`spots_near`'s cell of one point alone.

    Raises
    ------
    routing.RoutingError
        For a point that cannot be placed on the region's roads.
    """
    return spots_near(point)[0].cell


_near_pickup, _near_dropoff = aliased(TripCell), aliased(TripCell)
#: Built once: a search binds its cells and dates to it, at no cost of building.
_INDEXED = (
    select(_near_pickup.trip_id)
    .join(
        _near_dropoff,
        (_near_dropoff.trip_id == _near_pickup.trip_id) & (_near_dropoff.cell == bindparam("dropoff_cell")),
    )
    .join(Trip, Trip.id == _near_pickup.trip_id)
    .where(
        _near_pickup.cell == bindparam("pickup_cell"),
        # The range the index reads (``earliest``: ``start`` less the longest trip,
        # as no driver is at a pickup in a cell longer than that after reaching it)…
        _near_pickup.pickup_from >= bindparam("earliest"),
        _near_pickup.pickup_from <= bindparam("end"),
        # …and those that can be there before the window starts only are left out.
        _near_pickup.pickup_until >= bindparam("start"),
        # The driver can be in the pickup's cell, then drive to the drop-off, before
        # the latest moment they can be in the drop-off's cell.
        _near_pickup.earliest_s + bindparam("fastest_s") <= _near_dropoff.latest_s,
        # Within the detour of both of their sub-cells, not only of their cells.
        _near_pickup.subcells.bitwise_and(bindparam("pickup_subcell")) != 0,
        _near_dropoff.subcells.bitwise_and(bindparam("dropoff_subcell")) != 0,
        Trip.status == "published",
    )
)


class Ends(NamedTuple):
    """A request as the search index reads it: where its pickup and drop-off are
    (:func:`spots_near`), and the fastest time between them (:func:`fastest_between`)."""

    pickup: Spot
    dropoff: Spot
    fastest_s: float

    @classmethod
    def of(cls, pickup: LatLon, dropoff: LatLon) -> Ends:
        """The ends of a request from ``pickup`` to ``dropoff``.

        Raises
        ------
        routing.RoutingError
            For a point that cannot be placed on the region's roads.
        """
        spot_a, spot_b = spots_near(pickup, dropoff)
        return cls(spot_a, spot_b, fastest_between(pickup, dropoff))


def _indexed(ends: Ends, start: datetime, end: datetime) -> Select[int]:
    """The ids of the published trips whose search cells hold the pickup, then the
    drop-off (their sub-cells too), whose driver can be at the pickup between
    ``start`` and ``end``, and then at the drop-off after driving there:
    the index built at publishing (see :mod:`routing.cells` and
    :func:`carpool.services.trips.cell_rows`) spares exact detours for every other
    trip. The pickup's cell is read in time order (``ix_trip_cell_window``): only
    the trips of the window, however many weeks of trips the cell holds; each is
    then looked up in the drop-off's cell by its key."""
    return _INDEXED.params(_bounds(ends, start, end))


def _bounds(ends: Ends, start: datetime, end: datetime) -> dict[str, object]:
    return {
        "pickup_cell": ends.pickup.cell,
        "pickup_subcell": ends.pickup.subcell,
        "dropoff_cell": ends.dropoff.cell,
        "dropoff_subcell": ends.dropoff.subcell,
        "fastest_s": ends.fastest_s,
        "earliest": start - LONGEST_TRIP,
        "start": start,
        "end": end,
    }


class Candidate(NamedTuple):
    """A trip the index proposes, as a result knows it before it is loaded whole."""

    id: int
    departure_at: datetime
    max_detour_s: int
    graph_key: str | None
    legs: bytes | None


@dataclass(frozen=True)
class Candidates:
    """The trips the index proposes, as columns of only what matching them needs: a
    busy region's search reads thousands, and ranks them without making an object,
    or a ``datetime``, for each. ``legs``: as the trips keep them
    (:func:`routing.pack_legs`), valid on the graph ``graph_keys`` names; the rows
    in the order of their ids."""

    ids: NDArray[np.int64]
    #: Seconds since 1970 (UTC, :class:`~carpool.models.types.posix_seconds`).
    departure_s: NDArray[np.float64]
    max_detour_s: NDArray[np.float64]
    graph_keys: tuple[str | None, ...]
    legs: tuple[bytes | None, ...]

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def of(cls, rows: Sequence[tuple[int, float, int, str | None, bytes | None]]) -> Candidates:
        """The candidates of rows (id, departure_s, max_detour_s, graph_key, legs)."""
        ids, departures, limits, keys, legs = zip(*rows, strict=True) if rows else ((),) * 5
        return cls(
            np.array(ids, dtype=np.int64),
            np.array(departures, dtype=np.float64),
            np.array(limits, dtype=np.float64),
            keys,
            legs,
        )

    def taken(self, kept: Sequence[int], legs: Sequence[bytes]) -> Candidates:
        """The candidates at the positions ``kept``, with these ``legs``."""
        at = np.asarray(kept, dtype=np.int64)
        keys = tuple(self.graph_keys[k] for k in kept)
        return Candidates(self.ids[at], self.departure_s[at], self.max_detour_s[at], keys, tuple(legs))

    def candidate(self, k: int) -> Candidate:
        """Candidate ``k`` as a record (for the results a page shows)."""
        departure_at = datetime.fromtimestamp(float(self.departure_s[k]), UTC)
        limit = int(self.max_detour_s[k])
        return Candidate(int(self.ids[k]), departure_at, limit, self.graph_keys[k], self.legs[k])


#: :data:`_INDEXED` (which joins the trips already) with what matching reads.
_CANDIDATES = _INDEXED.with_only_columns(
    Trip.id, posix_seconds(Trip.departure_at), Trip.max_detour_s, Trip.graph_key, Trip.legs
).order_by(Trip.id)


def _candidates(ends: Ends, start: datetime, end: datetime) -> Candidates:
    """The trips :func:`_indexed` names, in one query of plain rows (none where no
    road joins the pickup to the drop-off)."""
    if not math.isfinite(ends.fastest_s):
        return Candidates.of([])
    db.session.flush()  # what the session changed, searched too (its connection does not flush)
    rows = db.session.connection().execute(_CANDIDATES, _bounds(ends, start, end)).all()
    return Candidates.of(rows)


#: A trip as matching reads it: whole, or as the index's candidate.
T = TypeVar("T", Trip, Candidate)


@dataclass(frozen=True)
class Passing(Generic[T]):
    """A trip whose driver can take the passenger: the exact match, and when."""

    trip: T
    match: Match
    pickup_at: datetime
    dropoff_at: datetime

    @classmethod
    def of(cls, trip: T, match: Match) -> Passing[T]:
        """The trip with its match, and the moments of its pickup and drop-off."""
        at = trip.departure_at
        return cls(
            trip=trip,
            match=match,
            pickup_at=at + timedelta(seconds=match.pickup_offset_s),
            dropoff_at=at + timedelta(seconds=match.dropoff_offset_s),
        )


def passing_trips(
    trips: Sequence[Trip], pickup: LatLon, dropoff: LatLon, *, accepts: Callable[[datetime], bool]
) -> list[Passing[Trip]]:
    """Of ``trips``, those whose driver can pick the passenger up at ``pickup`` and
    drop them at ``dropoff`` within the detour that driver accepts, reaching the
    pickup at a moment the passenger ``accepts``.

    This is the search's rule (``match_batch`` with each driver's own limit); alerts
    and ride requests use it too, so that they find exactly what a search finds.
    A trip that cannot be routed in the region imported now is left out.

    Raises
    ------
    routing.RoutingError
        For a pickup or drop-off that cannot be placed on the region's roads.
    routing.RouterUnavailable
        When the routing server (``ROUTER_BACKEND = "osrm"``) does not answer.
    """
    routable: list[tuple[Trip, Legs | Route]] = []
    for trip in trips:
        with _unless_unroutable(trip.id):
            routable.append((trip, trip_legs(trip)))
    if not routable:
        return []
    limits = np.fromiter((trip.max_detour_s for trip, _ in routable), dtype=np.float64, count=len(routable))
    batch = LegsBatch.of([legs for _, legs in routable])
    insertions = get_router().insert_batch(batch, pickup, dropoff, max_detour_s=limits)
    found = []
    for k in np.flatnonzero(insertions.fits).tolist():
        trip = routable[k][0]
        pickup_at = trip.departure_at + timedelta(seconds=float(insertions.pickup_offset_s[k]))
        if accepts(pickup_at):
            match = insertions.match(k)
            assert match is not None  # it fits
            found.append(Passing.of(trip, match))
    return found


@contextmanager
def _unless_unroutable(trip_id: int) -> Iterator[None]:
    """Leave out (with a warning) a trip that cannot be routed in the region."""
    try:
        yield
    except RouterUnavailable:
        raise  # a server that is down says nothing about the trip
    except RoutingError:
        current_app.logger.warning("trip %s cannot be routed in the imported region", trip_id)


def _matchable(candidates: Candidates) -> Candidates:
    """The candidates with legs valid on the graph loaded now: their kept legs, or
    for the few without, their routes (kept in this process); those that cannot be
    routed in the region are left out."""
    graph_key = get_router().graph.fingerprint
    stale = [
        k
        for k, (key, legs) in enumerate(zip(candidates.graph_keys, candidates.legs, strict=True))
        if legs is None or key != graph_key
    ]
    if not stale:
        return candidates
    stale_ids = candidates.ids[stale].tolist()
    routed = _routed(stale_ids)
    legs = list(candidates.legs)
    for k, trip_id in zip(stale, stale_ids, strict=True):
        legs[k] = routed.get(trip_id)  # None: it cannot be routed here
    kept = [k for k, packed in enumerate(legs) if packed is not None]
    return candidates.taken(kept, [legs[k] for k in kept])  # type: ignore[misc]  # none is None now


def _routed(trip_ids: Sequence[int]) -> dict[int, bytes]:
    """The trips ``trip_ids`` routed on the graph loaded now, their legs packed."""
    points = _stops_of(trip_ids, TripStop.lat, TripStop.lon)
    routed = {}
    for trip_id in trip_ids:
        with _unless_unroutable(trip_id):
            routed[trip_id] = pack_legs(cached_route(trip_id, points[trip_id]))
    return routed


def _stops_of(trip_ids: Sequence[int], *columns: Any) -> dict[int, list[Any]]:
    """For each of the trips ``trip_ids``, its stops' ``columns`` in their order (a
    value, or a tuple for several columns), in one query of plain rows."""
    rows = db.session.execute(_stops_statement(*columns), {"ids": list(trip_ids)})
    pick = operator.itemgetter(*range(1, len(columns) + 1))
    return {
        trip_id: [pick(row) for row in stops]
        for trip_id, stops in itertools.groupby(rows, key=operator.itemgetter(0))
    }


@cache
def _stops_statement(*columns: Any) -> Select[Any]:
    """:func:`_stops_of`'s query, built once for each set of columns (building it
    costs a search more than running it)."""
    return (
        select(TripStop.trip_id, *columns)
        .where(TripStop.trip_id.in_(bindparam("ids", expanding=True)))
        .order_by(TripStop.trip_id, TripStop.position)
    )


def pickup_rule(query: SearchQuery, *, now: datetime) -> Callable[[datetime], bool]:
    """When a pickup suits the query: in its dates and time window, and not past.

    Raises
    ------
    OverflowError
        For dates at the calendar's edge.
    """
    zone = site_zone()
    start, end = _window(query, zone)
    earliest = max(start, now)
    if query.time_from is None and query.time_to is None:
        # Any hour: a busy search checks thousands, spared a time-zone conversion each.
        return lambda pickup_at: earliest <= pickup_at <= end
    return lambda pickup_at: earliest <= pickup_at <= end and _in_hours(pickup_at, query, zone)


@dataclass(frozen=True)
class _Ranking:
    """The candidates that pass, best first (see :func:`find`): a busy search ranks
    hundreds and shows a page of them, whose matches alone are made (:meth:`passing`)."""

    candidates: Candidates
    insertions: Insertions | None  # None for no candidate
    order: NDArray[np.int64]  # the passing candidates' positions, best first
    scores: NDArray[np.float64]  # their scores, in that order

    def __len__(self) -> int:
        return len(self.order)

    def passing(self, first: int = 0, stop: int | None = None) -> list[tuple[Passing[Candidate], float]]:
        """The passing trips ranked ``first`` to ``stop`` (left out), with their
        whole matches and their scores."""
        chosen = zip(self.order[first:stop].tolist(), self.scores[first:stop].tolist(), strict=True)
        return [(self._passing(k), score) for k, score in chosen]

    def _passing(self, k: int) -> Passing[Candidate]:
        assert self.insertions is not None  # there is a candidate
        match = self.insertions.match(k)
        assert match is not None  # it fits
        return Passing.of(self.candidates.candidate(k), match)


def _ranked(query: SearchQuery, now: datetime | None) -> _Ranking:
    """The trips that pass, each with its score, best first (see :func:`find`)."""
    _validate(query)
    moment = now or datetime.now(UTC)
    zone = site_zone()
    try:
        start, end = _window(query, zone)
        # Trips that can be at the pickup in the window: those past already are
        # left out with the pickups.
        candidates = _candidates(Ends.of(query.pickup, query.dropoff), start, end)
        earliest_s, end_s = max(start, moment).timestamp(), end.timestamp()
    except OverflowError as error:
        raise SearchError(_l("This date is out of range.")) from error
    except RoutingError as error:
        raise SearchError(routing_problem(error)) from error

    try:
        candidates = _matchable(candidates)
        if not len(candidates):
            return _Ranking(candidates, None, np.empty(0, dtype=np.int64), np.empty(0))
        insertions = get_router().insert_batch(
            LegsBatch.unpack(candidates.legs),  # type: ignore[arg-type]  # every one has legs now
            query.pickup,
            query.dropoff,
            max_detour_s=candidates.max_detour_s,
        )
    except RouterUnavailable as error:
        current_app.logger.error("search: %s", error)
        raise SearchError(routing_problem(error)) from error
    # pickup_rule's test, on the numbers of every candidate at once.
    pickup_s = candidates.departure_s + insertions.pickup_offset_s
    passing = np.flatnonzero(insertions.fits & (earliest_s <= pickup_s) & (pickup_s <= end_s))
    if query.time_from is not None or query.time_to is not None:
        hours = (_in_hours(datetime.fromtimestamp(p, UTC), query, zone) for p in pickup_s[passing].tolist())
        passing = passing[np.fromiter(hours, dtype=bool, count=len(passing))]
    scores = insertions.detour_s[passing] / 60 + _gaps_minutes(pickup_s[passing], query, zone) / 2
    best = np.lexsort((candidates.ids[passing], pickup_s[passing], scores))  # score, pickup, trip
    return _Ranking(candidates, insertions, passing[best], scores[best])


def _gaps_minutes(pickup_s: NDArray[np.float64], query: SearchQuery, zone: ZoneInfo) -> NDArray[np.float64]:
    """How far each pickup the query accepts (:func:`pickup_rule`), in seconds since
    1970, is from what the passenger asked for: from the start of the time window on
    the asked day, or else in whole days."""
    if query.time_from is not None:
        wished = datetime.combine(query.day, query.time_from, zone).timestamp()
        return np.abs(pickup_s - wished) / 60
    if query.flex_days == 0:
        return np.zeros(len(pickup_s))  # the pickup is on the asked day: the window holds that day alone
    days = (abs((datetime.fromtimestamp(p, zone).date() - query.day).days) for p in pickup_s.tolist())
    return np.fromiter(days, dtype=np.float64, count=len(pickup_s)) * 24 * 60


def _whole(scored: list[tuple[Passing[Candidate], float]]) -> list[tuple[Passing[Trip], float]]:
    """The passing trips loaded whole (stops, driver), in their order."""
    ids = [p.trip.id for p, _ in scored]
    trips = {
        trip.id: trip
        for trip in db.session.scalars(
            select(Trip).where(Trip.id.in_(ids)).options(selectinload(Trip.stops), selectinload(Trip.driver))
        )
    }
    return [
        (Passing(trip=trips[p.trip.id], match=p.match, pickup_at=p.pickup_at, dropoff_at=p.dropoff_at), score)
        for p, score in scored
        if p.trip.id in trips  # not deleted since
    ]


def find_passing(query: SearchQuery, *, now: datetime | None = None) -> list[Passing[Trip]]:
    """:func:`find`'s trips, in its order, with their exact matches (the pickup and
    drop-off nodes, the distance shared): for the partner API, which reports them.

    Raises
    ------
    SearchError
        As :func:`find`.
    """
    return [passing for passing, _ in _whole(_ranked(query, now).passing())]


@dataclass(frozen=True)
class _Shown:
    """What a result shows of a passing trip beyond its match."""

    driver_name: str
    contribution_cents: int
    length_m: float
    currency: str
    seats: int
    origin: str
    destination: str


def _stop_name(*, last: bool) -> Any:
    """The name of a trip's first or last stop, as a column of a query of trips."""
    position = TripStop.position.desc() if last else TripStop.position
    return (
        select(TripStop.name)
        .where(TripStop.trip_id == Trip.id)
        .order_by(position)
        .limit(1)
        .correlate(Trip)
        .scalar_subquery()
    )


#: What :func:`_shown` reads of the trips, their drivers and their ends, built once.
_SHOWN = (
    select(
        Trip.id,
        User.name,
        User.deleted_at,
        Trip.contribution_cents,
        Trip.length_m,
        Trip.currency,
        Trip.seats,
        _stop_name(last=False),
        _stop_name(last=True),
    )
    .join(User, User.id == Trip.driver_id)
    .where(Trip.id.in_(bindparam("ids", expanding=True)))
)


def _shown(ids: Sequence[int]) -> dict[int, _Shown]:
    """For the passing trips ``ids``, what their results show, in one query of plain
    rows (no trip or member loaded): a page shows up to a hundred."""
    rows = db.session.execute(_SHOWN, {"ids": list(ids)})
    return {
        trip_id: _Shown(User.shown_name(name, deleted_at), contribution, length_m, currency, seats, *ends)
        for trip_id, name, deleted_at, contribution, length_m, currency, seats, *ends in rows
        if None not in ends  # a trip without stops, which publishing never leaves
    }


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
    return _results(query, _ranked(query, now).passing())


@dataclass(frozen=True)
class SearchPage:
    """One page of :func:`find`'s results, and how many there are in all."""

    results: list[SearchResult]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the results fill (one at least)."""
        return max(1, -(-self.total // self.per_page))


def find_page(
    query: SearchQuery, *, page: int = 1, per_page: int = PER_PAGE, now: datetime | None = None
) -> SearchPage:
    """Page ``page`` (from 1) of :func:`find`'s results, ``per_page`` a page: what a
    person reads. Every trip is matched and ranked, but only the page's are loaded
    and shown (a busy region's search finds thousands). A page past the last is empty.

    Raises
    ------
    SearchError
        As :func:`find`, and for a page or a page size out of range.
    """
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise SearchError(_l("A page holds 1 to %(most)d results.", most=MAX_PER_PAGE))
    if not 1 <= page <= MAX_PAGE:
        raise SearchError(_l("Pages are numbered from 1 to %(most)d.", most=MAX_PAGE))
    ranked = _ranked(query, now)
    chosen = ranked.passing((page - 1) * per_page, page * per_page)
    return SearchPage(results=_results(query, chosen), total=len(ranked), page=page, per_page=per_page)


def _results(query: SearchQuery, ranked: list[tuple[Passing[Candidate], float]]) -> list[SearchResult]:
    """The ranked trips as the passenger sees them (price of their own leg, seats)."""
    shown = _shown([p.trip.id for p, _ in ranked])
    return [
        SearchResult(
            trip_id=p.trip.id,
            driver_name=trip.driver_name,
            trip_from=trip.origin,
            trip_to=trip.destination,
            pickup=query.pickup,
            dropoff=query.dropoff,
            detour_s=p.match.detour_s,
            pickup_at=p.pickup_at,
            dropoff_at=p.dropoff_at,
            price_cents=leg_price_cents(trip.contribution_cents, p.match.shared_length_m, trip.length_m),
            currency=trip.currency,
            seats_left=trip.seats,
            score=score,
        )
        for p, score in ranked
        if (trip := shown.get(p.trip.id)) is not None  # not deleted since
    ]


def candidates_between(pickup: LatLon, dropoff: LatLon, start: datetime, end: datetime) -> list[Trip]:
    """Published trips that the search index says may pass by ``pickup``, then
    ``dropoff``, reaching the pickup between ``start`` and ``end`` (to be matched
    exactly with :func:`passing_trips`).

    Raises
    ------
    routing.RoutingError
        For a point that cannot be placed on the region's roads.
    """
    ends = Ends.of(pickup, dropoff)
    if not math.isfinite(ends.fastest_s):
        return []
    chosen = _indexed(ends, start, end)
    return list(
        db.session.scalars(
            select(Trip)
            .where(Trip.id.in_(chosen))
            .order_by(Trip.id)
            .options(selectinload(Trip.stops), selectinload(Trip.driver))
        )
    )


def find_named(
    origin: str,
    destination: str,
    day: date,
    flex_days: int = 0,
    time_from: time | None = None,
    time_to: time | None = None,
    *,
    page: int = 1,
) -> SearchPage:
    """:func:`find_page` from place names typed in the search form.

    Raises
    ------
    FieldError
        For a place name the gazetteer does not know (``field`` says which).
    SearchError
        As :func:`find_page`.
    """
    pickup = places.place_for_field(origin, "origin")
    dropoff = places.place_for_field(destination, "destination")
    query = SearchQuery(
        pickup=(pickup.lat, pickup.lon),
        dropoff=(dropoff.lat, dropoff.lon),
        day=day,
        flex_days=flex_days,
        time_from=time_from,
        time_to=time_to,
    )
    return find_page(query, page=page)
