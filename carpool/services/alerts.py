"""Alerts: a member keeps a search and is told by e-mail, once per trip, when a driver
publishes a trip that passes their way. A public alert is also a ride request: drivers
whose trips pass by see it, and can write to the passenger.

A trip matches an alert by the search's own rule (:func:`search.passing_trips`: the
routing core's ``match_many``, each driver's detour limit, the pickup in the alert's
dates and hours), so an alert finds exactly what a search would.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.sql.elements import ColumnElement

from routing import LatLon, RouterUnavailable, RoutingError

from .. import tasks
from ..extensions import db
from ..i18n import site_zone
from ..models import Alert, AlertMatch, Trip, TripCell, User
from . import mail, notify, places, search, standing
from .messages import ServiceError, routing_problem

__all__ = [
    "MAX_ALERTS",
    "MAX_MONTHS",
    "AlertError",
    "AlertNotFound",
    "AlertView",
    "AlertWish",
    "NotYourAlert",
    "RideRequest",
    "create_alert",
    "delete_alert",
    "match_published",
    "match_soon",
    "my_alerts",
    "open_request_alerts",
    "open_requests",
    "reindex",
    "requests_along",
    "set_paused",
    "trip_published",
]

#: Alerts a member can have at once: enough for real needs, not for flooding.
MAX_ALERTS = 20
#: How far ahead an alert may run.
MAX_MONTHS = 12
#: A regular alert without an end date runs this long.
_DEFAULT_RUN = timedelta(days=91)


class AlertError(ServiceError):
    """An alert that cannot be kept."""


class AlertNotFound(LookupError):
    """No alert has this id."""


class NotYourAlert(PermissionError):
    """Only its owner sees and changes an alert."""


@dataclass(frozen=True)
class AlertWish:
    """What a member asks to be alerted about: places by name, and either one day
    (give or take ``flex_days``) or days of the week (0 = Monday) until ``until``."""

    origin: str
    destination: str
    day: date | None = None
    flex_days: int = 0
    weekdays: frozenset[int] = field(default_factory=frozenset)
    until: date | None = None
    time_from: time | None = None
    time_to: time | None = None
    seats: int = 1
    public: bool = False


@dataclass(frozen=True)
class AlertView:
    """An alert as its owner's list shows it, with the trips found for it."""

    id: int
    origin: str
    destination: str
    day: date | None
    flex_days: int
    weekdays: tuple[int, ...]
    expires_on: date
    time_from: time | None
    time_to: time | None
    seats: int
    public: bool
    paused: bool
    expired: bool
    found: tuple[tuple[int, str, str, datetime], ...]  # trip id, from, to, departure


@dataclass(frozen=True)
class RideRequest:
    """A passenger's public alert, as drivers see it. ``pickup_at`` and
    ``detour_min`` are set when it is seen along one of the driver's trips."""

    alert_id: int
    passenger_id: int
    passenger_name: str
    origin: str
    destination: str
    day: date | None
    flex_days: int
    weekdays: tuple[int, ...]
    expires_on: date
    time_from: time | None
    time_to: time | None
    seats: int
    pickup_at: datetime | None = None
    detour_min: int | None = None


def _today(now: datetime) -> date:
    return now.astimezone(site_zone()).date()


def _mask(weekdays: frozenset[int]) -> int:
    return sum(1 << day for day in weekdays)


def _days(mask: int) -> tuple[int, ...]:
    return tuple(day for day in range(7) if mask >> day & 1)


