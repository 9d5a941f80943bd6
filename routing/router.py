"""Fast exact routing and en-route matching on a contraction hierarchy.

Every query here is built from *search spaces*: the nodes an upward search settles from
a node (forward) or towards it (backward), with their times. The fastest time from
``s`` to ``t`` is the best sum over the nodes the forward space of ``s`` and the
backward space of ``t`` share (that is the CH query), and a space is cached per node,
so the spaces computed for a trip's stops when it is routed serve again each time a
passenger's request is matched against it.

Matching follows Geisberger, Luxen, Neubauer, Sanders and Volker, "Fast Detour
Computation for Ride Sharing" (2010): the four spaces of the request (to and from the
pickup, to and from the drop-off) are spread into dense arrays once, and the times
between every candidate trip's stops and the request points are then read for all
trips at once with array operations.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .ch import SearchSpace
from .errors import NoRouteError
from .graph import DEFAULT_MAX_SNAP_M, LatLon, RoadGraph, check_point
from .matching import (
    BatchMatching,
    Insertions,
    Legs,
    LegsBatch,
    LegTimes,
    Match,
    check_detour_limits,
    first_reaching,
    insert_all,
)
from .spaces import Gathered, SpaceTable

__all__ = ["Legs", "LegsBatch", "Match", "Route", "Router"]

_INF: Final[float] = float("inf")
#: Search spaces kept in memory (a few kB each).
DEFAULT_SPACE_CACHE: Final[int] = 20_000

_Adjacency = list[tuple[tuple[int, float, int], ...]]


@dataclass(frozen=True, eq=False)
class Route:
    """The fastest route through a sequence of stops.

    Attributes
    ----------
    time_s, length_m : float
        Total travel time and length.
    coords : list of (lat, lon)
        The road geometry, for drawing and corridors.
    nodes : list of int
        Graph nodes in driving order.
    node_time_s : list of float
        Time from the start at each of ``nodes``.
    stops : tuple of int
        Snapped nodes of the origin, the via points and the destination.
    points : tuple of (lat, lon)
        The points asked for, in the same order.
    leg_time_s, leg_length_m : tuple of float
        Time and length between consecutive stops.
    """

    time_s: float
    length_m: float
    coords: list[LatLon] = field(repr=False)
    nodes: list[int] = field(repr=False)
    node_time_s: list[float] = field(repr=False)
    stops: tuple[int, ...]
    points: tuple[LatLon, ...]
    leg_time_s: tuple[float, ...]
    leg_length_m: tuple[float, ...]


class Router(BatchMatching):
    """Routes and matches on a :class:`RoadGraph`.

    Parameters
    ----------
    graph : RoadGraph
    max_snap_m : float, optional
        Points farther than this from every road are refused.
    space_cache_size : int, optional
        How many search spaces to keep (each a few kB).
    spaces : SpaceTable, optional
        Every node's spaces, precomputed (:func:`routing.spaces.precompute_spaces`):
        read from it instead of searched and cached.

    Raises
    ------
    ValueError
        For a cache smaller than 1, or spaces computed on another graph.

    Examples
    --------
    >>> from routing import build_graph
    >>> router = Router(build_graph(monaco_pbf))
    >>> r = router.route((43.7311, 7.4197), (43.7476, 7.4336))
    >>> 2000 < r.length_m < 4000 and 120 < r.time_s < 600
    True
    >>> m = router.match(r, pickup=(43.7355, 7.4210), dropoff=(43.7440, 7.4300), max_detour_s=600)
    >>> m is not None and m.pickup_offset_s < m.dropoff_offset_s
    True
    """

    def __init__(
        self,
        graph: RoadGraph,
        *,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        space_cache_size: int = DEFAULT_SPACE_CACHE,
        spaces: SpaceTable | None = None,
    ) -> None:
        if space_cache_size < 1:
            raise ValueError(f"space_cache_size must be at least 1, not {space_cache_size!r}")
        if spaces is not None and spaces.fingerprint != graph.fingerprint:
            raise ValueError("these search spaces were computed on another road graph")
        self._table = spaces
        self.graph = graph
        self.max_snap_m = max_snap_m
        self._space_cache_size = space_cache_size
        self._spaces: OrderedDict[tuple[int, bool], SearchSpace] = OrderedDict()
        self._lock = threading.Lock()
        self._scratch = threading.local()
        h = graph.hierarchy
        self._edge_tail = h.tail
        self._edge_head = h.head

    # Built on the first upward search only: with a table of every node's spaces, a
    # web worker never searches, and these Python lists would cost it about 100 MB
    # of the Porto graph's (and copies in every forked worker once touched).
    @cached_property
    def _up(self) -> _Adjacency:
        h = self.graph.hierarchy
        return _adjacency(h.up_offset, h.up_edge, h.head, h.time_s)

    @cached_property
    def _down(self) -> _Adjacency:
        h = self.graph.hierarchy
        return _adjacency(h.down_offset, h.down_edge, h.tail, h.time_s)

    @cached_property
    def _edge_length(self) -> list[float]:
        lengths: list[float] = self.graph.hierarchy.length_m.tolist()
        return lengths

    # -- public API ---------------------------------------------------------------

    def snap(self, point: LatLon) -> int:
        """The routable node nearest to ``point`` (see :meth:`RoadGraph.snap`)."""
        return self.graph.snap(point, max_distance_m=self.max_snap_m)

    def route(self, origin: LatLon, destination: LatLon, *, via: Sequence[LatLon] = ()) -> Route:
        """The fastest route from ``origin`` through ``via`` (in order) to ``destination``.

        Parameters
        ----------
        origin, destination : (float, float)
            (lat, lon) in degrees.
        via : sequence of (float, float), optional
            Stopovers, visited in the given order.

        Returns
        -------
        Route

        Raises
        ------
        InvalidPointError
            For impossible coordinates.
        PointOutOfAreaError
            For a point too far from every road of the region.
        NoRouteError
            If no road joins two consecutive stops.
        """
        points = tuple(check_point(p) for p in (origin, *via, destination))
        stops = tuple(self.snap(p) for p in points)
        edges: list[int] = []
        leg_times: list[float] = []
        leg_lengths: list[float] = []
        for s, t in itertools.pairwise(stops):
            time_s, length_m, leg_edges = self._shortest_path(s, t)
            leg_times.append(time_s)
            leg_lengths.append(length_m)
            edges.extend(leg_edges)
        nodes, node_times, coords = self._trace(stops[0], edges)
        return Route(
            time_s=math.fsum(leg_times),
            length_m=math.fsum(leg_lengths),
            coords=coords,
            nodes=nodes,
            node_time_s=node_times,
            stops=stops,
            points=points,
            leg_time_s=tuple(leg_times),
            leg_length_m=tuple(leg_lengths),
        )

    def travel_time(self, source: LatLon, target: LatLon) -> float:
        """Fastest travel time in seconds between two points (snapped)."""
        s, t = self.snap(source), self.snap(target)
        return self._meet(self._space(s, True), self._space(t, False))[0]

    def match(
        self, route: Route | Legs, pickup: LatLon, dropoff: LatLon, *, max_detour_s: float
    ) -> Match | None:
        """Whether the driver of ``route`` can take a passenger from ``pickup`` to
        ``dropoff`` with a detour of at most ``max_detour_s`` seconds.

        The pickup is inserted before the drop-off, each where the detour is smallest,
        and the driver's stops keep their order:
        ``detour = τ(O,A) + τ(A,B) + τ(B,D) − τ(O,D)`` for a trip without stopovers,
        τ being the fastest time.

        Returns
        -------
        Match or None
            None when the smallest detour is larger than ``max_detour_s``.

        Raises
        ------
        InvalidPointError, PointOutOfAreaError
            For a pickup or drop-off that cannot be placed on the road network.
        ValueError
            If ``max_detour_s`` is negative or not a number.
        """
        return self.match_many([route], pickup, dropoff, max_detour_s=max_detour_s)[0]

    def insert_batch(
        self, batch: LegsBatch, pickup: LatLon, dropoff: LatLon, *, max_detour_s: float | ArrayLike
    ) -> Insertions:
        """:meth:`match_many` for trips given end to end (a search reads thousands from
        a database at once, :meth:`LegsBatch.unpack`), each with its own limit, as
        arrays (:class:`Insertions`): a search ranks them all and makes the
        :class:`Match` of the few it shows.

        Parameters
        ----------
        batch : LegsBatch
        pickup, dropoff : (float, float)
        max_detour_s : float or array of float
            One limit for every trip, or one each.

        Returns
        -------
        Insertions
            One entry per trip, in the batch's order.

        Raises
        ------
        InvalidPointError, PointOutOfAreaError
            For a pickup or drop-off that cannot be placed on the road network.
        ValueError
            For a limit that is negative or not a number, or not one per trip.
        """
        limits = check_detour_limits(max_detour_s, len(batch))
        a, b = self.snap(pickup), self.snap(dropoff)
        times = self._leg_times(batch, a, b) if len(batch) else LegTimes.of_no_leg()
        return insert_all(batch, times, a, b, max_detour_s=limits)

    def _leg_times(self, batch: LegsBatch, a: int, b: int) -> LegTimes:
        """The times between every leg's ends and ``a`` and ``b``: the request's four
        spaces against the spaces of the distinct stops only."""
        starts = batch.leg_starts()
        sources, at_source = np.unique(batch.stops[starts], return_inverse=True)
        targets, at_target = np.unique(batch.stops[starts + 1], return_inverse=True)
        # Only the lengths with the passenger on board are wanted: to b, from a.
        (to_a, _), (to_b, to_b_length) = self._many(
            sources, (a, b), sources_forward=True, lengths=(False, True)
        )
        (from_a, from_a_length), (from_b, _) = self._many(
            targets, (a, b), sources_forward=False, lengths=(True, False)
        )
        assert to_b_length is not None and from_a_length is not None
        a_to_b = self._meet(self._space(a, True), self._space(b, False))
        return LegTimes(
            to_a=to_a[at_source],
            to_b=to_b[at_source],
            from_a=from_a[at_target],
            from_b=from_b[at_target],
            to_b_length_m=to_b_length[at_source],
            from_a_length_m=from_a_length[at_target],
            a_to_b=(a_to_b[0], a_to_b[1]),
        )

    # -- search spaces --------------------------------------------------------------

    def _space(self, node: int, forward: bool) -> SearchSpace:
        if self._table is not None:
            return self._table.space(node, forward)
        key = (node, forward)
        with self._lock:
            space = self._spaces.get(key)
            if space is not None:
                self._spaces.move_to_end(key)
                return space
        space = self._upward_search(node, forward)
        with self._lock:
            self._spaces[key] = space
            while len(self._spaces) > self._space_cache_size:
                self._spaces.popitem(last=False)
        return space

    def _upward_search(self, source: int, forward: bool) -> SearchSpace:
        """Every node an upward search from ``source`` settles without being stalled.

        Forward searches follow edges leaving a node towards more important nodes;
        backward searches follow edges entering it from more important nodes. Stall on
        demand: a node reached more cheaply through a more important neighbour is not
        on a shortest upward path, so it is neither expanded nor kept.
        """
        climb, stall = (self._up, self._down) if forward else (self._down, self._up)
        dist: dict[int, float] = {source: 0.0}
        parent: dict[int, int] = {source: -1}
        heap = [(0.0, source)]
        nodes: list[int] = []
        # The hottest loop of the library: local names, for/else instead of any().
        get, pop, push = dist.get, heapq.heappop, heapq.heappush
        while heap:
            d, v = pop(heap)
            if d > dist[v]:
                continue
            for u, t, _ in stall[v]:
                if get(u, _INF) + t < d:
                    break  # stalled
            else:
                nodes.append(v)
                for w, t, k in climb[v]:
                    nd = d + t
                    if nd < get(w, _INF):
                        dist[w] = nd
                        parent[w] = k
                        push(heap, (nd, w))
        return self._space_from(nodes, dist, parent, forward)

    def _space_from(
        self, nodes: list[int], dist: dict[int, float], parent: dict[int, int], forward: bool
    ) -> SearchSpace:
        """Pack a search into sorted arrays; lengths follow the parent edges, in the
        order the nodes were settled (a parent is always settled before its child)."""
        parents = [parent[v] for v in nodes]
        came_from = (self._edge_tail if forward else self._edge_head)[np.asarray(parents[1:], dtype=np.int64)]
        length = {nodes[0]: 0.0}
        edge_length = self._edge_length
        for v, k, u in zip(nodes[1:], parents[1:], came_from.tolist(), strict=True):
            length[v] = length[u] + edge_length[k]
        ids = np.asarray(nodes, dtype=np.int32)
        order = np.argsort(ids, kind="stable")
        return SearchSpace(
            nodes=ids[order],
            time_s=np.asarray([dist[v] for v in nodes], dtype=np.float64)[order],
            length_m=np.asarray([length[v] for v in nodes], dtype=np.float32)[order],
            parent_edge=np.asarray(parents, dtype=np.int32)[order],
        )

    def _meet(self, forward: SearchSpace, backward: SearchSpace) -> tuple[float, float, int]:
        """(time, length, meeting node) of the fastest path joining two spaces."""
        common, i, j = np.intersect1d(forward.nodes, backward.nodes, assume_unique=True, return_indices=True)
        if len(common) == 0:
            return _INF, _INF, -1
        totals = forward.time_s[i] + backward.time_s[j]
        best = int(np.argmin(totals))
        length = float(forward.length_m[i[best]]) + float(backward.length_m[j[best]])
        return float(totals[best]), length, int(common[best])

    def _shortest_path(self, s: int, t: int) -> tuple[float, float, list[int]]:
        """Time, length and original edge ids of the fastest path from s to t (its
        length summed over its road edges: the spaces keep lengths to the centimetre)."""
        if s == t:
            return 0.0, 0.0, []
        forward, backward = self._space(s, True), self._space(t, False)
        time_s, _, meet = self._meet(forward, backward)
        if meet < 0:
            raise NoRouteError(f"no road joins node {s} to node {t}")
        up = _parent_chain(forward, meet, self.graph.hierarchy.tail)
        down = _parent_chain(backward, meet, self.graph.hierarchy.head)
        edges = self._unpack(np.asarray([*reversed(up), *down], dtype=np.int64))
        return time_s, math.fsum(self.graph.network.length_m[edges].tolist()), edges.tolist()

    def _unpack(self, edges: NDArray[np.int64]) -> NDArray[np.int64]:
        """The original edges of a path of hierarchy edges, in order: each shortcut
        replaced by the two edges it stands for, level after level, for the whole
        path at once (Python lists of the children would cost every process 14 MB
        for Porto)."""
        child_a, child_b = self.graph.hierarchy.child_a, self.graph.hierarchy.child_b
        while True:
            first = child_a[edges]
            shortcut = first >= 0
            if not shortcut.any():
                return edges
            count = np.where(shortcut, 2, 1)
            at = np.cumsum(count) - count
            unpacked = np.repeat(edges, count)
            unpacked[at[shortcut]] = first[shortcut]
            unpacked[at[shortcut] + 1] = child_b[edges[shortcut]]
            edges = unpacked

    def _trace(self, start: int, edges: list[int]) -> tuple[list[int], list[float], list[LatLon]]:
        """Nodes, times at nodes and drawing coordinates along original edges."""
        net = self.graph.network
        ids = np.asarray(edges, dtype=np.int64)
        heads = net.head[ids]
        times = np.concatenate(([0.0], np.cumsum(net.time_s[ids])))
        # Each edge contributes its inner geometry points, then its head node.
        first_inner = net.geometry_offset[ids]
        inner = net.geometry_offset[ids + 1] - first_inner
        block = inner + 1
        block_start = 1 + np.cumsum(block) - block
        lat = np.empty(1 + int(block.sum()))
        lon = np.empty_like(lat)
        lat[0], lon[0] = net.lat[start], net.lon[start]
        owner = np.repeat(np.arange(len(ids)), inner)
        rank_in_edge = np.arange(len(owner)) - np.repeat(np.cumsum(inner) - inner, inner)
        lat[block_start[owner] + rank_in_edge] = net.geometry_lat[first_inner[owner] + rank_in_edge]
        lon[block_start[owner] + rank_in_edge] = net.geometry_lon[first_inner[owner] + rank_in_edge]
        lat[block_start + inner] = net.lat[heads]
        lon[block_start + inner] = net.lon[heads]
        nodes = [start, *heads.tolist()]
        return nodes, times.tolist(), list(zip(lat.tolist(), lon.tolist(), strict=True))

    # -- matching --------------------------------------------------------------------

    @contextmanager
    def _dense(self, space: SearchSpace) -> Iterator[tuple[NDArray[np.float64], NDArray[np.float64]]]:
        """A search space as arrays over every node (infinite time, zero length where
        it does not reach), to be read by node. Each thread keeps its two arrays and
        only the space's entries are written, then put back: a search reads four
        spaces, and filling arrays of the whole graph would cost more than reading."""
        scratch = self._scratch
        if not hasattr(scratch, "time_s"):
            scratch.time_s = np.full(self.graph.node_count, _INF)
            scratch.length_m = np.zeros(self.graph.node_count)
        time_s, length_m = scratch.time_s, scratch.length_m
        time_s[space.nodes] = space.time_s
        length_m[space.nodes] = space.length_m
        try:
            yield time_s, length_m
        finally:
            time_s[space.nodes] = _INF
            length_m[space.nodes] = 0.0

    def _gathered(self, stops: NDArray[np.int64], forward: bool) -> Gathered:
        """The search spaces of ``stops``, end to end: from the table in one copy,
        else each from the cache or searched."""
        if self._table is not None:
            return self._table.gather(np.asarray(stops, dtype=np.int64), forward)
        spaces = [self._space(s, forward) for s in stops.tolist()]
        sizes = np.fromiter((len(sp.nodes) for sp in spaces), dtype=np.int64, count=len(spaces))
        starts = np.zeros(len(spaces), dtype=np.int64)
        np.cumsum(sizes[:-1], out=starts[1:])
        return Gathered(
            np.concatenate([sp.nodes for sp in spaces]),
            np.concatenate([sp.time_s for sp in spaces]),
            starts,
            sizes,
            np.arange(int(sizes.sum()), dtype=np.int64),
            np.concatenate([sp.length_m for sp in spaces]),
        )

    def _many(
        self,
        stops: NDArray[np.int64],
        points: tuple[int, ...],
        *,
        sources_forward: bool,
        lengths: tuple[bool, ...],
    ) -> list[tuple[NDArray[np.float64], NDArray[np.float64] | None]]:
        """For each point, the fastest times from every stop to it (``sources_forward``)
        or from it to every stop, in the order of ``stops``; with the lengths of those
        paths where ``lengths`` asks for them (a third of the work)."""
        gathered = self._gathered(stops, sources_forward)
        nodes, times, starts, sizes = gathered.nodes, gathered.time_s, gathered.starts, gathered.sizes
        results: list[tuple[NDArray[np.float64], NDArray[np.float64] | None]] = []
        for point, with_length in zip(points, lengths, strict=True):
            with self._dense(self._space(point, not sources_forward)) as (point_time, point_length):
                totals = times + point_time[nodes]
                best = np.minimum.reduceat(totals, starts)
                if not with_length:
                    results.append((best, None))
                    continue
                # The length of the path through the first node reaching the best total.
                first = first_reaching(totals, best, starts, sizes)
                results.append((best, gathered.length_m(first) + point_length[nodes[first]]))
        return results


def _adjacency(
    offset: NDArray[np.int64],
    edge: NDArray[np.int32],
    other_end: NDArray[np.int32],
    time_s: NDArray[np.float64],
) -> _Adjacency:
    """Per node, a tuple of (neighbour, time, edge id): the fastest form to iterate."""
    neighbours = other_end[edge].tolist()
    times = time_s[edge].tolist()
    ids = edge.tolist()
    bounds = offset.tolist()
    triples = list(zip(neighbours, times, ids, strict=True))
    return [tuple(triples[bounds[v] : bounds[v + 1]]) for v in range(len(bounds) - 1)]


def _parent_chain(space: SearchSpace, node: int, back_end: NDArray[np.int32]) -> list[int]:
    """Edge ids from the search's source to ``node``, starting at ``node``."""
    index = dict(zip(space.nodes.tolist(), space.parent_edge.tolist(), strict=True))
    chain = []
    edge = index[node]
    while edge >= 0:
        chain.append(edge)
        edge = index[int(back_end[edge])]
    return chain
