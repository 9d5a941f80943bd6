"""Open data: the trips on offer, anonymised, as files anyone may reuse.

The export holds the published trips still to come of members in good standing,
with nothing that names or reaches a person: no names, no member ids, no comments,
no phone, and places and times made rough enough that a driver's home or habits
cannot be read from them. It is published under ``OPEN_DATA_LICENCE``, with the
attribution the association and OpenStreetMap (the routes come from its roads) ask for.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from ..i18n import site_zone
from ..models import Place, Trip, TripStop, User

__all__ = [
    "FORMATS",
    "PUBLIC_PLACE_KINDS",
    "Export",
    "Licence",
    "OpenPlace",
    "OpenTrip",
    "export",
    "future_trips",
    "licence",
    "opaque_id",
]

#: The formats of the export, and the media type of each.
FORMATS: dict[str, str] = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
}
#: Kinds of gazetteer places whose names are published: places where many people
#: live. A hamlet is left out: its name points at a handful of homes, far closer
#: than the rounded coordinates do.
PUBLIC_PLACE_KINDS = ("city", "town", "village", "suburb")
#: Decimals kept of latitudes and longitudes: 0.01° is about 1 km (1.1 km of
#: latitude, 0.8 km of longitude in France), because a driver often leaves from home.
COORDINATE_DECIMALS = 2
#: Departures are rounded down to this: with the day and a rough origin, an exact
#: minute is a habit that tells one driver from another (and a regular trip repeats it).
DEPARTURE_STEP = timedelta(minutes=15)
#: Characters of the opaque id: 16 hexadecimal digits (64 bits), short to read and
#: far too many to guess or to collide among a site's trips.
OPAQUE_ID_LENGTH = 16
#: The CSV's columns, in order.
CSV_COLUMNS = (
    "id",
    "departure_utc",
    "departure_local_date",
    "origin_name",
    "origin_lat",
    "origin_lon",
    "stopover_names",
    "stopovers",
    "destination_name",
    "destination_lat",
    "destination_lon",
    "seats",
    "contribution_per_seat",
    "currency",
    "length_km",
    "duration_min",
    "regular",
    "luggage",
    "pets",
    "smoking",
)


@dataclass(frozen=True)
class Licence:
    """The terms of reuse: the licence's name and address, and the attribution owed."""

    name: str
    url: str
    attribution: str


@dataclass(frozen=True)
class OpenPlace:
    """A stop of a trip as published: rounded coordinates, and the name of the
    gazetteer's town or village it is, or "" (a point on the map, a hamlet)."""

    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class OpenTrip:
    """A trip on offer as published, with nothing personal in it.

    ``departure`` is in UTC, rounded down to the quarter hour; ``departure_date`` is
    its date in the site's time zone. ``contribution_cents`` is what one passenger
    pays for the whole trip.
    """

    id: str
    origin: OpenPlace
    stopovers: tuple[OpenPlace, ...]
    destination: OpenPlace
    departure: datetime
    departure_date: date
    seats: int
    contribution_cents: int
    currency: str
    length_km: float
    duration_min: int
    regular: bool
    luggage: str
    pets: bool
    smoking: bool

    @property
    def places(self) -> tuple[OpenPlace, ...]:
        """Origin, stopovers and destination, in the driver's order."""
        return (self.origin, *self.stopovers, self.destination)


@dataclass(frozen=True)
class Export:
    """A file of the export: its bytes, media type and file name, the licence to
    announce with it, and a fingerprint of its trips (the same trips give the same
    fingerprint, whenever the file was made: an ETag)."""

    body: bytes
    mimetype: str
    filename: str
    licence: Licence
    fingerprint: str


def licence() -> Licence:
    """The licence from the configuration, and the attribution: the association, and
    OpenStreetMap's contributors, whose roads every route follows (the ODbL of
    OpenStreetMap asks for it)."""
    config = current_app.config
    return Licence(
        name=str(config["OPEN_DATA_LICENCE"]),
        url=str(config["OPEN_DATA_LICENCE_URL"]),
        attribution=f"© {config['ASSOCIATION_NAME']} and OpenStreetMap contributors",
    )