def _expiry(wish: AlertWish, today: date) -> date:
    """The last day the alert applies to, after checking its dates."""
    latest = today + timedelta(days=MAX_MONTHS * 31)
    if wish.weekdays:
        if not wish.weekdays <= set(range(7)):
            raise AlertError(_l("Choose days of the week from the list."))
        if wish.day is not None:
            raise AlertError(_l("Choose one date or days of the week, not both."))
        until = wish.until or today + _DEFAULT_RUN
        if until < today:
            raise AlertError(_l("This date has passed."))
        return min(until, latest)
    if wish.day is None:
        raise AlertError(_l("Choose a date or days of the week."))
    if wish.day < today:
        raise AlertError(_l("This date has passed."))
    if wish.day > latest:
        raise AlertError(_l("Alerts can be set up to one year ahead."))
    if not 0 <= wish.flex_days <= search.MAX_FLEX_DAYS:
        raise AlertError(_l("Dates can be flexible by at most %(days)d days.", days=search.MAX_FLEX_DAYS))
    return wish.day + timedelta(days=wish.flex_days)


def _validate(wish: AlertWish) -> None:
    if wish.time_from and wish.time_to and wish.time_from > wish.time_to:
        raise AlertError(_l("The time window ends before it starts."))
    if not 1 <= wish.seats <= 8:
        raise AlertError(_l("Ask for between 1 and %(most)d seats.", most=8))


def _index_places(origin: LatLon, destination: LatLon) -> dict[str, int | float | None]:
    """Where an alert's places are in the search index, as a search of them reads it
    (:class:`search.Ends`), as the alert's columns; nowhere for places no road joins,
    between which no trip can take a passenger.

    Raises
    ------
    AlertError
        For a place that cannot be put on the region's roads.
    """
    try:
        ends = search.Ends.of(origin, destination)
    except RoutingError as error:
        raise AlertError(routing_problem(error)) from error
    placed = math.isfinite(ends.fastest_s)
    return {
        "pickup_cell": ends.pickup.cell if placed else None,
        "dropoff_cell": ends.dropoff.cell if placed else None,
        "pickup_subcell": ends.pickup.subcell,
        "dropoff_subcell": ends.dropoff.subcell,
        "fastest_s": ends.fastest_s if placed else None,
    }


def _same(user_id: int, values: dict[str, object]) -> int | None:
    """The member's alert that already asks the same, if any."""
    keys = ("origin", "destination", "day", "flex_days", "weekdays", "time_from", "time_to")
    query = select(Alert.id).where(Alert.user_id == user_id)
    for key in keys:
        column = getattr(Alert, key)
        query = query.where(column.is_(None) if values[key] is None else column == values[key])
    return db.session.scalar(query.limit(1))


def create_alert(user_id: int, wish: AlertWish, *, now: datetime | None = None) -> int:
    """Keep a member's alert; returns its id. The same alert asked twice is kept
    once (and its latest choices of seats, visibility and end date are kept).

    Raises
    ------
    FieldError
        For a place name the gazetteer does not know.
    AlertError
        For a day in the past or more than a year ahead, a flexibility out of 0–3
        days, no date and no day of the week, a time window that ends before it
        starts, places outside the region, or too many alerts.
    """
    refused = standing.refusal(user_id, now)
    if refused is not None:
        raise AlertError(refused)
    today = _today(now or datetime.now(UTC))
    start = places.place_for_field(wish.origin, "origin")
    end = places.place_for_field(wish.destination, "destination")
    expires_on = _expiry(wish, today)
    _validate(wish)
    in_index = _index_places((start.lat, start.lon), (end.lat, end.lon))
    values: dict[str, object] = {
        "origin": start.name,
        "destination": end.name,
        "day": wish.day,
        "flex_days": wish.flex_days if wish.day else 0,
        "weekdays": _mask(wish.weekdays),
        "time_from": wish.time_from,
        "time_to": wish.time_to,
    }
    alert_id = _same(user_id, values)
    alert = db.session.get(Alert, alert_id) if alert_id is not None else None
    if alert is None:
        if _active_count(user_id, today) >= MAX_ALERTS:
            raise AlertError(_l("You already have %(most)d alerts: that is the most.", most=MAX_ALERTS))
        alert = Alert(user_id=user_id, **values)
        db.session.add(alert)
    alert.origin_lat, alert.origin_lon = start.lat, start.lon
    alert.destination_lat, alert.destination_lon = end.lat, end.lon
    for column, value in in_index.items():
        setattr(alert, column, value)
    alert.expires_on, alert.seats, alert.public, alert.paused = expires_on, wish.seats, wish.public, False
    db.session.commit()
    return int(alert.id)


