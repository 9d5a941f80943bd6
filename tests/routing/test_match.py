"""En-route matching: the detour contract checked against networkx shortest paths."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing import (
    InvalidPointError,
    Legs,
    LegsBatch,
    Match,
    PointOutOfAreaError,
    RoadGraph,
    Router,
    pack_legs,
)
from tests.routing.insertion_reference import Times, best_insertion

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
node_ids = st.integers(min_value=0, max_value=1_000_000)


def tau(graph: RoadGraph, s: int, t: int) -> float:
    return float(nx.dijkstra_path_length(graph.nx, s, t, weight="time_s"))


def path_length(graph: RoadGraph, s: int, t: int) -> float:
    path = nx.dijkstra_path(graph.nx, s, t, weight="time_s")
    return math.fsum(graph.nx[u][v]["length_m"] for u, v in itertools.pairwise(path))


def expected_detour(graph: RoadGraph, stops: list[int], a: int, b: int) -> float:
    """Brute force over every insertion of a then b that keeps the stops' order."""
    legs = [tau(graph, s, t) for s, t in itertools.pairwise(stops)]
    best = math.inf
    for i, j in itertools.combinations_with_replacement(range(len(legs)), 2):
        if i == j:
            cost = tau(graph, stops[i], a) + tau(graph, a, b) + tau(graph, b, stops[i + 1]) - legs[i]
        else:
            cost = (
                tau(graph, stops[i], a)
                + tau(graph, a, stops[i + 1])
                - legs[i]
                + tau(graph, stops[j], b)
                + tau(graph, b, stops[j + 1])
                - legs[j]
            )
        best = min(best, cost)
    return best


@SETTINGS
@given(o=node_ids, d=node_ids, a=node_ids, b=node_ids)
def test_detour_formula(monaco: RoadGraph, monaco_router: Router, o: int, d: int, a: int, b: int) -> None:
    o, d, a, b = (x % monaco.node_count for x in (o, d, a, b))
    at = monaco.node_latlon
    route = monaco_router.route(at(o), at(d))
    match = monaco_router.match(route, at(a), at(b), max_detour_s=math.inf)
    assert match is not None
    detour = tau(monaco, o, a) + tau(monaco, a, b) + tau(monaco, b, d) - tau(monaco, o, d)
    assert match.detour_s == pytest.approx(max(0.0, detour), rel=1e-6, abs=1e-6)
    assert match.pickup_offset_s == pytest.approx(tau(monaco, o, a), rel=1e-6, abs=1e-6)
    assert match.dropoff_offset_s == pytest.approx(tau(monaco, o, a) + tau(monaco, a, b), rel=1e-6, abs=1e-6)
    assert match.shared_length_m == pytest.approx(path_length(monaco, a, b), rel=1e-6, abs=1e-6)
    assert (match.pickup_node, match.dropoff_node) == (a, b)
    # The limit is inclusive, and a hair below the detour refuses the trip.
    assert monaco_router.match(route, at(a), at(b), max_detour_s=match.detour_s) is not None
    if match.detour_s > 1:
        assert monaco_router.match(route, at(a), at(b), max_detour_s=match.detour_s - 1) is None


@SETTINGS
@given(stops=st.lists(node_ids, min_size=3, max_size=5), a=node_ids, b=node_ids)
def test_via_points_insert_where_the_detour_is_smallest(
    paris: RoadGraph, stops: list[int], a: int, b: int
) -> None:
    router = Router(paris)
    stops = [x % paris.node_count for x in stops]
    a, b = a % paris.node_count, b % paris.node_count
    at = paris.node_latlon
    route = router.route(at(stops[0]), at(stops[-1]), via=[at(s) for s in stops[1:-1]])
    match = router.match(route, at(a), at(b), max_detour_s=math.inf)
    assert match is not None
    assert match.detour_s == pytest.approx(max(0.0, expected_detour(paris, stops, a, b)), rel=1e-6, abs=1e-6)
    assert 0 <= match.pickup_leg <= match.dropoff_leg < len(stops) - 1
    assert match.pickup_offset_s <= match.dropoff_offset_s + 1e-9


