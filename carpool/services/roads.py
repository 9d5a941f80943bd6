"""The region's road graph and router, loaded once per process."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from flask import current_app

from routing import Route, Router, load_graph

__all__ = ["RoadGraphMissing", "forget_router", "get_router", "trip_routes"]

_KEY = "carpool.router"
_ROUTES_KEY = "carpool.trip_routes"


class RoadGraphMissing(RuntimeError):
    """No road graph has been imported yet (``flask graph import``)."""


def get_router() -> Router:
    """The app's :class:`routing.Router`, loading ``ROAD_GRAPH`` on first use."""
    router = current_app.extensions.get(_KEY)
    if router is None:
        path = Path(current_app.config["ROAD_GRAPH"])
        if not path.is_file():
            raise RoadGraphMissing(f"no road graph at {path}: run 'flask graph import EXTRACT.osm.pbf'")
        router = Router(load_graph(path), max_snap_m=current_app.config["MAX_SNAP_M"])
        current_app.extensions[_KEY] = router
    return router


def trip_routes() -> OrderedDict[int, Route]:
    """Routes of published trips by trip id, valid for the loaded router."""
    cache: OrderedDict[int, Route] = current_app.extensions.setdefault(_ROUTES_KEY, OrderedDict())
    return cache


def forget_router() -> None:
    """Drop the loaded router and what was computed with it (after a new import)."""
    current_app.extensions.pop(_KEY, None)
    current_app.extensions.pop(_ROUTES_KEY, None)
