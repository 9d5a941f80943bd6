"""Distances on the WGS84 ellipsoid.

Edge lengths use Karney's geodesic algorithm (the one geopy uses), vectorised by
pyproj so a country's worth of road segments is measured in a fraction of a second.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod

__all__ = ["EARTH_RADIUS_M", "geodesic_m", "great_circle_m", "to_unit_vectors", "unit_vector"]

_WGS84: Final = Geod(ellps="WGS84")

#: Mean Earth radius (IUGG), for chord <-> arc conversions.
EARTH_RADIUS_M: Final[float] = 6_371_008.8


def geodesic_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> NDArray[np.float64]:
    """Geodesic distance in metres between pairs of points (vectorised).

    Examples
    --------
    >>> round(float(geodesic_m([43.7384], [7.4246], [43.7384], [7.4346])[0]))
    806
    """
    _, _, dist = _WGS84.inv(
        np.asarray(lon1, dtype=np.float64),
        np.asarray(lat1, dtype=np.float64),
        np.asarray(lon2, dtype=np.float64),
        np.asarray(lat2, dtype=np.float64),
    )
    return np.asarray(dist, dtype=np.float64)


def to_unit_vectors(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """Points on the unit sphere; their straight-line (chord) distance grows with
    the distance on the Earth, so a k-d tree over them finds true nearest points."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    """:func:`to_unit_vectors` for one point, without numpy's per-call overhead."""
    phi, lam = math.radians(lat), math.radians(lon)
    return (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))


def great_circle_m(chord: float) -> float:
    """Arc length in metres for a chord between unit vectors."""
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, chord / 2.0))
