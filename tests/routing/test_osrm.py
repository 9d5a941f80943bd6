"""OsrmRouter against a real osrm-routed serving the Monaco extract (see tests/osrm_server.py).

OSRM's car profile is not ours: it adds turn and traffic-signal penalties and reads
speeds and access rules its own way. Measured on Monaco (285 random node pairs
more than 1 km apart): OSRM's time / ours has median 1.05 (5th-95th percentiles
1.01-1.21, extremes 0.67-1.60 where the two profiles open different roads), OSRM's
length / ours median 1.00 (0.81-1.03). On the clear routes below, times agree within
25 % and lengths within 10 %, the tolerances these tests state.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from routing import (
    LatLon,
    Legs,
    LegsBatch,
    Match,
    NoRouteError,
    OsrmRouter,
    PointOutOfAreaError,
    RoadGraph,
    Router,
    RouterUnavailable,
)
from routing.corridor import distance_to_route
from tests.osrm_server import free_port
from tests.routing.insertion_reference import Times, best_insertion

TIME_TOLERANCE = 0.25
LENGTH_TOLERANCE = 0.10
#: Detours are differences of times: the profiles' relative gap, plus this (seconds).
DETOUR_TOLERANCE_S = 30.0

PALACE = (43.7311, 7.4197)
LARVOTTO = (43.7476, 7.4336)
FONTVIEILLE = (43.7250, 7.4150)
COUNTRY_CLUB = (43.7500, 7.4380)
MONACO_VILLE = (43.7300, 7.4200)
MONEGHETTI = (43.7400, 7.4200)
CASINO = (43.7384, 7.4246)
ROQUEBRUNE = (43.7600, 7.4700)
CAP_D_AIL = (43.7210, 7.4100)
SAINT_ROMAN = (43.7550, 7.4400)
ROUTES = [
    (PALACE, LARVOTTO),
    (FONTVIEILLE, COUNTRY_CLUB),
    (MONEGHETTI, MONACO_VILLE),
    (CASINO, ROQUEBRUNE),
    (CAP_D_AIL, SAINT_ROMAN),
]


@pytest.fixture(scope="module")
def osrm(monaco: RoadGraph, osrm_url: str) -> OsrmRouter:
    return OsrmRouter(monaco, osrm_url)


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance."""
    (lat1, lon1), (lat2, lon2) = (map(math.radians, p) for p in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def raw_table(url: str, graph: RoadGraph, nodes: list[int]) -> tuple[list[list[float]], list[list[float]]]:
    """OSRM's full table between the nodes' coordinates, asked here without OsrmRouter."""
    places = ";".join(f"{lon:.7f},{lat:.7f}" for lat, lon in map(graph.node_latlon, nodes))
    with urllib.request.urlopen(f"{url}/table/v1/driving/{places}?annotations=duration,distance") as answer:
        table = json.load(answer)
    assert table["code"] == "Ok"
    inf = float("inf")
    durations = [[inf if v is None else v for v in row] for row in table["durations"]]
    distances = [[inf if v is None else v for v in row] for row in table["distances"]]
    return durations, distances


def trips_from_distinct_nodes(graph: RoadGraph, count: int, *, seed: int) -> LegsBatch:
    """``count`` one-leg trips from distinct random nodes to random nodes (their legs'
    times and lengths made up: only the stops matter to the tables asked)."""
    rng = np.random.default_rng(seed)
    starts = rng.choice(graph.node_count, size=count, replace=False).tolist()
    ends = rng.choice(graph.node_count, size=count).tolist()
    return LegsBatch.of(
        [
            Legs(stops=(s, t), leg_time_s=(600.0,), leg_length_m=(5_000.0,))
            for s, t in zip(starts, ends, strict=True)
        ]
    )


# -- routes -----------------------------------------------------------------------------


@pytest.mark.parametrize(("origin", "destination"), ROUTES)
def test_routes_agree_with_the_builtin_router(
    osrm: OsrmRouter, monaco_router: Router, origin: tuple[float, float], destination: tuple[float, float]
) -> None:
    ours, theirs = monaco_router.route(origin, destination), osrm.route(origin, destination)
    assert theirs.stops == ours.stops and theirs.points == ours.points
    assert theirs.time_s == pytest.approx(ours.time_s, rel=TIME_TOLERANCE)
    assert theirs.length_m == pytest.approx(ours.length_m, rel=LENGTH_TOLERANCE)
    assert theirs.leg_time_s == (theirs.time_s,) and theirs.leg_length_m == (theirs.length_m,)


@pytest.mark.parametrize(("origin", "destination"), ROUTES)
def test_geometry_and_nodes_run_between_the_snapped_stops(
    osrm: OsrmRouter,
    monaco: RoadGraph,
    monaco_router: Router,
    origin: tuple[float, float],
    destination: tuple[float, float],
) -> None:
    route = osrm.route(origin, destination)
    start, end = monaco.node_latlon(route.stops[0]), monaco.node_latlon(route.stops[-1])
    assert metres_between(route.coords[0], start) < 1 and metres_between(route.coords[-1], end) < 1
    assert route.nodes[0] == route.stops[0] and route.nodes[-1] == route.stops[-1]
    assert all(a != b for a, b in zip(route.nodes, route.nodes[1:], strict=False))
    assert len(route.node_time_s) == len(route.nodes)
    assert route.node_time_s[0] == 0 and route.node_time_s[-1] == pytest.approx(route.time_s)
    assert route.node_time_s == sorted(route.node_time_s)
    # Every node lies on the road OSRM drives (a few metres off at most).
    assert max(distance_to_route(route, monaco.node_latlon(n)) for n in route.nodes) < 2
    # Where both drive the same roads (lengths within a metre), the nodes are the same.
    ours = monaco_router.route(origin, destination)
    if abs(route.length_m - ours.length_m) < 1:
        assert route.nodes == ours.nodes


def test_stopovers_are_legs_of_their_own(osrm: OsrmRouter, monaco_router: Router) -> None:
    route = osrm.route(PALACE, LARVOTTO, via=[MONEGHETTI, CASINO])
    ours = monaco_router.route(PALACE, LARVOTTO, via=[MONEGHETTI, CASINO])
    assert route.stops == ours.stops and len(route.leg_time_s) == 3
    assert route.time_s == pytest.approx(math.fsum(route.leg_time_s))
    # continue_straight=false: each leg is the fastest path between its stops alone.
    for leg, (a, b) in enumerate(zip(route.points, route.points[1:], strict=False)):
        alone = osrm.route(a, b)
        assert route.leg_time_s[leg] == pytest.approx(alone.time_s, abs=0.05)
        assert route.leg_length_m[leg] == pytest.approx(alone.length_m, abs=0.5)
    assert route.time_s > osrm.route(PALACE, LARVOTTO).time_s
    assert route.time_s == pytest.approx(ours.time_s, rel=TIME_TOLERANCE)


def test_travel_time_is_the_route_time(osrm: OsrmRouter) -> None:
    assert osrm.travel_time(FONTVIEILLE, COUNTRY_CLUB) == pytest.approx(
        osrm.route(FONTVIEILLE, COUNTRY_CLUB).time_s, abs=0.05
    )
    assert osrm.travel_time(CASINO, CASINO) == 0


# -- matching ---------------------------------------------------------------------------


def test_match_many_is_the_builtin_insertion_with_osrm_times(
    osrm: OsrmRouter, monaco: RoadGraph, osrm_url: str
) -> None:
    routes = [osrm.route(o, d) for o, d in ROUTES] + [osrm.route(PALACE, LARVOTTO, via=[CASINO])]
    pickup, dropoff = (43.7355, 7.4210), (43.7440, 7.4300)
    limit = 120.0
    matches = osrm.match_many(routes, pickup, dropoff, max_detour_s=limit)
    # The same, computed here from one full table asked without OsrmRouter.
    a, b = osrm.snap(pickup), osrm.snap(dropoff)
    nodes = sorted({s for r in routes for s in r.stops} | {a, b})
    durations, distances = raw_table(osrm_url, monaco, nodes)
    at = {node: i for i, node in enumerate(nodes)}

    def towards(p: int) -> Times:
        return Times({n: durations[at[n]][at[p]] for n in nodes}, {n: distances[at[n]][at[p]] for n in nodes})

    def away(p: int) -> Times:
        return Times({n: durations[at[p]][at[n]] for n in nodes}, {n: distances[at[p]][at[n]] for n in nodes})

    a_to_b = (durations[at[a]][at[b]], distances[at[a]][at[b]], -1)
    expected = [
        best_insertion(r, a, b, towards(a), towards(b), away(a), away(b), a_to_b, limit) for r in routes
    ]
    assert matches == expected
    assert any(m is not None for m in matches) and any(m is None for m in matches)


def thirds_of_the_way(router: Router, origin: LatLon, destination: LatLon) -> tuple[LatLon, LatLon]:
    """Two nodes of the built-in router's route, at a third and two thirds of it."""
    nodes = router.route(origin, destination).nodes
    return router.graph.node_latlon(nodes[len(nodes) // 3]), router.graph.node_latlon(
        nodes[2 * len(nodes) // 3]
    )


@pytest.mark.parametrize(("origin", "destination"), ROUTES)
def test_a_passenger_on_the_way_is_matched_by_both(
    osrm: OsrmRouter, monaco_router: Router, origin: LatLon, destination: LatLon
) -> None:
    pickup, dropoff = thirds_of_the_way(monaco_router, origin, destination)
    our_route, their_route = monaco_router.route(origin, destination), osrm.route(origin, destination)
    ours = monaco_router.match(our_route, pickup, dropoff, max_detour_s=60)
    theirs = osrm.match(their_route, pickup, dropoff, max_detour_s=60)
    assert ours is not None and theirs is not None
    assert (theirs.pickup_node, theirs.dropoff_node) == (ours.pickup_node, ours.dropoff_node)
    assert abs(theirs.detour_s - ours.detour_s) <= DETOUR_TOLERANCE_S
    assert 0 < theirs.pickup_offset_s < theirs.dropoff_offset_s < their_route.time_s + DETOUR_TOLERANCE_S
    # The offsets differ at most by the two profiles' gap over the whole route.
    gap = abs(their_route.time_s - our_route.time_s) + DETOUR_TOLERANCE_S
    assert abs(theirs.pickup_offset_s - ours.pickup_offset_s) <= gap
    assert theirs.shared_length_m == pytest.approx(ours.shared_length_m, rel=LENGTH_TOLERANCE)


@pytest.mark.parametrize(("origin", "destination"), ROUTES)
def test_a_passenger_going_the_other_way_is_refused_by_both(
    osrm: OsrmRouter, monaco_router: Router, origin: LatLon, destination: LatLon
) -> None:
    # The same two points, the drop-off first: at least two minutes of detour on
    # either profile (measured: 123 to 318 s ours, 138 to 329 s OSRM's).
    pickup, dropoff = thirds_of_the_way(monaco_router, origin, destination)
    ours = monaco_router.match(monaco_router.route(origin, destination), dropoff, pickup, max_detour_s=9999)
    theirs = osrm.match(osrm.route(origin, destination), dropoff, pickup, max_detour_s=9999)
    assert ours is not None and theirs is not None and min(ours.detour_s, theirs.detour_s) > 100
    assert abs(theirs.detour_s - ours.detour_s) <= TIME_TOLERANCE * ours.detour_s + DETOUR_TOLERANCE_S
    assert (
        monaco_router.match(monaco_router.route(origin, destination), dropoff, pickup, max_detour_s=60)
        is None
    )
    assert osrm.match(osrm.route(origin, destination), dropoff, pickup, max_detour_s=60) is None


def test_detours_over_many_routes_follow_the_builtin_ones(osrm: OsrmRouter, monaco_router: Router) -> None:
    pickup, dropoff = (43.7355, 7.4210), (43.7440, 7.4300)
    theirs = osrm.match_many([osrm.route(o, d) for o, d in ROUTES], pickup, dropoff, max_detour_s=3600)
    ours_routes = [monaco_router.route(o, d) for o, d in ROUTES]
    ours = monaco_router.match_many(ours_routes, pickup, dropoff, max_detour_s=3600)
    for t, o in zip(theirs, ours, strict=True):
        assert isinstance(t, Match) and isinstance(o, Match)
        assert abs(t.detour_s - o.detour_s) <= TIME_TOLERANCE * o.detour_s + DETOUR_TOLERANCE_S


def test_match_many_refuses_bad_detours_and_handles_no_route(osrm: OsrmRouter) -> None:
    route = osrm.route(PALACE, LARVOTTO)
    for bad in (-1, float("nan"), True, "600"):
        with pytest.raises(ValueError, match="max_detour_s"):
            osrm.match_many([route], PALACE, LARVOTTO, max_detour_s=bad)  # type: ignore[arg-type]
    assert osrm.match_many([], PALACE, LARVOTTO, max_detour_s=60) == []


# -- errors -----------------------------------------------------------------------------


def test_a_point_outside_the_region_is_refused(osrm: OsrmRouter) -> None:
    with pytest.raises(PointOutOfAreaError):
        osrm.route(PALACE, (48.8566, 2.3522))  # Paris
    with pytest.raises(PointOutOfAreaError):
        osrm.match(osrm.route(PALACE, LARVOTTO), (48.8566, 2.3522), LARVOTTO, max_detour_s=600)


def test_a_server_that_is_down_raises_router_unavailable_quickly(monaco: RoadGraph) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nobody listens there: connection refused
    down = OsrmRouter(monaco, url, timeout_s=5)
    route = Router(monaco).route(PALACE, LARVOTTO)
    started = time.monotonic()
    for call in (
        lambda: down.route(PALACE, LARVOTTO),
        lambda: down.travel_time(PALACE, LARVOTTO),
        lambda: down.match_many([route], CASINO, LARVOTTO, max_detour_s=600),
    ):
        with pytest.raises(RouterUnavailable, match=f"routing server at {url} is unavailable") as error:
            call()
        assert error.value.url == url
    assert time.monotonic() - started < 2


def test_a_server_that_does_not_answer_in_time_raises_router_unavailable(monaco: RoadGraph) -> None:
    with socket.socket() as silent:  # accepts connections (its backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        slow = OsrmRouter(monaco, f"http://127.0.0.1:{silent.getsockname()[1]}", timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(RouterUnavailable, match="timed out"):
            slow.route(PALACE, LARVOTTO)
        assert time.monotonic() - started < 3


def test_an_answer_that_is_not_ok_raises_router_unavailable(monaco: RoadGraph, osrm_url: str) -> None:
    lost = OsrmRouter(monaco, osrm_url, profile="driving/../nowhere")
    with pytest.raises(RouterUnavailable, match="answered"):
        lost.route(PALACE, LARVOTTO)


def test_settings_are_checked(monaco: RoadGraph) -> None:
    for url in ("ftp://example.org", "127.0.0.1:5000", ""):
        with pytest.raises(ValueError, match="http"):
            OsrmRouter(monaco, url)
    for timeout in (0, -1, True, "5"):
        with pytest.raises(ValueError, match="timeout_s"):
            OsrmRouter(monaco, "http://127.0.0.1:5000", timeout_s=timeout)  # type: ignore[arg-type]
    for size in (0, 1, 2.5, True, "100"):
        with pytest.raises(ValueError, match="max_table_size"):
            OsrmRouter(monaco, "http://127.0.0.1:5000", max_table_size=size)  # type: ignore[arg-type]


# -- tables larger than the server takes ------------------------------------------------


def test_a_search_over_hundreds_of_trips_fits_the_servers_table_size(
    osrm: OsrmRouter, monaco: RoadGraph, monaco_router: Router, osrm_url: str
) -> None:
    """The test server runs with osrm-routed's default --max-table-size (100: 10,000
    times a request). A search over 250 trips between distinct places needs about
    500 of their stops: asked as one square table of every stop (250,000 times) the
    server refused it (TooBig); the thin tables hold 500 times each. Asked in parts
    of at most 25 times (max_table_size=5), the answer is the same."""
    rng = np.random.default_rng(4)
    nodes = rng.choice(monaco.node_count, size=(400, 2), replace=False)
    routes = []
    for s, t in nodes.tolist():
        with contextlib.suppress(NoRouteError):
            routes.append(monaco_router.route(monaco.node_latlon(s), monaco.node_latlon(t)))
        if len(routes) == 250:
            break
    assert len(routes) == 250 and len({r.stops[0] for r in routes}) > 200
    pickup, dropoff = (43.7355, 7.4210), (43.7440, 7.4300)
    whole = osrm.match_many(routes, pickup, dropoff, max_detour_s=600)
    in_parts = OsrmRouter(monaco, osrm_url, max_table_size=5).match_many(
        routes, pickup, dropoff, max_detour_s=600
    )
    assert whole == in_parts
    assert 0 < sum(m is not None for m in whole) < len(routes)
    # What the server refuses: one table of every stop.
    square = sorted({s for r in routes for s in r.stops})
    places = ";".join(f"{lon:.7f},{lat:.7f}" for lat, lon in map(monaco.node_latlon, square))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{osrm_url}/table/v1/driving/{places}")
    assert json.load(refused.value)["code"] == "TooBig"


def test_the_parts_of_a_table_are_asked_four_at_a_time(
    monaco: RoadGraph, osrm_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy search's tables in parts are asked at once, four requests at a time,
    with the same answer as the whole tables; a part the server refuses fails the
    whole search."""
    batch = trips_from_distinct_nodes(monaco, 60, seed=6)
    pickup, dropoff = (43.7355, 7.4210), (43.7440, 7.4300)
    router = OsrmRouter(monaco, osrm_url, max_table_size=3)  # 4 starts or ends a part: 16 parts each way
    answer = router._answer
    lock, in_flight, most, asked = threading.Lock(), [0], [0], []

    def counted(service: str, nodes: list[int], address: str) -> dict[str, object]:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
            asked.append(address)
        time.sleep(0.01)  # long enough for the other requests of the moment to start
        try:
            return answer(service, nodes, address)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(router, "_answer", counted)
    at_once = router.insert_batch(batch, pickup, dropoff, max_detour_s=600)
    assert most[0] == 4 and len(asked) == 32
    monkeypatch.setattr("routing.osrm._AT_ONCE", 1)
    most[0] = 0
    router.insert_batch(batch, pickup, dropoff, max_detour_s=600)
    assert most[0] == 1
    # The parts' answers put together where they belong: as the whole tables, asked in one request each.
    whole = OsrmRouter(monaco, osrm_url).insert_batch(batch, pickup, dropoff, max_detour_s=600)
    assert np.array_equal(at_once.detour_s, whole.detour_s) and at_once.fits.any()
    assert np.array_equal(at_once.pickup_offset_s, whole.pickup_offset_s)
    monkeypatch.setattr("routing.osrm._AT_ONCE", 4)

    def refusing(service: str, nodes: list[int], address: str) -> dict[str, object]:
        if address == asked[7]:
            raise RouterUnavailable(osrm_url, "table answered 'TooBig'")
        return answer(service, nodes, address)

    monkeypatch.setattr(router, "_answer", refusing)
    with pytest.raises(RouterUnavailable, match="TooBig"):
        router.insert_batch(batch, pickup, dropoff, max_detour_s=600)


def test_more_stops_than_one_request_can_name_are_asked_in_parts(
    osrm: OsrmRouter, monaco: RoadGraph, osrm_url: str
) -> None:
    """osrm-routed closes the connection on a request of more than about 24 KB (1,200
    coordinates of Monaco) with its default limits, and a reverse proxy on one of
    more than 8 KB: 1,000 trips from distinct nodes are asked in requests of at most
    8 KB, with the same answer as in parts of at most 9 times (max_table_size=3)."""
    batch = trips_from_distinct_nodes(monaco, 1_000, seed=5)
    pickup, dropoff = (43.7355, 7.4210), (43.7440, 7.4300)
    whole = osrm.insert_batch(batch, pickup, dropoff, max_detour_s=600)
    in_parts = OsrmRouter(monaco, osrm_url, max_table_size=3).insert_batch(
        batch, pickup, dropoff, max_detour_s=600
    )
    assert np.array_equal(whole.detour_s, in_parts.detour_s) and np.array_equal(whole.fits, in_parts.fits)
    assert np.isfinite(whole.detour_s).sum() > 900
