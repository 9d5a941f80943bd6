"""The road graph: building it from an OpenStreetMap extract, saving, loading, snapping.

Pipeline of :func:`build_graph`::

    read_osm                   drivable ways, one-ways, speeds, named places
    largest_strong_component   every node can reach every other
    contract_chains            degree-2 chains become edges with geometry
    contract_graph             contraction hierarchy for fast exact routing

A :class:`RoadGraph` keeps everything in numpy arrays (compact, quick to save and
load); :attr:`RoadGraph.nx` builds the equivalent :class:`networkx.DiGraph` on demand.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import zipfile
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from .ch import Hierarchy, contract_graph
from .distance import great_circle_m, to_unit_vectors, unit_vector
from .errors import GraphFileError, InvalidPointError, PointOutOfAreaError
from .osm import Place, read_osm
from .progress import ProgressCallback
from .simplify import DEFAULT_MAX_EDGE_M, SimpleNetwork, contract_chains, largest_strong_component

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["FORMAT_VERSION", "LatLon", "RoadGraph", "build_graph", "check_point", "load_graph"]

#: A point as (latitude, longitude) in decimal degrees, WGS84.
LatLon = tuple[float, float]

#: Bumped whenever the saved layout changes; older files are refused with a clear error.
FORMAT_VERSION: Final[int] = 1

#: Default limit for :meth:`RoadGraph.snap`: farther than this from any road node, a
#: point is taken to be outside the region.
DEFAULT_MAX_SNAP_M: Final[float] = 5_000.0

_NETWORK_FIELDS = (
    "osm_ids",
    "lat",
    "lon",
    "tail",
    "head",
    "time_s",
    "length_m",
    "geometry_offset",
    "geometry_lat",
    "geometry_lon",
)
_HIERARCHY_FIELDS = (
    "rank",
    "tail",
    "head",
    "time_s",
    "length_m",
    "child_a",
    "child_b",
    "up_offset",
    "up_edge",
    "down_offset",
    "down_edge",
)


def check_point(point: Any) -> LatLon:
    """Validate a (lat, lon) pair and return it as floats.

    Raises
    ------
    InvalidPointError
        If it is not two finite numbers with -90 <= lat <= 90 and -180 <= lon <= 180.

    Examples
    --------
    >>> check_point(("43.73", 7.42))
    (43.73, 7.42)
    """
    if isinstance(point, (str, bytes)):  # "12" would read as (1.0, 2.0)
        raise InvalidPointError(f"not a (latitude, longitude) pair: {point!r}")
    try:
        lat, lon = (float(x) for x in point)
    except (TypeError, ValueError, OverflowError) as error:
        raise InvalidPointError(f"not a (latitude, longitude) pair: {point!r}") from error
    if not (math.isfinite(lat) and math.isfinite(lon)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidPointError(f"impossible coordinates: latitude {lat}, longitude {lon}")
    return lat, lon


@dataclass
class RoadGraph:
    """A routable road network with its contraction hierarchy and named places.

    Attributes
    ----------
    network : SimpleNetwork
        Nodes (intersections and dead ends) and edges with travel times, lengths and
        drawing geometry.
    hierarchy : Hierarchy
        Preprocessing for :class:`routing.Router`.
    places : list of Place
        Named places of the extract, for the gazetteer.
    meta : dict
        Source file, counts and format version.
    """

    network: SimpleNetwork
    hierarchy: Hierarchy
    places: list[Place]
    meta: dict[str, Any]

    @property
    def node_count(self) -> int:
        return len(self.network.lat)

    @property
    def edge_count(self) -> int:
        return len(self.network.tail)

    @cached_property
    def fingerprint(self) -> str:
        """A short digest of the nodes and roads. Node ids and times kept from this
        graph (a trip's :class:`routing.Legs`) hold for another graph only if it has
        the same fingerprint: a new import renumbers nodes and changes times."""
        digest = hashlib.blake2b(digest_size=8)
        network = self.network
        for array in (network.lat, network.lon, network.tail, network.head, network.time_s):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    @cached_property
    def _kdtree(self) -> cKDTree:
        return cKDTree(to_unit_vectors(self.network.lat, self.network.lon))

    @cached_property
    def _edge_keys(self) -> NDArray[np.int64]:
        # Edges are sorted by (tail, head): a key search finds an edge in O(log m).
        return self.network.tail * self.node_count + self.network.head

    def snap(self, point: LatLon, *, max_distance_m: float = DEFAULT_MAX_SNAP_M) -> int:
        """The routable node nearest to a point (k-d tree, great-circle distance).

        Parameters
        ----------
        point : (float, float)
            Latitude and longitude in degrees.
        max_distance_m : float, optional
            Points farther than this from every node are outside the region.

        Returns
        -------
        int
            Node id in :attr:`nx`.

        Raises
        ------
        InvalidPointError
            For impossible coordinates.
        PointOutOfAreaError
            When no road node is within ``max_distance_m``.

        Examples
        --------
        >>> g = build_graph(monaco_pbf)
        >>> node = g.snap((43.7384, 7.4246))
        >>> g.nx.nodes[node]["lat"]  # doctest: +ELLIPSIS
        43.73...
        """
        lat, lon = check_point(point)
        chord, node = self._kdtree.query(unit_vector(lat, lon))
        distance = great_circle_m(float(chord))
        if distance > max_distance_m:
            raise PointOutOfAreaError((lat, lon), distance, max_distance_m)
        return int(node)

    def node_latlon(self, node: int) -> LatLon:
        """(lat, lon) of a node."""
        return float(self.network.lat[node]), float(self.network.lon[node])

    def edge_index(self, tail: int, head: int) -> int:
        """Index of the edge ``tail -> head`` in :attr:`network`.

        Raises
        ------
        KeyError
            If there is no such edge.
        """
        key = tail * self.node_count + head
        k = int(np.searchsorted(self._edge_keys, key))
        if k >= len(self._edge_keys) or self._edge_keys[k] != key:
            raise KeyError((tail, head))
        return k

    def edge_geometry(self, edge: int) -> list[LatLon]:
        """Points of an edge from its tail to its head, inner road points included."""
        net = self.network
        start, end = net.geometry_offset[edge], net.geometry_offset[edge + 1]
        inner = list(
            zip(net.geometry_lat[start:end].tolist(), net.geometry_lon[start:end].tolist(), strict=True)
        )
        return [self.node_latlon(int(net.tail[edge])), *inner, self.node_latlon(int(net.head[edge]))]

    @cached_property
    def nx(self) -> nx.DiGraph:
        """The graph as a :class:`networkx.DiGraph` (built on first use).

        Nodes carry ``lat``, ``lon`` and ``osm_id``; edges ``time_s`` and ``length_m``.
        """
        import networkx as nx  # only here: a web worker need not carry it (12 MB)

        net = self.network
        graph = nx.DiGraph(name=self.meta.get("source", "road graph"))
        graph.add_nodes_from(
            (i, {"lat": la, "lon": lo, "osm_id": oid})
            for i, (la, lo, oid) in enumerate(
                zip(net.lat.tolist(), net.lon.tolist(), net.osm_ids.tolist(), strict=True)
            )
        )
        graph.add_edges_from(
            (u, v, {"time_s": t, "length_m": length})
            for u, v, t, length in zip(
                net.tail.tolist(), net.head.tolist(), net.time_s.tolist(), net.length_m.tolist(), strict=True
            )
        )
        return graph

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the graph, its hierarchy and places to one file (numpy ``.npz``).

        Raises
        ------
        GraphFileError
            If the file cannot be written.
        """
        arrays: dict[str, Any] = {f"net_{name}": getattr(self.network, name) for name in _NETWORK_FIELDS}
        arrays.update({f"ch_{name}": getattr(self.hierarchy, name) for name in _HIERARCHY_FIELDS})
        arrays.update(_places_to_arrays(self.places))
        arrays["meta"] = np.array(json.dumps({**self.meta, "format_version": FORMAT_VERSION}))
        # Written beside the target then renamed over it: a server reading the old
        # graph never sees half a file. (np.savez would append ".npz" to a bare name.)
        target = os.fspath(path)
        partial = f"{target}.partial"
        try:
            with open(partial, "wb") as handle:
                np.savez(handle, **arrays)
            os.replace(partial, target)
        except OSError as error:
            raise GraphFileError(f"cannot write road graph {target}: {error}") from error


def _places_to_arrays(places: list[Place]) -> dict[str, NDArray[Any]]:
    return {
        "place_name": np.array([p.name for p in places], dtype=str),
        "place_kind": np.array([p.kind for p in places], dtype=str),
        "place_lat": np.array([p.lat for p in places], dtype=np.float64),
        "place_lon": np.array([p.lon for p in places], dtype=np.float64),
        "place_osm_id": np.array([p.osm_id for p in places], dtype=np.int64),
        "place_population": np.array(
            [-1 if p.population is None else p.population for p in places], dtype=np.int64
        ),
    }


def _places_from_arrays(data: Any) -> list[Place]:
    return [
        Place(
            name=str(name),
            kind=str(kind),
            lat=float(lat),
            lon=float(lon),
            osm_id=int(oid),
            population=None if pop < 0 else int(pop),
        )
        for name, kind, lat, lon, oid, pop in zip(
            data["place_name"],
            data["place_kind"],
            data["place_lat"],
            data["place_lon"],
            data["place_osm_id"],
            data["place_population"],
            strict=True,
        )
    ]


def load_graph(path: str | os.PathLike[str]) -> RoadGraph:
    """Load a graph written by :meth:`RoadGraph.save`.

    Raises
    ------
    GraphFileError
        If the file is missing, damaged, or of another format version.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "monaco.graph")
    >>> build_graph(monaco_pbf).save(path)
    >>> load_graph(path).node_count > 1000
    True
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
                raise GraphFileError(
                    f"{os.fspath(path)} is not a road graph of format {FORMAT_VERSION}, "
                    "the one this version reads: import the extract again"
                )
            network = SimpleNetwork(**{name: data[f"net_{name}"] for name in _NETWORK_FIELDS})
            hierarchy = Hierarchy(**{name: data[f"ch_{name}"] for name in _HIERARCHY_FIELDS})
            places = _places_from_arrays(data)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise GraphFileError(f"cannot read road graph {os.fspath(path)}: {error}") from error
    return RoadGraph(network=network, hierarchy=hierarchy, places=places, meta=meta)


def build_graph(
    path: str | os.PathLike[str],
    *,
    progress: ProgressCallback | None = None,
    max_edge_m: float = DEFAULT_MAX_EDGE_M,
) -> RoadGraph:
    """Build a routable graph from an OpenStreetMap extract.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf``, ``.osm`` or ``.osm.bz2`` file.
    progress : callable, optional
        ``progress(stage, done, total)`` with stages ``"reading"`` and
        ``"contracting"``; total is None when not known.
    max_edge_m : float, optional
        Merged road chains are cut about every ``max_edge_m`` metres, so that every
        point of a road is near a node to snap to.

    Returns
    -------
    RoadGraph

    Raises
    ------
    GraphFileError
        If the file cannot be read.
    EmptyGraphError
        If it holds no drivable road.

    Examples
    --------
    >>> g = build_graph(monaco_pbf)
    >>> g.nx.number_of_nodes() > 1000
    True
    >>> sorted(p.name for p in g.places if p.kind == "town")[:2]
    ['Beausoleil', 'Roquebrune-Cap-Martin']
    """
    raw = read_osm(path, progress=progress)
    raw_nodes = len(raw.lat)
    connected = largest_strong_component(raw)
    network = contract_chains(connected, max_edge_m=max_edge_m)
    n = len(network.lat)
    hierarchy = contract_graph(
        n, network.tail, network.head, network.time_s, network.length_m, progress=progress
    )
    meta = {
        "source": os.path.basename(os.fspath(path)),
        "raw_nodes": raw_nodes,
        "connected_nodes": len(connected.lat),
        "nodes": n,
        "max_edge_m": max_edge_m,
        "edges": len(network.tail),
        "shortcuts": hierarchy.shortcut_count,
        "places": len(raw.places),
    }
    return RoadGraph(network=network, hierarchy=hierarchy, places=raw.places, meta=meta)
