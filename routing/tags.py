"""Car rules read from OpenStreetMap way tags: which ways a car may use, in which
direction, and how fast.

The rules follow the OpenStreetMap wiki and the car profile of OSRM, the most widely
deployed open-source router, so that our travel times are in the range people know
from other route planners.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

__all__ = [
    "HIGHWAY_SPEED_KMH",
    "MAXSPEED_FACTOR",
    "PLACE_KINDS",
    "is_drivable",
    "oneway_direction",
    "parse_maxspeed",
    "speed_kmh",
]

#: Typical car speeds by road type when no speed limit is tagged (OSRM car profile).
HIGHWAY_SPEED_KMH: Final[dict[str, float]] = {
    "motorway": 90.0,
    "motorway_link": 45.0,
    "trunk": 85.0,
    "trunk_link": 40.0,
    "primary": 65.0,
    "primary_link": 30.0,
    "secondary": 55.0,
    "secondary_link": 25.0,
    "tertiary": 40.0,
    "tertiary_link": 20.0,
    "unclassified": 25.0,
    "residential": 25.0,
    "living_street": 10.0,
    "road": 20.0,
}

#: Cars rarely hold the posted limit: junctions, traffic, bends. OSRM uses 0.8 too.
MAXSPEED_FACTOR: Final[float] = 0.8

#: Values of access tags that forbid through traffic by private cars.
_FORBIDDEN_ACCESS: Final[frozenset[str]] = frozenset(
    {"no", "private", "agricultural", "forestry", "emergency", "delivery", "military", "customers"}
)

#: From the most to the least specific: the first one present decides.
_ACCESS_KEYS: Final[tuple[str, ...]] = ("motorcar", "motor_vehicle", "vehicle", "access")

#: Named places kept for the gazetteer.
PLACE_KINDS: Final[frozenset[str]] = frozenset({"city", "town", "village", "hamlet", "suburb"})

#: Speeds implied by country and zone codes such as ``FR:urban`` (km/h).
_IMPLICIT_MAXSPEED: Final[dict[str, float]] = {
    "urban": 50.0,
    "rural": 80.0,
    "trunk": 110.0,
    "motorway": 130.0,
    "living_street": 20.0,
    "walk": 7.0,
    "zone30": 30.0,
    "zone:30": 30.0,
    "bicycle_road": 30.0,
}

#: National rural limits that differ from 80 km/h.
_RURAL_KMH: Final[dict[str, float]] = {"PT": 90.0, "DE": 100.0, "AT": 100.0, "ES": 90.0, "IT": 90.0}
_MOTORWAY_KMH: Final[dict[str, float]] = {"PT": 120.0, "CH": 120.0, "LI": 120.0, "ES": 120.0}

_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")


def is_drivable(tags: Mapping[str, str]) -> bool:
    """Tell whether a private car may drive on a way.

    Parameters
    ----------
    tags : mapping of str to str
        The way's OpenStreetMap tags.

    Returns
    -------
    bool
        True for a road type in :data:`HIGHWAY_SPEED_KMH` that is not an area, not
        closed to cars by an access tag and not reversible (its direction changes
        during the day, so no fixed direction can be trusted).

    Examples
    --------
    >>> is_drivable({"highway": "residential"})
    True
    >>> is_drivable({"highway": "residential", "access": "private"})
    False
    >>> is_drivable({"highway": "footway"})
    False
    """
    if tags.get("highway") not in HIGHWAY_SPEED_KMH or tags.get("area") == "yes":
        return False
    if tags.get("oneway") in ("reversible", "alternating"):
        return False
    for key in _ACCESS_KEYS:
        value = tags.get(key)
        if value is not None:
            return value not in _FORBIDDEN_ACCESS
    return True


def oneway_direction(tags: Mapping[str, str]) -> int:
    """Direction in which cars may drive along a way.

    Returns
    -------
    int
        ``1`` along the way's node order only, ``-1`` against it only, ``0`` both.

    Examples
    --------
    >>> oneway_direction({"highway": "primary", "oneway": "yes"})
    1
    >>> oneway_direction({"highway": "primary", "oneway": "-1"})
    -1
    >>> oneway_direction({"highway": "primary", "junction": "roundabout"})
    1
    >>> oneway_direction({"highway": "motorway", "oneway": "no"})
    0
    """
    value = tags.get("oneway")
    if value in ("yes", "true", "1"):
        return 1
    if value in ("-1", "reverse"):
        return -1
    if value in ("no", "false", "0"):
        return 0
    implied = tags.get("junction") in ("roundabout", "circular") or tags.get("highway") == "motorway"
    return 1 if implied else 0


def parse_maxspeed(value: str | None, *, highway: str = "") -> float | None:
    """Read an OpenStreetMap ``maxspeed`` value in km/h.

    Parameters
    ----------
    value : str or None
        The tag value: ``"50"``, ``"30 mph"``, ``"FR:urban"``, ``"none"``...
    highway : str, optional
        The road type, used to give ``"none"`` (no limit) a sensible speed.

    Returns
    -------
    float or None
        The limit in km/h, or None when the value says nothing usable
        (``"signals"``, ``"variable"``, typos).

    Examples
    --------
    >>> parse_maxspeed("50")
    50.0
    >>> round(parse_maxspeed("30 mph"), 1)
    48.3
    >>> parse_maxspeed("PT:rural")
    90.0
    >>> parse_maxspeed("signals") is None
    True
    """
    if not value:
        return None
    value = value.split(";")[0].strip()
    match = _NUMBER.match(value)
    if match:
        number = float(match.group(1))
        unit = match.group(2)
        if unit == "mph":
            number *= 1.609344
        elif unit == "knots":
            number *= 1.852
        return number if 0 < number <= 300 else None
    if value == "none":
        return 130.0 if highway.startswith("motorway") else None
    if ":" in value:
        country, zone = value.split(":", 1)
        if zone == "rural":
            return _RURAL_KMH.get(country.upper(), 80.0)
        if zone == "motorway":
            return _MOTORWAY_KMH.get(country.upper(), 130.0)
        return _IMPLICIT_MAXSPEED.get(zone)
    return _IMPLICIT_MAXSPEED.get(value)


def speed_kmh(tags: Mapping[str, str], direction: int = 1) -> float:
    """Expected car speed on a way, in km/h.

    The tagged limit (``maxspeed:forward`` / ``maxspeed:backward`` first) times
    :data:`MAXSPEED_FACTOR`; else the typical speed of the road type.

    Parameters
    ----------
    tags : mapping of str to str
        The way's tags; the way must be drivable.
    direction : {1, -1}
        1 along the way's node order, -1 against it.

    Examples
    --------
    >>> speed_kmh({"highway": "residential"})
    25.0
    >>> speed_kmh({"highway": "primary", "maxspeed": "50"})
    40.0
    """
    highway = tags.get("highway", "road")
    directional = "maxspeed:forward" if direction == 1 else "maxspeed:backward"
    for key in (directional, "maxspeed"):
        limit = parse_maxspeed(tags.get(key), highway=highway)
        if limit is not None:
            return max(limit * MAXSPEED_FACTOR, 5.0)
    return HIGHWAY_SPEED_KMH.get(highway, HIGHWAY_SPEED_KMH["road"])
