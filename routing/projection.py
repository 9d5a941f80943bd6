"""Local metric projections: buffers and distances in metres, never in degrees.

Each geometry is projected to the UTM zone of its centre (as osmnx does), where the
scale error stays under 0.1 % across a region.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

__all__ = ["to_lonlat", "to_metric", "utm_crs"]


@lru_cache(maxsize=64)
def utm_crs(lat: float, lon: float) -> CRS:
    """The UTM zone (WGS84) that contains a point.

    Examples
    --------
    >>> utm_crs(43.73, 7.42).to_epsg()
    32632
    >>> utm_crs(-33.9, 18.4).to_epsg()
    32734
    """
    zone = min(60, int((lon + 180.0) // 6.0) + 1)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


@lru_cache(maxsize=64)
def _transformers(crs: CRS) -> tuple[Transformer, Transformer]:
    forward = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    backward = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return forward, backward


def _apply(transformer: Transformer, geometry: BaseGeometry) -> BaseGeometry:
    def project(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack((x, y))

    return shapely.transform(geometry, project)


def to_metric(geometry: BaseGeometry, crs: CRS) -> BaseGeometry:
    """Project a lon/lat geometry (x = longitude) into ``crs``, in metres."""
    return _apply(_transformers(crs)[0], geometry)


def to_lonlat(geometry: BaseGeometry, crs: CRS) -> BaseGeometry:
    """Project a geometry in ``crs`` back to lon/lat."""
    return _apply(_transformers(crs)[1], geometry)
