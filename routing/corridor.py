"""Corridors around routes and linear referencing, for cheap pre-filtering.

A passenger's pickup that lies outside a trip's corridor cannot be reached with a small
detour; inside it, the position along the route tells whether the pickup comes before
the drop-off. Both are cheap checks made before exact detours are computed.

Geometries follow the shapely convention: x is the longitude, y the latitude.
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from pyproj import CRS
from shapely.geometry import LineString, Point, Polygon

from .graph import LatLon, check_point
from .projection import to_lonlat, to_metric, utm_crs
from .router import Route

__all__ = ["corridor", "distance_to_route", "position_along", "route_line"]


@dataclass(frozen=True)
class _MetricLine:
    crs: CRS
    line: LineString


_metric_lines: WeakKeyDictionary[Route, _MetricLine] = WeakKeyDictionary()


def route_line(route: Route) -> LineString:
    """The route as a lon/lat :class:`~shapely.LineString`."""
    coords = [(lon, lat) for lat, lon in route.coords]
    if len(coords) == 1:  # origin and destination snapped to the same node
        coords = coords * 2
    return LineString(coords)


def _metric(route: Route) -> _MetricLine:
    found = _metric_lines.get(route)
    if found is None:
        line = route_line(route)
        centre = line.centroid
        crs = utm_crs(centre.y, centre.x)
        projected = to_metric(line, crs)
        assert isinstance(projected, LineString)
        found = _metric_lines[route] = _MetricLine(crs, projected)
    return found


def corridor(route: Route, width_m: float) -> Polygon:
    """Every point within ``width_m`` metres of the route, as a lon/lat polygon.

    The buffer is drawn in the UTM zone of the route, so the width is the same in
    every direction and at every latitude.

    Parameters
    ----------
    route : Route
    width_m : float
        Half-width of the corridor, in metres; positive.

    Returns
    -------
    shapely.Polygon

    Raises
    ------
    ValueError
        If ``width_m`` is not positive.

    Examples
    --------
    >>> from shapely import Point
    >>> from routing import Router, build_graph
    >>> route = Router(build_graph(monaco_pbf)).route((43.7311, 7.4197), (43.7476, 7.4336))
    >>> area = corridor(route, 300)
    >>> area.contains(Point(7.4246, 43.7384)), area.contains(Point(7.40, 43.70))
    (True, False)
    """
    if not width_m > 0:
        raise ValueError(f"a corridor width must be a positive number of metres, not {width_m!r}")
    metric = _metric(route)
    polygon = to_lonlat(metric.line.buffer(width_m, quad_segs=8), metric.crs)
    assert isinstance(polygon, Polygon)
    return polygon


def _metric_point(metric: _MetricLine, point: LatLon) -> Point:
    lat, lon = check_point(point)
    projected = to_metric(Point(lon, lat), metric.crs)
    assert isinstance(projected, Point)
    return projected


def distance_to_route(route: Route, point: LatLon) -> float:
    """Shortest distance in metres from a (lat, lon) point to the route's line."""
    metric = _metric(route)
    return float(metric.line.distance(_metric_point(metric, point)))


def position_along(route: Route, point: LatLon) -> float:
    """Distance in metres from the start of the route to the point of the route
    nearest to ``point`` (linear referencing).

    A pickup whose position is after the drop-off's cannot be served in that order.
    """
    metric = _metric(route)
    return float(metric.line.project(_metric_point(metric, point)))