def test_drop_off_before_pickup_on_the_route_does_not_match(monaco: RoadGraph, monaco_router: Router) -> None:
    route = monaco_router.route((43.7311, 7.4197), (43.7476, 7.4336))
    times = route.node_time_s
    i = next(k for k, t in enumerate(times) if t > 60)
    j = next(k for k, t in enumerate(times) if t > times[i] + 120)
    early, late = monaco.node_latlon(route.nodes[i]), monaco.node_latlon(route.nodes[j])
    along = monaco_router.match(route, early, late, max_detour_s=60)
    assert along is not None
    assert along.detour_s == pytest.approx(0, abs=1e-6)
    assert along.pickup_offset_s == pytest.approx(times[i], rel=1e-6)
    assert along.dropoff_offset_s == pytest.approx(times[j], rel=1e-6)
    assert monaco_router.match(route, late, early, max_detour_s=60) is None


def test_match_many_agrees_with_match(monaco: RoadGraph, monaco_router: Router) -> None:
    at = monaco.node_latlon
    n = monaco.node_count
    routes = [monaco_router.route(at(k * 37 % n), at(k * 101 % n)) for k in range(1, 40)]
    routes.append(monaco_router.route(at(5), at(900), via=[at(300), at(600)]))
    longest = max(routes, key=lambda r: len(r.nodes))
    third = len(longest.nodes) // 3
    pickup, dropoff = at(longest.nodes[third]), at(longest.nodes[2 * third])
    many = monaco_router.match_many(routes, pickup, dropoff, max_detour_s=120)
    one_by_one = [monaco_router.match(r, pickup, dropoff, max_detour_s=120) for r in routes]
    assert many == one_by_one
    assert any(isinstance(m, Match) for m in many) and None in many
    assert monaco_router.match_many([], pickup, dropoff, max_detour_s=300) == []


