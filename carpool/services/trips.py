"""Publishing trips: route them, price them fairly, store them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l

from routing import Route, RoutingError

from ..extensions import db
from ..models import Trip, TripStop, User
from . import places
from .messages import Money, ServiceError, routing_problem
from .roads import get_router

__all__ = [
    "MAX_STOPOVERS",
    "NamedTrip",
    "StopInput",
    "TripDraft",
    "TripError",
    "TripNotFound",
    "TripView",
    "contribution_ceiling_cents",
    "get_trip",
    "publish",
    "publish_named",
    "suggested_contribution_cents",
]

MAX_STOPOVERS = 6
MAX_SEATS = 8
MAX_DETOUR_MIN = 60


class TripError(ServiceError):
    """A trip that cannot be published."""


@dataclass(frozen=True)
class StopInput:
    """A place of the trip as the driver chose it (from the gazetteer or the map)."""

    name: str
    lat: float
    lon: float


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

    @property
    def stops(self) -> tuple[StopInput, ...]:
        """Origin, stopovers and destination, in driving order."""
        return (self.origin, *self.stopovers, self.destination)


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


def _route(draft: TripDraft) -> Route:
    points = [(s.lat, s.lon) for s in draft.stops]
    try:
        route = get_router().route(points[0], points[-1], via=points[1:-1])
    except RoutingError as error:
        raise TripError(routing_problem(error)) from error
    if route.length_m < 500:
        raise TripError(_l("The origin and the destination are the same place."))
    return route


def publish(driver_id: int, draft: TripDraft, *, now: datetime | None = None) -> int:
    """Route a trip, price it and store it; returns the new trip's id.

    Raises
    ------
    TripError
        For a trip that breaks a rule (past departure, 0 or 9 seats, a contribution
        above the cost-sharing ceiling…) or cannot be routed.
    """
    now = now or datetime.now(UTC)
    _validate(draft, now)
    if db.session.get(User, driver_id) is None:
        raise TripError(_l("Unknown driver."))
    route = _route(draft)
    ceiling = contribution_ceiling_cents(route.length_m)
    contribution = draft.contribution_cents
    if contribution is None:
        contribution = suggested_contribution_cents(route.length_m)
    elif contribution > ceiling:
        raise TripError(
            _l(
                "At most %(ceiling)s for this trip: passengers share the costs, the driver makes no profit.",
                ceiling=Money(ceiling, current_app.config["CURRENCY"]),
            )
        )
    trip = Trip(
        driver_id=driver_id,
        departure_at=draft.departure,
        seats=draft.seats,
        max_detour_s=draft.max_detour_min * 60,
        time_s=route.time_s,
        length_m=route.length_m,
        contribution_cents=contribution,
        currency=current_app.config["CURRENCY"],
        comment=draft.comment.strip()[:2000],
    )
    offsets = [0.0, *itertools.accumulate(route.leg_time_s)]
    for position, (stop, offset) in enumerate(zip(draft.stops, offsets, strict=True)):
        trip.stops.append(
            TripStop(position=position, name=stop.name[:200], lat=stop.lat, lon=stop.lon, offset_s=offset)
        )
    db.session.add(trip)
    db.session.commit()
    return trip.id


def resolve_stop(name: str, field: str) -> StopInput:
    """The gazetteer's place for a name typed in a form field (FieldError if unknown)."""
    place = places.place_for_field(name, field)
    return StopInput(name=place.name, lat=place.lat, lon=place.lon)


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


def publish_named(driver_id: int, form: NamedTrip) -> int:
    """:func:`publish` from place names and a local date and time.

    Raises
    ------
    FieldError
        For a place name the gazetteer does not know (``field`` says which).
    TripError
        As :func:`publish`.
    """
    stopovers = tuple(
        resolve_stop(name, f"stopovers-{i}") for i, name in enumerate(form.stopovers) if name.strip()
    )
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    draft = TripDraft(
        origin=resolve_stop(form.origin, "origin"),
        destination=resolve_stop(form.destination, "destination"),
        stopovers=stopovers,
        departure=datetime.combine(form.day, form.hour, zone),
        seats=form.seats,
        max_detour_min=form.max_detour_min,
        contribution_cents=form.contribution_cents,
        comment=form.comment,
    )
    return publish(driver_id, draft)


class TripNotFound(LookupError):
    """No published trip has this id."""


@dataclass(frozen=True)
class StopView:
    name: str
    lat: float
    lon: float
    at: datetime


@dataclass(frozen=True)
class TripView:
    """A trip as its page shows it."""

    id: int
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
    return TripView(
        id=trip.id,
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
    )
