"""The region's road graph and router, loaded once per process."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from flask import current_app

from routing import (
    GraphFileError,
    Legs,
    LegsBatch,
    OsrmRouter,
    RoadGraph,
    Route,
    Router,
    SpaceTable,
    load_graph,
    load_spaces,
    spaces_path,
)

from ..models import Trip

__all__ = [
    "RoadGraphMissing",
    "cached_route",
    "forget_route",
    "forget_router",
    "get_router",
    "region_centre",
    "remember_route",
    "stored_legs",
    "trip_legs",
    "trip_route",
]

_KEY = "carpool.router"
_ROUTES_KEY = "carpool.trip_routes"
_ROUTE_CACHE_SIZE = 50_000
_lock = threading.RLock()


class RoadGraphMissing(RuntimeError):
    """No road graph has been imported yet (``flask graph import``)."""


def get_router() -> Router | OsrmRouter:
    """The app's router, loading ``ROAD_GRAPH`` on first use: a :class:`routing.Router`,
    or a :class:`routing.OsrmRouter` with ``ROUTER_BACKEND = "osrm"`` (same API).

    Raises
    ------
    RoadGraphMissing
        Before the first ``flask graph import``.
    ValueError
        For an unknown ``ROUTER_BACKEND``, or an invalid ``OSRM_URL``,
        ``OSRM_TIMEOUT`` or ``OSRM_MAX_TABLE_SIZE``.
    """
    router = current_app.extensions.get(_KEY)
    if router is None:
        with _lock:  # one load per process, even when requests arrive together
            router = current_app.extensions.get(_KEY)
            if router is None:
                path = Path(current_app.config["ROAD_GRAPH"])
                if not path.is_file():
                    raise RoadGraphMissing(
                        f"no road graph at {path}: run 'flask graph import EXTRACT.osm.pbf'"
                    )
                router = _make_router(load_graph(path), path)
                current_app.extensions[_KEY] = router
    return router


def _make_router(graph: RoadGraph, path: Path) -> Router | OsrmRouter:
    config = current_app.config
    backend = config.get("ROUTER_BACKEND", "builtin")
    if backend == "builtin":
        return Router(graph, max_snap_m=config["MAX_SNAP_M"], spaces=_spaces(graph, path))
    if backend == "osrm":
        return OsrmRouter(
            graph,
            config["OSRM_URL"],
            max_snap_m=config["MAX_SNAP_M"],
            timeout_s=float(config["OSRM_TIMEOUT"]),
            max_table_size=config["OSRM_MAX_TABLE_SIZE"],
        )
    raise ValueError(f"ROUTER_BACKEND must be 'builtin' or 'osrm', not {backend!r}")


def _spaces(graph: RoadGraph, path: Path) -> SpaceTable | None:
    """The graph's precomputed search spaces (``flask graph import`` writes them),
    mapped; None, and searches compute them, when there are none that fit."""
    try:
        return load_spaces(spaces_path(path), graph=graph)
    except GraphFileError as error:
        current_app.logger.warning("%s: run 'flask graph import' again to make searches faster", error)
        return None


def cached_route(key: int, points: list[tuple[float, float]]) -> Route:
    """The route through ``points``, remembered under ``key`` (a trip id) for the
    loaded router, and computed again when the points are not those it was for.

    Raises
    ------
    routing.RoutingError
        If the points cannot be routed in the loaded region.
    """
    cache: OrderedDict[int, Route] = current_app.extensions.setdefault(_ROUTES_KEY, OrderedDict())
    with _lock:
        route = cache.get(key)
        # Another worker may have changed the trip: its stops tell.
        if route is not None and route.points == tuple(points):
            cache.move_to_end(key)
            return route
    route = get_router().route(points[0], points[-1], via=points[1:-1])
    remember_route(key, route)
    return route


def trip_route(trip: Trip) -> Route:
    """The trip's route, computed once per process (and again after a new import or a
    change of its stops).

    Raises
    ------
    routing.RoutingError
        If the trip's stops are not in the region any more (a new region imported).
    """
    return cached_route(trip.id, [(s.lat, s.lon) for s in trip.stops])


def stored_legs(graph_key: str | None, packed: bytes | None) -> Legs | None:
    """The legs a trip keeps (see :func:`carpool.services.trips.publish`), if they
    were computed on the road graph loaded now; else None (a trip published before a
    new import, or before trips kept them)."""
    if packed is None or graph_key is None or graph_key != get_router().graph.fingerprint:
        return None
    return LegsBatch.unpack([packed]).legs(0)


def trip_legs(trip: Trip) -> Legs | Route:
    """What matching a trip needs: the legs its stops keep, or else its route.

    Raises
    ------
    routing.RoutingError
        If the trip must be routed and its stops are not in the region any more.
    """
    return stored_legs(trip.graph_key, trip.legs) or trip_route(trip)


def remember_route(key: int, route: Route) -> None:
    """Keep ``route`` under ``key`` (a trip id), as :func:`cached_route` would."""
    cache: OrderedDict[int, Route] = current_app.extensions.setdefault(_ROUTES_KEY, OrderedDict())
    with _lock:
        cache[key] = route
        cache.move_to_end(key)
        while len(cache) > _ROUTE_CACHE_SIZE:
            cache.popitem(last=False)


def forget_route(key: int) -> None:
    """Drop the route kept under ``key`` (a trip whose stops changed)."""
    with _lock:
        current_app.extensions.get(_ROUTES_KEY, OrderedDict()).pop(key, None)


def region_centre() -> tuple[float, float]:
    """The middle of the imported region, where maps open; (0, 0) before an import."""
    try:
        graph = get_router().graph
    except RoadGraphMissing:
        return (0.0, 0.0)
    lat, lon = graph.network.lat, graph.network.lon
    return (float(lat.min() + lat.max()) / 2, float(lon.min() + lon.max()) / 2)


def forget_router() -> None:
    """Drop the loaded router and what was computed with it (after a new import)."""
    with _lock:
        current_app.extensions.pop(_KEY, None)
        current_app.extensions.pop(_ROUTES_KEY, None)
