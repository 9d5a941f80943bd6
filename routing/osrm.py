"""Routing and matching with an OSRM server (osrm-routed's HTTP API).

:class:`OsrmRouter` offers the public API of :class:`routing.Router` (``graph``,
``max_snap_m``, ``snap``, ``route``, ``travel_time``, ``match``, ``match_many``), so
that a site can use either. It keeps the region's :class:`RoadGraph`: points are
snapped to the graph's nodes exactly as the built-in router snaps them (the search
index's cells, the gazetteer and the stops all speak of graph nodes), and OSRM is
asked for times, lengths and geometries between those nodes' coordinates.

- :meth:`OsrmRouter.route` is one request to the ``route`` service through every stop
  (``continue_straight=false``: each leg is the fastest path on its own, as the
  built-in router's legs and the ``table`` service's times are). ``Route.coords`` is
  OSRM's geometry. ``Route.nodes`` are the graph nodes that geometry passes through
  (its points and the graph's intersections are the same OpenStreetMap nodes, so a
  point within a metre of a node is that node; the other points are bends of a road)
  and ``Route.node_time_s`` the time OSRM reaches each, from its per-segment
  durations scaled so that every leg ends at its OSRM leg time (the per-segment
  durations leave out turn penalties). The first node is the origin's stop and the
  last the destination's. Where the two profiles open different roads, two
  consecutive nodes need not be joined by one edge of the graph, but every node lies
  on the road OSRM drives and the times follow the trip's own clock: what
  :func:`routing.route_cells` (and the corridor code, which reads ``coords``) needs.
- :meth:`OsrmRouter.match_many` asks the ``table`` service for the times from every
  leg's start to the pickup and the drop-off, and from those two to every leg's end
  (two thin tables: for a search's thousand candidates, two thousand times each, not
  a million between every stop), fed to the built-in router's insertion rule, so
  detours are computed exactly as :class:`routing.Router` computes them, with OSRM's
  times. A table larger than the server takes (osrm-routed's ``--max-table-size``:
  at most its square of times a request), or that would make a request longer than
  8 KB, is asked in parts, four requests at a time.

:func:`routing.detour_cells` still explores the graph's own times around each leg:
where OSRM's times differ from the graph's a lot, the search index may list a few
cells more or fewer than OSRM's detours would.

Only the standard library speaks HTTP here. A server that cannot be reached, is too
slow or answers something unusable raises :class:`RouterUnavailable`; OSRM's
``NoRoute`` raises :class:`NoRouteError`.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from numbers import Real
from typing import Any, Final, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import NoRouteError, PointOutOfAreaError, RouterUnavailable
from .graph import DEFAULT_MAX_SNAP_M, LatLon, RoadGraph, check_point
from .matching import (
    BatchMatching,
    Insertions,
    Legs,
    LegsBatch,
    LegTimes,
    Match,
    check_detour_limits,
    insert_all,
)
from .router import Route

__all__ = ["DEFAULT_OSRM_MAX_TABLE_SIZE", "DEFAULT_OSRM_TIMEOUT_S", "OsrmRouter"]

#: Seconds to wait for an answer from the server.
DEFAULT_OSRM_TIMEOUT_S: Final[float] = 10.0
#: osrm-routed's own default ``--max-table-size``: a ``table`` request may ask for at
#: most its square of times (sources × destinations), else the server answers TooBig.
DEFAULT_OSRM_MAX_TABLE_SIZE: Final[int] = 100
#: The longest request sent, in bytes: a reverse proxy's usual limit of a request line
#: (nginx: 8 KB), under osrm-routed's own (its default --max-header-size, about
#: 24 KB: 1,100 coordinates of Monaco were answered, 1,200 were not).
_LONGEST_REQUEST: Final[int] = 8_000
#: Requests of a search sent to the server at once, at most: a busy search's table
#: in parts, a dozen or more, would otherwise wait for each answer in turn.
_AT_ONCE: Final[int] = 4
_INF: Final[float] = float("inf")


class _TablePart(NamedTuple):
    """One request for a part of a table: its sources and targets, the nodes it
    names (sources and targets, each once) and its address."""

    sources: Sequence[int]
    targets: Sequence[int]
    nodes: list[int]
    address: str


#: OSRM's coordinates have 6 decimals (11 cm): a point this close to a node is the node.
_SAME_NODE_M: Final[float] = 1.0


class OsrmRouter(BatchMatching):
    """Routes and matches with an OSRM server, snapping on a :class:`RoadGraph`.

    Parameters
    ----------
    graph : RoadGraph
        The region's graph, built from the extract the server's data was prepared from.
    url : str
        The server's base address, such as ``http://127.0.0.1:5001``.
    max_snap_m : float, optional
        Points farther than this from every road are refused.
    timeout_s : float, optional
        Seconds to wait for each answer.
    profile : str, optional
        The profile name in the request's path (osrm-routed serves one profile, whatever
        the name).
    max_table_size : int, optional
        The server's ``--max-table-size``: larger tables are asked in parts.

    Raises
    ------
    ValueError
        For an address that is not http(s), or a timeout or a table size that is not a
        positive number.

    Examples
    --------
    Points are snapped on the graph, without the server; a request to a server that
    does not answer raises :class:`RouterUnavailable`:

    >>> from routing import build_graph
    >>> router = OsrmRouter(build_graph(monaco_pbf), "http://127.0.0.1:9", timeout_s=2)
    >>> router.snap((43.7311, 7.4197)) == router.graph.snap((43.7311, 7.4197))
    True
    >>> router.route((43.7311, 7.4197), (43.7476, 7.4336))
    Traceback (most recent call last):
    ...
    routing.errors.RouterUnavailable: the routing server at http://127.0.0.1:9 is unavailable: ...
    >>> OsrmRouter(router.graph, "ftp://example.org")
    Traceback (most recent call last):
    ...
    ValueError: the OSRM address must be http:// or https://, not 'ftp://example.org'
    """

    def __init__(
        self,
        graph: RoadGraph,
        url: str,
        *,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        timeout_s: float = DEFAULT_OSRM_TIMEOUT_S,
        profile: str = "driving",
        max_table_size: int = DEFAULT_OSRM_MAX_TABLE_SIZE,
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"the OSRM address must be http:// or https://, not {url!r}")
        if isinstance(timeout_s, bool) or not (isinstance(timeout_s, Real) and timeout_s > 0):
            raise ValueError(f"timeout_s must be a positive number of seconds, not {timeout_s!r}")
        if isinstance(max_table_size, bool) or not (isinstance(max_table_size, int) and max_table_size > 1):
            raise ValueError(f"max_table_size must be a whole number above 1, not {max_table_size!r}")
        self.graph: RoadGraph = graph
        self.url: str = url.rstrip("/")
        self.max_snap_m: float = max_snap_m
        self.timeout_s: float = float(timeout_s)
        self.profile: str = profile
        self.max_table_size: int = max_table_size

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
            OSRM's times, lengths and geometry between the snapped stops.

        Raises
        ------
        InvalidPointError
            For impossible coordinates.
        PointOutOfAreaError
            For a point too far from every road of the region.
        NoRouteError
            If no road joins two consecutive stops.
        RouterUnavailable
            If the server cannot be reached or gives no usable answer.
        """
        points = tuple(check_point(p) for p in (origin, *via, destination))
        stops = tuple(self.snap(p) for p in points)
        answer = self._request(
            "route",
            stops,
            {
                "overview": "full",
                "geometries": "geojson",
                "annotations": "duration,distance",
                "steps": "false",
                "continue_straight": "false",
            },
        )
        try:
            found = answer["routes"][0]
            legs = found["legs"]
            coords = [(float(lat), float(lon)) for lon, lat in found["geometry"]["coordinates"]]
            leg_times = tuple(float(leg["duration"]) for leg in legs)
            leg_lengths = tuple(float(leg["distance"]) for leg in legs)
            segment_times = [_segment_times(leg) for leg in legs]
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise RouterUnavailable(self.url, f"unexpected route answer ({error!r})") from error
        if len(legs) != len(stops) - 1 or len(coords) != 1 + sum(len(t) for t in segment_times):
            raise RouterUnavailable(self.url, "the route's legs do not match its stops and geometry")
        nodes, node_times = self._nodes_along(coords, _times_at_points(segment_times), stops)
        return Route(
            time_s=math.fsum(leg_times),
            length_m=math.fsum(leg_lengths),
            coords=coords,
            nodes=nodes,
            node_time_s=node_times,
            stops=stops,
            points=points,
            leg_time_s=leg_times,
            leg_length_m=leg_lengths,
        )

    def travel_time(self, source: LatLon, target: LatLon) -> float:
        """Fastest travel time in seconds between two points (snapped); infinite when
        no road joins them.

        Raises
        ------
        InvalidPointError, PointOutOfAreaError
            For a point that cannot be placed on the region's roads.
        RouterUnavailable
            If the server cannot be reached or gives no usable answer.
        """
        s, t = self.snap(source), self.snap(target)
        times, _ = self._table([s], [t])
        return times[s][t]

    def match(
        self, route: Route | Legs, pickup: LatLon, dropoff: LatLon, *, max_detour_s: float
    ) -> Match | None:
        """Whether the driver of ``route`` can take a passenger from ``pickup`` to
        ``dropoff`` with a detour of at most ``max_detour_s`` seconds (the rule of
        :meth:`routing.Router.match`, with OSRM's times).

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
        RouterUnavailable
            If the server cannot be reached or gives no usable answer.
        """
        return self.match_many([route], pickup, dropoff, max_detour_s=max_detour_s)[0]

    def insert_batch(
        self, batch: LegsBatch, pickup: LatLon, dropoff: LatLon, *, max_detour_s: float | ArrayLike
    ) -> Insertions:
        """:meth:`match_many` for trips given end to end, each with its own limit, as
        arrays (see :meth:`routing.Router.insert_batch`), with two thin tables (see
        the module's text).

        Raises
        ------
        InvalidPointError, PointOutOfAreaError
            For a pickup or drop-off that cannot be placed on the road network.
        ValueError
            For a limit that is negative or not a number, or not one per trip.
        RouterUnavailable
            If the server cannot be reached or gives no usable answer.
        """
        limits = check_detour_limits(max_detour_s, len(batch))
        a, b = self.snap(pickup), self.snap(dropoff)
        if not len(batch):
            return insert_all(batch, LegTimes.of_no_leg(), a, b, max_detour_s=limits)
        starts = batch.leg_starts()
        leg_from, leg_to = batch.stops[starts].tolist(), batch.stops[starts + 1].tolist()
        # Only the times to and from the passenger's two points (a to b among them).
        (towards, towards_length), (away, away_length) = self._tables(
            (sorted(set(leg_from) | {a}), [a, b]), ([a, b], sorted(set(leg_to)))
        )

        def column(table: dict[int, dict[int, float]], ends: list[int], p: int) -> NDArray[np.float64]:
            return np.array([table[s][p] for s in ends], dtype=np.float64)

        def row(table: dict[int, dict[int, float]], p: int, ends: list[int]) -> NDArray[np.float64]:
            return np.array([table[p][t] for t in ends], dtype=np.float64)

        leg_times = LegTimes(
            to_a=column(towards, leg_from, a),
            to_b=column(towards, leg_from, b),
            from_a=row(away, a, leg_to),
            from_b=row(away, b, leg_to),
            to_b_length_m=column(towards_length, leg_from, b),
            from_a_length_m=row(away_length, a, leg_to),
            a_to_b=(towards[a][b], towards_length[a][b]),
        )
        return insert_all(batch, leg_times, a, b, max_detour_s=limits)

    # -- the server ---------------------------------------------------------------

    def _table(
        self, sources: Sequence[int], targets: Sequence[int]
    ) -> tuple[dict[int, dict[int, float]], dict[int, dict[int, float]]]:
        """Times and lengths from every source node to every target node (infinite
        where no road joins them), as ``times[source][target]``."""
        return self._tables((sources, targets))[0]

    def _tables(
        self, *wanted: tuple[Sequence[int], Sequence[int]]
    ) -> list[tuple[dict[int, dict[int, float]], dict[int, dict[int, float]]]]:
        """:meth:`_table` of each (sources, targets), their requests sent at once
        (:meth:`_answers`): each table in one request, or in parts where the server
        would refuse it whole (:meth:`_parts`)."""
        parts = [self._parts(sources, targets) for sources, targets in wanted]
        answers = iter(self._answers([part for table in parts for part in table]))
        tables = []
        for (sources, _), table in zip(wanted, parts, strict=True):
            times: dict[int, dict[int, float]] = {s: {} for s in sources}
            lengths: dict[int, dict[int, float]] = {s: {} for s in sources}
            for part in table:
                part_times, part_lengths = self._table_answer(next(answers), part.sources, part.targets)
                for s, values in part_times.items():
                    times[s].update(values)
                    lengths[s].update(part_lengths[s])
            tables.append((times, lengths))
        return tables

    def _parts(self, sources: Sequence[int], targets: Sequence[int]) -> list[_TablePart]:
        """The requests that ask for the table from ``sources`` to ``targets``: one,
        or the longer list in halves, again and again, where the server would refuse
        it whole (more times than its table size allows, or too long a request)."""
        if len(sources) * len(targets) <= self.max_table_size**2:
            nodes = sorted(set(sources) | set(targets))
            index = {node: i for i, node in enumerate(nodes)}
            if len(nodes) == 1:
                nodes *= 2  # OSRM asks for two coordinates at least
            options = {
                "sources": ";".join(str(index[s]) for s in sources),
                "destinations": ";".join(str(index[t]) for t in targets),
                "annotations": "duration,distance",
            }
            address = self._address("table", nodes, options)
            if len(address) <= _LONGEST_REQUEST or len(sources) == len(targets) == 1:
                return [_TablePart(sources, targets, nodes, address)]
        by_sources = len(sources) >= len(targets)
        longer = sources if by_sources else targets
        halves = (longer[: len(longer) // 2], longer[len(longer) // 2 :])
        return [
            part
            for half in halves
            for part in (self._parts(half, targets) if by_sources else self._parts(sources, half))
        ]

    def _answers(self, parts: Sequence[_TablePart]) -> list[dict[str, Any]]:
        """The server's answers to the ``parts``, in their order: asked
        :data:`_AT_ONCE` at a time, as a busy search's dozen parts asked one after
        another would wait for each in turn."""
        if len(parts) == 1:
            return [self._answer("table", parts[0].nodes, parts[0].address)]
        with ThreadPoolExecutor(max_workers=min(len(parts), _AT_ONCE)) as pool:
            return list(pool.map(lambda part: self._answer("table", part.nodes, part.address), parts))

    def _table_answer(
        self, answer: dict[str, Any], sources: Sequence[int], targets: Sequence[int]
    ) -> tuple[dict[int, dict[int, float]], dict[int, dict[int, float]]]:
        """The times and lengths of a ``table`` answer, as :meth:`_table` gives them."""
        try:
            times = _matrix(answer["durations"], sources, targets)
            lengths = _matrix(answer["distances"], sources, targets)
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise RouterUnavailable(self.url, f"unexpected table answer ({error!r})") from error
        return times, lengths

    def _request(self, service: str, nodes: Sequence[int], options: dict[str, str]) -> dict[str, Any]:
        """OSRM's answer to ``service`` for the coordinates of ``nodes``.

        Raises
        ------
        NoRouteError
            For OSRM's ``NoRoute``.
        RouterUnavailable
            For anything else that is not ``Ok``.
        """
        return self._answer(service, nodes, self._address(service, nodes, options))

    def _address(self, service: str, nodes: Sequence[int], options: dict[str, str]) -> str:
        """The request's address, the separators of its options unescaped (a table's
        list of sources is then a third as long)."""
        places = ";".join(f"{lon:.7f},{lat:.7f}" for lat, lon in map(self.graph.node_latlon, nodes))
        return f"{self.url}/{service}/v1/{self.profile}/{places}?{urllib.parse.urlencode(options, safe=';,')}"

    def _answer(self, service: str, nodes: Sequence[int], address: str) -> dict[str, Any]:
        """:meth:`_request` of a request's ``address``."""
        try:
            with urllib.request.urlopen(address, timeout=self.timeout_s) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            # OSRM explains its refusals (400) in a JSON body.
            body = error.read()
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise RouterUnavailable(self.url, str(reason)) from error
        try:
            answer: dict[str, Any] = json.loads(body)
        except ValueError as error:
            raise RouterUnavailable(self.url, f"not a JSON answer to {service}") from error
        code = answer.get("code") if isinstance(answer, dict) else None
        if code == "NoRoute":
            raise NoRouteError(f"no road joins nodes {list(nodes)} (OSRM: {answer.get('message', '')})")
        if code != "Ok":
            message = answer.get("message", "") if isinstance(answer, dict) else ""
            raise RouterUnavailable(self.url, f"{service} answered {code!r}: {message}")
        return answer

    def _nodes_along(
        self, coords: list[LatLon], times: list[float], stops: tuple[int, ...]
    ) -> tuple[list[int], list[float]]:
        """The graph nodes the geometry passes through, with the time OSRM reaches
        them; starting at the first stop and ending at the last.

        The geometry's points are OpenStreetMap nodes, and so are the graph's
        intersections: a point within a metre of a graph node is that node. The
        other points (bends of a road) are not nodes of the graph.
        """
        nodes, node_times = [stops[0]], [0.0]
        for point, time_s in zip(coords, times, strict=True):
            try:
                node = self.graph.snap(point, max_distance_m=_SAME_NODE_M)
            except PointOutOfAreaError:
                continue  # a bend of the road
            if node != nodes[-1]:
                nodes.append(node)
                node_times.append(time_s)
        if nodes[-1] != stops[-1]:
            nodes.append(stops[-1])
            node_times.append(times[-1])
        else:
            node_times[-1] = times[-1]  # the arrival, not the first point near it
        return nodes, node_times


def _segment_times(leg: dict[str, Any]) -> list[float]:
    """Time of each segment of a leg's geometry, scaled so that they add up to the
    leg's time (OSRM's per-segment durations leave out turn penalties)."""
    annotation = leg["annotation"]
    durations = [float(d) for d in annotation["duration"]]
    total, leg_time = math.fsum(durations), float(leg["duration"])
    if total > 0:
        return [d * leg_time / total for d in durations]
    # A leg of zero-duration segments: share its time by distance, else evenly.
    distances = [float(d) for d in annotation["distance"]]
    length = math.fsum(distances)
    if length > 0:
        return [d * leg_time / length for d in distances]
    return [leg_time / len(durations) for _ in durations] if durations else []


def _times_at_points(segment_times: list[list[float]]) -> list[float]:
    """Time from the start at each point of the whole geometry."""
    times, clock = [0.0], 0.0
    for leg in segment_times:
        for t in leg:
            clock += t
            times.append(clock)
    return times


def _matrix(
    rows: list[list[float | None]], sources: Sequence[int], targets: Sequence[int]
) -> dict[int, dict[int, float]]:
    """``rows[i][j]`` as ``{source: {target: value}}``, None (unreachable) as infinity."""
    return {
        s: {t: _INF if value is None else float(value) for t, value in zip(targets, row, strict=True)}
        for s, row in zip(sources, rows, strict=True)
    }