def opaque_id(trip_id: int) -> str:
    """A trip's id in the export: an HMAC of its database id with SECRET_KEY, so it
    stays the same from one export to the next (reusers can follow a trip), while
    the database id, which counts the site's trips and gives its pages' addresses,
    cannot be read from it."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"open-data trip {trip_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:OPAQUE_ID_LENGTH]


def future_trips(*, now: datetime | None = None) -> list[OpenTrip]:
    """The published trips still to come, of members in good standing, anonymised,
    by departure."""
    now = now or datetime.now(UTC)
    trips = list(
        db.session.scalars(
            select(Trip)
            .where(
                Trip.status == "published",  # neither cancelled nor hidden by the moderators
                Trip.cancelled_at.is_(None),
                Trip.anonymised_at.is_(None),
                Trip.departure_at > now,
                _driver_in_good_standing(now),
            )
            .order_by(Trip.departure_at, Trip.id)
            .options(selectinload(Trip.stops))
        )
    )
    towns = _town_names(stop.name for trip in trips for stop in trip.stops)
    return [_open_trip(trip, towns) for trip in trips]


def export(format_: str, *, now: datetime | None = None) -> Export:
    """The export as a file of ``format_`` (one of :data:`FORMATS`).

    Raises
    ------
    ValueError
        For a format that is not one of :data:`FORMATS`.
    """
    if format_ not in FORMATS:
        raise ValueError(f"unknown open data format: {format_!r}")
    now = now or datetime.now(UTC)
    trips = future_trips(now=now)
    terms = licence()
    body = _geojson(trips, terms, now) if format_ == "geojson" else _csv(trips)
    return Export(
        body=body,
        mimetype=FORMATS[format_],
        filename=f"trips.{format_}",
        licence=terms,
        fingerprint=_fingerprint(format_, trips, terms),
    )


# -- which trips, and what of them ------------------------------------------------------


def _driver_in_good_standing(now: datetime) -> ColumnElement[bool]:
    """Trips of drivers who may act (as alerts judge it): not suspended, not banned,
    and not of a deleted account."""
    return Trip.driver_id.in_(
        select(User.id).where(
            User.banned_at.is_(None),
            User.deleted_at.is_(None),
            or_(User.suspended_until.is_(None), User.suspended_until <= now),
        )
    )


def _town_names(names: Iterable[str]) -> set[str]:
    """Of the stops' names, those of the gazetteer's towns and villages. Any other
    name is left out: a point picked on the map is named with its exact coordinates,
    and a name the site does not know may be anything the driver typed."""
    wanted = set(names)
    if not wanted:
        return set()
    return set(
        db.session.scalars(
            select(Place.name).where(Place.name.in_(wanted), Place.kind.in_(PUBLIC_PLACE_KINDS))
        )
    )


def _open_place(stop: TripStop, towns: set[str]) -> OpenPlace:
    return OpenPlace(
        name=stop.name if stop.name in towns else "",
        lat=round(stop.lat, COORDINATE_DECIMALS),
        lon=round(stop.lon, COORDINATE_DECIMALS),
    )


def _rounded_departure(departure: datetime) -> datetime:
    """Rounded down to :data:`DEPARTURE_STEP`, in UTC (down: a passenger reading the
    export is never told a time after the real one)."""
    utc = departure.astimezone(UTC).replace(second=0, microsecond=0)
    step_min = int(DEPARTURE_STEP.total_seconds() // 60)
    return utc.replace(minute=utc.minute - utc.minute % step_min)


def _open_trip(trip: Trip, towns: set[str]) -> OpenTrip:
    places = [_open_place(stop, towns) for stop in trip.stops]
    departure = _rounded_departure(trip.departure_at)
    return OpenTrip(
        id=opaque_id(trip.id),
        origin=places[0],
        stopovers=tuple(places[1:-1]),
        destination=places[-1],
        departure=departure,
        departure_date=departure.astimezone(site_zone()).date(),
        seats=trip.seats,
        contribution_cents=trip.contribution_cents,
        currency=trip.currency,
        # To 100 m and to the minute: enough to compare trips; the exact figures,
        # with the destination, would narrow down where the route starts.
        length_km=round(trip.length_m / 1000, 1),
        duration_min=round(trip.time_s / 60),
        regular=trip.regular_id is not None,
        luggage=trip.luggage,
        pets=trip.pets,
        smoking=trip.smoking,
    )


# -- the files ------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _euros(cents: int) -> str:
    """An amount in the currency's units, exactly: "2.50"."""
    return f"{cents // 100}.{cents % 100:02d}"


