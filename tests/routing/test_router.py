"""Fastest routes: exact against networkx, stopovers, bad points."""

from __future__ import annotations

import math
import pickle
import random

import networkx as nx
import pytest

import routing
from routing import InvalidPointError, PointOutOfAreaError, RoadGraph, Router

MONACO_PALACE = (43.7311, 7.4197)
MONTE_CARLO_CASINO = (43.7395, 7.4282)
LARVOTTO = (43.7476, 7.4336)


def random_pairs(graph: RoadGraph, count: int, seed: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    return [(rng.randrange(graph.node_count), rng.randrange(graph.node_count)) for _ in range(count)]


@pytest.mark.parametrize("name", ["monaco", "saint_barthelemy", "paris"])
def test_times_equal_networkx_dijkstra(name: str, request: pytest.FixtureRequest) -> None:
    graph: RoadGraph = request.getfixturevalue(name)
    router = Router(graph)
    for s, t in random_pairs(graph, 150, seed=len(name)):
        expected = nx.dijkstra_path_length(graph.nx, s, t, weight="time_s")
        route = router.route(graph.node_latlon(s), graph.node_latlon(t))
        assert route.stops == (s, t)
        assert route.time_s == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_route_is_a_path_of_the_graph(monaco: RoadGraph, monaco_router: Router) -> None:
    route = monaco_router.route(MONACO_PALACE, LARVOTTO)
    assert route.nodes[0] == monaco.snap(MONACO_PALACE)
    assert route.nodes[-1] == monaco.snap(LARVOTTO)
    graph = monaco.nx
    edges = list(zip(route.nodes, route.nodes[1:], strict=False))
    assert math.fsum(graph[u][v]["time_s"] for u, v in edges) == pytest.approx(route.time_s, rel=1e-9)
    assert math.fsum(graph[u][v]["length_m"] for u, v in edges) == pytest.approx(route.length_m, rel=1e-9)
    assert route.node_time_s[-1] == pytest.approx(route.time_s, rel=1e-9)
    assert route.coords[0] == monaco.node_latlon(route.nodes[0])
    assert route.coords[-1] == monaco.node_latlon(route.nodes[-1])
    assert len(route.coords) > len(route.nodes)  # road geometry between junctions
    # A few kilometres through Monaco take a few minutes.
    assert 2_000 < route.length_m < 4_500
    assert 120 < route.time_s < 600


def test_via_points_are_visited_in_order(monaco: RoadGraph, monaco_router: Router) -> None:
    direct = monaco_router.route(MONACO_PALACE, LARVOTTO)
    route = monaco_router.route(MONACO_PALACE, LARVOTTO, via=[MONTE_CARLO_CASINO])
    o, c, d = (monaco.snap(p) for p in (MONACO_PALACE, MONTE_CARLO_CASINO, LARVOTTO))
    assert route.stops == (o, c, d)
    legs = [nx.dijkstra_path_length(monaco.nx, s, t, weight="time_s") for s, t in ((o, c), (c, d))]
    assert route.leg_time_s == pytest.approx(legs, rel=1e-6)
    assert route.time_s == pytest.approx(sum(legs), rel=1e-6)
    assert route.time_s >= direct.time_s - 1e-9
    # The car is at the stopover when the first leg ends.
    assert route.node_time_s[route.nodes.index(c)] == pytest.approx(route.leg_time_s[0], rel=1e-9)
    reverse = monaco_router.route(LARVOTTO, MONACO_PALACE, via=[MONTE_CARLO_CASINO])
    assert reverse.stops == (d, c, o)


def test_same_point_gives_an_empty_route(monaco_router: Router) -> None:
    route = monaco_router.route(MONACO_PALACE, MONACO_PALACE)
    assert route.time_s == 0 and route.length_m == 0
    assert len(route.nodes) == 1


@pytest.mark.parametrize(
    "point",
    [
        (91.0, 7.42),
        (43.7, 181.0),
        (float("nan"), 7.42),
        (43.7, float("inf")),
        ("north", 7.42),
        (43.7,),
        None,
        "12",
        (10**400, 7.42),
    ],
)
def test_impossible_points_are_refused(monaco_router: Router, point: object) -> None:
    with pytest.raises(InvalidPointError):
        monaco_router.route(point, LARVOTTO)  # type: ignore[arg-type]


def test_points_outside_the_region_are_refused(monaco_router: Router) -> None:
    with pytest.raises(PointOutOfAreaError) as caught:
        monaco_router.route(MONACO_PALACE, (48.8566, 2.3522))  # Paris
    assert caught.value.distance_m > 600_000
    assert "m from the nearest road" in str(caught.value)
    with pytest.raises(PointOutOfAreaError):
        monaco_router.route(MONACO_PALACE, (43.60, 7.42))  # 15 km out at sea


def test_snap_uses_the_nearest_node(monaco: RoadGraph) -> None:
    rng = random.Random(7)
    lat, lon = monaco.network.lat, monaco.network.lon
    for _ in range(50):
        point = (rng.uniform(43.725, 43.752), rng.uniform(7.405, 7.44))
        nearest = min(
            range(monaco.node_count),
            key=lambda v: (lat[v] - point[0]) ** 2 + ((lon[v] - point[1]) * 0.7227) ** 2,
        )
        got = monaco.snap(point)
        if got != nearest:  # only a near-tie between two nodes may differ
            from geopy.distance import geodesic

            assert geodesic(point, monaco.node_latlon(got)).m == pytest.approx(
                geodesic(point, monaco.node_latlon(nearest)).m, abs=0.5
            )


def test_travel_time(monaco: RoadGraph, monaco_router: Router) -> None:
    s, t = monaco.snap(MONACO_PALACE), monaco.snap(LARVOTTO)
    expected = nx.dijkstra_path_length(monaco.nx, s, t, weight="time_s")
    assert monaco_router.travel_time(MONACO_PALACE, LARVOTTO) == pytest.approx(expected, rel=1e-6)


def test_router_options_are_checked(monaco: RoadGraph) -> None:
    with pytest.raises(ValueError):
        Router(monaco, space_cache_size=0)


@pytest.mark.parametrize(
    "error",
    [
        routing.PointOutOfAreaError((43.7, 7.4), 12_000.0, 5_000.0),
        routing.RouterUnavailable("http://127.0.0.1:5001", "connection refused"),
        routing.NoRouteError("no road"),
        routing.InvalidPointError("impossible coordinates"),
    ],
)
def test_errors_survive_pickling(error: routing.RoutingError) -> None:
    """Routes computed in worker processes send their errors back pickled."""
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error)
    assert vars(again) == vars(error)
