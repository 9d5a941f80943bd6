"""Contraction hierarchies on small synthetic graphs, against plain Dijkstra."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing import NoRouteError
from routing.ch import contract_graph
from routing.graph import RoadGraph
from routing.router import Router
from routing.simplify import SimpleNetwork


def road_graph(n: int, edges: list[tuple[int, int, float]]) -> RoadGraph:
    """A RoadGraph over synthetic edges (nodes on a line of fake coordinates)."""
    unique: dict[tuple[int, int], float] = {}
    for u, v, t in edges:
        if u != v:
            unique[(u, v)] = min(t, unique.get((u, v), float("inf")))
    keys = sorted(unique)
    tail = np.array([u for u, _ in keys], dtype=np.int64)
    head = np.array([v for _, v in keys], dtype=np.int64)
    time_s = np.array([unique[k] for k in keys], dtype=np.float64)
    network = SimpleNetwork(
        osm_ids=np.arange(n, dtype=np.int64),
        lat=np.linspace(43.0, 43.1, n),
        lon=np.full(n, 7.0),
        tail=tail,
        head=head,
        time_s=time_s,
        length_m=time_s * 10,
        geometry_offset=np.zeros(len(keys) + 1, dtype=np.int64),
        geometry_lat=np.zeros(0),
        geometry_lon=np.zeros(0),
    )
    hierarchy = contract_graph(n, tail, head, time_s, time_s * 10)
    return RoadGraph(network=network, hierarchy=hierarchy, places=[], meta={})


graphs = st.integers(min_value=2, max_value=25).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, n - 1),
                st.floats(min_value=0.5, max_value=100, allow_nan=False),
            ),
            min_size=1,
            max_size=4 * n,
        ),
    )
)


@settings(max_examples=150, deadline=None)
@given(graphs)
def test_ch_times_equal_dijkstra_on_random_graphs(case: tuple[int, list[tuple[int, int, float]]]) -> None:
    n, edges = case
    graph = road_graph(n, edges)
    router = Router(graph)
    reference = nx.DiGraph()
    reference.add_nodes_from(range(n))
    reference.add_edges_from(
        (int(u), int(v), {"w": float(t)})
        for u, v, t in zip(graph.network.tail, graph.network.head, graph.network.time_s, strict=True)
    )
    lengths = dict(nx.all_pairs_dijkstra_path_length(reference, weight="w"))
    for s in range(n):
        for t in range(n):
            expected = lengths[s].get(t, float("inf"))
            got = router._meet(router._space(s, True), router._space(t, False))[0] if s != t else 0.0
            assert got == pytest.approx(expected, rel=1e-9)
            if s != t and expected < float("inf"):
                _, _, edges_on_path = router._shortest_path(s, t)
                nodes = [int(graph.network.tail[edges_on_path[0]])] + [
                    int(graph.network.head[k]) for k in edges_on_path
                ]
                assert nodes[0] == s and nodes[-1] == t
                assert sum(reference[u][v]["w"] for u, v in itertools.pairwise(nodes)) == pytest.approx(
                    expected
                )


def test_every_node_gets_a_distinct_rank() -> None:
    n = 30
    edges = [(i, (i + 1) % n, 1.0) for i in range(n)] + [((i + 1) % n, i, 1.0) for i in range(n)]
    graph = road_graph(n, edges)
    assert sorted(graph.hierarchy.rank.tolist()) == list(range(n))
    # Upward edges only climb.
    h = graph.hierarchy
    for v in range(n):
        for k in h.up_edge[h.up_offset[v] : h.up_offset[v + 1]]:
            assert h.rank[h.head[k]] > h.rank[v]
        for k in h.down_edge[h.down_offset[v] : h.down_offset[v + 1]]:
            assert h.rank[h.tail[k]] > h.rank[v]


def test_shortcut_unpacks_to_the_edges_it_replaces() -> None:
    # A one-way chain 0 -> 1 -> 2 -> 3 -> 4: contracting its middle needs shortcuts.
    graph = road_graph(5, [(0, 1, 1.0), (1, 2, 2.0), (2, 3, 3.0), (3, 4, 4.0)])
    h = graph.hierarchy
    assert h.shortcut_count > 0
    for k in np.flatnonzero(h.child_a >= 0):
        a, b = h.child_a[k], h.child_b[k]
        assert h.tail[a] == h.tail[k] and h.head[a] == h.tail[b] and h.head[b] == h.head[k]
        assert h.time_s[k] == pytest.approx(h.time_s[a] + h.time_s[b])
    router = Router(graph)
    time_s, length_m, edges = router._shortest_path(0, 4)
    assert time_s == 10.0 and length_m == 100.0
    assert edges == [0, 1, 2, 3]


def test_unreachable_target_is_a_clear_error() -> None:
    # Two separate one-way pairs: nothing leads from {0, 1} to {2, 3}.
    graph = road_graph(4, [(0, 1, 1.0), (1, 0, 1.0), (2, 3, 1.0), (3, 2, 1.0)])
    router = Router(graph)
    with pytest.raises(NoRouteError):
        router.route(graph.node_latlon(0), graph.node_latlon(3))
    assert router.travel_time(graph.node_latlon(0), graph.node_latlon(3)) == float("inf")
    route = router.route(graph.node_latlon(0), graph.node_latlon(1))
    assert router.match(route, graph.node_latlon(2), graph.node_latlon(3), max_detour_s=10_000) is None
