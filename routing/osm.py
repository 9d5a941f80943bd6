"""Read the drivable road network and named places out of an OpenStreetMap extract.

The result is the *raw* network: one node per OSM node used by a drivable way and one
directed edge per consecutive pair of nodes a car may drive. :mod:`routing.simplify`
turns it into the graph we route on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .distance import geodesic_m
from .errors import EmptyGraphError, GraphFileError
from .progress import ProgressCallback
from .tags import PLACE_KINDS, is_drivable, oneway_direction, speed_kmh

if TYPE_CHECKING:
    import osmium

__all__ = ["Network", "Place", "RawNetwork", "read_osm"]


_PROGRESS_EVERY = 5_000


@dataclass(frozen=True)
class Place:
    """A named place (city, town, village, hamlet, suburb) of the extract."""

    name: str
    kind: str
    lat: float
    lon: float
    osm_id: int
    population: int | None = None


@dataclass
class Network:
    """A directed road network as arrays.

    Attributes
    ----------
    osm_ids, lat, lon : ndarray
        One entry per node.
    tail, head : ndarray of int
        Node indices of each directed edge.
    time_s, length_m : ndarray of float
        Travel time and geodesic length of each directed edge.
    """

    osm_ids: NDArray[np.int64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    tail: NDArray[np.int64]
    head: NDArray[np.int64]
    time_s: NDArray[np.float64]
    length_m: NDArray[np.float64]


@dataclass
class RawNetwork(Network):
    """Directed road segments between OSM nodes, before any simplification, and the
    named places of the extract."""

    places: list[Place] = field(default_factory=list)


class _Collector:
    """Accumulates segments in plain lists while the file is read once."""

    def __init__(self) -> None:
        import osmium

        self._invalid_location = osmium.InvalidLocationError
        self.index: dict[int, int] = {}
        self.lat: list[float] = []
        self.lon: list[float] = []
        self.seg_a: list[int] = []
        self.seg_b: list[int] = []
        self.speed_fwd: list[float] = []  # km/h, 0 where forbidden
        self.speed_bwd: list[float] = []
        self.places: list[Place] = []

    def node_index(self, osm_id: int, lat: float, lon: float) -> int:
        found = self.index.get(osm_id)
        if found is None:
            found = self.index[osm_id] = len(self.lat)
            self.lat.append(lat)
            self.lon.append(lon)
        return found

    def add_way(self, way: osmium.osm.Way) -> None:
        tags = dict(way.tags)
        if not is_drivable(tags):
            return
        try:
            points = [(n.ref, n.lat, n.lon) for n in way.nodes]
        except self._invalid_location:
            return  # the extract was clipped through this way: keep what is complete
        direction = oneway_direction(tags)
        fwd = speed_kmh(tags, 1) if direction >= 0 else 0.0
        bwd = speed_kmh(tags, -1) if direction <= 0 else 0.0
        previous = None
        for ref, lat, lon in points:
            current = self.node_index(ref, lat, lon)
            if previous is not None and previous != current:
                self.seg_a.append(previous)
                self.seg_b.append(current)
                self.speed_fwd.append(fwd)
                self.speed_bwd.append(bwd)
            previous = current

    def add_place(self, node: osmium.osm.Node) -> None:
        kind = node.tags.get("place")
        name = node.tags.get("name")
        if kind not in PLACE_KINDS or not name or not node.location.valid():
            return
        population = (node.tags.get("population") or "").replace(" ", "").replace(",", "")
        self.places.append(
            Place(
                name=name,
                kind=kind,
                lat=node.location.lat,
                lon=node.location.lon,
                osm_id=node.id,
                population=int(population) if population.isascii() and population.isdigit() else None,
            )
        )

    def network(self) -> RawNetwork:
        if not self.seg_a:
            raise EmptyGraphError("the extract contains no road that a car may drive")
        osm_ids = np.fromiter(self.index.keys(), dtype=np.int64, count=len(self.index))
        lat = np.asarray(self.lat, dtype=np.float64)
        lon = np.asarray(self.lon, dtype=np.float64)
        a = np.asarray(self.seg_a, dtype=np.int64)
        b = np.asarray(self.seg_b, dtype=np.int64)
        length = geodesic_m(lat[a], lon[a], lat[b], lon[b])
        fwd = np.asarray(self.speed_fwd)
        bwd = np.asarray(self.speed_bwd)
        go, back = fwd > 0, bwd > 0
        tail = np.concatenate((a[go], b[back]))
        head = np.concatenate((b[go], a[back]))
        length_m = np.concatenate((length[go], length[back]))
        speed_ms = np.concatenate((fwd[go], bwd[back])) / 3.6
        return RawNetwork(
            osm_ids=osm_ids,
            lat=lat,
            lon=lon,
            tail=tail,
            head=head,
            time_s=length_m / speed_ms,
            length_m=length_m,
            places=self.places,
        )


def read_osm(path: str | os.PathLike[str], *, progress: ProgressCallback | None = None) -> RawNetwork:
    """Read the car network and the named places of an OpenStreetMap file.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf``, ``.osm`` or ``.osm.bz2`` file (any format libosmium reads).
    progress : callable, optional
        Called as ``progress("reading", ways_read, None)`` every few thousand ways.

    Returns
    -------
    RawNetwork

    Raises
    ------
    GraphFileError
        If the file is missing or not an OpenStreetMap file.
    EmptyGraphError
        If it holds no drivable road.
    """
    # Imported here: only importing an extract reads OpenStreetMap files, and the web
    # workers, which never do, are spared its memory.
    import osmium

    if not os.path.isfile(path):
        raise GraphFileError(f"no such OpenStreetMap file: {os.fspath(path)}")
    collector = _Collector()
    processor = (
        osmium.FileProcessor(os.fspath(path))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway", "place"))
    )
    ways = 0
    try:
        for obj in processor:
            if isinstance(obj, osmium.osm.Way):
                collector.add_way(obj)
                ways += 1
                if progress is not None and ways % _PROGRESS_EVERY == 0:
                    progress("reading", ways, None)
            elif isinstance(obj, osmium.osm.Node) and "place" in obj.tags:
                collector.add_place(obj)
    except RuntimeError as error:  # libosmium reports unreadable input this way
        raise GraphFileError(f"cannot read {os.fspath(path)} as OpenStreetMap data: {error}") from error
    if progress is not None:
        progress("reading", ways, ways)
    return collector.network()
