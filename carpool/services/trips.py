"""Publishing trips: route them, price them fairly, store them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from shapely.geometry import LineString
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import selectinload

from routing import LatLon, Route, RoutingError, pack_legs
from routing.cells import CellSpan, detour_cells

from ..extensions import db
from ..i18n import site_zone
from ..models import Booking, Trip, TripCell, TripStop, User
from . import alerts, flags, mail, notify, places, route_jobs, search, seats, standing
from .messages import FieldError, Money, ServiceError, routing_problem
from .roads import forget_route, get_router, remember_route, trip_route
from .route_jobs import RoutedTrip
from .text import clean_name, clean_text

#: A route, or what publishing keeps of one.
R = TypeVar("R", Route, RoutedTrip)

__all__ = [
    "LUGGAGE_SIZES",
    "MAX_STOPOVERS",
    "AboveCeiling",
    "BulkResult",
    "NamedTrip",
    "NotYourTrip",
    "StopInput",
    "TripDraft",
    "TripError",
    "TripNotFound",
    "TripOptions",
    "TripView",
    "amend",
    "cancel",
    "cell_rows",
    "cents",
    "contribution_ceiling_cents",
    "current_draft",
    "draft_from_form",
    "draft_of",
    "driver_trips",
    "get_trip",
    "hide",
    "label",
    "publish",
    "publish_many",
    "publish_named",
    "publish_occurrences",
    "reindex",
    "stop_at",
    "suggested_contribution_cents",
    "update",
    "update_named",
    "withdraw",
]

MAX_STOPOVERS = 6
MAX_SEATS = 8
MAX_DETOUR_MIN = 60
LUGGAGE_SIZES = ("small", "medium", "large")
#: Simplification of the drawn route, in degrees (about 5 m): small pages, same line.
_MAP_TOLERANCE_DEG = 0.00005


class TripError(ServiceError):
    """A trip that cannot be published or changed."""


class AboveCeiling(TripError):
    """A contribution above the cost-sharing ceiling: refused, and flagged for the moderators."""

    def __init__(self, message: object, asked_cents: int, ceiling_cents: int) -> None:
        super().__init__(message)
        self.asked_cents = asked_cents
        self.ceiling_cents = ceiling_cents


class TripNotFound(LookupError):
    """No trip has this id."""


class NotYourTrip(PermissionError):
    """Only the trip's driver may change or cancel it."""


@dataclass(frozen=True)
class StopInput:
    """A place of the trip as the driver chose it (from the gazetteer or the map)."""

    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class TripOptions:
    """What the driver accepts on board."""

    luggage: str = "medium"  # one of LUGGAGE_SIZES: per passenger
    pets: bool = False
    smoking: bool = False
    max_two_back: bool = False  # at most two passengers on the back seat
    instant_booking: bool = False  # bookings accepted without the driver's answer


@dataclass(frozen=True)
class TripDraft:
    """What a driver fills in to publish a trip."""

    origin: StopInput
    destination: StopInput
    departure: datetime
    seats: int
    max_detour_min: int = 10
    stopovers: tuple[StopInput, ...] = field(default_factory=tuple)
    contribution_cents: int | None = None  # None: the suggested contribution
    comment: str = ""
    options: TripOptions = TripOptions()

    @property
    def stops(self) -> tuple[StopInput, ...]:
        """Origin, stopovers and destination, in driving order."""
        return (self.origin, *self.stopovers, self.destination)

    def reversed(self, departure: datetime) -> TripDraft:
        """The return trip: the same stops the other way round, leaving at ``departure``."""
        return replace(
            self,
            origin=self.destination,
            destination=self.origin,
            stopovers=self.stopovers[::-1],
            departure=departure,
        )


def _per_km_cents(length_m: float, setting: str) -> Decimal:
    """Cents for ``length_m`` at a configured rate per km, in exact decimals (the
    rate 0.10 is not exact in binary floating point)."""
    km = Decimal(str(round(length_m))) / 1000
    return km * Decimal(str(current_app.config[setting])) * 100