def _active_count(user_id: int, today: date) -> int:
    count = db.session.scalar(
        select(func.count(Alert.id)).where(Alert.user_id == user_id, Alert.expires_on >= today)
    )
    return count or 0


def _own(alert_id: int, user_id: int) -> Alert:
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound(alert_id)
    if alert.user_id != user_id:
        raise NotYourAlert(alert_id)
    return alert


def set_paused(alert_id: int, user_id: int, paused: bool) -> None:
    """Pause an alert (no e-mails, and its ride request hidden), or resume it for the
    trips published from now on.

    Raises
    ------
    AlertNotFound, NotYourAlert
        For an unknown alert, or another member's.
    """
    _own(alert_id, user_id).paused = paused
    db.session.commit()


def delete_alert(alert_id: int, user_id: int) -> None:
    """Forget an alert and the trips found for it.

    Raises
    ------
    AlertNotFound, NotYourAlert
        For an unknown alert, or another member's.
    """
    alert = _own(alert_id, user_id)
    db.session.execute(delete(AlertMatch).where(AlertMatch.alert_id == alert.id))
    db.session.delete(alert)
    db.session.commit()


def my_alerts(user_id: int, *, now: datetime | None = None) -> list[AlertView]:
    """A member's alerts, those still running first, each with the trips found."""
    today = _today(now or datetime.now(UTC))
    alerts = db.session.scalars(
        select(Alert).where(Alert.user_id == user_id).order_by(Alert.expires_on.desc(), Alert.id)
    ).all()
    found: dict[int, list[tuple[int, str, str, datetime]]] = {alert.id: [] for alert in alerts}
    matches = db.session.scalars(
        select(AlertMatch)
        .where(AlertMatch.alert_id.in_(found), AlertMatch.trip_id == Trip.id, Trip.status == "published")
        .order_by(Trip.departure_at)
        .options(selectinload(AlertMatch.trip).selectinload(Trip.stops))
    )
    for match in matches:
        trip = match.trip
        found[match.alert_id].append((trip.id, trip.stops[0].name, trip.stops[-1].name, trip.departure_at))
    views = [_view(alert, today, tuple(found[alert.id])) for alert in alerts]
    return sorted(views, key=lambda view: view.expired)


def _view(alert: Alert, today: date, found: tuple[tuple[int, str, str, datetime], ...]) -> AlertView:
    return AlertView(
        id=alert.id,
        origin=alert.origin,
        destination=alert.destination,
        day=alert.day,
        flex_days=alert.flex_days,
        weekdays=_days(alert.weekdays),
        expires_on=alert.expires_on,
        time_from=alert.time_from,
        time_to=alert.time_to,
        seats=alert.seats,
        public=alert.public,
        paused=alert.paused,
        expired=alert.expires_on < today,
        found=found,
    )


# -- matching new trips -----------------------------------------------------------------


def _pickup_rule(alert: Alert, now: datetime) -> Callable[[datetime], bool]:
    """When a pickup suits the alert: the search's rule for one day; for days of the
    week, one of them up to the end date, in the same time window."""
    if alert.day is not None:
        query = search.SearchQuery(
            pickup=(alert.origin_lat, alert.origin_lon),
            dropoff=(alert.destination_lat, alert.destination_lon),
            day=alert.day,
            flex_days=alert.flex_days,
            time_from=alert.time_from,
            time_to=alert.time_to,
        )
        return search.pickup_rule(query, now=now)
    zone = site_zone()

    def on_its_days(pickup_at: datetime) -> bool:
        local = pickup_at.astimezone(zone)
        return (
            pickup_at >= now
            and bool(alert.weekdays >> local.weekday() & 1)
            and local.date() <= alert.expires_on
            and search.within_hours(local.time(), alert.time_from, alert.time_to)
        )

    return on_its_days


