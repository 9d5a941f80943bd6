"""Building road graphs from the real OpenStreetMap extracts."""

from __future__ import annotations

import bz2
import itertools
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import pytest

from routing import EmptyGraphError, GraphFileError, RoadGraph, build_graph, load_graph
from routing.graph import FORMAT_VERSION

BOULEVARD_ALBERT_1ER = 166399479  # one-way (the Monaco Grand Prix straight), way id in monaco.osm.pbf


def way_nodes(pbf: Path, way_id: int) -> list[tuple[float, float]]:
    for obj in osmium.FileProcessor(str(pbf)).with_locations().with_filter(osmium.filter.IdFilter([way_id])):
        if obj.is_way():
            return [(n.lat, n.lon) for n in obj.nodes]
    raise LookupError(way_id)


def test_monaco_counts(monaco: RoadGraph) -> None:
    meta = monaco.meta
    # 13,405 way nodes; ~8 % are cut off from the rest (private roads, clipped ways).
    assert 12_000 < meta["connected_nodes"] < meta["raw_nodes"] < 14_000
    # Most nodes only continue a road: merging them leaves about a tenth.
    assert 1_000 < monaco.node_count < 1_600
    assert 2_000 < monaco.edge_count < 3_200
    assert meta["shortcuts"] > 0
    assert monaco.nx.number_of_nodes() == monaco.node_count
    assert monaco.nx.number_of_edges() == monaco.edge_count


def test_graph_is_strongly_connected_without_self_loops(monaco: RoadGraph) -> None:
    assert nx.is_strongly_connected(monaco.nx)
    assert nx.number_of_selfloops(monaco.nx) == 0


def test_edges_carry_positive_times_lengths_and_geometry(monaco: RoadGraph) -> None:
    net = monaco.network
    assert (net.time_s > 0).all() and (net.length_m > 0).all()
    speeds_kmh = net.length_m / net.time_s * 3.6
    assert speeds_kmh.min() >= 5 and speeds_kmh.max() <= 130
    k = int(np.argmax(net.geometry_offset[1:] - net.geometry_offset[:-1]))
    points = monaco.edge_geometry(k)
    assert len(points) > 2
    assert points[0] == monaco.node_latlon(int(net.tail[k]))
    assert points[-1] == monaco.node_latlon(int(net.head[k]))


def test_edge_length_is_geodesic_length_of_its_geometry(monaco: RoadGraph) -> None:
    from geopy.distance import geodesic

    net = monaco.network
    for k in range(0, monaco.edge_count, 97):
        points = monaco.edge_geometry(k)
        expected = sum(geodesic(p, q).meters for p, q in itertools.pairwise(points))
        assert net.length_m[k] == pytest.approx(expected, rel=1e-6)


def test_places_for_the_gazetteer(monaco: RoadGraph) -> None:
    names = {p.name: p for p in monaco.places}
    assert {"Monaco", "Beausoleil", "Roquebrune-Cap-Martin"} <= set(names)
    assert all(p.kind in {"city", "town", "village", "hamlet", "suburb"} for p in monaco.places)
    assert 43.72 < names["Beausoleil"].lat < 43.76 and 7.41 < names["Beausoleil"].lon < 7.44


def test_one_way_street_is_never_driven_against(extracts: Path, monaco: RoadGraph) -> None:
    from routing import Router

    boulevard = way_nodes(extracts / "monaco.osm.pbf", BOULEVARD_ALBERT_1ER)
    forbidden = {(b, a) for a, b in itertools.pairwise(boulevard)}
    router = Router(monaco)
    # From the end of the boulevard back to its start: the car must go round.
    route = router.route(boulevard[-1], boulevard[0])
    steps = set(zip(route.coords, route.coords[1:], strict=False))
    assert not steps & forbidden
    along = sum(router.route(p, q).length_m for p, q in itertools.pairwise(boulevard) if p != q)
    assert route.length_m > along
    # With the traffic, the boulevard itself is the way.
    forward = router.route(boulevard[0], boulevard[-1]).coords
    assert set(itertools.pairwise(boulevard)) <= set(itertools.pairwise(forward))


def test_save_and_load_round_trip(monaco: RoadGraph, tmp_path: Path) -> None:
    path = tmp_path / "monaco.graph"
    monaco.save(path)
    loaded = load_graph(path)
    assert loaded.meta["format_version"] == FORMAT_VERSION
    assert loaded.node_count == monaco.node_count
    np.testing.assert_array_equal(loaded.network.time_s, monaco.network.time_s)
    np.testing.assert_array_equal(loaded.hierarchy.rank, monaco.hierarchy.rank)
    assert loaded.places == monaco.places
    assert loaded.fingerprint == monaco.fingerprint


def test_the_fingerprint_tells_graphs_apart(monaco: RoadGraph, saint_barthelemy: RoadGraph) -> None:
    assert len(monaco.fingerprint) == 16
    assert monaco.fingerprint != saint_barthelemy.fingerprint


def test_small_extracts(saint_barthelemy: RoadGraph, paris: RoadGraph) -> None:
    # Saint-Barthélemy: a small island; central Paris: a dense grid of one-way streets.
    assert 100 < saint_barthelemy.node_count < 1_000
    assert 200 < paris.node_count < 2_000
    one_way = sum(1 for u, v in paris.nx.edges if not paris.nx.has_edge(v, u))
    assert one_way > paris.edge_count / 4


