"""Route matching for carpooling on OpenStreetMap road networks.

A pure library (no web framework): build a road graph from an OpenStreetMap extract,
route on it exactly and fast with contraction hierarchies, draw corridors around
routes and tell whether a driver can pick a passenger up and drop them off on the way.

Examples
--------
>>> from routing import build_graph, Router
>>> g = build_graph(monaco_pbf)
>>> router = Router(g)
>>> r = router.route((43.7311, 7.4197), (43.7476, 7.4336))
>>> m = router.match(r, pickup=(43.7355, 7.4210), dropoff=(43.7440, 7.4300), max_detour_s=600)
>>> m.detour_s <= 600
True
"""

from .cells import (
    ALL_SUBCELLS,
    DEFAULT_CELL_M,
    SUBCELLS_PER_SIDE,
    CellSpan,
    cell_bounds,
    cell_of,
    detour_cells,
    locate,
    reach_radius_m,
    route_cells,
    subcell_bit,
)
from .corridor import corridor, distance_to_route, position_along
from .errors import (
    EmptyGraphError,
    GraphFileError,
    InvalidPointError,
    NoRouteError,
    PointOutOfAreaError,
    RouterUnavailable,
    RoutingError,
)
from .graph import LatLon, RoadGraph, build_graph, load_graph
from .matching import Insertions, Legs, LegsBatch, Match, pack_legs
from .osm import Place
from .osrm import DEFAULT_OSRM_MAX_TABLE_SIZE, DEFAULT_OSRM_TIMEOUT_S, OsrmRouter
from .router import Route, Router
from .spaces import SpaceTable, load_spaces, precompute_spaces, spaces_path

__all__ = [
    "ALL_SUBCELLS",
    "DEFAULT_CELL_M",
    "DEFAULT_OSRM_MAX_TABLE_SIZE",
    "DEFAULT_OSRM_TIMEOUT_S",
    "SUBCELLS_PER_SIDE",
    "CellSpan",
    "EmptyGraphError",
    "GraphFileError",
    "Insertions",
    "InvalidPointError",
    "LatLon",
    "Legs",
    "LegsBatch",
    "Match",
    "NoRouteError",
    "OsrmRouter",
    "Place",
    "PointOutOfAreaError",
    "RoadGraph",
    "Route",
    "Router",
    "RouterUnavailable",
    "RoutingError",
    "SpaceTable",
    "build_graph",
    "cell_bounds",
    "cell_of",
    "corridor",
    "detour_cells",
    "distance_to_route",
    "load_graph",
    "load_spaces",
    "locate",
    "pack_legs",
    "position_along",
    "precompute_spaces",
    "reach_radius_m",
    "route_cells",
    "spaces_path",
    "subcell_bit",
]
