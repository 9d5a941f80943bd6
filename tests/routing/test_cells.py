"""Grid cells along routes: stable ids, a conservative corridor, and the reach radius."""

from __future__ import annotations

import gc
import itertools
import math
import weakref
from dataclasses import replace

import numpy as np
import pytest
from pyproj import Geod

from routing import (
    ALL_SUBCELLS,
    DEFAULT_CELL_M,
    CellSpan,
    InvalidPointError,
    RoadGraph,
    Route,
    Router,
    cell_bounds,
    cell_of,
    detour_cells,
    locate,
    reach_radius_m,
    route_cells,
    subcell_bit,
)
from routing import cells as cells_module
from routing.distance import geodesic_m

WGS84 = Geod(ellps="WGS84")
MEAN_SPHERE = Geod(a=6_371_008.8, f=0.0)
BIGINT_MAX = 2**63 - 1


# -- cell_of ------------------------------------------------------------------------


def test_same_point_same_id() -> None:
    same = cell_of(("43.7384", "7.4246"))  # type: ignore[arg-type]  # strings are read as numbers
    assert cell_of((43.7384, 7.4246)) == cell_of((43.7384, 7.4246)) == same


def test_ids_are_pinned() -> None:
    """Ids are stored in the database: the grid must not change under them."""
    assert cell_of((43.7384, 7.4246)) == 4611690198504308855
    assert cell_of((0.0, 0.0)) == (2**30 << 32) | 2**30
    assert cell_of((-0.000001, -0.000001)) == ((2**30 - 1) << 32) | (2**30 - 1)
    assert cell_of((48.8566, 2.3522), cell_m=1000) == (2**30 + 5438) * 2**32 + 2**30 + 172


def reference_cell(lat: float, lon: float, cell_m: float) -> int:
    """The grid as the module docstring states it, written out independently."""
    dlat = cell_m / 111_320
    row = math.floor(lat / dlat)
    width = dlat / math.cos(math.radians((row + 0.5) * dlat))
    col = math.floor(lon / width)
    return (row + 2**30) * 2**32 + (col + 2**30)


@pytest.mark.parametrize("cell_m", [DEFAULT_CELL_M, 1000.0, 37.5])
def test_ids_follow_the_documented_formula(cell_m: float) -> None:
    rng = np.random.default_rng(3)
    for lat, lon in zip(
        rng.uniform(-85, 85, 2000).tolist(), rng.uniform(-180, 180, 2000).tolist(), strict=True
    ):
        assert cell_of((lat, lon), cell_m=cell_m) == reference_cell(lat, lon, cell_m)


@pytest.mark.parametrize("lat", [0.0, 45.0, -45.0, 70.0, 89.99, -89.99])
@pytest.mark.parametrize("lon", [0.0, 7.42, -120.3, 179.999, -179.999])
@pytest.mark.parametrize("cell_m", [DEFAULT_CELL_M, 1000.0, 200.0])
def test_points_10_m_apart_inside_a_cell_share_it(lat: float, lon: float, cell_m: float) -> None:
    south, west, north, east = cell_bounds(cell_of((lat, lon), cell_m=cell_m), cell_m=cell_m)
    assert south <= lat <= north and west <= lon <= east
    centre = ((south + north) / 2, (west + east) / 2)
    cell = cell_of(centre, cell_m=cell_m)
    for bearing in (0, 45, 90, 180, 270):
        lon2, lat2, _ = WGS84.fwd(centre[1], centre[0], bearing, 10.0)
        assert cell_of((lat2, lon2), cell_m=cell_m) == cell


@pytest.mark.parametrize("lat", [0.0, 45.0, -45.0, 70.0, 43.7384])
@pytest.mark.parametrize("lon", [0.0, 7.42, -120.3, 179.99, -179.99])
def test_ids_differ_across_a_boundary(lat: float, lon: float) -> None:
    cell = cell_of((lat, lon))
    south, west, north, east = cell_bounds(cell)
    eps = 1e-7  # about a centimetre
    mid_lat, mid_lon = (south + north) / 2, (west + east) / 2
    assert cell_of((south + eps, mid_lon)) == cell_of((north - eps, mid_lon)) == cell
    assert cell_of((mid_lat, west + eps)) == cell_of((mid_lat, east - eps)) == cell
    assert cell_of((south - eps, mid_lon)) != cell
    assert cell_of((north + eps, mid_lon)) != cell
    assert cell_of((mid_lat, west - eps if west > -180 else 180 - eps)) != cell
    assert cell_of((mid_lat, east + eps if east < 180 else -180 + eps)) != cell