def _alerts_along(trip: Trip, *, public_only: bool = False, unmatched: bool = False) -> list[Alert]:
    """Running alerts whose two places lie in the trip's search cells, the pickup's
    before the drop-off's: only these can match it (the search index, read the
    other way round). ``unmatched``: those not told of this trip yet."""
    near_pickup, near_dropoff = aliased(TripCell), aliased(TripCell)
    departure_day = trip.departure_at.astimezone(site_zone()).date()
    query = (
        select(Alert)
        .join(near_pickup, (near_pickup.trip_id == trip.id) & (near_pickup.cell == Alert.pickup_cell))
        .join(near_dropoff, (near_dropoff.trip_id == trip.id) & (near_dropoff.cell == Alert.dropoff_cell))
        .where(
            # As a search of the alert's places reads the index (search._INDEXED): the
            # driver can be in the pickup's cell, then drive to the drop-off, before the
            # latest moment they can be in the drop-off's cell; both sub-cells within
            # the detour. Alerts kept before these were: any sub-cell, no time.
            near_pickup.earliest_s + func.coalesce(Alert.fastest_s, 0.0) <= near_dropoff.latest_s,
            near_pickup.subcells.bitwise_and(func.coalesce(Alert.pickup_subcell, -1)) != 0,
            near_dropoff.subcells.bitwise_and(func.coalesce(Alert.dropoff_subcell, -1)) != 0,
            Alert.paused.is_(False),
            Alert.user_id != trip.driver_id,
            _in_good_standing(),  # no mails, no requests shown, for suspended members
            Alert.expires_on >= departure_day,
            # A pickup is on the departure's day or the next (trips are shorter than 12 h).
            or_(Alert.day.is_(None), Alert.day <= departure_day + timedelta(days=search.MAX_FLEX_DAYS + 1)),
        )
        .options(selectinload(Alert.user))
    )
    if public_only:
        query = query.where(Alert.public.is_(True))
    if unmatched:
        query = query.where(~exists().where(AlertMatch.alert_id == Alert.id, AlertMatch.trip_id == trip.id))
    return list(db.session.scalars(query))


def _in_good_standing() -> ColumnElement[bool]:
    """Alerts of members who may act: a suspended or banned member's are neither
    mailed nor shown to drivers."""
    now = datetime.now(UTC)
    return Alert.user_id.in_(
        select(User.id).where(
            User.banned_at.is_(None), or_(User.suspended_until.is_(None), User.suspended_until <= now)
        )
    )


def _passing(trip: Trip, alert: Alert, now: datetime) -> search.Passing[Trip] | None:
    try:
        found = search.passing_trips(
            [trip],
            (alert.origin_lat, alert.origin_lon),
            (alert.destination_lat, alert.destination_lon),
            accepts=_pickup_rule(alert, now),
        )
    except RouterUnavailable as error:
        # Alerts are a courtesy: while the routing server is down, none matches.
        current_app.logger.error("alert %s not checked against trip %s: %s", alert.id, trip.id, error)
        return None
    return found[0] if found else None


def trip_published(trip: Trip, *, now: datetime | None = None) -> int:
    """Tell the members whose alerts a published (or changed) trip matches, once per
    alert and trip, in the caller's transaction; returns how many were told.
    The trip's search cells must be in the session already."""
    now = now or datetime.now(UTC)
    told = 0
    for alert in _alerts_along(trip, unmatched=True):
        passing = _passing(trip, alert, now)
        if passing is None:
            continue
        db.session.add(AlertMatch(alert_id=alert.id, trip_id=trip.id, found_at=now))
        notify.alert_matched(alert, passing)
        told += 1
    return told


