"""Command line: ``python -m routing import|route|info``.

Examples
--------
::

    python -m routing import ../shared/data/monaco.osm.pbf monaco.graph
    python -m routing route monaco.graph 43.7311,7.4197 43.7476,7.4336
    python -m routing route monaco.graph 43.7311,7.4197 43.7476,7.4336 --via 43.738,7.425
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from .errors import RoutingError
from .graph import LatLon, RoadGraph, build_graph, check_point, load_graph
from .progress import ProgressBar
from .router import Router
from .spaces import SpaceTable, load_spaces, precompute_spaces, spaces_path

__all__ = ["main"]


def _latlon(text: str) -> LatLon:
    try:
        lat, lon = text.split(",")
        return check_point((lat, lon))
    except (ValueError, RoutingError) as error:
        raise argparse.ArgumentTypeError(f"expected LAT,LON in degrees, got {text!r}") from error


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m routing", description="Road graphs and routes.")
    commands = parser.add_subparsers(dest="command", required=True)
    imp = commands.add_parser("import", help="build a road graph from an OpenStreetMap extract")
    imp.add_argument("extract", help=".osm.pbf, .osm or .osm.bz2 file")
    imp.add_argument("graph", help="graph file to write")
    route = commands.add_parser("route", help="fastest route between two points")
    route.add_argument("graph", help="graph file written by 'import'")
    route.add_argument("origin", type=_latlon, metavar="LAT,LON")
    route.add_argument("destination", type=_latlon, metavar="LAT,LON")
    route.add_argument("--via", type=_latlon, action="append", default=[], metavar="LAT,LON")
    spaces = commands.add_parser("spaces", help="precompute every node's search spaces (GRAPH.spaces)")
    spaces.add_argument("graph", help="graph file written by 'import'")
    info = commands.add_parser("info", help="counts of a graph file")
    info.add_argument("graph")
    return parser


def _import(extract: str, graph_path: str) -> None:
    started = time.monotonic()
    bar = ProgressBar()
    try:
        graph = build_graph(extract, progress=bar)
    finally:
        bar.close()
    graph.save(graph_path)
    meta = graph.meta
    print(
        f"{graph_path}: {meta['nodes']:,} nodes, {meta['edges']:,} edges, "
        f"{meta['shortcuts']:,} shortcuts, {meta['places']:,} places "
        f"in {time.monotonic() - started:.1f} s"
    )


def _spaces(graph_path: str) -> None:
    started = time.monotonic()
    bar = ProgressBar()
    try:
        table = precompute_spaces(load_graph(graph_path), progress=bar)
    finally:
        bar.close()
    target = spaces_path(graph_path)
    table.save(target)
    print(f"{target}: {len(table.nodes):,} entries in {time.monotonic() - started:.1f} s")


def _route(graph_path: str, origin: LatLon, destination: LatLon, via: list[LatLon]) -> None:
    graph = load_graph(graph_path)
    router = Router(graph, spaces=_spaces_of(graph_path, graph))
    route = router.route(origin, destination, via=via)
    minutes, seconds = divmod(round(route.time_s), 60)
    print(f"time: {route.time_s:.1f} s ({minutes} min {seconds:02d} s)")
    print(f"length: {route.length_m / 1000:.3f} km")


def _spaces_of(graph_path: str, graph: RoadGraph) -> SpaceTable | None:
    path = spaces_path(graph_path)
    return load_spaces(path, graph=graph) if path.exists() else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "import":
            _import(args.extract, args.graph)
        elif args.command == "route":
            _route(args.graph, args.origin, args.destination, args.via)
        elif args.command == "spaces":
            _spaces(args.graph)
        else:
            meta = load_graph(args.graph).meta
            for key, value in meta.items():
                print(f"{key}: {value}")
    except RoutingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