@pytest.mark.parametrize("lat", [0.0, 45.0, -45.0, 70.0])
def test_cells_are_about_square_at_every_latitude(lat: float) -> None:
    south, west, north, east = cell_bounds(cell_of((lat, 3.0)))
    mid = (south + north) / 2
    height = float(geodesic_m([south], [west], [north], [west])[0])
    width = float(geodesic_m([mid], [west], [mid], [east])[0])
    assert height == pytest.approx(DEFAULT_CELL_M, rel=0.01)
    assert width == pytest.approx(DEFAULT_CELL_M, rel=0.01)


@pytest.mark.parametrize("lat", [0.0, 45.0, -45.0, 70.0, 90.0, -90.0])
def test_the_antimeridian_is_one_meridian(lat: float) -> None:
    assert cell_of((lat, 180.0)) == cell_of((lat, -180.0))
    if abs(lat) < 90:
        assert cell_of((lat, 179.9999)) != cell_of((lat, -179.9999))


@pytest.mark.parametrize("cell_m", [1.0, 200.0, DEFAULT_CELL_M, 1e7])
@pytest.mark.parametrize(
    "point",
    [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0), (89.999, 179.999), (-0.5, -179.9), (0.0, 179.9999999)],
)
def test_ids_fit_a_bigint(point: tuple[float, float], cell_m: float) -> None:
    cell = cell_of(point, cell_m=cell_m)
    assert 0 <= cell <= BIGINT_MAX
    south, west, north, east = cell_bounds(cell, cell_m=cell_m)
    lat, lon = point
    lon = -180.0 if lon == 180.0 else lon
    assert south <= lat <= north and west <= lon <= east


@pytest.mark.parametrize(
    "point", [(91.0, 0.0), (0.0, 181.0), (math.nan, 0.0), (0.0, math.inf), "ab", None, (1.0,)]
)
def test_invalid_point_is_refused(point: object) -> None:
    with pytest.raises(InvalidPointError):
        cell_of(point)  # type: ignore[arg-type]


@pytest.mark.parametrize("cell_m", [0.0, -5.0, 0.5, math.nan, math.inf, True])
def test_invalid_cell_size_is_refused(cell_m: float) -> None:
    with pytest.raises(ValueError):
        cell_of((43.7, 7.4), cell_m=cell_m)


# -- route_cells ----------------------------------------------------------------------


def random_routes(graph: RoadGraph, router: Router, seed: int, count: int) -> list[Route]:
    rng = np.random.default_rng(seed)
    routes: list[Route] = []
    while len(routes) < count:
        o, d = (int(x) for x in rng.integers(0, graph.node_count, size=2))
        route = router.route(graph.node_latlon(o), graph.node_latlon(d))
        if len(route.nodes) >= 2:
            routes.append(route)
    return routes


@pytest.fixture(scope="module")
def routes(monaco: RoadGraph, monaco_router: Router) -> list[Route]:
    return random_routes(monaco, monaco_router, seed=20240611, count=6)


def moved(graph: RoadGraph, to: tuple[float, float]) -> RoadGraph:
    """The same graph with its centre moved to ``to`` (lat, lon), longitudes wrapped."""
    net = graph.network
    lat = net.lat - (net.lat.min() + net.lat.max()) / 2 + to[0]
    lon = (net.lon - (net.lon.min() + net.lon.max()) / 2 + to[1] + 180.0) % 360.0 - 180.0
    return replace(graph, network=replace(net, lat=lat, lon=lon))


def check_spans(spans: list[CellSpan], route: Route) -> None:
    ids = [s.cell for s in spans]
    assert ids == sorted(set(ids))
    times = set(route.node_time_s)
    for s in spans:
        assert 0 <= s.cell <= BIGINT_MAX
        assert s.first_s <= s.last_s
        assert s.first_s in times and s.last_s in times


