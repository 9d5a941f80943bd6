"""Turn the raw OSM network into the graph we route on.

Two steps, as in osmnx: keep the largest strongly connected component (a car can drive
from every node to every other, so no search ends in a dead end), then merge chains of
nodes that only continue the road (degree 2) into single edges, keeping their points
as the edge geometry for drawing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from .osm import Network, RawNetwork

#: Longest merged edge, in metres (see :func:`contract_chains`).
DEFAULT_MAX_EDGE_M = 500.0

__all__ = [
    "DEFAULT_MAX_EDGE_M",
    "SimpleNetwork",
    "contract_chains",
    "keep_fastest_parallel",
    "largest_strong_component",
]


@dataclass
class SimpleNetwork(Network):
    """Intersections and dead ends joined by edges that carry their road geometry.

    ``geometry_offset[k]:geometry_offset[k+1]`` indexes the inner points of edge
    ``k`` in ``geometry_lat`` / ``geometry_lon`` (its end nodes are not repeated).
    """

    geometry_offset: NDArray[np.int64]
    geometry_lat: NDArray[np.float64]
    geometry_lon: NDArray[np.float64]


def keep_fastest_parallel(
    tail: NDArray[np.int64], head: NDArray[np.int64], time_s: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Indices of the edges to keep: no self-loop, and the fastest of parallel edges,
    sorted by (tail, head)."""
    order = np.lexsort((time_s, head, tail))
    t, h = tail[order], head[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    keep = first & (t != h)
    return np.asarray(order[keep], dtype=np.int64)


def largest_strong_component(raw: RawNetwork) -> RawNetwork:
    """The raw network restricted to its largest strongly connected component."""
    n = len(raw.lat)
    matrix = csr_matrix((np.ones(len(raw.tail), dtype=np.int8), (raw.tail, raw.head)), shape=(n, n))
    _, labels = connected_components(matrix, directed=True, connection="strong")
    largest = np.bincount(labels).argmax()
    inside = labels == largest
    new_index = np.full(n, -1, dtype=np.int64)
    new_index[inside] = np.arange(int(inside.sum()))
    edges = inside[raw.tail] & inside[raw.head]
    return RawNetwork(
        osm_ids=raw.osm_ids[inside],
        lat=raw.lat[inside],
        lon=raw.lon[inside],
        tail=new_index[raw.tail[edges]],
        head=new_index[raw.head[edges]],
        time_s=raw.time_s[edges],
        length_m=raw.length_m[edges],
        places=raw.places,
    )


def _endpoints(n: int, succ: list[list[int]], pred: list[list[int]]) -> list[bool]:
    """A node is kept unless it only continues one road: two neighbours, and either
    one way through it (1 in, 1 out) or both ways (2 in, 2 out)."""
    keep = [True] * n
    for v in range(n):
        degree = len(succ[v]) + len(pred[v])
        if degree in (2, 4) and len(set(succ[v]) | set(pred[v])) == 2:
            keep[v] = False
    return keep


def _chain(
    start_edge: int, keep: list[bool], out_edges: list[list[int]], head: list[int], tail: list[int]
) -> tuple[list[int], int]:
    """Inner nodes and end node of the chain that begins with ``start_edge``."""
    previous, current = tail[start_edge], head[start_edge]
    inner = []
    while not keep[current]:
        inner.append(current)
        step = next(k for k in out_edges[current] if head[k] != previous)
        previous, current = current, head[step]
    return inner, current


def _keep_loops_and_parallels(
    keep: list[bool], out_edges: list[list[int]], head: list[int], tail: list[int]
) -> None:
    """A chain that comes back to its start, or joins the same two nodes as another
    one, would merge into a self-loop or a parallel edge, which a DiGraph cannot
    hold: keep a node in its middle so that its road stays in the graph."""
    changed = True
    while changed:  # a few passes: each one only adds kept nodes
        changed = False
        joined: dict[tuple[int, int], list[int]] = {}
        for v in [v for v in range(len(keep)) if keep[v]]:
            for first in out_edges[v]:
                inner, end = _chain(first, keep, out_edges, head, tail)
                if end != v and (v, end) not in joined:
                    joined[(v, end)] = inner
                    continue
                split = inner or joined.get((v, end)) or []
                if split and not keep[split[len(split) // 2]]:
                    keep[split[len(split) // 2]] = True
                    changed = True


def _split_long_chains(
    keep: list[bool], out_edges: list[list[int]], head: list[int], length_m: list[float], max_edge_m: float
) -> None:
    """Keep a node of each chain wherever its length since the last kept node would
    pass ``max_edge_m``. Marks are made before any edge is built, so both directions
    of a two-way road are cut at the same nodes."""
    starts = [v for v in range(len(keep)) if keep[v]]
    while starts:
        v = starts.pop()
        for first in out_edges[v]:
            previous, current, along = v, head[first], length_m[first]
            while not keep[current]:
                step = next(k for k in out_edges[current] if head[k] != previous)
                if along + length_m[step] > max_edge_m:
                    keep[current] = True
                    starts.append(current)  # the rest of the chain starts here
                    break
                along += length_m[step]
                previous, current = current, head[step]


def contract_chains(raw: RawNetwork, *, max_edge_m: float = DEFAULT_MAX_EDGE_M) -> SimpleNetwork:
    """Merge chains of degree-2 nodes into single edges with geometry.

    Parameters
    ----------
    raw : RawNetwork
        A strongly connected network (see :func:`largest_strong_component`).
    max_edge_m : float, optional
        A chain longer than this keeps a node about every ``max_edge_m`` metres.
        Points are snapped to graph nodes: on a long country road without junctions,
        a hamlet must not be snapped to a crossroads kilometres away.

    Returns
    -------
    SimpleNetwork
        Travel times and lengths of merged edges are the sums along the chain, so
        shortest paths between kept nodes do not change.
    """
    fastest = keep_fastest_parallel(raw.tail, raw.head, raw.time_s)
    tail = raw.tail[fastest].tolist()
    head = raw.head[fastest].tolist()
    time_s = raw.time_s[fastest].tolist()
    length_m = raw.length_m[fastest].tolist()
    n = len(raw.lat)
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    out_edges: list[list[int]] = [[] for _ in range(n)]
    for k, (u, v) in enumerate(zip(tail, head, strict=True)):
        succ[u].append(v)
        pred[v].append(u)
        out_edges[u].append(k)
    keep = _endpoints(n, succ, pred)
    _keep_loops_and_parallels(keep, out_edges, head, tail)
    _split_long_chains(keep, out_edges, head, length_m, max_edge_m)
    lat, lon = raw.lat.tolist(), raw.lon.tolist()

    used = [False] * len(tail)
    e_tail: list[int] = []
    e_head: list[int] = []
    e_time: list[float] = []
    e_length: list[float] = []
    offsets: list[int] = [0]
    g_lat: list[float] = []
    g_lon: list[float] = []

    def walk(start_edge: int) -> None:
        previous, current = tail[start_edge], head[start_edge]
        total_time, total_length = time_s[start_edge], length_m[start_edge]
        used[start_edge] = True
        while not keep[current]:
            g_lat.append(lat[current])
            g_lon.append(lon[current])
            step = next(k for k in out_edges[current] if head[k] != previous)
            used[step] = True
            total_time += time_s[step]
            total_length += length_m[step]
            previous, current = current, head[step]
        e_tail.append(tail[start_edge])
        e_head.append(current)
        e_time.append(total_time)
        e_length.append(total_length)
        offsets.append(len(g_lat))

    for v in range(n):
        if keep[v]:
            for k in out_edges[v]:
                walk(k)
    # A ring road with no junction at all has no kept node yet: keep one of its nodes.
    for k in range(len(tail)):
        if not used[k]:
            keep[tail[k]] = True
            for k2 in out_edges[tail[k]]:
                if not used[k2]:
                    walk(k2)

    return _reindex(raw, keep, e_tail, e_head, e_time, e_length, offsets, g_lat, g_lon)


def _reindex(
    raw: RawNetwork,
    keep: list[bool],
    e_tail: list[int],
    e_head: list[int],
    e_time: list[float],
    e_length: list[float],
    offsets: list[int],
    g_lat: list[float],
    g_lon: list[float],
) -> SimpleNetwork:
    kept = np.asarray(keep, dtype=bool)
    new_index = np.full(len(kept), -1, dtype=np.int64)
    new_index[kept] = np.arange(int(kept.sum()))
    tail = new_index[np.asarray(e_tail, dtype=np.int64)]
    head = new_index[np.asarray(e_head, dtype=np.int64)]
    time_s = np.asarray(e_time, dtype=np.float64)
    chosen = keep_fastest_parallel(tail, head, time_s)
    starts = np.asarray(offsets[:-1], dtype=np.int64)[chosen]
    ends = np.asarray(offsets[1:], dtype=np.int64)[chosen]
    counts = ends - starts
    geometry_offset = np.zeros(len(chosen) + 1, dtype=np.int64)
    np.cumsum(counts, out=geometry_offset[1:])
    # Gather the inner points of the chosen edges, in edge order.
    points = np.repeat(starts - geometry_offset[:-1], counts) + np.arange(int(counts.sum()))
    all_lat = np.asarray(g_lat, dtype=np.float64)
    all_lon = np.asarray(g_lon, dtype=np.float64)
    return SimpleNetwork(
        osm_ids=raw.osm_ids[kept],
        lat=raw.lat[kept],
        lon=raw.lon[kept],
        tail=tail[chosen],
        head=head[chosen],
        time_s=time_s[chosen],
        length_m=np.asarray(e_length, dtype=np.float64)[chosen],
        geometry_offset=geometry_offset,
        geometry_lat=all_lat[points],
        geometry_lon=all_lon[points],
    )