def suggested_contribution_cents(length_m: float) -> int:
    """A fair share of the costs for one passenger: the configured rate per km to
    the nearest 50 cents (halves up), or the ceiling rounded down to 50 cents when
    that is less."""
    nearest = (_per_km_cents(length_m, "CONTRIBUTION_PER_KM") / 50).quantize(Decimal(1), ROUND_HALF_UP)
    at_most = Decimal(contribution_ceiling_cents(length_m) // 50)
    return int(min(nearest, at_most)) * 50


def cents(amount: Decimal) -> int:
    """An amount typed in the currency's units (a contribution of ``7.50``) in whole
    cents, to the nearest: as the publishing form and a file of trips give it.

    Examples
    --------
    >>> cents(Decimal("7.50")), cents(Decimal("7.509"))
    (750, 751)
    """
    return int((amount * 100).to_integral_value())


def contribution_ceiling_cents(length_m: float) -> int:
    """The most a driver may ask of one passenger: costs shared, never a profit."""
    return int(_per_km_cents(length_m, "CONTRIBUTION_CEILING_PER_KM").to_integral_value(ROUND_FLOOR))


def _validate(draft: TripDraft, now: datetime) -> None:
    if draft.departure.tzinfo is None:
        raise TripError(_l("The departure needs a time zone."))
    if draft.departure <= now:
        raise TripError(_l("The departure must be in the future."))
    if draft.departure > now + timedelta(days=366):
        raise TripError(_l("Trips can be published up to one year ahead."))
    if not 1 <= draft.seats <= MAX_SEATS:
        raise TripError(_l("Offer between 1 and %(most)d seats.", most=MAX_SEATS))
    if not 0 <= draft.max_detour_min <= MAX_DETOUR_MIN:
        raise TripError(_l("The detour can be between 0 and %(most)d minutes.", most=MAX_DETOUR_MIN))
    if len(draft.stopovers) > MAX_STOPOVERS:
        raise TripError(_l("A trip can have at most %(most)d stopovers.", most=MAX_STOPOVERS))
    if draft.contribution_cents is not None and draft.contribution_cents < 0:
        raise TripError(_l("The contribution cannot be negative."))
    if draft.options.luggage not in LUGGAGE_SIZES:
        raise TripError(_l("Choose a luggage size from the list."))


def _route(draft: TripDraft) -> Route:
    points = [(s.lat, s.lon) for s in draft.stops]
    try:
        route = get_router().route(points[0], points[-1], via=points[1:-1])
    except RoutingError as error:
        raise TripError(routing_problem(error)) from error
    return _drivable(route, draft)


def _drivable(route: R, draft: TripDraft) -> R:
    """The route, if it is a trip: not from a place to itself, and at most
    :data:`search.LONGEST_TRIP` with the whole detour, which the search index counts
    on (a driver is never in a cell longer than that: no longer trip could be found)."""
    if route.length_m < 500:
        raise TripError(_l("The origin and the destination are the same place."))
    longest = search.LONGEST_TRIP.total_seconds()
    if route.time_s + draft.max_detour_min * 60 > longest:
        raise TripError(
            _l(
                "A trip can take at most %(hours)d hours of driving, detour included: "
                "publish a longer journey as two trips.",
                hours=int(longest // 3600),
            )
        )
    return route


def _contribution(draft: TripDraft, route: Route | RoutedTrip) -> int:
    ceiling = contribution_ceiling_cents(route.length_m)
    if draft.contribution_cents is None:
        return suggested_contribution_cents(route.length_m)
    if draft.contribution_cents > ceiling:
        raise AboveCeiling(
            _l(
                "At most %(ceiling)s for this trip: passengers share the costs, the driver makes no profit.",
                ceiling=Money(ceiling, current_app.config["CURRENCY"]),
            ),
            draft.contribution_cents,
            ceiling,
        )
    return draft.contribution_cents


def _fill(trip: Trip, draft: TripDraft, route: Route | RoutedTrip) -> None:
    """Write a checked draft and its route into ``trip`` (new or changed); refuses
    before changing anything."""
    contribution = _contribution(draft, route)
    trip.departure_at = draft.departure
    trip.seats = draft.seats
    trip.max_detour_s = draft.max_detour_min * 60
    trip.time_s = route.time_s
    trip.length_m = route.length_m
    trip.contribution_cents = contribution
    trip.currency = current_app.config["CURRENCY"]
    trip.comment = clean_text(draft.comment, limit=2000)
    trip.luggage = draft.options.luggage
    trip.pets = draft.options.pets
    trip.smoking = draft.options.smoking
    trip.max_two_back = draft.options.max_two_back
    trip.instant_booking = draft.options.instant_booking
    offsets = [0.0, *itertools.accumulate(route.leg_time_s)]
    trip.stops = [
        TripStop(
            position=position, name=clean_name(stop.name)[:200], lat=stop.lat, lon=stop.lon, offset_s=offset
        )
        for position, (stop, offset) in enumerate(zip(draft.stops, offsets, strict=True))
    ]


def _cell_spans(route: Route, max_detour_s: int) -> list[CellSpan]:
    return detour_cells(
        get_router().graph, route, max_detour_s=max_detour_s, cell_m=current_app.config["SEARCH_CELL_M"]
    )


def _index(trip: Trip, route: Route, spans: list[CellSpan] | None = None) -> None:
    """(Re)build the trip's search cells: wherever its driver can pick a passenger up
    or drop them off within the detour they accept (see :func:`routing.cells.detour_cells`).
    ``spans``: those already computed for the same route and detour."""
    db.session.execute(delete(TripCell).where(TripCell.trip_id == trip.id))
    spans = spans if spans is not None else _cell_spans(route, trip.max_detour_s)
    db.session.add_all(TripCell(**row) for row in cell_rows(trip, spans))
    _keep_legs(trip, route)


def cell_rows(trip: Trip, spans: Sequence[CellSpan]) -> list[dict[str, Any]]:
    """The search index's entries of ``trip``, one per cell of ``spans``.

    Each says when the driver can be at a pickup or a drop-off in its cell: between
    ``earliest_s`` and ``latest_s`` of the span (:func:`routing.cells.detour_cells`),
    and in any case between the start of the first leg that reaches the cell
    (``first_s``) and the end of the last one (``last_s``) late by at most the whole
    detour; as moments, ``pickup_from`` and ``pickup_until``, which a search compares
    with its own dates and hours.
    """
    rows = []
    for span in spans:
        earliest_s = max(span.first_s, span.earliest_s)
        latest_s = min(span.last_s + trip.max_detour_s, span.latest_s)
        rows.append(
            {
                "trip_id": trip.id,
                "cell": span.cell,
                "earliest_s": earliest_s,
                "latest_s": latest_s,
                "pickup_from": trip.departure_at + timedelta(seconds=earliest_s),
                "pickup_until": trip.departure_at + timedelta(seconds=latest_s),
                "subcells": span.subcells,
            }
        )
    return rows


def _keep_legs(trip: Trip, route: Route | RoutedTrip) -> None:
    """Keep the route's stop nodes and legs with the trip: what a search matches it
    on (:class:`routing.Legs`), without routing it again in any worker."""
    trip.graph_key = get_router().graph.fingerprint
    trip.legs = pack_legs(route)


def _checked(driver_id: int, draft: TripDraft, now: datetime | None) -> Route:
    _may_publish(driver_id, draft, now)
    return _route(draft)


def _may_publish(driver_id: int, draft: TripDraft, now: datetime | None) -> None:
    if db.session.get(User, driver_id) is None:
        raise TripError(_l("Unknown driver."))
    refused = standing.refusal(driver_id, now)
    if refused is not None:
        raise TripError(refused)
    _validate(draft, now or datetime.now(UTC))


@contextmanager
def _flagging_greed(driver_id: int) -> Iterator[None]:
    """Refuse a contribution above the ceiling as any broken rule, but keep the
    attempt for the moderators: the refused transaction is rolled back first, then
    the flag is committed on its own."""
    try:
        yield
    except AboveCeiling as refused:
        db.session.rollback()
        flags.above_ceiling(driver_id, refused.asked_cents, refused.ceiling_cents)
        raise


def _store(trip: Trip, route: Route, spans: list[CellSpan] | None = None) -> None:
    db.session.add(trip)
    db.session.flush()  # the trip's id, for its cells
    _index(trip, route, spans)


def publish(
    driver_id: int,
    draft: TripDraft,
    *,
    return_departure: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """Route a trip, price it, index it for search and store it; returns its id.

    With ``return_departure``, the return trip (the same stops the other way round)
    is published too, in the same transaction: both or neither.

    Raises
    ------
    TripError
        For a trip that breaks a rule (past departure, 0 or 9 seats, a contribution
        above the cost-sharing ceiling, a return before the arrival…), cannot be
        routed, or a suspended driver. An attempt above the ceiling is flagged for
        the moderators (:mod:`carpool.services.flags`), and that flag is kept.
    """
    route = _checked(driver_id, draft, now)
    trip = Trip(driver_id=driver_id)
    with _flagging_greed(driver_id):
        _fill(trip, draft, route)
        back: tuple[Trip, Route] | None = None
        if return_departure is not None:
            back = _return_trip(driver_id, draft, route, return_departure, now)
    _store(trip, route)
    remember_route(trip.id, route)
    if back is not None:
        back[0].outward_id = trip.id
        _store(*back)
        remember_route(back[0].id, back[1])
    published = (trip, back[0]) if back is not None else (trip,)
    for one in published:
        flags.trip_published(one)
    db.session.commit()
    mail.deliver_soon()
    alerts.match_soon([one.id for one in published], now=now)
    return trip.id


@dataclass(frozen=True)
class BulkResult:
    """What :func:`publish_many` did, draft by draft (in the order given)."""

    #: The new trip's id, or None for a draft refused.
    ids: tuple[int | None, ...]
    #: Why each refused draft (by its position) was refused.
    refused: dict[int, TripError]


def publish_many(drafts: Sequence[tuple[int, TripDraft]], *, now: datetime | None = None) -> BulkResult:
    """Publish many trips at once, each ``(driver_id, draft)`` checked, priced and
    indexed as by :func:`publish`: an association bringing its members' trips over
    from another platform, a partner's batch. Routing, the bulk of the work, is
    shared out to the RQ workers of the ``routes`` queue when there are some (see
    :mod:`carpool.services.route_jobs`); the trips are then stored in one
    transaction and the alerts matched once for all.

    A draft that breaks a rule is left out and reported in ``refused`` (attempts
    above the contribution ceiling are flagged, as by :func:`publish`); the others
    are published. No return trips here: publish them as drafts of their own.

    Raises
    ------
    routing.RouterUnavailable
        When the routing server (``ROUTER_BACKEND = "osrm"``) does not answer:
        nothing is published.
    """
    refused: dict[int, TripError] = {}
    checked: list[int] = []
    for position, (driver_id, draft) in enumerate(drafts):
        try:
            _may_publish(driver_id, draft, now)
        except TripError as error:
            refused[position] = error
        else:
            checked.append(position)
    routed = route_jobs.route_all(
        [
            route_jobs.TripToRoute(
                tuple((s.lat, s.lon) for s in drafts[p][1].stops), drafts[p][1].max_detour_min * 60
            )
            for p in checked
        ]
    )
    stored: dict[int, tuple[Trip, RoutedTrip]] = {}
    for position, result in zip(checked, routed, strict=True):
        driver_id, draft = drafts[position]
        try:
            route = _drivable(_routed(result), draft)
            trip = Trip(driver_id=driver_id)
            _fill(trip, draft, route)
        except TripError as error:
            refused[position] = error
            continue
        _keep_legs(trip, route)
        stored[position] = (trip, route)
    _store_many(list(stored.values()))
    db.session.commit()
    for position in (p for p in refused if isinstance(refused[p], AboveCeiling)):
        above = refused[position]
        assert isinstance(above, AboveCeiling)
        flags.above_ceiling(drafts[position][0], above.asked_cents, above.ceiling_cents)
    ids = tuple(stored[p][0].id if p in stored else None for p in range(len(drafts)))
    mail.deliver_soon()
    alerts.match_soon([trip.id for trip, _ in stored.values()], now=now)
    return BulkResult(ids=ids, refused=refused)


def _routed(result: RoutedTrip | RoutingError) -> RoutedTrip:
    if isinstance(result, RoutingError):
        raise TripError(routing_problem(result))
    return result


def _store_many(trips: list[tuple[Trip, RoutedTrip]]) -> None:
    """Insert trips with their stops, then their cells in one statement: a batch of
    thousands costs a few statements, not one per row."""
    db.session.add_all(trip for trip, _ in trips)
    db.session.flush()
    cells = [row for trip, route in trips for row in cell_rows(trip, route.spans)]
    if cells:
        db.session.execute(insert(TripCell), cells)
    for trip, _ in trips:
        flags.trip_published(trip)


def publish_occurrences(
    driver_id: int,
    draft: TripDraft,
    departures: Sequence[tuple[date, datetime]],
    *,
    regular_id: int,
    now: datetime | None = None,
) -> list[int]:
    """Publish the dates of a regular trip: one trip per (day of the schedule,
    departure), all on the draft's route, routed and indexed once. The caller
    commits; returns the trips' ids.

    The caller commits, then has the alerts matched (:func:`alerts.match_soon`).

    Raises
    ------
    TripError
        As :func:`publish`, for the first departure or any other.
    """
    if not departures:
        return []
    route = _checked(driver_id, replace(draft, departure=departures[0][1]), now)
    spans = _cell_spans(route, draft.max_detour_min * 60)
    ids = []
    for day, departure in departures:
        occurrence = replace(draft, departure=departure)
        _validate(occurrence, now or datetime.now(UTC))
        trip = Trip(driver_id=driver_id, regular_id=regular_id, occurrence_on=day)
        with _flagging_greed(driver_id):
            _fill(trip, occurrence, route)
        _store(trip, route, spans)
        remember_route(trip.id, route)
        flags.trip_published(trip)
        ids.append(trip.id)
    return ids


def _return_trip(
    driver_id: int, draft: TripDraft, route: Route, departure: datetime, now: datetime | None
) -> tuple[Trip, Route]:
    reverse = draft.reversed(departure)
    try:
        back_route = _checked(driver_id, reverse, now)
        if departure < draft.departure + timedelta(seconds=route.time_s):
            raise TripError(_l("The return trip must leave after the arrival of the outward trip."))
        trip = Trip(driver_id=driver_id)
        _fill(trip, reverse, back_route)
    except AboveCeiling as error:
        raise AboveCeiling(
            _l("Return trip: %(problem)s", problem=error.message), error.asked_cents, error.ceiling_cents
        ) from error
    except TripError as error:
        raise TripError(_l("Return trip: %(problem)s", problem=error.message)) from error
    return trip, back_route


def _own_trip(trip_id: int, driver_id: int) -> Trip:
    trip = db.session.get(Trip, trip_id)
    if trip is None:
        raise TripNotFound(trip_id)
    if trip.driver_id != driver_id:
        raise NotYourTrip(trip_id)
    return trip


def _changeable(trip: Trip, now: datetime) -> None:
    if trip.status == "hidden":
        raise TripError(_l("This trip was withdrawn by the association's moderators."))
    if trip.status != "published":
        raise TripError(_l("This trip is cancelled."))
    if trip.departure_at <= now:
        raise TripError(_l("This trip has already left."))


def update(trip_id: int, driver_id: int, draft: TripDraft, *, now: datetime | None = None) -> None:
    """Change a published trip that has not left yet: route, price and index it again.

    Raises
    ------
    TripNotFound
        If there is no such trip.
    NotYourTrip
        If ``driver_id`` is not its driver.
    TripError
        As :func:`publish`, for a cancelled or departed trip, or for a change of
        places, departure or seats that bookings forbid.
    """
    now = now or datetime.now(UTC)
    trip = _own_trip(trip_id, driver_id)
    _changeable(trip, now)
    route = _checked(driver_id, draft, now)
    _keep_what_passengers_booked(trip, draft)
    with _flagging_greed(driver_id):
        _fill(trip, draft, route)
    trip.updated_at = now
    _unlink_if_out_of_order(trip)
    _index(trip, route)
    forget_route(trip.id)
    remember_route(trip.id, route)
    for booking in db.session.scalars(
        select(Booking).where(Booking.trip_id == trip.id, Booking.status.in_(seats.HOLDING))
    ):
        notify.trip_changed(booking)
    db.session.commit()
    mail.deliver_soon()
    alerts.match_soon([trip.id], now=now)


def _keep_what_passengers_booked(trip: Trip, draft: TripDraft) -> None:
    """While bookings hold seats, the places and the departure they were made for stay,
    and so do the seats they hold."""
    holding = db.session.scalar(
        select(func.count(Booking.id)).where(Booking.trip_id == trip.id, Booking.status.in_(seats.HOLDING))
    )
    if not holding:
        return
    same_stops = [(s.lat, s.lon) for s in trip.stops] == [(s.lat, s.lon) for s in draft.stops]
    if not same_stops or draft.departure != trip.departure_at:
        raise TripError(
            _l("Passengers have booked this trip: its places and departure stay. Cancel it if you must.")
        )
    seats.lock(trip.id)
    if draft.seats < seats.most_held(trip):
        db.session.rollback()
        raise TripError(_l("Passengers already hold more seats than that."))


def _arrival(trip: Trip) -> datetime:
    return trip.departure_at + timedelta(seconds=trip.time_s)


def _unlink_if_out_of_order(trip: Trip) -> None:
    """A changed trip stays linked to its outward or return trip only while the
    return still leaves after the outward trip arrives."""
    outward = db.session.get(Trip, trip.outward_id) if trip.outward_id else None
    if outward is not None and _arrival(outward) > trip.departure_at:
        trip.outward_id = None
    for back in db.session.scalars(select(Trip).where(Trip.outward_id == trip.id)):
        if _arrival(trip) > back.departure_at:
            back.outward_id = None


def cancel(trip_id: int, driver_id: int, reason: str = "", *, now: datetime | None = None) -> None:
    """Cancel a trip that has not left yet, and its bookings: it disappears from
    search; its page stays.

    Raises
    ------
    TripNotFound
        If there is no such trip.
    NotYourTrip
        If ``driver_id`` is not its driver.
    TripError
        For a trip already cancelled or departed.
    """
    now = now or datetime.now(UTC)
    trip = _own_trip(trip_id, driver_id)
    _changeable(trip, now)
    withdraw(trip, driver_id, reason, now=now)
    db.session.commit()
    mail.deliver_soon()


def withdraw(trip: Trip, actor_id: int, reason: str, *, now: datetime) -> None:
    """Cancel a trip and its bookings, telling its passengers, and take it out of the
    search index; the caller checks it may, and commits."""
    trip.status = "cancelled"
    trip.cancelled_at = now
    trip.cancel_reason = clean_text(reason, limit=500)
    for booking in seats.release_all(trip.id, actor_id, trip.cancel_reason):
        notify.trip_cancelled(booking)
    db.session.execute(delete(TripCell).where(TripCell.trip_id == trip.id))
    forget_route(trip.id)


def hide(trip_id: int, moderator_id: int) -> Trip:
    """A moderator withdraws a published trip: it leaves search and the alerts'
    matching (both read published trips only), its bookings are cancelled as by the
    driver and its passengers told; returns it. In the caller's transaction: the
    caller logs the action, commits, then calls :func:`forget_route`. The
    moderators' note stays out of the bookings' history, which the driver reads.

    Raises
    ------
    TripNotFound
        If there is no such trip.
    TripError
        For a trip that is not published (cancelled, or hidden already).
    """
    trip = db.session.get(Trip, trip_id)
    if trip is None:
        raise TripNotFound(trip_id)
    if trip.status != "published":
        raise TripError(_l("Only a published trip can be hidden."))
    seats.lock(trip.id)
    trip.status = "hidden"
    for booking in seats.release_all(trip.id, moderator_id, ""):
        notify.trip_hidden(booking)
    db.session.execute(delete(TripCell).where(TripCell.trip_id == trip.id))
    return trip


@dataclass(frozen=True)
class ReindexReport:
    """What :func:`reindex` did."""

    indexed: int
    unroutable: int


#: Trips read, routed and written together by :func:`reindex`: its memory stays flat
#: and each batch is committed on its own, however many trips the site has.
REINDEX_BATCH = 2_000


def reindex(*, now: datetime | None = None) -> ReindexReport:
    """Route and index again every published trip that may still be on its way, as
    after a new road graph is imported. Trips that cannot be routed in the new
    region leave the index (and so the search) until they are edited.

    The routing is shared out to the RQ workers of the ``routes`` queue when there
    are some (:func:`route_jobs.route_all`), as for bulk publishing: a country's
    trips are indexed again by all its app servers at once.

    Raises
    ------
    RoadGraphMissing
        If no road graph has been imported.
    routing.RouterUnavailable
        When the routing server (``ROUTER_BACKEND = "osrm"``) does not answer: the
        batches done before are kept.
    """
    now = now or datetime.now(UTC)
    ids = list(
        db.session.scalars(
            select(Trip.id)
            .where(Trip.status == "published", Trip.departure_at >= now - timedelta(hours=12))
            .order_by(Trip.id)
        )
    )
    indexed = unroutable = 0
    for start in range(0, len(ids), REINDEX_BATCH):
        batch = ids[start : start + REINDEX_BATCH]
        done = _reindex_batch(batch)
        indexed += done
        unroutable += len(batch) - done
    return ReindexReport(indexed=indexed, unroutable=unroutable)


def _reindex_batch(ids: Sequence[int]) -> int:
    """Route and index again the trips ``ids``, in one transaction; how many could be."""
    batch = list(db.session.scalars(select(Trip).where(Trip.id.in_(ids)).options(selectinload(Trip.stops))))
    routed = route_jobs.route_all(
        [
            route_jobs.TripToRoute(tuple((stop.lat, stop.lon) for stop in trip.stops), trip.max_detour_s)
            for trip in batch
        ]
    )
    db.session.execute(delete(TripCell).where(TripCell.trip_id.in_(ids)))
    cells = []
    for trip, result in zip(batch, routed, strict=True):
        forget_route(trip.id)
        if isinstance(result, RoutedTrip):
            _keep_legs(trip, result)
            cells += cell_rows(trip, result.spans)
    if cells:
        db.session.execute(insert(TripCell), cells)
    db.session.commit()
    return sum(isinstance(result, RoutedTrip) for result in routed)


def resolve_stop(name: str, field: str, known: dict[str, StopInput] | None = None) -> StopInput:
    """The place for a name typed in a form field: one of the trip's ``known`` stops
    when the name is unchanged (it may be a point picked on the map), else the
    gazetteer's (FieldError if unknown)."""
    if known and name.strip() in known:
        return known[name.strip()]
    place = places.place_for_field(name, field)
    return StopInput(name=place.name, lat=place.lat, lon=place.lon)


def stop_at(lat: float, lon: float, field: str, name: str = "") -> StopInput:
    """A stop given by its coordinates (an app's map, the API), named ``name`` or
    else after the nearest place of the gazetteer.

    Raises
    ------
    FieldError
        For coordinates that are no place of the region (``field`` says which).
    """
    try:
        place = places.point_place(lat, lon)
    except RoutingError as error:
        raise FieldError(routing_problem(error), field) from error
    return StopInput(name=clean_name(name) or place.name, lat=lat, lon=lon)


def current_draft(trip_id: int, driver_id: int) -> TripDraft:
    """A trip as it is now, as a draft to change (its stops keep their points).

    Raises
    ------
    TripNotFound, NotYourTrip, TripError
        As :func:`update`: a cancelled or departed trip cannot be changed.
    """
    trip = _own_trip(trip_id, driver_id)
    _changeable(trip, datetime.now(UTC))
    stops = [StopInput(name=s.name, lat=s.lat, lon=s.lon) for s in trip.stops]
    suggested = trip.contribution_cents == suggested_contribution_cents(trip.length_m)
    return TripDraft(
        origin=stops[0],
        destination=stops[-1],
        stopovers=tuple(stops[1:-1]),
        departure=trip.departure_at,
        seats=trip.seats,
        max_detour_min=trip.max_detour_s // 60,
        # A suggested contribution stays "suggested": it follows the route if it changes.
        contribution_cents=None if suggested else trip.contribution_cents,
        comment=trip.comment,
        options=_options(trip),
    )


def amend(trip_id: int, driver_id: int, changes: dict[str, object], *, now: datetime | None = None) -> None:
    """:func:`update` with only some fields of the trip changed (those of
    :class:`TripDraft` named in ``changes``); the others stay as they are.

    Raises
    ------
    TripNotFound, NotYourTrip, TripError
        As :func:`update`.
    """
    unknown = set(changes) - set(TripDraft.__dataclass_fields__)
    if unknown:
        raise TripError(_l("Unknown field."))
    draft = replace(current_draft(trip_id, driver_id), **changes)  # type: ignore[arg-type]
    update(trip_id, driver_id, draft, now=now)


def driver_trips(driver_id: int, *, since: datetime) -> list[TripView]:
    """The driver's trips leaving from ``since`` on, the soonest first."""
    found = db.session.scalars(
        select(Trip.id)
        .where(Trip.driver_id == driver_id, Trip.departure_at >= since)
        .order_by(Trip.departure_at, Trip.id)
    )
    return [get_trip(trip_id) for trip_id in found]


@dataclass(frozen=True)
class NamedTrip:
    """A trip as typed in the publishing form: places by name, local date and time."""

    origin: str
    destination: str
    stopovers: tuple[str, ...]
    day: date
    hour: time
    seats: int
    max_detour_min: int
    contribution_cents: int | None
    comment: str
    options: TripOptions = TripOptions()
    return_day: date | None = None
    return_hour: time | None = None


def _local(day: date, hour: time) -> datetime:
    return datetime.combine(day, hour, site_zone())


def _draft(form: NamedTrip, known: dict[str, StopInput] | None = None) -> TripDraft:
    stopovers = tuple(
        resolve_stop(name, f"stopovers-{i}", known) for i, name in enumerate(form.stopovers) if name.strip()
    )
    return TripDraft(
        origin=resolve_stop(form.origin, "origin", known),
        destination=resolve_stop(form.destination, "destination", known),
        stopovers=stopovers,
        departure=_local(form.day, form.hour),
        seats=form.seats,
        max_detour_min=form.max_detour_min,
        contribution_cents=form.contribution_cents,
        comment=form.comment,
        options=form.options,
    )


def draft_from_form(form: NamedTrip, *, departure: datetime | None = None) -> TripDraft:
    """The draft of a trip typed in a form, leaving at the form's local date and time,
    or at ``departure`` instead (the dates of a regular trip).

    Raises
    ------
    FieldError
        For a place name the gazetteer does not know (``field`` says which).
    """
    draft = _draft(form)
    return draft if departure is None else replace(draft, departure=departure)


def publish_named(driver_id: int, form: NamedTrip) -> int:
    """:func:`publish` from place names and a local date and time (and the return
    trip's, when the form has both).

    Raises
    ------
    FieldError
        For a place name the gazetteer does not know (``field`` says which), or a
        return date without its time.
    TripError
        As :func:`publish`.
    """
    return_departure = None
    if form.return_day is not None or form.return_hour is not None:
        if form.return_day is None:
            raise FieldError(_l("Enter a date."), "return_day")
        if form.return_hour is None:
            raise FieldError(_l("Enter a time."), "return_hour")
        return_departure = _local(form.return_day, form.return_hour)
    return publish(driver_id, _draft(form), return_departure=return_departure)


def update_named(trip_id: int, driver_id: int, form: NamedTrip) -> None:
    """:func:`update` from the edit form: names the trip already had keep their points.

    Raises
    ------
    FieldError, TripError, TripNotFound, NotYourTrip
        As :func:`publish_named` and :func:`update`.
    """
    trip = _own_trip(trip_id, driver_id)
    known = {s.name: StopInput(name=s.name, lat=s.lat, lon=s.lon) for s in trip.stops}
    update(trip_id, driver_id, _draft(form, known))


def draft_of(trip_id: int, driver_id: int) -> NamedTrip:
    """A trip as the edit form shows it, in local time.

    Raises
    ------
    TripNotFound, NotYourTrip, TripError
        As :func:`update`: a cancelled or departed trip cannot be changed.
    """
    draft = current_draft(trip_id, driver_id)
    local = draft.departure.astimezone(site_zone())
    return NamedTrip(
        origin=draft.origin.name,
        destination=draft.destination.name,
        stopovers=tuple(stop.name for stop in draft.stopovers),
        day=local.date(),
        hour=local.time().replace(tzinfo=None),
        seats=draft.seats,
        max_detour_min=draft.max_detour_min,
        contribution_cents=draft.contribution_cents,
        comment=draft.comment,
        options=draft.options,
    )


@dataclass(frozen=True)
class StopView:
    name: str
    lat: float
    lon: float
    at: datetime


@dataclass(frozen=True)
class TripView:
    """A trip as its page shows it.

    ``path`` is the route to draw on the map, lightly simplified; empty when the trip
    cannot be routed in the region imported now.
    """

    id: int
    driver_id: int
    driver_name: str
    stops: tuple[StopView, ...]
    seats: int
    max_detour_min: int
    length_km: float
    duration_min: int
    contribution_cents: int
    currency: str
    comment: str
    status: str
    cancel_reason: str
    options: TripOptions
    path: tuple[LatLon, ...]
    outward_id: int | None
    return_id: int | None
    regular_id: int | None  # a date of this regular trip
    seats_left: int  # over the whole trip; a passenger on part of it may find more
    length_m: float = 0.0
    time_s: float = 0.0

    @property
    def departed(self) -> bool:
        return self.stops[0].at <= datetime.now(UTC)


def label(trip: Trip) -> str:
    """A trip's name where it is listed: "From → To"."""
    return f"{trip.stops[0].name} → {trip.stops[-1].name}"


def _options(trip: Trip) -> TripOptions:
    return TripOptions(
        luggage=trip.luggage,
        pets=trip.pets,
        smoking=trip.smoking,
        max_two_back=trip.max_two_back,
        instant_booking=trip.instant_booking,
    )


def _path(trip: Trip) -> tuple[LatLon, ...]:
    try:
        route = trip_route(trip)
    except RoutingError:
        return ()
    if len(route.coords) < 2:
        return tuple(route.coords)
    line = LineString([(lon, lat) for lat, lon in route.coords]).simplify(_MAP_TOLERANCE_DEG)
    return tuple((round(lat, 5), round(lon, 5)) for lon, lat in line.coords)


def get_trip(trip_id: int) -> TripView:
    """A trip for its page.

    Raises
    ------
    TripNotFound
        If there is no such trip.
    """
    trip = db.session.get(Trip, trip_id)
    if trip is None:
        raise TripNotFound(trip_id)
    departure = trip.departure_at
    return_id = db.session.scalar(select(Trip.id).where(Trip.outward_id == trip.id).limit(1))
    return TripView(
        id=trip.id,
        driver_id=trip.driver_id,
        driver_name=trip.driver.display_name,
        stops=tuple(
            StopView(name=s.name, lat=s.lat, lon=s.lon, at=departure + timedelta(seconds=s.offset_s))
            for s in trip.stops
        ),
        seats=trip.seats,
        max_detour_min=trip.max_detour_s // 60,
        length_km=round(trip.length_m / 1000, 1),
        duration_min=round(trip.time_s / 60),
        contribution_cents=trip.contribution_cents,
        currency=trip.currency,
        comment=trip.comment,
        status=trip.status,
        cancel_reason=trip.cancel_reason,
        options=_options(trip),
        path=_path(trip),
        outward_id=trip.outward_id,
        return_id=return_id,
        regular_id=trip.regular_id,
        seats_left=trip.seats - seats.most_held(trip),
        length_m=trip.length_m,
        time_s=trip.time_s,
    )