PLACES = {
    "monaco": None,
    "equator": (0.0, 0.0),
    "south": (-45.0, -60.0),
    "north": (70.0, 25.0),
    "antimeridian": (-16.5, 180.0),
    "near the pole": (89.95, 100.0),
}
SIZES = [(300.0, 200.0), (1000.0, 250.0), (2500.0, 1000.0), (9000.0, DEFAULT_CELL_M)]


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize(("radius_m", "cell_m"), SIZES)
@pytest.mark.parametrize("geod", [WGS84, MEAN_SPHERE], ids=["wgs84", "sphere"])
def test_route_cells_is_conservative(
    monaco: RoadGraph, routes: list[Route], place: str, radius_m: float, cell_m: float, geod: Geod
) -> None:
    """Points sampled within the radius of route nodes: their cell is listed, and its
    span holds the node's time."""
    centre = PLACES[place]
    graph = monaco if centre is None else moved(monaco, centre)
    rng = np.random.default_rng(7)
    for route in routes:
        spans = route_cells(graph, route, radius_m=radius_m, cell_m=cell_m)
        check_spans(spans, route)
        by_cell = {s.cell: s for s in spans}
        nodes = np.asarray(route.nodes)
        picked = rng.integers(0, len(nodes), size=300)
        # Uniform over the disc, and a third right at its rim.
        distance = radius_m * np.sqrt(rng.uniform(0, 1, size=len(picked)))
        distance[::3] = radius_m * (1 - 1e-9)
        lon, lat, _ = geod.fwd(
            graph.network.lon[nodes[picked]],
            graph.network.lat[nodes[picked]],
            rng.uniform(-180, 180, size=len(picked)),
            distance,
        )
        for k, la, lo in zip(picked.tolist(), lat.tolist(), lon.tolist(), strict=True):
            span = by_cell.get(cell_of((la, lo), cell_m=cell_m))
            assert span is not None, (la, lo, route.nodes[k])
            assert span.first_s <= route.node_time_s[k] <= span.last_s


@pytest.mark.parametrize(("radius_m", "cell_m"), SIZES)
def test_far_points_are_not_listed(
    monaco: RoadGraph, routes: list[Route], radius_m: float, cell_m: float
) -> None:
    rng = np.random.default_rng(11)
    for route in routes:
        spans = {s.cell for s in route_cells(monaco, route, radius_m=radius_m, cell_m=cell_m)}
        nodes = np.asarray(route.nodes)
        lat, lon = monaco.network.lat[nodes], monaco.network.lon[nodes]
        spread = float(geodesic_m(np.full(len(nodes), lat[0]), np.full(len(nodes), lon[0]), lat, lon).max())
        away = 3 * radius_m + 2 * cell_m
        for bearing in rng.uniform(-180, 180, size=20):
            far_lon, far_lat, _ = WGS84.fwd(lon[0], lat[0], bearing, spread + away + 1.0)
            assert (
                geodesic_m(np.full(len(nodes), far_lat), np.full(len(nodes), far_lon), lat, lon).min() >= away
            )
            assert cell_of((far_lat, far_lon), cell_m=cell_m) not in spans


@pytest.mark.parametrize(("radius_m", "cell_m"), SIZES)
def test_listed_cells_are_near_the_route(
    monaco: RoadGraph, routes: list[Route], radius_m: float, cell_m: float
) -> None:
    """Conservative but not loose: each cell listed comes near some node."""
    for route in routes:
        spans = route_cells(monaco, route, radius_m=radius_m, cell_m=cell_m)
        nodes = np.asarray(route.nodes)
        lat, lon = monaco.network.lat[nodes], monaco.network.lon[nodes]
        for span in spans:
            south, west, north, east = cell_bounds(span.cell, cell_m=cell_m)
            c_lat, c_lon = np.full(len(nodes), (south + north) / 2), np.full(len(nodes), (west + east) / 2)
            assert geodesic_m(c_lat, c_lon, lat, lon).min() <= 1.5 * radius_m + 0.75 * cell_m + 2.0