def test_a_trip_is_matched_on_its_legs_alone(monaco: RoadGraph, monaco_router: Router) -> None:
    """What a site keeps of a route (stop nodes, legs) matches exactly as the route."""
    at = monaco.node_latlon
    n = monaco.node_count
    routes = [monaco_router.route(at(k * 53 % n), at(k * 97 % n), via=[at(k * 11 % n)]) for k in range(1, 30)]
    pickup, dropoff = at(routes[0].nodes[len(routes[0].nodes) // 4]), at(routes[0].nodes[-2])
    legs = [Legs(stops=r.stops, leg_time_s=r.leg_time_s, leg_length_m=r.leg_length_m) for r in routes]
    assert legs == [Legs.of(r) for r in routes]
    by_legs = monaco_router.match_many(legs, pickup, dropoff, max_detour_s=300)
    assert by_legs == monaco_router.match_many(routes, pickup, dropoff, max_detour_s=300)
    assert by_legs[0] is not None


@pytest.mark.parametrize(
    ("stops", "times", "lengths"), [((1,), (), ()), ((1, 2), (), ()), ((1, 2, 3), (1.0,), (1.0, 2.0))]
)
def test_legs_that_do_not_join_the_stops_are_refused(
    stops: tuple[int, ...], times: tuple[float, ...], lengths: tuple[float, ...]
) -> None:
    with pytest.raises(ValueError):
        Legs(stops=stops, leg_time_s=times, leg_length_m=lengths)


def test_bad_requests(monaco_router: Router) -> None:
    route = monaco_router.route((43.7311, 7.4197), (43.7476, 7.4336))
    with pytest.raises(ValueError):
        monaco_router.match(route, (43.735, 7.421), (43.744, 7.43), max_detour_s=-1)
    with pytest.raises(ValueError):
        monaco_router.match(route, (43.735, 7.421), (43.744, 7.43), max_detour_s=float("nan"))
    with pytest.raises(ValueError):
        monaco_router.match(route, (43.735, 7.421), (43.744, 7.43), max_detour_s=True)  # type: ignore[arg-type]
    assert monaco_router.match(route, (43.735, 7.421), (43.744, 7.43), max_detour_s=np.int64(600)) is not None
    with pytest.raises(InvalidPointError):
        monaco_router.match(route, (43.735, 999), (43.744, 7.43), max_detour_s=600)
    with pytest.raises(PointOutOfAreaError):
        monaco_router.match_many([route], (43.735, 7.421), (45.76, 4.83), max_detour_s=600)


def both_ways(
    nodes: set[int], meet: Callable[[int], tuple[float, float, int]]
) -> tuple[dict[int, float], dict[int, float]]:
    """Times and lengths of ``meet(node)`` for every node."""
    found = {node: meet(node) for node in nodes}
    return {n: m[0] for n, m in found.items()}, {n: m[1] for n, m in found.items()}


def test_all_trips_at_once_are_the_loop_over_each_trip(monaco: RoadGraph, monaco_router: Router) -> None:
    """match_batch (array operations over every trip) gives, to the bit, what the plain
    loop over each trip's legs gives from the same times: trips of 1 to 4 legs, each
    with its own limit."""
    rng, at, n = random.Random(11), monaco.node_latlon, monaco.node_count
    routes = [
        monaco_router.route(
            at(rng.randrange(n)), at(rng.randrange(n)), via=[at(rng.randrange(n)) for _ in range(k % 4)]
        )
        for k in range(80)
    ]
    batch = LegsBatch.unpack([pack_legs(r) for r in routes])
    assert [batch.legs(k) for k in range(len(batch))] == [Legs.of(r) for r in routes]

    def meet(s: int, t: int) -> tuple[float, float, int]:
        return monaco_router._meet(monaco_router._space(s, True), monaco_router._space(t, False))

    nodes = {s for r in routes for s in r.stops}
    seen: set[tuple[bool, int, int]] = set()
    for _ in range(12):
        pickup, dropoff = at(rng.randrange(n)), at(rng.randrange(n))
        limits = [rng.choice((30.0, 120.0, 600.0)) for _ in routes]
        a, b = monaco_router.snap(pickup), monaco_router.snap(dropoff)
        to_a, to_b = (Times(*both_ways(nodes, lambda s, p=p: meet(s, p))) for p in (a, b))
        from_a, from_b = (Times(*both_ways(nodes, lambda s, p=p: meet(p, s))) for p in (a, b))
        expected = [
            best_insertion(r, a, b, to_a, to_b, from_a, from_b, meet(a, b), limit)
            for r, limit in zip(routes, limits, strict=True)
        ]
        assert monaco_router.match_batch(batch, pickup, dropoff, max_detour_s=limits) == expected
        # The arrays a search ranks by are those of the matches, and say which fit.
        insertions = monaco_router.insert_batch(batch, pickup, dropoff, max_detour_s=limits)
        assert insertions.fits.tolist() == [m is not None for m in expected]
        fitting = [(k, m) for k, m in enumerate(expected) if m is not None]
        assert [insertions.detour_s[k] for k, _ in fitting] == [m.detour_s for _, m in fitting]
        assert [insertions.pickup_offset_s[k] for k, _ in fitting] == [m.pickup_offset_s for _, m in fitting]
        assert [insertions.match(k) for k in range(len(routes))] == expected
        seen |= {
            (m is None, len(r.stops), m.dropoff_leg - m.pickup_leg if m else 0)
            for r, m in zip(routes, expected, strict=True)
        }
    # Trips refused and matched, with stopovers, the passenger on board over several legs.
    assert (True, 2, 0) in seen and (False, 2, 0) in seen
    assert any(not refused and legs_on_board >= 2 for refused, _, legs_on_board in seen)


def test_no_trip_is_no_insertion(monaco_router: Router) -> None:
    nothing = monaco_router.insert_batch(LegsBatch.of([]), (43.735, 7.421), (43.744, 7.43), max_detour_s=60)
    assert len(nothing) == 0 and nothing.matches() == []


def test_packed_legs_that_cannot_be_are_refused() -> None:
    good = pack_legs(Legs(stops=(1, 2), leg_time_s=(3.0,), leg_length_m=(4.0,)))
    for bad in (
        good[:-1],
        good[:16],
        good + good[:8],
        np.array([1.5, 2, 3, 4]).tobytes(),
        np.array([-1.0, 2, 3, 4]).tobytes(),
    ):
        with pytest.raises(ValueError):
            LegsBatch.unpack([good, bad])
    assert len(LegsBatch.unpack([])) == 0


def test_one_limit_per_trip_or_one_for_all(monaco: RoadGraph, monaco_router: Router) -> None:
    route = monaco_router.route((43.7311, 7.4197), (43.7476, 7.4336))
    batch = LegsBatch.of([route, route])
    pickup, dropoff = (43.735, 7.421), (43.744, 7.43)
    far = monaco_router.match_batch(batch, pickup, dropoff, max_detour_s=600)
    assert far[0] is not None and far == monaco_router.match_batch(
        batch, pickup, dropoff, max_detour_s=[600, 600]
    )
    detour = far[0].detour_s
    assert monaco_router.match_batch(batch, pickup, dropoff, max_detour_s=[detour, detour / 2 - 1]) == [
        far[0],
        None,
    ]
    for limits in ([600], [600, 600, 600], [[600, 600]], [600, -1], ["600", 600], None):
        with pytest.raises(ValueError):
            monaco_router.match_batch(batch, pickup, dropoff, max_detour_s=limits)  # type: ignore[arg-type]
