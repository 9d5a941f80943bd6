"""Grid cells along routes: a spatial pre-filter for searching trips in a database.

When a driver publishes a trip, :func:`detour_cells` lists the cells of a fixed global
grid where a passenger can be picked up or dropped off within the driver's detour,
each with when the legs that reach it start and end. Stored as rows ``(trip, cell,
first_s, last_s)``, they let a passenger's search read only the trips that can reach
both the pickup and the drop-off, in that order::

    SELECT a.trip_id FROM trip_cell a JOIN trip_cell b ON a.trip_id = b.trip_id
    WHERE a.cell = :pickup_cell AND b.cell = :dropoff_cell AND a.first_s <= b.last_s

The exact detour check, :meth:`routing.Router.match_many`, then runs on those trips
only. :func:`detour_cells` is exact (it never leaves out a trip that check accepts):
for each leg it keeps every node ``x`` with ``d(s, x) + d(x, t) <= d(s, t) + detour``,
found with two Dijkstra searches bounded by that time. :func:`route_cells` is the
cheaper corridor (the cells within a radius of the route), for when an approximate
filter is enough.

Each span also says which of its cell's 8 × 8 sub-cells hold a node within the
detour (``subcells``, a 64-bit mask): a search that also compares the bit of the
pickup's and the drop-off's own sub-cells (:func:`subcell_bit`) reads the trips that
reach a few hundred metres of them, not every trip that reaches their 25 km² cells,
with no more rows than cells.

And each span says when the driver can be in its cell at the earliest and at the
latest (``earliest_s``, ``latest_s``, from the departure): a driver who picks a
passenger up at ``a`` then drives at least the fastest time ``τ(a, b)`` to the
drop-off ``b``, so a trip can take them only if ``earliest_s`` of the pickup's cell
plus ``τ(a, b)`` is at most ``latest_s`` of the drop-off's cell. This test, in the
database, leaves out the trips that pass both cells the other way round, or too
early or too late for each other, before any of them is read::

    ... AND a.earliest_s + :fastest_a_to_b <= b.latest_s

The grid
--------
Rows are bands of latitude ``dlat = cell_m / 111_320`` degrees high (111 320 m being
about a degree of latitude): ``row = floor(lat / dlat)``. Each row is cut into columns
``dlat / cos(φ)`` degrees wide, φ being the latitude of the row's centre, so cells stay
about ``cell_m`` metres square at every latitude: ``col = floor(lon / width)``. The grid
needs no region of reference, so an id means the same cell in every process, on every
server and for every imported extract. Row and column are packed into one integer that
fits a PostgreSQL ``BIGINT``: ``(row + 2**30) * 2**32 + (col + 2**30)``, both offset
terms being non-negative and below ``2**31``. Longitude 180° is read as −180°, the same
meridian.

The guarantee
-------------
:func:`route_cells` is conservative: every cell holding a point whose distance to a
node of the route is at most ``radius_m`` is listed, and that cell's span
``[first_s, last_s]`` holds the time of every such node. The distance is the length of
the shortest path on the Earth's surface (geodesic on the WGS84 ellipsoid, or great
circle on the mean sphere). Its spans' masks take every sub-cell
(:data:`ALL_SUBCELLS`). Extra cells may be listed and spans may be wider than
needed: nodes are tested against cells through bounding boxes.

With ``radius_m = reach_radius_m(graph, max_detour_s / 2)``, a passenger whose pickup
a driver reaches by leaving the route at a node and coming back to it within the
detour lies within the radius of that node, so the trip is found. Detours are measured
from the road nodes the pickup and the drop-off snap to, so their cells are to be taken
there too: ``cell_of(graph.node_latlon(router.snap(point)))``.

The corridor's limit
--------------------
A corridor filter only sees what is near the route. A pickup on another road that
runs parallel to the route, far from it but nearly as fast, can cost the driver a small
detour and still lie outside every cell of the trip: such trips are not found (on
Porto, one search in ten missed a trip this way; see ``bench/search_index.py``).
:func:`detour_cells` has no such limit.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from .graph import LatLon, RoadGraph, check_point
from .router import Route
from .simplify import keep_fastest_parallel

__all__ = [
    "ALL_SUBCELLS",
    "DEFAULT_CELL_M",
    "SUBCELLS_PER_SIDE",
    "CellSpan",
    "cell_bounds",
    "cell_of",
    "detour_cells",
    "locate",
    "reach_radius_m",
    "route_cells",
    "subcell_bit",
]

#: Default side of a cell, in metres.
DEFAULT_CELL_M: Final = 5000.0

#: Sub-cells along each side of a cell: 8 × 8 = 64, the bits of a database ``BIGINT``.
SUBCELLS_PER_SIDE: Final = 8
#: The mask of every sub-cell, as a signed 64-bit integer (how databases store it).
ALL_SUBCELLS: Final = -1

#: Smallest cell side accepted: rows and columns then stay far below the packing limit.
_MIN_CELL_M: Final = 1.0

#: Metres per degree of latitude used to define the grid (not a measurement bound).
_GRID_M_PER_DEG: Final = 111_320.0

#: Lower bounds used by :func:`route_cells` to turn metres into degrees; they hold both
#: for geodesics on the WGS84 ellipsoid and for great circles on the mean sphere.
#: Meridian arc per degree: at least 110 574 m on WGS84 (at the equator), 111 195 m on
#: the sphere.
_MIN_M_PER_DEG_LAT: Final = 110_500.0
#: Radius of curvature across the meridian: at least 6 378 137 m on WGS84, 6 371 009 m
#: on the sphere.
_MIN_PRIME_VERTICAL_M: Final = 6_371_000.0
#: Added to the radius so that rounding never drops a cell on a boundary.
_SLACK_M: Final = 1.0

_OFFSET: Final = 2**30
_SHIFT: Final = 32


@dataclass(frozen=True, slots=True)
class CellSpan:
    """A grid cell near a route, and when the route passes near it.

    Attributes
    ----------
    cell : int
        Cell id, as :func:`cell_of` gives it.
    first_s, last_s : float
        Earliest and latest time from the start of the route (seconds) at which a node
        of the route lies within the radius of the cell; ``first_s <= last_s``.
    subcells : int
        The cell's sub-cells that hold a node within the detour (:func:`detour_cells`),
        bit ``SUBCELLS_PER_SIDE * row + column`` of a signed 64-bit integer (counted
        from the cell's south-west corner; see :func:`subcell_bit`);
        :data:`ALL_SUBCELLS` where no finer claim is made.
    earliest_s, latest_s : float
        Bounds of the moments (from the start of the route) at which the driver can be
        at a node of the cell, leaving the route and coming back to it within the
        detour (:func:`detour_cells`): a pickup or a drop-off in the cell happens
        between them. ``-inf`` and ``inf`` where no such claim is made.
    """

    cell: int
    first_s: float
    last_s: float
    subcells: int = ALL_SUBCELLS
    earliest_s: float = -math.inf
    latest_s: float = math.inf


def _row_height(cell_m: float) -> float:
    """Height of a row in degrees, after checking the cell size."""
    if isinstance(cell_m, bool) or not (math.isfinite(cell_m) and cell_m >= _MIN_CELL_M):
        raise ValueError(f"cell_m must be a finite number of metres, at least {_MIN_CELL_M}, not {cell_m!r}")
    return float(cell_m) / _GRID_M_PER_DEG


def _col_width(rows: NDArray[np.int64], dlat: float) -> NDArray[np.float64]:
    """Width in degrees of the columns of each row (at most 360).

    Every caller goes through here, so :func:`cell_of` and :func:`route_cells` compute
    the very same widths.
    """
    south = np.maximum(rows * dlat, -90.0)
    north = np.minimum((rows + 1) * dlat, 90.0)
    centre = np.clip((south + north) / 2.0, -90.0, 90.0)
    cos = np.cos(np.radians(centre))
    return np.asarray(dlat / np.maximum(cos, dlat / 360.0), dtype=np.float64)


def _pack(rows: NDArray[np.int64], cols: NDArray[np.int64]) -> NDArray[np.int64]:
    return np.asarray(((rows + _OFFSET) << _SHIFT) | (cols + _OFFSET), dtype=np.int64)


def cell_of(point: LatLon, *, cell_m: float = DEFAULT_CELL_M) -> int:
    """The id of the grid cell that holds a point.

    Parameters
    ----------
    point : (float, float)
        Latitude and longitude in degrees.
    cell_m : float, optional
        Side of the cells in metres (at least 1); the same value must be used to list a
        route's cells.

    Returns
    -------
    int
        A non-negative id below ``2**63`` (fits a PostgreSQL ``BIGINT``), the same in
        every process.

    Raises
    ------
    InvalidPointError
        For impossible coordinates.
    ValueError
        If ``cell_m`` is not a finite number of at least 1 metre.

    Examples
    --------
    >>> cell_of((43.7384, 7.4246))
    4611690198504308855
    >>> cell_of((43.7384, 7.4246)) == cell_of((43.7385, 7.4247))
    True
    """
    return locate([point], cell_m=cell_m)[0][0]


def subcell_bit(point: LatLon, *, cell_m: float = DEFAULT_CELL_M) -> int:
    """The bit of a point's sub-cell in its cell's masks (:attr:`CellSpan.subcells`).

    Parameters
    ----------
    point : (float, float)
        Latitude and longitude in degrees.
    cell_m : float, optional
        Side of the cells in metres, as given to :func:`cell_of`.

    Returns
    -------
    int
        One bit set, as a signed 64-bit integer (the highest bit is negative).

    Raises
    ------
    InvalidPointError
        For impossible coordinates.
    ValueError
        If ``cell_m`` is not a finite number of at least 1 metre.

    Examples
    --------
    >>> subcell_bit((43.7384, 7.4246)) == 1 << 51  # row 6, column 3 of its cell
    True
    >>> span = CellSpan(cell_of((43.7384, 7.4246)), 0.0, 60.0, subcells=1 << 51 | 1)
    >>> bool(span.subcells & subcell_bit((43.7384, 7.4246)))
    True
    """
    return locate([point], cell_m=cell_m)[0][1]


def locate(points: Sequence[LatLon], *, cell_m: float = DEFAULT_CELL_M) -> list[tuple[int, int]]:
    """The cell (:func:`cell_of`) and the sub-cell bit (:func:`subcell_bit`) of each
    of ``points``, at once: a search places its pickup and drop-off in one step.

    Raises
    ------
    InvalidPointError
        For impossible coordinates.
    ValueError
        If ``cell_m`` is not a finite number of at least 1 metre.

    Examples
    --------
    >>> [(cell, bit)] = locate([(43.7384, 7.4246)])
    >>> cell == cell_of((43.7384, 7.4246)) and bit == subcell_bit((43.7384, 7.4246))
    True
    """
    checked = [check_point(point) for point in points]
    lat = np.array([lat for lat, _ in checked], dtype=np.float64)
    lon = np.array([lon for _, lon in checked], dtype=np.float64)
    ids, bits = _locate(lat, lon, _row_height(cell_m))
    return list(zip(ids.tolist(), bits.tolist(), strict=True))


def cell_bounds(cell: int, *, cell_m: float = DEFAULT_CELL_M) -> tuple[float, float, float, float]:
    """The extent of a cell, as ``(south, west, north, east)`` in degrees.

    Parameters
    ----------
    cell : int
        An id from :func:`cell_of` or :func:`route_cells`.
    cell_m : float, optional
        The cell size the id was made with.

    Returns
    -------
    tuple of float
        Latitudes and longitudes of the edges, clipped to the globe.

    Examples
    --------
    >>> south, west, north, east = cell_bounds(cell_of((43.7384, 7.4246)))
    >>> south <= 43.7384 < north and west <= 7.4246 < east
    True
    """
    dlat = _row_height(cell_m)
    row, col = (int(cell) >> _SHIFT) - _OFFSET, (int(cell) & (2**_SHIFT - 1)) - _OFFSET
    width = float(_col_width(np.array([row], dtype=np.int64), dlat)[0])
    return (
        min(max(row * dlat, -90.0), 90.0),
        min(max(col * width, -180.0), 180.0),
        min(max((row + 1) * dlat, -90.0), 90.0),
        min(max((col + 1) * width, -180.0), 180.0),
    )


def _ragged_ranges(
    starts: NDArray[np.int64], counts: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For ranges ``starts[i] .. starts[i] + counts[i] - 1``: the index ``i`` of each
    value and the values, all ranges end to end."""
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    before = np.cumsum(counts) - counts
    values = np.repeat(starts - before, counts) + np.arange(int(counts.sum()), dtype=np.int64)
    return owner, values


def _group_bounds(keys_sorted_change: NDArray[np.bool_]) -> NDArray[np.intp]:
    """Start index of each group of a sorted array, given where a key changes."""
    return np.flatnonzero(np.concatenate(([True], keys_sorted_change)))


def _sort_triples(a: NDArray[np.int64], b: NDArray[np.int64], c: NDArray[np.int64]) -> NDArray[np.intp]:
    """The order that sorts ``(a, b, c)`` triples; one key when they pack in 62 bits
    (always, for the extent of a route), else :func:`numpy.lexsort`."""
    a0, bc0 = int(a.min()), min(int(b.min()), int(c.min()))
    a_span, bc_span = int(a.max()) - a0 + 1, max(int(b.max()), int(c.max())) - bc0 + 1
    if a_span * bc_span * bc_span >= 2**62:
        return np.lexsort((c, b, a))
    return np.argsort(((a - a0) * bc_span + (b - bc0)) * bc_span + (c - bc0))


def _spans(
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    time_s: NDArray[np.float64],
    radius_m: float,
    dlat: float,
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Cell ids (sorted) with the first and last time of the points near each."""
    reach = radius_m + _SLACK_M
    # Bounding box of each point's disk. Along a path of length <= reach the latitude
    # moves by at most reach / (metres per degree of meridian), and the longitude by
    # at most reach / (N cos φ) radians, φ the farthest latitude from the equator the
    # path can reach. A box that reaches a pole takes the whole row.
    half_lat = reach / _MIN_M_PER_DEG_LAT
    far_lat = np.minimum(np.abs(lat) + half_lat, 90.0)
    ring = _MIN_PRIME_VERTICAL_M * np.cos(np.radians(far_lat))
    half_lon = np.minimum(np.degrees(reach / np.maximum(ring, 1e-9)), 360.0)
    row_lo = np.floor(np.maximum(lat - half_lat, -90.0) / dlat).astype(np.int64)
    row_hi = np.floor(np.minimum(lat + half_lat, 90.0) / dlat).astype(np.int64)

    # One entry per (point, row), then the columns the box covers in that row, in up to
    # three pieces when it crosses the antimeridian.
    point, rows = _ragged_ranges(row_lo, row_hi - row_lo + 1)
    first_row = int(row_lo.min())
    width = _col_width(np.arange(first_row, int(row_hi.max()) + 1, dtype=np.int64), dlat)[rows - first_row]
    west, east = lon[point] - half_lon[point], lon[point] + half_lon[point]
    pieces = (
        (np.maximum(west, -180.0), np.minimum(east, 180.0), np.ones(len(rows), dtype=bool)),
        (np.full(len(rows), -180.0), np.minimum(east - 360.0, 180.0), east > 180.0),
        (np.maximum(west + 360.0, -180.0), np.full(len(rows), 180.0), west < -180.0),
    )
    piece_rows = np.concatenate([rows[keep] for _, _, keep in pieces])
    piece_time = np.concatenate([time_s[point[keep]] for _, _, keep in pieces])
    col_lo = np.concatenate([np.floor(w[keep] / width[keep]) for w, _, keep in pieces]).astype(np.int64)
    col_hi = np.concatenate([np.floor(e[keep] / width[keep]) for _, e, keep in pieces]).astype(np.int64)

    # Neighbouring points of a route cover the same (row, column range): merge them
    # before listing cells, which keeps the work proportional to the area covered.
    order = _sort_triples(piece_rows, col_lo, col_hi)
    r, c0, c1, t = piece_rows[order], col_lo[order], col_hi[order], piece_time[order]
    starts = _group_bounds((r[1:] != r[:-1]) | (c0[1:] != c0[:-1]) | (c1[1:] != c1[:-1]))
    r, c0, c1 = r[starts], c0[starts], c1[starts]
    first, last = np.minimum.reduceat(t, starts), np.maximum.reduceat(t, starts)

    group, cols = _ragged_ranges(c0, c1 - c0 + 1)
    ids = _pack(r[group], cols)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    starts = _group_bounds(ids[1:] != ids[:-1])
    return (
        ids[starts],
        np.minimum.reduceat(first[group][order], starts),
        np.maximum.reduceat(last[group][order], starts),
    )


def route_cells(
    graph: RoadGraph, route: Route, *, radius_m: float, cell_m: float = DEFAULT_CELL_M
) -> list[CellSpan]:
    """The cells near a route, with when the route passes near each.

    Conservative: every cell holding a point at most ``radius_m`` metres (on the
    Earth's surface) from a node of ``route.nodes`` is listed, and its span holds the
    time of every such node. A few more cells may be listed, and spans may be wider,
    than strictly needed.

    Parameters
    ----------
    graph : RoadGraph
        The graph the route was computed on.
    route : Route
    radius_m : float
        Radius around each node, in metres; zero or more. See :func:`reach_radius_m`.
    cell_m : float, optional
        Side of the cells in metres, the one given to :func:`cell_of`.

    Returns
    -------
    list of CellSpan
        Sorted by cell id, each id once.

    Raises
    ------
    ValueError
        If ``radius_m`` is negative or not finite, or ``cell_m`` is invalid.

    Examples
    --------
    >>> from routing import Router, build_graph
    >>> graph = build_graph(monaco_pbf)
    >>> route = Router(graph).route((43.7311, 7.4197), (43.7476, 7.4336))
    >>> radius = reach_radius_m(graph, 120)  # a 4-minute detour at most
    >>> round(radius)
    2167
    >>> spans = route_cells(graph, route, radius_m=radius, cell_m=1000)
    >>> pickup, dropoff = cell_of((43.7355, 7.4210), cell_m=1000), cell_of((43.7440, 7.4300), cell_m=1000)
    >>> by_cell = {s.cell: s for s in spans}
    >>> by_cell[pickup].first_s <= by_cell[dropoff].last_s
    True
    >>> cell_of((43.60, 7.20), cell_m=1000) in by_cell  # near Antibes, 20 km away
    False
    """
    dlat = _row_height(cell_m)
    if isinstance(radius_m, bool) or not (math.isfinite(radius_m) and radius_m >= 0):
        raise ValueError(f"radius_m must be a finite number of metres, zero or more, not {radius_m!r}")
    if not route.nodes:
        return []
    nodes = np.asarray(route.nodes, dtype=np.int64)
    ids, first, last = _spans(
        graph.network.lat[nodes],
        graph.network.lon[nodes],
        np.asarray(route.node_time_s, dtype=np.float64),
        float(radius_m),
        dlat,
    )
    return [
        CellSpan(cell, f, la) for cell, f, la in zip(ids.tolist(), first.tolist(), last.tolist(), strict=True)
    ]


def _locate(
    lat: NDArray[np.float64], lon: NDArray[np.float64], dlat: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The cells of many points (:func:`cell_of`) and their sub-cells' bits
    (:func:`subcell_bit`): one computation for both, so that a search finds the
    very bits that publishing set."""
    along_lat = lat / dlat
    rows = np.floor(along_lat).astype(np.int64)
    along_lon = np.where(lon == 180.0, -180.0, lon) / _col_width(rows, dlat)
    cols = np.floor(along_lon).astype(np.int64)
    side = SUBCELLS_PER_SIDE
    sub_row = np.clip(np.floor((along_lat - rows) * side), 0, side - 1).astype(np.uint64)
    sub_col = np.clip(np.floor((along_lon - cols) * side), 0, side - 1).astype(np.uint64)
    bits = np.left_shift(np.uint64(1), sub_row * np.uint64(side) + sub_col)
    return _pack(rows, cols), bits.view(np.int64)


def _merged(
    ids: NDArray[np.int64], bits: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.intp], NDArray[np.intp]]:
    """Each cell of ``ids`` once (sorted) with the union of its ``bits``; and the
    order and group starts that did it, for the caller's other columns."""
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    starts = _group_bounds(ids[1:] != ids[:-1])
    masks = np.bitwise_or.reduceat(bits[order].view(np.uint64), starts).view(np.int64)
    return ids[starts], masks, order, starts


_matrices: dict[int, tuple[weakref.ref[RoadGraph], csr_matrix, csr_matrix]] = {}


def _travel_matrices(graph: RoadGraph) -> tuple[csr_matrix, csr_matrix]:
    """The graph's travel times as sparse matrices, forward and reversed (fastest of
    parallel edges; a zero time becomes a tiny one, so it stays an edge), once per graph."""
    key = id(graph)
    with _top_speeds_lock:
        found = _matrices.get(key)
    if found is not None and found[0]() is graph:
        return found[1], found[2]
    net = graph.network
    keep = keep_fastest_parallel(net.tail, net.head, net.time_s)
    n = graph.node_count
    times = np.maximum(net.time_s[keep], 1e-9)
    forward = csr_matrix((times, (net.tail[keep], net.head[keep])), shape=(n, n))
    backward = csr_matrix((times, (net.head[keep], net.tail[keep])), shape=(n, n))
    with _top_speeds_lock:
        _matrices[key] = (weakref.ref(graph), forward, backward)
    weakref.finalize(graph, _forget, key)
    return forward, backward


def detour_cells(
    graph: RoadGraph, route: Route, *, max_detour_s: float, cell_m: float = DEFAULT_CELL_M
) -> list[CellSpan]:
    """The cells where a passenger can be picked up or dropped off within a detour,
    with when the legs that can reach them start and end.

    Exact: a node ``x`` inserted between stops ``s`` and ``t`` of the route costs the
    driver ``d(s, x) + d(x, t) - d(s, t)``. For each leg, one Dijkstra search from
    ``s`` and one towards ``t``, both stopped at ``d(s, t) + max_detour_s``, give every
    node within the detour; the cells of those nodes are listed. A pickup and a
    drop-off the driver can take in order within the detour each lie within it on
    their own legs, so a search that takes the cells of the snapped pickup and drop-off
    never leaves out a trip that :meth:`routing.Router.match_many` would accept, other
    roads than the route's included (which :func:`route_cells` cannot promise).

    Parameters
    ----------
    graph : RoadGraph
        The graph the route was computed on.
    route : Route
    max_detour_s : float
        The longest detour the driver accepts, in seconds; zero or more.
    cell_m : float, optional
        Side of the cells in metres, the one given to :func:`cell_of`.

    Returns
    -------
    list of CellSpan
        Sorted by cell id, each id once. ``first_s`` is the time at the start of the
        first leg that reaches into the cell, ``last_s`` the time at the end of the last
        one: a pickup's ``first_s`` is at most a later drop-off's ``last_s``. A node
        within the detour has its sub-cell's bit set in ``subcells``. ``earliest_s``
        is the least, over the cell's nodes ``x`` within the detour of a leg from
        ``s`` to ``t``, of the time at ``s`` plus ``d(s, x)``; ``latest_s`` the
        greatest of the time at ``t`` plus ``max_detour_s`` less ``d(x, t)`` (both
        widened by a rounding margin): the driver is at a pickup or a drop-off in the
        cell between them, and at the drop-off ``b`` at least ``τ(a, b)`` after the
        pickup ``a``.

    Raises
    ------
    ValueError
        If ``max_detour_s`` is negative or not finite, or ``cell_m`` is invalid.

    Examples
    --------
    >>> from routing import Router, build_graph
    >>> graph = build_graph(monaco_pbf)
    >>> route = Router(graph).route((43.7311, 7.4197), (43.7476, 7.4336))
    >>> spans = {s.cell: s for s in detour_cells(graph, route, max_detour_s=120, cell_m=1000)}
    >>> cell_of((43.7355, 7.4210), cell_m=1000) in spans
    True
    >>> cell_of((43.60, 7.20), cell_m=1000) in spans  # near Antibes, 20 km away
    False
    >>> pickup = graph.node_latlon(Router(graph).snap((43.7355, 7.4210)))  # as a search does
    >>> bool(spans[cell_of(pickup, cell_m=1000)].subcells & subcell_bit(pickup, cell_m=1000))
    True
    >>> span = spans[cell_of(pickup, cell_m=1000)]
    >>> span.earliest_s < span.latest_s <= span.last_s + 120
    True
    """
    dlat = _row_height(cell_m)
    if isinstance(max_detour_s, bool) or not (math.isfinite(max_detour_s) and max_detour_s >= 0):
        raise ValueError(f"max_detour_s must be a finite number, zero or more, not {max_detour_s!r}")
    forward, backward = _travel_matrices(graph)
    net = graph.network
    offsets = np.concatenate(([0.0], np.cumsum(route.leg_time_s)))
    # Rounding: the router adds times in another order than Dijkstra does.
    margin = float(1e-6 * (offsets[-1] + max_detour_s) + 1e-3)
    ids, masks, first, last, earliest, latest = [], [], [], [], [], []
    for leg, leg_time in enumerate(route.leg_time_s):
        budget = leg_time + max_detour_s
        slack = 1e-6 * budget + 1e-3
        from_s = dijkstra(forward, indices=route.stops[leg], limit=budget + slack)
        to_t = dijkstra(backward, indices=route.stops[leg + 1], limit=budget + slack)
        within = np.flatnonzero(from_s + to_t <= budget + slack)
        if not len(within):
            continue
        cells, cell_masks, order, starts = _merged(*_locate(net.lat[within], net.lon[within], dlat))
        ids.append(cells)
        masks.append(cell_masks)
        first.append(np.full(len(cells), offsets[leg]))
        last.append(np.full(len(cells), offsets[leg + 1]))
        # At a node x the driver is at the earliest when going there straight from
        # the leg's start, at the latest when leaving it just in time to be at the
        # leg's end within the detour.
        at_x_from = offsets[leg] + from_s[within]
        at_x_until = offsets[leg + 1] + max_detour_s - to_t[within]
        earliest.append(np.minimum.reduceat(at_x_from[order], starts))
        latest.append(np.maximum.reduceat(at_x_until[order], starts))
    if not ids:
        return []
    # A cell several legs reach: from the first one's start to the last one's end,
    # with the sub-cells of all.
    cells, cell_masks, order, starts = _merged(np.concatenate(ids), np.concatenate(masks))

    def least(parts: list[NDArray[np.float64]]) -> list[float]:
        return np.minimum.reduceat(np.concatenate(parts)[order], starts).tolist()  # type: ignore[no-any-return]

    def greatest(parts: list[NDArray[np.float64]]) -> list[float]:
        return np.maximum.reduceat(np.concatenate(parts)[order], starts).tolist()  # type: ignore[no-any-return]

    return [
        CellSpan(cell, f, la, mask, e - margin, lt + margin)
        for cell, f, la, mask, e, lt in zip(
            cells.tolist(),
            least(first),
            greatest(last),
            cell_masks.tolist(),
            least(earliest),
            greatest(latest),
            strict=True,
        )
    ]


_top_speeds: dict[int, tuple[weakref.ref[RoadGraph], float]] = {}
_top_speeds_lock = threading.Lock()


def _top_speed_ms(graph: RoadGraph) -> float:
    """Highest length / time over the graph's edges, computed once per graph.

    A :class:`RoadGraph` is not hashable, so the cache is keyed by ``id`` and holds a
    weak reference that tells a live graph from a new one at a reused address; the
    entry goes when the graph does.
    """
    key = id(graph)
    with _top_speeds_lock:
        found = _top_speeds.get(key)
    if found is not None and found[0]() is graph:
        return found[1]
    net = graph.network
    moving = net.time_s > 0
    speed = float(np.max(net.length_m[moving] / net.time_s[moving])) if moving.any() else 0.0
    with _top_speeds_lock:
        _top_speeds[key] = (weakref.ref(graph), speed)
    weakref.finalize(graph, _forget, key)
    return speed


def _forget(key: int) -> None:
    with _top_speeds_lock:
        _top_speeds.pop(key, None)
        _matrices.pop(key, None)


def reach_radius_m(graph: RoadGraph, seconds: float) -> float:
    """The farthest a car can get, as the crow flies, in ``seconds`` on this graph.

    ``seconds`` times the graph's top speed (the highest length / time of its edges).
    Edge lengths follow the road, so they are never shorter than the distance between
    the ends: along any route, two nodes ``t`` seconds apart are at most
    ``reach_radius_m(graph, t)`` apart. The top speed is computed once per graph.

    Parameters
    ----------
    graph : RoadGraph
    seconds : float
        Zero or more.

    Returns
    -------
    float
        Metres.

    Raises
    ------
    ValueError
        If ``seconds`` is negative or not finite.

    See Also
    --------
    route_cells : which takes ``reach_radius_m(graph, max_detour_s / 2)`` as radius.
    """
    if isinstance(seconds, bool) or not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"seconds must be a finite number, zero or more, not {seconds!r}")
    return float(seconds) * _top_speed_ms(graph)