def match_soon(trip_ids: Sequence[int], *, now: datetime | None = None) -> None:
    """Have trips just published (and committed) matched against the alerts: in an
    RQ job on the ``alerts`` queue when REDIS_URL is set, so that publishing (a
    regular trip's many dates above all) does not wait for it; else at once."""
    if not trip_ids:
        return
    if current_app.config.get("REDIS_URL"):
        tasks.enqueue("alerts", "carpool.tasks.match_alerts", list(trip_ids))
        return
    match_published(trip_ids, now=now)


def match_published(trip_ids: Sequence[int], *, now: datetime | None = None) -> int:
    """Tell the members whose alerts these published trips match (see
    :func:`trip_published`), commit, and send the mails; returns how many were told.
    A trip cancelled or hidden since is left out."""
    trips = db.session.scalars(
        select(Trip).where(Trip.id.in_(list(trip_ids)), Trip.status == "published").order_by(Trip.id)
    )
    told = sum(trip_published(trip, now=now) for trip in trips)
    db.session.commit()
    mail.deliver_soon()
    return told


def _request(alert: Alert, passing: search.Passing[Trip] | None = None) -> RideRequest:
    return RideRequest(
        alert_id=alert.id,
        passenger_id=alert.user_id,
        passenger_name=alert.user.display_name,
        origin=alert.origin,
        destination=alert.destination,
        day=alert.day,
        flex_days=alert.flex_days,
        weekdays=_days(alert.weekdays),
        expires_on=alert.expires_on,
        time_from=alert.time_from,
        time_to=alert.time_to,
        seats=alert.seats,
        pickup_at=passing.pickup_at if passing else None,
        detour_min=round(passing.match.detour_s / 60) if passing else None,
    )


def requests_along(trip_id: int, driver_id: int, *, now: datetime | None = None) -> list[RideRequest]:
    """The ride requests the driver's trip can take, by the search's rule, soonest
    pickup first; none for anyone but the trip's driver, or a trip not to come."""
    now = now or datetime.now(UTC)
    trip = db.session.get(Trip, trip_id)
    if trip is None or trip.driver_id != driver_id or trip.status != "published":
        return []
    found = []
    for alert in _alerts_along(trip, public_only=True):
        passing = _passing(trip, alert, now)
        if passing is not None:
            found.append(_request(alert, passing))
    return sorted(found, key=lambda r: r.pickup_at or now)


def open_requests(*, now: datetime | None = None, limit: int = 100) -> list[RideRequest]:
    """Public ride requests still to come, for drivers to browse: the soonest ends
    first."""
    return [_request(alert) for alert in open_request_alerts(now=now, limit=limit)]


def open_request_alerts(*, now: datetime | None = None, limit: int | None = None) -> list[Alert]:
    """The alerts behind :func:`open_requests` (public, running, not paused, of
    members in good standing), with their places: for the partner API, which
    matches them to a partner's query. The soonest ends first."""
    today = _today(now or datetime.now(UTC))
    query = (
        select(Alert)
        .where(
            Alert.public.is_(True), Alert.paused.is_(False), Alert.expires_on >= today, _in_good_standing()
        )
        .order_by(Alert.expires_on, Alert.id)
        .options(selectinload(Alert.user))
    )
    return list(db.session.scalars(query if limit is None else query.limit(limit)))


def reindex() -> int:
    """Compute the search cells of every running alert again (after a new road graph
    or a new cell size); alerts whose places left the region are never matched.
    Returns how many alerts have cells."""
    today = _today(datetime.now(UTC))
    placed = 0
    for alert in db.session.scalars(select(Alert).where(Alert.expires_on >= today)):
        try:
            in_index = _index_places(
                (alert.origin_lat, alert.origin_lon), (alert.destination_lat, alert.destination_lon)
            )
        except AlertError:
            in_index = {"pickup_cell": None, "dropoff_cell": None}
        for column, value in in_index.items():
            setattr(alert, column, value)
        placed += alert.pickup_cell is not None
    db.session.commit()
    return placed
