"""Benchmark of the routing core (package ``routing``) on a real extract, against peers.

Run from the repository root::

    python bench/routing.py                       # builds Porto, then measures everything
    python bench/routing.py --graph porto.graph   # reuses a graph file (build not timed)
    python bench/routing.py --skip-peers          # only our own figures

What it measures, in one run and on the same fixed pairs for everybody:

1. import + preprocessing (:func:`routing.build_graph`) time, graph file size, and the
   memory (RSS) of a fresh process that only loads the graph and creates a Router;
2. ``Router.route`` between ``--pairs`` seeded random node pairs at least ``--min-km``
   apart, with the search-space cache cleared before every query (cold: the headline)
   and again with it warm;
3. peers on the same pairs: networkx ``bidirectional_dijkstra`` on the unsimplified raw
   graph (all pairs, or a subset with ``--nx-pairs``), python-igraph, ``scipy.sparse.csgraph.dijkstra`` and
   pandana (C++ contraction hierarchies), plus a check that all exact peers find our
   times to 1e-6 relative;
4. ``Router.match_many`` of one request against ``--trips`` published trips, with the
   trips' search spaces cached (intended use), fully warm, and fully cold; its answers
   are checked against detours computed with scipy's Dijkstra;
5. a summary of the targets, MET or NOT MET.

Peer libraries are optional (``pip install igraph pandana``): a missing one is skipped
with a note. Nothing here fails on a missed target: it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# This file is itself called routing.py: keep its folder off the import path so that
# ``import routing`` finds the package at the repository root, not this script.
_HERE = Path(__file__).resolve().parent
REPO_ROOT = _HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != _HERE]
sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402
from scipy.sparse import csr_matrix  # noqa: E402
from scipy.sparse.csgraph import dijkstra  # noqa: E402

from routing import RoadGraph, Route, Router, RoutingError, build_graph, load_graph  # noqa: E402
from routing.distance import geodesic_m  # noqa: E402

DEFAULT_EXTRACT = REPO_ROOT.parent / "shared" / "data" / "porto_portugal.osm.pbf"
REL_TOL = 1e-6
MAX_DETOUR_S = 600.0

# Targets of the issue.
TARGET_ROUTE_MS = 10.0
TARGET_VS_NETWORKX = 100.0
TARGET_MATCH_MS = 50.0
TARGET_RSS_MB = 300.0
TARGET_BUILD_S = 300.0


# -- small helpers -------------------------------------------------------------------


@dataclass
class Timing:
    """Per-query wall times (seconds) and the answers, for a set of pair indices."""

    name: str
    seconds: list[float]
    values: list[float] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)
    note: str = ""

    @property
    def median_ms(self) -> float:
        return 1e3 * float(np.median(self.seconds))

    @property
    def p95_ms(self) -> float:
        return 1e3 * float(np.percentile(self.seconds, 95))


def ms(seconds: float) -> str:
    return f"{1e3 * seconds:.3f} ms"


def heading(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 76 - len(title)), flush=True)


def rss_mb_of_self() -> float:
    """Peak RSS of this process in MB (ru_maxrss is in kB on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def code_digest() -> str:
    """Short digest of the routing sources measured (the tree may have no commit)."""
    digest = hashlib.sha256()
    for path in sorted((REPO_ROOT / "routing").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews timings."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def same_time(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=REL_TOL)


# -- 1. build, file size, memory -----------------------------------------------------


def build_or_load(args: argparse.Namespace) -> tuple[RoadGraph, dict[str, Any]]:
    """Build the graph from the extract (timed) or load ``--graph``."""
    heading("Graph")
    info: dict[str, Any] = {}
    if args.graph:
        start = time.perf_counter()
        graph = load_graph(args.graph)
        info["load_s"] = time.perf_counter() - start
        info["build_s"] = None
        info["path"] = args.graph
        print(f"loaded {args.graph} in {info['load_s']:.2f} s (build not timed: --graph given)")
    else:
        marks: dict[str, float] = {}

        def progress(stage: str, done: int, total: int | None) -> None:
            marks.setdefault(f"{stage}_start", time.perf_counter())
            marks[f"{stage}_end"] = time.perf_counter()

        print(f"building from {args.extract} ...", flush=True)
        start = time.perf_counter()
        graph = build_graph(args.extract, progress=progress)
        end = time.perf_counter()
        info["build_s"] = end - start
        info["reading_s"] = marks.get("reading_end", start) - start
        info["contracting_s"] = end - marks.get("contracting_start", end)
        info["build_peak_rss_mb"] = rss_mb_of_self()
        build_s = info["build_s"]
        print(
            f"import + preprocessing: {info['build_s']:.1f} s "
            f"(reading OSM {info['reading_s']:.1f} s, then simplification, initial node priorities and "
            f"the first 1 % of contraction {build_s - info['reading_s'] - info['contracting_s']:.1f} s, "
            f"rest of contraction {info['contracting_s']:.1f} s); "
            f"peak RSS of this process so far {info['build_peak_rss_mb']:.0f} MB"
        )
        path = args.save or os.path.join(tempfile.mkdtemp(prefix="bench-routing-"), "graph.graph")
        graph.save(path)
        info["path"] = path
        info["temporary"] = not args.save
    info["file_mb"] = os.path.getsize(info["path"]) / 1e6
    info.update(
        {k: graph.meta.get(k) for k in ("raw_nodes", "connected_nodes", "nodes", "edges", "shortcuts")}
    )
    print(
        f"graph file {info['file_mb']:.1f} MB; raw nodes {info['raw_nodes']:,}, in largest strong "
        f"component {info['connected_nodes']:,}; simplified {info['nodes']:,} nodes, "
        f"{info['edges']:,} edges, {info['shortcuts']:,} shortcuts"
    )
    return graph, info


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent across
# exec, so a probe started by a big benchmark process would report the parent's peak.
_MEMORY_PROBE = """
import json, sys, time

def status_mb(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key + ":")) / 1024

base = status_mb("VmRSS")
start = time.perf_counter()
from routing import Router, load_graph
graph = load_graph(sys.argv[1])
router = Router(graph)
load_s = time.perf_counter() - start
loaded, loaded_peak = status_mb("VmRSS"), status_mb("VmHWM")
a, b = json.loads(sys.argv[2])
router.route(a, b)
print(json.dumps({"base": base, "loaded": loaded, "loaded_peak": loaded_peak, "load_s": load_s,
                  "after_query": status_mb("VmRSS"), "after_query_peak": status_mb("VmHWM")}))
"""


def measure_memory(
    graph_path: str, probe: tuple[tuple[float, float], tuple[float, float]]
) -> dict[str, float]:
    """RSS of a fresh interpreter that loads the graph and creates a Router (then routes once)."""
    heading("Memory of a fresh process: load_graph + Router")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, graph_path, json.dumps(probe)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    mem: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"interpreter alone          VmRSS {mem['base']:7.1f} MB")
    print(
        f"after load_graph + Router  VmRSS {mem['loaded']:7.1f} MB, peak (VmHWM) "
        f"{mem['loaded_peak']:7.1f} MB   [load + Router: {mem['load_s']:.2f} s]"
    )
    print(
        f"after a first route()      VmRSS {mem['after_query']:7.1f} MB, peak (VmHWM) "
        f"{mem['after_query_peak']:7.1f} MB   (k-d tree for snapping built on first use)"
    )
    return mem


# -- 2. pairs and our router ---------------------------------------------------------


@dataclass
class Pairs:
    points: list[tuple[tuple[float, float], tuple[float, float]]]
    sources: list[int]
    targets: list[int]
    distance_m: NDArray[np.float64]


def far_pairs(graph: RoadGraph, count: int, min_km: float, seed: int) -> Pairs:
    """``count`` seeded random pairs of simplified nodes at least ``min_km`` apart."""
    heading(f"Pairs: {count} random node pairs >= {min_km:g} km apart (seed {seed})")
    rng = np.random.default_rng(seed)
    net = graph.network
    n = graph.node_count
    a_all: list[int] = []
    b_all: list[int] = []
    for _ in range(1000):
        a = rng.integers(n, size=4 * count)
        b = rng.integers(n, size=4 * count)
        ok = geodesic_m(net.lat[a], net.lon[a], net.lat[b], net.lon[b]) >= 1e3 * min_km
        a_all.extend(a[ok].tolist())
        b_all.extend(b[ok].tolist())
        if len(a_all) >= count:
            break
    else:
        raise SystemExit(f"could not find {count} pairs {min_km} km apart: is the extract that small?")
    a_nodes, b_nodes = a_all[:count], b_all[:count]
    points = [(graph.node_latlon(u), graph.node_latlon(v)) for u, v in zip(a_nodes, b_nodes, strict=True)]
    # Everybody routes between the nodes our router snaps the points to (the same nodes,
    # unless two nodes share coordinates).
    sources = [graph.snap(p) for p, _ in points]
    targets = [graph.snap(q) for _, q in points]
    distance = geodesic_m(net.lat[sources], net.lon[sources], net.lat[targets], net.lon[targets])
    print(
        f"straight-line distance: min {distance.min() / 1e3:.1f} km, median "
        f"{np.median(distance) / 1e3:.1f} km, max {distance.max() / 1e3:.1f} km"
    )
    return Pairs(points, sources, targets, distance)


def bench_ours(router: Router, pairs: Pairs) -> dict[str, Timing]:
    """Router.route cold (cache cleared before each query) and warm; travel_time cold."""
    heading("Our Router")
    router.route(*pairs.points[0])  # builds the k-d tree used for snapping, once
    everything = list(range(len(pairs.points)))
    cold = Timing("route() cold", [], [], everything)
    warm = Timing("route() warm", [], [], everything)
    time_only = Timing("travel_time() cold", [], [], everything)
    lengths: list[float] = []
    for a, b in pairs.points:
        router._spaces.clear()
        start = time.perf_counter()
        route = router.route(a, b)
        cold.seconds.append(time.perf_counter() - start)
        cold.values.append(route.time_s)
        lengths.append(route.length_m)
        start = time.perf_counter()
        again = router.route(a, b)
        warm.seconds.append(time.perf_counter() - start)
        warm.values.append(again.time_s)
    for a, b in pairs.points:
        router._spaces.clear()
        start = time.perf_counter()
        travel = router.travel_time(a, b)
        time_only.seconds.append(time.perf_counter() - start)
        time_only.values.append(travel)
    router._spaces.clear()
    for t in (cold, warm, time_only):
        print(f"{t.name:<22} median {t.median_ms:8.3f} ms   p95 {t.p95_ms:8.3f} ms")
    print(
        f"route time: median {np.median(cold.values) / 60:.1f} min, route length: median "
        f"{np.median(lengths) / 1e3:.1f} km"
    )
    sizes = [
        len(router._upward_search(s, True).nodes) + len(router._upward_search(t, False).nodes)
        for s, t in zip(pairs.sources[:50], pairs.targets[:50], strict=True)
    ]
    print(f"search-space size (forward + backward, first 50 pairs): median {int(np.median(sizes))} nodes")
    return {"cold": cold, "warm": warm, "time_only": time_only}


# -- 3. peers ------------------------------------------------------------------------


def simplified_csr(graph: RoadGraph) -> csr_matrix:
    """The simplified graph as a CSR matrix of travel times, zero-time edges kept."""
    net = graph.network
    n = graph.node_count
    order = np.lexsort((net.time_s, net.head, net.tail))  # fastest first among parallel edges
    tail, head, weight = net.tail[order], net.head[order], net.time_s[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    # csr_matrix((data, (i, j))) would sum duplicates: give it one edge per pair. Explicit
    # zeros stay stored, and csgraph treats stored zeros as edges.
    matrix = csr_matrix((weight[first], (tail[first], head[first])), shape=(n, n))
    if matrix.nnz != int(first.sum()):
        print(f"WARNING: CSR has {matrix.nnz} entries for {int(first.sum())} edges")
    return matrix


def peer_scipy(matrix: csr_matrix, pairs: Pairs) -> Timing:
    result = Timing(
        "scipy csgraph.dijkstra",
        [],
        [],
        list(range(len(pairs.sources))),
        "one-to-all Dijkstra per pair, simplified graph",
    )
    for s, t in zip(pairs.sources, pairs.targets, strict=True):
        start = time.perf_counter()
        dist = dijkstra(matrix, directed=True, indices=s)
        result.seconds.append(time.perf_counter() - start)
        result.values.append(float(dist[t]))
    return result


def peer_igraph(graph: RoadGraph, pairs: Pairs) -> Timing | None:
    try:
        import igraph
    except ImportError as error:
        print(f"python-igraph skipped: {error} (pip install igraph)")
        return None
    net = graph.network
    g = igraph.Graph(n=graph.node_count, edges=np.column_stack((net.tail, net.head)).tolist(), directed=True)
    g.es["time_s"] = net.time_s.tolist()
    result = Timing(
        "igraph distances()",
        [],
        [],
        list(range(len(pairs.sources))),
        f"python-igraph {igraph.__version__}, simplified graph",
    )
    for s, t in zip(pairs.sources, pairs.targets, strict=True):
        start = time.perf_counter()
        dist = g.distances(source=s, target=t, weights="time_s", mode="out")
        result.seconds.append(time.perf_counter() - start)
        result.values.append(float(dist[0][0]))
    return result


def peer_pandana(graph: RoadGraph, pairs: Pairs) -> tuple[list[Timing], dict[str, Any]]:
    """Pandana per pair (one pair per call), batched, and the bare C++ call; its preprocessing."""
    try:
        import pandana
        import pandas as pd
    except ImportError as error:
        print(f"pandana skipped: {error} (pip install pandana)")
        return [], {}
    net = graph.network
    every = list(range(len(pairs.sources)))
    start = time.perf_counter()
    network = pandana.Network(
        pd.Series(net.lon),
        pd.Series(net.lat),
        pd.Series(net.tail),
        pd.Series(net.head),
        pd.DataFrame({"time_s": net.time_s}),
        twoway=False,
    )
    info = {"preprocessing_s": time.perf_counter() - start, "version": pandana.__version__}
    print(
        f"pandana {pandana.__version__}: Network() with contraction hierarchy in "
        f"{info['preprocessing_s']:.2f} s (uses all cores: {os.cpu_count()})"
    )
    per_pair = Timing("pandana per pair", [], [], every, "shortest_path_lengths([a], [b]), one pair a call")
    for s, t in zip(pairs.sources, pairs.targets, strict=True):
        start = time.perf_counter()
        lengths = network.shortest_path_lengths([s], [t])
        per_pair.seconds.append(time.perf_counter() - start)
        per_pair.values.append(float(lengths[0]))
    start = time.perf_counter()
    batch = network.shortest_path_lengths(pairs.sources, pairs.targets)
    batched_s = (time.perf_counter() - start) / len(every)
    batched = Timing(
        "pandana batched",
        [batched_s] * len(every),
        [float(x) for x in batch],
        every,
        f"shortest_path_lengths of all {len(every)} pairs at once, per pair",
    )
    bare = Timing("pandana C++ call", [], [], every, "cyaccess.shortest_path_distance, no pandas layer")
    for s, t in zip(pairs.sources, pairs.targets, strict=True):  # node ids are the internal indices here
        start = time.perf_counter()
        length = network.net.shortest_path_distance(s, t, 0)
        bare.seconds.append(time.perf_counter() - start)
        bare.values.append(float(length))
    return [per_pair, batched, bare], info


def raw_networkx_graph(extract: str) -> tuple[Any, dict[int, int], float]:
    """The unsimplified network as a networkx DiGraph (fastest of parallel edges) and
    the map from OSM id to its node."""
    import networkx as nx

    from routing.osm import read_osm
    from routing.simplify import keep_fastest_parallel, largest_strong_component

    start = time.perf_counter()
    raw = largest_strong_component(read_osm(extract))
    keep = keep_fastest_parallel(raw.tail, raw.head, raw.time_s)
    g = nx.DiGraph()
    g.add_nodes_from(range(len(raw.lat)))
    g.add_weighted_edges_from(
        zip(raw.tail[keep].tolist(), raw.head[keep].tolist(), raw.time_s[keep].tolist(), strict=True),
        weight="time_s",
    )
    index = dict(zip(raw.osm_ids.tolist(), range(len(raw.osm_ids)), strict=True))
    elapsed = time.perf_counter() - start
    print(
        f"raw graph for networkx: {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges "
        f"(read + build {elapsed:.1f} s)"
    )
    return g, index, elapsed


def peer_networkx(
    g: Any, source_of: Callable[[int], int], pairs: Pairs, subset: Sequence[int], name: str, note: str
) -> Timing:
    import networkx as nx

    result = Timing(name, [], [], list(subset), note)
    for i in subset:
        s, t = source_of(pairs.sources[i]), source_of(pairs.targets[i])
        start = time.perf_counter()
        length, _ = nx.bidirectional_dijkstra(g, s, t, weight="time_s")
        result.seconds.append(time.perf_counter() - start)
        result.values.append(float(length))
    return result


def bench_peers(
    args: argparse.Namespace, graph: RoadGraph, pairs: Pairs, ours: Timing, matrix: csr_matrix
) -> tuple[list[Timing], dict[str, Any]]:
    heading("Peers on the same pairs")
    peers: list[Timing] = []
    extra: dict[str, Any] = {}
    subset = list(range(min(args.nx_pairs or len(pairs.sources), len(pairs.sources))))
    if len(subset) < len(pairs.sources):
        print(f"networkx bidirectional_dijkstra: first {len(subset)} pairs only (--nx-pairs; it is slow)")
    else:
        print(f"networkx bidirectional_dijkstra: all {len(subset)} pairs")
    raw, osm_index, extra["raw_build_s"] = raw_networkx_graph(args.extract)
    osm_ids = graph.network.osm_ids
    peers.append(
        peer_networkx(
            raw,
            lambda v: osm_index[int(osm_ids[v])],
            pairs,
            subset,
            "networkx bidir. raw",
            "unsimplified graph",
        )
    )
    del raw
    peers.append(
        peer_networkx(
            graph.nx,
            lambda v: v,
            pairs,
            subset,
            "networkx bidir. simpl.",
            "simplified graph",
        )
    )
    print(f"{peers[-2].name} and {peers[-1].name} done", flush=True)
    found = peer_igraph(graph, pairs)
    if found is not None:
        peers.append(found)
    peers.append(peer_scipy(matrix, pairs))
    pandana_timings, extra["pandana"] = peer_pandana(graph, pairs)
    peers.extend(pandana_timings)

    print(f"\n{'who':<26}{'pairs':>6}{'median ms':>12}{'p95 ms':>10}{'peer / ours cold':>18}")
    for t in [ours, *peers]:
        ours_median = 1e3 * float(np.median([ours.seconds[i] for i in t.indices]))
        print(
            f"{t.name:<26}{len(t.indices):>6}{t.median_ms:>12.3f}{t.p95_ms:>10.3f}"
            f"{t.median_ms / ours_median:>17.2f}x" + (f"   ({t.note})" if t.note else "")
        )
    print("(ratios compare medians over the same pairs: ours cold route() vs the peer)")
    return peers, extra


def check_exactness(ours: Timing, peers: list[Timing]) -> dict[str, int]:
    """Mismatches (relative 1e-6) between our times and each exact peer's."""
    heading("Exactness: our route times vs the peers'")
    mismatches: dict[str, int] = {}
    for peer in peers:
        if peer.name.startswith("pandana"):
            diffs = [abs(ours.values[i] - v) for i, v in zip(peer.indices, peer.values, strict=True)]
            print(
                f"{peer.name:<26} max |difference| {max(diffs):.4f} s "
                "(pandana rounds every edge weight to 1/1000: informative only)"
            )
            continue
        bad = [i for i, v in zip(peer.indices, peer.values, strict=True) if not same_time(ours.values[i], v)]
        mismatches[peer.name] = len(bad)
        flag = "ok" if not bad else "!!! MISMATCH !!!"
        print(f"{peer.name:<26} {len(bad)} mismatches out of {len(peer.indices)} pairs   {flag}")
        for i in bad[:5]:
            print(
                f"    pair {i}: ours {ours.values[i]:.6f} s, "
                f"{peer.name} {peer.values[peer.indices.index(i)]:.6f} s"
            )
    if any(mismatches.values()):
        print("!!! OUR ROUTER DISAGREES WITH AN EXACT PEER: SEE ABOVE !!!")
    return mismatches


# -- 4. matching ----------------------------------------------------------------------


def publish_trips(router: Router, graph: RoadGraph, count: int, seed: int) -> tuple[list[Route], list[float]]:
    """``count`` seeded trips >= 5 km, about 30 % with 1-2 via points, routed (cached)."""
    rng = np.random.default_rng(seed)
    net = graph.network
    n = graph.node_count
    routes: list[Route] = []
    seconds: list[float] = []
    while len(routes) < count:
        a, b = (int(x) for x in rng.integers(n, size=2))
        if geodesic_m(net.lat[[a]], net.lon[[a]], net.lat[[b]], net.lon[[b]])[0] < 5_000:
            continue
        origin, destination = graph.node_latlon(a), graph.node_latlon(b)
        via = []
        if rng.random() < 0.3:
            for f in np.sort(rng.uniform(0.2, 0.8, size=int(rng.integers(1, 3)))):
                jitter = rng.normal(0.0, 0.005, size=2)  # about 500 m
                via.append(
                    (
                        origin[0] + f * (destination[0] - origin[0]) + jitter[0],
                        origin[1] + f * (destination[1] - origin[1]) + jitter[1],
                    )
                )
        start = time.perf_counter()
        try:
            route = router.route(origin, destination, via=via)
        except RoutingError:
            continue  # a via point in the sea: draw another trip
        seconds.append(time.perf_counter() - start)
        routes.append(route)
    return routes, seconds


def requests_along(routes: list[Route], router: Router, count: int, seed: int) -> list[tuple[Any, Any]]:
    """Requests whose pickup and drop-off are points of a random trip's road geometry."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        coords = routes[int(rng.integers(len(routes)))].coords
        pickup = coords[int(rng.uniform(0.1, 0.4) * len(coords))]
        dropoff = coords[int(rng.uniform(0.6, 0.9) * len(coords))]
        if router.snap(pickup) != router.snap(dropoff):
            out.append((pickup, dropoff))
    return out


def reference_detours(
    matrix: csr_matrix, transposed: csr_matrix, routes: list[Route], a: int, b: int
) -> list[float]:
    """Smallest detour of every trip for pickup a then drop-off b, with scipy's Dijkstra."""
    from_ab = dijkstra(matrix, directed=True, indices=[a, b])  # times from a, from b
    to_ab = dijkstra(transposed, directed=True, indices=[a, b])  # times to a, to b
    a_to_b = from_ab[0, b]
    best_all = []
    for route in routes:
        stops, legs = route.stops, route.leg_time_s
        best = math.inf
        for i in range(len(legs)):
            best = min(best, to_ab[0, stops[i]] + a_to_b + from_ab[1, stops[i + 1]] - legs[i])
            via_a = to_ab[0, stops[i]] + from_ab[0, stops[i + 1]] - legs[i]
            for j in range(i + 1, len(legs)):
                best = min(best, via_a + to_ab[1, stops[j]] + from_ab[1, stops[j + 1]] - legs[j])
        best_all.append(float(best))
    return best_all


def bench_match(
    args: argparse.Namespace, router: Router, graph: RoadGraph, matrix: csr_matrix
) -> dict[str, Any]:
    heading(f"match_many: one request against {args.trips} trips, max_detour_s={MAX_DETOUR_S:g}")
    router._spaces.clear()
    routes, publish = publish_trips(router, graph, args.trips, args.seed + 1)
    vias = [len(r.stops) - 2 for r in routes]
    print(
        f"published {len(routes)} trips ({vias.count(1)} with 1 via, {vias.count(2)} with 2): route() "
        f"as published median {ms(float(np.median(publish)))}, p95 {ms(float(np.percentile(publish, 95)))}; "
        f"trip time median {np.median([r.time_s for r in routes]) / 60:.1f} min; "
        f"{len(router._spaces)} search spaces cached"
    )
    requests = requests_along(routes, router, args.requests, args.seed + 2)
    transposed = matrix.T.tocsr()
    fresh, warm, counts = [], [], []
    mismatches = 0
    for pickup, dropoff in requests:
        a, b = router.snap(pickup), router.snap(dropoff)
        for key in ((a, True), (a, False), (b, True), (b, False)):
            router._spaces.pop(key, None)  # a new request: its own spaces are not cached yet
        start = time.perf_counter()
        matches = router.match_many(routes, pickup, dropoff, max_detour_s=MAX_DETOUR_S)
        fresh.append(time.perf_counter() - start)
        start = time.perf_counter()
        router.match_many(routes, pickup, dropoff, max_detour_s=MAX_DETOUR_S)
        warm.append(time.perf_counter() - start)
        counts.append(sum(m is not None for m in matches))
        for m, ref in zip(matches, reference_detours(matrix, transposed, routes, a, b), strict=True):
            if m is None:
                wrong = ref <= MAX_DETOUR_S and not same_time(ref, MAX_DETOUR_S)
            else:
                wrong = not same_time(m.detour_s, max(0.0, ref))
            mismatches += wrong
    cold = []
    for pickup, dropoff in requests[: args.cold_runs]:
        router._spaces.clear()
        start = time.perf_counter()
        router.match_many(routes, pickup, dropoff, max_detour_s=MAX_DETOUR_S)
        cold.append(time.perf_counter() - start)
    result = {
        "fresh": Timing("match_many, trips cached, new request", fresh),
        "warm": Timing("match_many, all cached (same request again)", warm),
        "cold": Timing("match_many, cache cleared (all spaces recomputed)", cold),
        "matches": counts,
        "mismatches": mismatches,
        "requests": len(requests),
        "trips": len(routes),
    }
    for key in ("fresh", "warm", "cold"):
        t = result[key]
        print(
            f"{t.name:<52} median {t.median_ms:9.2f} ms   p95 {t.p95_ms:9.2f} ms   "
            f"({len(t.seconds)} requests)"
        )
    print(
        f"matches per request (detour <= {MAX_DETOUR_S:g} s): median {int(np.median(counts))}, "
        f"min {min(counts)}, max {max(counts)} of {len(routes)} trips"
    )
    flag = "ok" if mismatches == 0 else "!!! MISMATCH !!!"
    print(
        f"check against scipy Dijkstra detours: {mismatches} disagreements over "
        f"{len(requests)} x {len(routes)} (request, trip)   {flag}"
    )
    return result


# -- 5. summary ----------------------------------------------------------------------


def summary(
    build: dict[str, Any],
    mem: dict[str, float],
    ours: dict[str, Timing],
    peers: list[Timing],
    match: dict[str, Any],
    mismatches: dict[str, int],
) -> None:
    heading("Summary against the targets")
    by_name = {t.name: t for t in peers}
    cold = ours["cold"]

    def on_subset(t: Timing) -> float:
        return 1e3 * float(np.median([cold.seconds[i] for i in t.indices]))

    rows: list[tuple[str, str, str, bool | None]] = []
    rows.append(
        (
            "route query median (cold)",
            f"{cold.median_ms:.2f} ms (p95 {cold.p95_ms:.2f})",
            f"<= {TARGET_ROUTE_MS:g} ms",
            cold.median_ms <= TARGET_ROUTE_MS,
        )
    )
    pandana = by_name.get("pandana per pair")
    if pandana:
        rows.append(
            (
                "route query vs pandana (per pair)",
                f"{cold.median_ms:.2f} vs {pandana.median_ms:.2f} ms",
                "no slower",
                cold.median_ms <= pandana.median_ms,
            )
        )
    else:
        rows.append(("route query vs pandana (per pair)", "pandana not run", "no slower", None))
    nx_raw = by_name.get("networkx bidir. raw")
    if nx_raw:
        ratio = nx_raw.median_ms / on_subset(nx_raw)
        rows.append(
            (
                "speed-up vs networkx bidir. (raw)",
                f"{ratio:.0f}x ({len(nx_raw.indices)} pairs)",
                f">= {TARGET_VS_NETWORKX:g}x",
                ratio >= TARGET_VS_NETWORKX,
            )
        )
    else:
        rows.append(
            ("speed-up vs networkx bidir. (raw)", "networkx not run", f">= {TARGET_VS_NETWORKX:g}x", None)
        )
    fresh = match["fresh"]
    rows.append(
        (
            f"match_many, {match['trips']} trips cached, new request",
            f"{fresh.median_ms:.1f} ms (p95 {fresh.p95_ms:.1f})",
            f"<= {TARGET_MATCH_MS:g} ms",
            fresh.median_ms <= TARGET_MATCH_MS,
        )
    )
    rows.append(
        ("match_many, cache cleared (cold)", f"{match['cold'].median_ms:.0f} ms", "(no target)", None)
    )
    rows.append(
        (
            "RSS, fresh process: load + Router",
            f"{mem['loaded']:.0f} MB (peak {mem['loaded_peak']:.0f})",
            f"<= {TARGET_RSS_MB:g} MB",
            max(mem["loaded"], mem["loaded_peak"]) <= TARGET_RSS_MB,
        )
    )
    rows.append(
        (
            "RSS after a first route()",
            f"{mem['after_query']:.0f} MB (peak {mem['after_query_peak']:.0f})",
            "(same target)",
            max(mem["after_query"], mem["after_query_peak"]) <= TARGET_RSS_MB,
        )
    )
    if build.get("build_s") is not None:
        rows.append(
            (
                "import + preprocessing",
                f"{build['build_s']:.0f} s",
                f"<= {TARGET_BUILD_S:g} s",
                build["build_s"] <= TARGET_BUILD_S,
            )
        )
    else:
        rows.append(("import + preprocessing", "not measured (--graph)", f"<= {TARGET_BUILD_S:g} s", None))
    rows.append(("graph file size", f"{build['file_mb']:.1f} MB", "(no target)", None))
    exact = sum(mismatches.values()) + match["mismatches"]
    rows.append(("exactness: mismatches vs peers", str(exact), "0", exact == 0))

    table = [("measure", "figure", "target", "verdict")]
    table += [(w, f, t, "" if m is None else ("MET" if m else "NOT MET")) for w, f, t, m in rows]
    widths = [max(len(row[c]) for row in table) for c in range(4)]
    for k, row in enumerate(table):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--extract",
        default=str(DEFAULT_EXTRACT),
        help="OpenStreetMap extract (default: ../shared/data/porto_portugal.osm.pbf)",
    )
    parser.add_argument("--graph", help="reuse this graph file instead of building (build is then not timed)")
    parser.add_argument("--save", help="keep the built graph in this file (default: a temporary file)")
    parser.add_argument("--pairs", type=int, default=200, help="far-apart pairs for route queries (200)")
    parser.add_argument("--min-km", type=float, default=10.0, help="minimum straight-line distance (10 km)")
    parser.add_argument(
        "--nx-pairs", type=int, default=None, help="pairs for networkx, which is slow (default: all)"
    )
    parser.add_argument("--trips", type=int, default=500, help="published trips for match_many (500)")
    parser.add_argument("--requests", type=int, default=20, help="requests timed against the trips (20)")
    parser.add_argument("--cold-runs", type=int, default=5, help="requests timed with the cache cleared (5)")
    parser.add_argument("--seed", type=int, default=20261123, help="random seed (20261123)")
    parser.add_argument("--skip-peers", action="store_true", help="only measure our own router")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    print(
        f"bench/routing.py on {platform.node()}: Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {datetime.datetime.now():%Y-%m-%d %H:%M}"
    )
    print("command: " + " ".join([os.path.relpath(sys.argv[0], REPO_ROOT), *sys.argv[1:]]))
    print(f"routing/*.py sha256 {code_digest()}; load average {load_average()}")
    graph, build = build_or_load(args)
    pairs = far_pairs(graph, args.pairs, args.min_km, args.seed)
    mem = measure_memory(build["path"], pairs.points[0])
    router = Router(graph)
    ours = bench_ours(router, pairs)
    matrix = simplified_csr(graph)
    peers: list[Timing] = []
    mismatches: dict[str, int] = {}
    if args.skip_peers:
        print("\npeers skipped (--skip-peers)")
        scipy_check = peer_scipy(matrix, pairs)  # still check exactness, cheaply
        mismatches = check_exactness(ours["cold"], [scipy_check])
    else:
        peers, _ = bench_peers(args, graph, pairs, ours["cold"], matrix)
        mismatches = check_exactness(ours["cold"], peers)
    match = bench_match(args, router, graph, matrix)
    summary(build, mem, ours, peers, match, mismatches)
    print(f"\nload average at the end {load_average()}")
    if build.get("temporary"):
        os.remove(build["path"])
        os.rmdir(os.path.dirname(build["path"]))


if __name__ == "__main__":
    main()