def test_osm_xml_and_bz2_are_read_too(tmp_path: Path) -> None:
    xml = tmp_path / "square.osm"
    xml.write_text(_square_osm())
    packed = tmp_path / "square.osm.bz2"
    packed.write_bytes(bz2.compress(xml.read_bytes()))
    for path in (xml, packed):
        g = build_graph(path)
        # Corners 3 and 4 only continue the road (the private diagonal does not
        # count), but merging them would make a second edge 1 -> 2 beside the
        # one-way side: one of them stays, so that no road is lost.
        ids = g.network.osm_ids.tolist()
        assert len(ids) == 3 and {1, 2} <= set(ids)
        one, two = ids.index(1), ids.index(2)
        assert g.nx[one][two]["length_m"] == pytest.approx(96.5, abs=1)
        back = nx.dijkstra_path(g.nx, two, one, weight="time_s")
        length = sum(g.nx[u][v]["length_m"] for u, v in itertools.pairwise(back))
        assert length == pytest.approx(96.5 + 2 * 100.1, abs=2)


def test_missing_or_damaged_files(tmp_path: Path) -> None:
    with pytest.raises(GraphFileError):
        build_graph(tmp_path / "nowhere.osm.pbf")
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"this is not OpenStreetMap data")
    with pytest.raises(GraphFileError):
        build_graph(junk)
    with pytest.raises(GraphFileError):
        load_graph(junk)
    with pytest.raises(GraphFileError):
        load_graph(tmp_path / "nowhere.graph")


def test_extract_without_roads(tmp_path: Path) -> None:
    path = tmp_path / "paths.osm"
    path.write_text(_square_osm(highway="footway"))
    with pytest.raises(EmptyGraphError):
        build_graph(path)


def _square_osm(highway: str = "residential") -> str:
    """Four corners of a 100 m square; 1 -> 2 is one-way, the other sides two-way,
    and a diagonal private road that must be ignored."""
    nodes = {1: (43.7300, 7.4200), 2: (43.7300, 7.4212), 3: (43.7309, 7.4212), 4: (43.7309, 7.4200)}
    xml_nodes = "".join(
        f'<node id="{i}" version="1" lat="{lat}" lon="{lon}"/>' for i, (lat, lon) in nodes.items()
    )

    def way(way_id: int, refs: list[int], **tags: str) -> str:
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in {"highway": highway, **tags}.items())
        return f'<way id="{way_id}" version="1">{nds}{tag_xml}</way>'

    ways = way(10, [1, 2], oneway="yes") + way(11, [2, 3, 4, 1]) + way(12, [1, 3], access="private")
    return f'<?xml version="1.0"?><osm version="0.6">{xml_nodes}{ways}</osm>'


def test_long_roads_keep_a_node_every_few_hundred_metres(monaco: RoadGraph) -> None:
    from geopy.distance import geodesic

    max_edge_m = monaco.meta["max_edge_m"]
    assert max_edge_m == 500
    for k in range(monaco.edge_count):
        points = monaco.edge_geometry(k)
        if len(points) > 2:
            # Cut at the first node past the limit: without its last step, an edge
            # is never longer than the limit.
            assert monaco.network.length_m[k] - geodesic(points[-2], points[-1]).m <= max_edge_m + 1e-6
    long_roads = build_graph_from_monaco_with(max_edge_m=100_000)
    assert long_roads.node_count < monaco.node_count


def build_graph_from_monaco_with(**options: float) -> RoadGraph:
    from conftest import data_dir

    return build_graph(data_dir() / "monaco.osm.pbf", **options)


@pytest.mark.parametrize("name", ["monaco", "saint_barthelemy", "paris"])
def test_no_road_is_lost_by_simplification(name: str, request: pytest.FixtureRequest, extracts: Path) -> None:
    """Every point of the connected road network is a node or a point of an edge's
    geometry: loops and parallel roads are not merged away."""
    from routing.osm import read_osm
    from routing.simplify import largest_strong_component

    graph: RoadGraph = request.getfixturevalue(name)
    file = {"paris": "paris_bss"}.get(name, name)
    raw = largest_strong_component(read_osm(extracts / f"{file}.osm.pbf"))
    net = graph.network
    kept = set(zip(net.lat.tolist(), net.lon.tolist(), strict=False)) | set(
        zip(net.geometry_lat.tolist(), net.geometry_lon.tolist(), strict=False)
    )
    assert kept == set(zip(raw.lat.tolist(), raw.lon.tolist(), strict=False))


def test_save_to_an_impossible_place(monaco: RoadGraph, tmp_path: Path) -> None:
    with pytest.raises(GraphFileError):
        monaco.save(tmp_path / "no-such-folder" / "monaco.graph")


def test_graph_file_with_foreign_metadata(tmp_path: Path) -> None:
    path = tmp_path / "foreign.graph"
    with path.open("wb") as handle:
        np.savez(handle, meta=np.array("[1, 2]"))
    with pytest.raises(GraphFileError):
        load_graph(path)
