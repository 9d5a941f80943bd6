"""Benchmark of the search index (``routing.cells``) on a real extract: what a search
costs when it matches every trip of the day, and when the grid cells stored at
publishing narrow the trips down first; and whether the narrowing loses any trip.

Two indexes are measured: the one the site uses, ``detour_cells`` (an ellipse around
each leg, from the straight-line bound at the graph's top speed: it never loses a
trip), and a corridor, ``route_cells`` within ``reach_radius_m(max_detour_s / 2)`` of
the route (smaller, but it misses pickups on other roads that are nearly as fast).

Run from the repository root::

    python bench/search_index.py                       # builds Porto, then measures
    python bench/search_index.py --graph porto.graph   # reuses a graph file

Trips are seeded random trips of at least 5 km (some with via points), each with a
detour limit of 5, 10 or 15 minutes.
Half the searches are along a trip (pickup and drop-off on its road), half between
random places. Both ways answer the same searches with the trips' search spaces cached
(the site's steady state); the search's own spaces are dropped before each timed
answer, so neither way inherits them from the other. The index is a dict here; on the
site it is the ``trip_cell`` table, read with one indexed join.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from routing import Route, Router, build_graph, load_graph  # noqa: E402
from routing.cells import CellSpan, cell_of, detour_cells, reach_radius_m, route_cells  # noqa: E402
from routing.distance import geodesic_m  # noqa: E402


def _bench_routing():  # type: ignore[no-untyped-def]
    """bench/routing.py (its trips and searches along them), under another name: it
    would otherwise hide the ``routing`` package."""
    spec = importlib.util.spec_from_file_location("bench_routing", Path(__file__).with_name("routing.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q))


def random_searches(router: Router, count: int, seed: int) -> list[tuple[tuple[float, float], ...]]:
    """Pickup and drop-off between random nodes 3 km or more apart."""
    graph = router.graph
    rng = np.random.default_rng(seed)
    net = graph.network
    out = []
    while len(out) < count:
        a, b = (int(x) for x in rng.integers(graph.node_count, size=2))
        if geodesic_m(net.lat[[a]], net.lon[[a]], net.lat[[b]], net.lon[[b]])[0] >= 3_000:
            out.append((graph.node_latlon(a), graph.node_latlon(b)))
    return out


def forget_search_spaces(router: Router, nodes: Sequence[int]) -> None:
    # The router keeps search spaces per node; the search's own must be computed
    # afresh by each way of answering, or the second would ride on the first.
    for node in nodes:
        for forward in (True, False):
            router._spaces.pop((node, forward), None)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extract", default=str(REPO_ROOT.parent / "shared/data/porto_portugal.osm.pbf"))
    parser.add_argument("--graph", help="reuse this graph file instead of building")
    parser.add_argument("--trips", type=int, default=2000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args(argv)
    bench = _bench_routing()

    print(f"run of {datetime.datetime.now():%Y-%m-%d %H:%M}, load average {bench.load_average()}")
    if args.graph:
        graph = load_graph(args.graph)
    else:
        graph = build_graph(args.extract)
        graph.save(Path(tempfile.mkdtemp()) / "region.graph")
    router = Router(graph, space_cache_size=50_000)
    print(f"graph: {graph.node_count:,} nodes; top speed {reach_radius_m(graph, 3600) / 1000:.0f} km/h")

    # Publishing: route, then index each trip, both ways.
    routes, _ = bench.publish_trips(router, graph, args.trips, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    detours = [float(rng.choice([300, 600, 900])) for _ in routes]
    indexers = {
        "ellipses (detour_cells, the site's)": lambda r, d: detour_cells(graph, r, max_detour_s=d),
        "corridor (route_cells, half the detour)": lambda r, d: route_cells(
            graph, r, radius_m=reach_radius_m(graph, d / 2)
        ),
    }
    indexes = {name: build_index(routes, detours, make) for name, make in indexers.items()}

    def found(chosen: list[int], pickup: tuple[float, float], dropoff: tuple[float, float]) -> set[int]:
        if not chosen:
            return set()
        matches = router.match_many([routes[i] for i in chosen], pickup, dropoff, max_detour_s=900)
        return {i for i, m in zip(chosen, matches, strict=True) if m is not None and m.detour_s <= detours[i]}

    searches = bench.requests_along(routes, router, args.searches // 2, args.seed + 2)
    searches += random_searches(router, args.searches - len(searches), args.seed + 3)
    everyone = list(range(len(routes)))
    found(everyone, *searches[0])  # caches every trip's search spaces
    every: list[float] = []
    narrowed: dict[str, list[float]] = defaultdict(list)
    shares: dict[str, list[float]] = defaultdict(list)
    same: dict[str, int] = defaultdict(int)
    total_found = 0
    for pickup, dropoff in searches:
        nodes = (router.snap(pickup), router.snap(dropoff))
        forget_search_spaces(router, nodes)
        start = time.perf_counter()
        by_all = found(everyone, pickup, dropoff)
        every.append(time.perf_counter() - start)
        total_found += len(by_all)
        for name, index in indexes.items():
            forget_search_spaces(router, nodes)
            start = time.perf_counter()
            chosen = index.candidates(graph, router.snap(pickup), router.snap(dropoff))
            by_index = found(chosen, pickup, dropoff)
            narrowed[name].append(time.perf_counter() - start)
            shares[name].append(len(chosen) / len(routes))
            same[name] += by_all == by_index

    km = [r.length_m / 1000 for r in routes]
    print(f"trips: {len(routes)}, {np.median(km):.1f} km median; detour limits 5/10/15 min")
    print(f"searches: {len(searches)} ({args.searches // 2} along a trip), {total_found} trip matches in all")
    print(f"match every trip: median {ms(np.median(every))}, p95 {ms(percentile(every, 95))}")
    for name, index in indexes.items():
        print(f"\n{name}")
        print(
            f"  rows per trip: median {np.median(index.rows):.0f}, p95 {percentile(index.rows, 95):.0f}; "
            f"indexing a trip: median {ms(np.median(index.seconds))}, p95 {ms(percentile(index.seconds, 95))}"
        )
        print(
            f"  candidates per search: median {np.median(shares[name]) * 100:.1f} %, "
            f"p95 {percentile(shares[name], 95) * 100:.1f} %"
        )
        times = narrowed[name]
        print(
            f"  index, then match: median {ms(np.median(times))}, p95 {ms(percentile(times, 95))}; "
            f"every / index: {np.median(every) / np.median(times):.1f}x"
        )
        print(
            f"  searches finding exactly the trips matching every trip finds: {same[name]} of {len(searches)}"
        )


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


class Index:
    """Cells to trips, as the ``trip_cell`` table holds them."""

    def __init__(self) -> None:
        self.cells: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
        self.rows: list[int] = []
        self.seconds: list[float] = []

    def candidates(self, graph, pickup_node: int, dropoff_node: int) -> list[int]:  # type: ignore[no-untyped-def]
        """The site's query: trips with both cells, the pickup's before the drop-off's."""
        near_dropoff = {
            i: last for i, _, last in self.cells.get(cell_of(graph.node_latlon(dropoff_node)), [])
        }
        return [
            i
            for i, first, _ in self.cells.get(cell_of(graph.node_latlon(pickup_node)), [])
            if i in near_dropoff and first <= near_dropoff[i]
        ]


def build_index(routes: list[Route], detours: list[float], make) -> Index:  # type: ignore[no-untyped-def]
    index = Index()
    for i, (route, detour) in enumerate(zip(routes, detours, strict=True)):
        start = time.perf_counter()
        spans: list[CellSpan] = make(route, detour)
        index.seconds.append(time.perf_counter() - start)
        index.rows.append(len(spans))
        for span in spans:
            index.cells[span.cell].append((i, span.first_s, span.last_s))
    return index


if __name__ == "__main__":
    main()