def _properties(trip: OpenTrip) -> dict[str, Any]:
    """A trip's fields, the same in both files (the CSV flattens the places)."""
    return {
        "id": trip.id,
        "departure_utc": _iso(trip.departure),
        "departure_local_date": trip.departure_date.isoformat(),
        "origin_name": trip.origin.name,
        "stopover_names": [place.name for place in trip.stopovers],
        "destination_name": trip.destination.name,
        "seats": trip.seats,
        "contribution_per_seat": float(_euros(trip.contribution_cents)),
        "currency": trip.currency,
        "length_km": trip.length_km,
        "duration_min": trip.duration_min,
        "regular": trip.regular,
        "luggage": trip.luggage,
        "pets": trip.pets,
        "smoking": trip.smoking,
    }


def _feature(trip: OpenTrip) -> dict[str, Any]:
    # Only the stops, never the route's own line: the route starts at the exact
    # point the driver leaves from.
    line = [[place.lon, place.lat] for place in trip.places]  # GeoJSON: longitude first
    return {
        "type": "Feature",
        "id": trip.id,
        "geometry": {"type": "LineString", "coordinates": line},
        "properties": _properties(trip),
    }


def _geojson(trips: Sequence[OpenTrip], terms: Licence, now: datetime) -> bytes:
    collection = {
        "type": "FeatureCollection",
        "licence": {"name": terms.name, "url": terms.url},
        "attribution": terms.attribution,
        "generated_at": _iso(now),
        "features": [_feature(trip) for trip in trips],
    }
    return json.dumps(collection, ensure_ascii=False, indent=1).encode()


def _cell(value: Any) -> object:
    """A property as a CSV cell: true/false as in the GeoJSON, lists ``;``-separated."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(map(str, value))
    return value


def _csv_row(trip: OpenTrip) -> dict[str, object]:
    """The GeoJSON's properties, flattened, with the places' coordinates as columns."""
    row = {key: _cell(value) for key, value in _properties(trip).items()}
    row["contribution_per_seat"] = _euros(trip.contribution_cents)  # exact: "2.50"
    for key, place in (("origin", trip.origin), ("destination", trip.destination)):
        row[f"{key}_lat"], row[f"{key}_lon"] = place.lat, place.lon
    row["stopovers"] = ";".join(f"{place.lat},{place.lon}" for place in trip.stopovers)
    return row


def _csv(trips: Sequence[OpenTrip]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(_csv_row(trip) for trip in trips)
    return out.getvalue().encode()


def _fingerprint(format_: str, trips: Sequence[OpenTrip], terms: Licence) -> str:
    """What the file says, less the moment it was made: it changes when a trip, the
    licence or the format does."""
    content = json.dumps(
        [format_, terms.name, terms.url, terms.attribution, [_properties(t) for t in trips]]
        + [[[p.lat, p.lon] for p in t.places] for t in trips],
        ensure_ascii=False,
    )
    return hashlib.sha256(content.encode()).hexdigest()[:32]