def test_corridor_cells_cover_the_route_once(monaco: RoadGraph, routes: list[Route]) -> None:
    for route in routes:
        spans = route_cells(monaco, route, radius_m=0.0, cell_m=200.0)
        by_cell = {s.cell: s for s in spans}
        for node, t in zip(route.nodes, route.node_time_s, strict=True):
            span = by_cell[cell_of(monaco.node_latlon(node), cell_m=200.0)]
            assert span.first_s <= t <= span.last_s
        assert len(spans) <= 9 * len(set(route.nodes))


def test_one_node_route(monaco: RoadGraph, monaco_router: Router) -> None:
    point = monaco.node_latlon(17)
    route = monaco_router.route(point, point)
    assert len(route.nodes) == 1
    spans = route_cells(monaco, route, radius_m=0.0, cell_m=1000.0)
    assert cell_of(point, cell_m=1000.0) in {s.cell for s in spans}
    assert all(s.first_s == s.last_s == 0.0 for s in spans)
    wide = route_cells(monaco, route, radius_m=3000.0, cell_m=1000.0)
    assert 25 <= len(wide) <= 64


@pytest.mark.parametrize("radius_m", [-1.0, math.nan, math.inf])
def test_invalid_radius_is_refused(monaco: RoadGraph, routes: list[Route], radius_m: float) -> None:
    with pytest.raises(ValueError):
        route_cells(monaco, routes[0], radius_m=radius_m)


def test_invalid_cell_size_is_refused_for_routes(monaco: RoadGraph, routes: list[Route]) -> None:
    with pytest.raises(ValueError):
        route_cells(monaco, routes[0], radius_m=100.0, cell_m=0.0)


# -- reach_radius_m -------------------------------------------------------------------


def test_reach_is_positive_and_proportional(monaco: RoadGraph) -> None:
    assert reach_radius_m(monaco, 0) == 0.0
    assert reach_radius_m(monaco, 60) > 0
    assert reach_radius_m(monaco, 300) == pytest.approx(5 * reach_radius_m(monaco, 60))


def test_reach_is_the_top_speed(monaco: RoadGraph) -> None:
    net = monaco.network
    assert reach_radius_m(monaco, 1) == pytest.approx(float(np.max(net.length_m / net.time_s)))


def test_reach_bounds_real_routes(monaco: RoadGraph, monaco_router: Router) -> None:
    """Two nodes of a route ``t`` seconds apart are never farther apart than the reach."""
    for route in random_routes(monaco, monaco_router, seed=5, count=20):
        nodes = np.asarray(route.nodes)
        times = np.asarray(route.node_time_s)
        i, j = np.triu_indices(len(nodes), k=1)
        lat, lon = monaco.network.lat[nodes], monaco.network.lon[nodes]
        apart = geodesic_m(lat[i], lon[i], lat[j], lon[j])
        reach = np.array([reach_radius_m(monaco, float(t)) for t in times[j] - times[i]])
        assert np.all(apart <= reach + 1e-6)


def test_reach_is_cached_per_graph(monaco: RoadGraph) -> None:
    before = reach_radius_m(monaco, 100)
    faster = replace(monaco, network=replace(monaco.network, time_s=monaco.network.time_s / 2))
    assert reach_radius_m(faster, 100) == pytest.approx(2 * before)
    assert reach_radius_m(monaco, 100) == before
    alive = weakref.ref(faster)
    key = id(faster)
    del faster
    gc.collect()
    assert alive() is None
    assert key not in cells_module._top_speeds


@pytest.mark.parametrize("seconds", [-1.0, math.nan, math.inf])
def test_invalid_seconds_are_refused(monaco: RoadGraph, seconds: float) -> None:
    with pytest.raises(ValueError):
        reach_radius_m(monaco, seconds)


def test_site_radius_keeps_pickups_near_the_route(monaco: RoadGraph, routes: list[Route]) -> None:
    """The radius the site uses: route nodes within half the detour of each other are
    in each other's cells."""
    radius = reach_radius_m(monaco, 300 / 2)
    for route in routes:
        by_cell = {s.cell: s for s in route_cells(monaco, route, radius_m=radius)}
        for a, b in itertools.pairwise(route.nodes):
            assert cell_of(monaco.node_latlon(a)) in by_cell
            assert cell_of(monaco.node_latlon(b)) in by_cell


