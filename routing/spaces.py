"""Every node's search spaces, computed once, kept in files that processes map.

A search matches a passenger against hundreds of trips: it needs the upward search
space of each of their stops (see :mod:`routing.router`). Computed on demand, they
cost most of a search in a process that has not seen those stops yet (a new web
worker, an app server just started), and cached, they cost memory in every process.
Computed for every node when the graph is imported (a region's 50,000 nodes: a
minute, about 200 MB on disk) and memory-mapped read-only, they cost neither: the
pages are read from the operating system's cache, which every worker shares.

Examples
--------
>>> import os, tempfile
>>> from routing import Router, build_graph
>>> graph = build_graph(monaco_pbf)
>>> table = precompute_spaces(graph)
>>> path = os.path.join(tempfile.mkdtemp(), "monaco.spaces")
>>> table.save(path)
>>> router = Router(graph, spaces=load_spaces(path, graph=graph))
>>> router.route((43.7311, 7.4197), (43.7476, 7.4336)).time_s > 0
True
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .ch import SearchSpace
from .errors import GraphFileError
from .graph import RoadGraph
from .progress import ProgressCallback

__all__ = ["Gathered", "SpaceTable", "load_spaces", "precompute_spaces", "spaces_path"]

#: 2: lengths in 32-bit floats (to the centimetre over 100 km; half the pages, which
#: searches read scattered, one entry a space, so that every worker maps them all).
FORMAT_VERSION: Final[int] = 2
_ARRAYS: Final = ("offset", "nodes", "time_s", "length_m", "parent_edge")


class Gathered(NamedTuple):
    """Search spaces end to end (:meth:`SpaceTable.gather`): the ``j``-th is at
    ``starts[j]:starts[j] + sizes[j]`` of ``nodes`` and ``time_s``. Their lengths
    are read only where asked (:meth:`length_m`): a search needs one per space,
    of the hundreds of entries each has."""

    nodes: NDArray[np.int32]
    time_s: NDArray[np.float64]
    starts: NDArray[np.int64]
    sizes: NDArray[np.int64]
    #: Where each entry is in ``lengths``.
    entries: NDArray[np.int64]
    lengths: NDArray[np.float32]

    def length_m(self, at: NDArray[np.int64] | slice = slice(None)) -> NDArray[np.float32]:
        """The lengths of the entries ``at`` (all by default)."""
        return self.lengths[self.entries[at]]


@dataclass(frozen=True, eq=False)
class SpaceTable:
    """The forward and backward upward search spaces of every node, end to end.

    The space of ``node`` (forward) is at ``offset[2 * node]:offset[2 * node + 1]``
    of the other arrays, the backward one right after it.

    Attributes
    ----------
    fingerprint : str
        The :attr:`RoadGraph.fingerprint` of the graph the spaces were computed on.
    offset : ndarray of int64
        ``2 × nodes + 1`` bounds.
    nodes, time_s, length_m, parent_edge : ndarray
        As in :class:`routing.ch.SearchSpace`, each space sorted by node (lengths in
        32-bit floats, times in 64-bit: detours are compared with their limits exactly
        as a search computes them).
    """

    fingerprint: str
    offset: NDArray[np.int64]
    nodes: NDArray[np.int32]
    time_s: NDArray[np.float64]
    length_m: NDArray[np.float32]
    parent_edge: NDArray[np.int32]

    def space(self, node: int, forward: bool) -> SearchSpace:
        """The search space of ``node``, as views of the arrays (nothing copied)."""
        k = 2 * node + (0 if forward else 1)
        start, end = int(self.offset[k]), int(self.offset[k + 1])
        return SearchSpace(
            nodes=self.nodes[start:end],
            time_s=self.time_s[start:end],
            length_m=self.length_m[start:end],
            parent_edge=self.parent_edge[start:end],
        )

    def gather(self, nodes: NDArray[np.int64], forward: bool) -> Gathered:
        """The search spaces of many ``nodes``, end to end: what :meth:`space` gives
        node by node, in one copy, without a Python step per node (a search reads
        the spaces of every stop of its candidate trips).

        Examples
        --------
        >>> from routing import build_graph
        >>> table = precompute_spaces(build_graph(monaco_pbf))
        >>> both = table.gather(np.array([3, 7]), True)
        >>> bool((both.nodes[both.starts[1]:] == table.space(7, True).nodes).all())
        True
        """
        k = 2 * np.asarray(nodes, dtype=np.int64) + (0 if forward else 1)
        first = self.offset[k]
        sizes = self.offset[k + 1] - first
        starts = np.zeros(len(k), dtype=np.int64)
        np.cumsum(sizes[:-1], out=starts[1:])
        # Position i of the result is entry first[j] + (i - starts[j]) of the table.
        index = np.repeat(first - starts, sizes) + np.arange(int(sizes.sum()), dtype=np.int64)
        return Gathered(self.nodes[index], self.time_s[index], starts, sizes, index, self.length_m)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the table to the folder ``path`` (one ``.npy`` file per array, which
        :func:`load_spaces` maps), replacing the table there whole.

        The new table is written beside the old one, then put in its place: processes
        that map the old one (a running site's workers) keep reading it, as its files
        live on, unlinked, while they are mapped. Written over in place, its pages
        would change under them, or vanish (SIGBUS), and a process starting meanwhile
        could map arrays of two tables. If the new one cannot be put in place, the
        old one is put back.

        Raises
        ------
        GraphFileError
            If the files cannot be written.
        """
        folder = Path(path)
        staging = folder.with_name(f"{folder.name}.new-{os.getpid()}")
        retired = folder.with_name(f"{folder.name}.old-{os.getpid()}")
        try:
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            for name in _ARRAYS:
                np.save(staging / f"{name}.npy", getattr(self, name))
            meta = {"format_version": FORMAT_VERSION, "fingerprint": self.fingerprint}
            (staging / "meta.json").write_text(json.dumps(meta))
            if folder.exists():
                folder.rename(retired)
            try:
                staging.rename(folder)
            except OSError:
                if retired.exists() and not folder.exists():
                    retired.rename(folder)  # the old table back: never none at all
                raise
            shutil.rmtree(retired, ignore_errors=True)
        except OSError as error:
            shutil.rmtree(staging, ignore_errors=True)
            raise GraphFileError(f"cannot write search spaces to {folder}: {error}") from error