@pytest.mark.parametrize("spread", [10, 2**40])
def test_triples_sort_with_one_key_or_many(spread: int) -> None:
    """The one-key sort used for a route's extent, and the fallback for huge ones."""
    rng = np.random.default_rng(1)
    a, b, c = (rng.integers(-spread, spread, size=500, dtype=np.int64) for _ in range(3))
    order = cells_module._sort_triples(a, b, c)
    triples = list(zip(a[order].tolist(), b[order].tolist(), c[order].tolist(), strict=True))
    assert triples == sorted(triples)


# -- detour_cells: exact for the site's search ------------------------------------


@pytest.mark.parametrize("cell_m", [300.0, 5000.0])
@pytest.mark.parametrize("max_detour_s", [0.0, 60.0, 300.0])
def test_detour_cells_keep_every_pickup_and_dropoff_the_driver_accepts(
    monaco: RoadGraph, monaco_router: Router, max_detour_s: float, cell_m: float
) -> None:
    """Whatever pair of nodes ``match`` accepts within the detour, the pickup's and the
    drop-off's cells are listed, in an order the search's condition lets through: the
    driver is at each between its cell's earliest and latest moments, and the
    earliest at the pickup's cell plus the fastest time to the drop-off is at most
    the latest at the drop-off's cell."""
    rng = np.random.default_rng(int(max_detour_s) + 11)
    trips = random_routes(monaco, monaco_router, seed=int(max_detour_s) + 5, count=4)
    # A trip with a stopover too: pickups and drop-offs on different legs.
    trips.append(monaco_router.route((43.7311, 7.4197), (43.7476, 7.4336), via=[(43.7395, 7.4282)]))
    accepted = 0
    for route in trips:
        spans = {s.cell: s for s in detour_cells(monaco, route, max_detour_s=max_detour_s, cell_m=cell_m)}
        assert all(s.first_s <= s.last_s for s in spans.values())
        assert all(s.first_s <= s.earliest_s + 0.01 <= s.latest_s + 0.02 for s in spans.values())
        assert all(s.latest_s <= s.last_s + max_detour_s + 0.01 for s in spans.values())
        # Pickups and drop-offs on the route itself, and anywhere.
        on_route = [route.nodes[int(i)] for i in rng.integers(len(route.nodes), size=30)]
        anywhere = [int(i) for i in rng.integers(monaco.node_count, size=30)]
        for p, d in zip(on_route + anywhere, anywhere[::-1] + on_route[::-1], strict=True):
            pickup, dropoff = monaco.node_latlon(p), monaco.node_latlon(d)
            match = monaco_router.match(route, pickup, dropoff, max_detour_s=max_detour_s)
            if match is None or match.detour_s > max_detour_s:
                continue
            accepted += 1
            a, b = spans.get(cell_of(pickup, cell_m=cell_m)), spans.get(cell_of(dropoff, cell_m=cell_m))
            assert a is not None and b is not None and a.first_s <= b.last_s
            # …and so are their sub-cells, which the search compares too…
            assert a.subcells & subcell_bit(pickup, cell_m=cell_m)
            assert b.subcells & subcell_bit(dropoff, cell_m=cell_m)
            # …and when the driver can be there.
            assert a.earliest_s <= match.pickup_offset_s <= a.latest_s
            assert b.earliest_s <= match.dropoff_offset_s <= b.latest_s
            assert a.earliest_s + monaco_router.travel_time(pickup, dropoff) <= b.latest_s
    assert accepted >= 5  # the check ran on real matches