def spaces_path(graph_path: str | os.PathLike[str]) -> Path:
    """Where the spaces of the graph file ``graph_path`` are kept: beside it."""
    return Path(f"{os.fspath(graph_path)}.spaces")


def precompute_spaces(graph: RoadGraph, *, progress: ProgressCallback | None = None) -> SpaceTable:
    """Compute the upward search spaces of every node of ``graph``, both ways.

    Parameters
    ----------
    graph : RoadGraph
    progress : callable, optional
        ``progress("spaces", done, total)`` now and then.

    Returns
    -------
    SpaceTable
    """
    from .router import Router  # the router computes spaces; it also reads tables

    router = Router(graph, space_cache_size=1)
    n = graph.node_count
    spaces = []
    for node in range(n):
        spaces.append(router._upward_search(node, True))
        spaces.append(router._upward_search(node, False))
        if progress is not None and (node % 1000 == 0 or node == n - 1):
            progress("spaces", node + 1, n)
    sizes = np.fromiter((len(space.nodes) for space in spaces), dtype=np.int64, count=len(spaces))
    offset = np.zeros(len(spaces) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offset[1:])

    def joined(field: str, dtype: type) -> NDArray:  # type: ignore[type-arg]
        return np.concatenate([getattr(space, field) for space in spaces]).astype(dtype, copy=False)

    return SpaceTable(
        fingerprint=graph.fingerprint,
        offset=offset,
        nodes=joined("nodes", np.int32),
        time_s=joined("time_s", np.float64),
        length_m=joined("length_m", np.float32),
        parent_edge=joined("parent_edge", np.int32),
    )


def load_spaces(path: str | os.PathLike[str], *, graph: RoadGraph | None = None) -> SpaceTable:
    """Map a table written by :meth:`SpaceTable.save` (read-only, shared).

    Parameters
    ----------
    path : path of the folder
    graph : RoadGraph, optional
        The graph it must have been computed on.

    Raises
    ------
    GraphFileError
        If the folder is missing or damaged, of another format version, or computed
        on another graph than ``graph``.
    """
    folder = Path(path)
    try:
        meta = json.loads((folder / "meta.json").read_text())
        # Plain array views of the maps: slicing a np.memmap costs more than the slice.
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r").view(np.ndarray) for name in _ARRAYS}
    except (OSError, ValueError) as error:
        raise GraphFileError(f"cannot read search spaces from {folder}: {error}") from error
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        raise GraphFileError(f"{folder}: search spaces of another format version: compute them again")
    if graph is not None and meta.get("fingerprint") != graph.fingerprint:
        raise GraphFileError(f"{folder}: search spaces of another road graph: compute them again")
    table = SpaceTable(fingerprint=str(meta["fingerprint"]), **arrays)
    if graph is not None and len(table.offset) != 2 * graph.node_count + 1:
        raise GraphFileError(f"{folder}: search spaces of another road graph: compute them again")
    return table