def test_when_the_driver_is_there_leaves_out_the_way_back(monaco: RoadGraph, monaco_router: Router) -> None:
    """A trip the other way passes by the same cells, but it is in the pickup's cell
    after the drop-off's: the earliest moment at the pickup plus the time to drive to
    the drop-off is past the latest at the drop-off (on the trip the right way, it
    is not)."""
    there = monaco_router.route((43.7311, 7.4197), (43.7476, 7.4336))
    back = monaco_router.route((43.7476, 7.4336), (43.7311, 7.4197))
    pickup = monaco.node_latlon(there.nodes[len(there.nodes) // 5])
    dropoff = monaco.node_latlon(there.nodes[4 * len(there.nodes) // 5])
    fastest = monaco_router.travel_time(pickup, dropoff)
    for route, passes in ((there, True), (back, False)):
        spans = {s.cell: s for s in detour_cells(monaco, route, max_detour_s=60, cell_m=300)}
        a, b = spans[cell_of(pickup, cell_m=300)], spans[cell_of(dropoff, cell_m=300)]
        assert (a.earliest_s + fastest <= b.latest_s) is passes
        assert (monaco_router.match(route, pickup, dropoff, max_detour_s=60) is not None) is passes


def test_subcells_leave_out_the_cell_s_far_corners(monaco: RoadGraph, monaco_router: Router) -> None:
    """A short detour reaches a few of a 5 km cell's 64 sub-cells: a node of the
    others is beyond it (the search then reads no trip for it)."""
    route = monaco_router.route((43.7311, 7.4197), (43.7365, 7.4215))
    spans = {s.cell: s for s in detour_cells(monaco, route, max_detour_s=30)}
    assert all(s.subcells != ALL_SUBCELLS for s in spans.values())
    left_out = 0
    for node in range(0, monaco.node_count, 7):
        point = monaco.node_latlon(node)
        span = spans.get(cell_of(point))
        if span is None or not span.subcells & subcell_bit(point):
            left_out += 1
            assert monaco_router.match(route, point, point, max_detour_s=30) is None
    assert left_out > 0


@pytest.mark.parametrize("cell_m", [1000.0, 5000.0])
def test_subcell_bits_are_the_cell_cut_eight_by_eight(cell_m: float) -> None:
    """The bit of a point is that of its row and column among the 8 × 8 sub-cells."""
    rng = np.random.default_rng(3)
    for lat, lon in zip(rng.uniform(-80, 80, 300), rng.uniform(-180, 180, 300), strict=True):
        south, west, north, east = cell_bounds(cell_of((lat, lon), cell_m=cell_m), cell_m=cell_m)
        row = min(7, int((lat - south) / (north - south) * 8))
        col = min(7, int((lon - west) / (east - west) * 8))
        bit = subcell_bit((lat, lon), cell_m=cell_m)
        # Up to rounding at a sub-cell's edge, where either neighbour is right.
        assert bit.bit_count() == 1 and -(2**63) <= bit < 2**63  # one bit of a BIGINT
        found = (bit & (2**64 - 1)).bit_length() - 1
        assert (found // 8, found % 8) == (row, col) or _near_edge(lat, lon, south, west, north, east)


def _near_edge(lat: float, lon: float, south: float, west: float, north: float, east: float) -> bool:
    rows, cols = (lat - south) / (north - south) * 8, (lon - west) / (east - west) * 8
    return min(abs(rows - round(rows)), abs(cols - round(cols))) < 1e-6


def test_detour_cells_leave_out_what_is_beyond_the_detour(monaco: RoadGraph, monaco_router: Router) -> None:
    route = monaco_router.route((43.7311, 7.4197), (43.7476, 7.4336))
    small = detour_cells(monaco, route, max_detour_s=0, cell_m=500)
    large = detour_cells(monaco, route, max_detour_s=900, cell_m=500)
    assert {s.cell for s in small} < {s.cell for s in large}
    # The route's own nodes are always within a zero detour.
    assert {cell_of(monaco.node_latlon(n), cell_m=500) for n in route.nodes} <= {s.cell for s in small}
    with pytest.raises(ValueError):
        detour_cells(monaco, route, max_detour_s=-1)


def test_locate_places_many_points_as_one_by_one() -> None:
    rng = np.random.default_rng(9)
    points = [
        (float(a), float(b))
        for a, b in zip(rng.uniform(-89, 89, 50), rng.uniform(-180, 180, 50), strict=True)
    ]
    points.append((43.7384, 180.0))  # the antimeridian, read as -180
    assert locate(points, cell_m=2000) == [
        (cell_of(p, cell_m=2000), subcell_bit(p, cell_m=2000)) for p in points
    ]
    assert locate([]) == []
    with pytest.raises(InvalidPointError):
        locate([(43.7, 7.4), (91.0, 7.4)])
