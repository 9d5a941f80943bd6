"""Precomputed search spaces: the same answers as spaces searched on demand."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from routing import GraphFileError, RoadGraph, Router, SpaceTable, load_spaces, precompute_spaces, spaces_path
from routing.cli import main


@pytest.fixture(scope="module")
def monaco_spaces(monaco: RoadGraph) -> SpaceTable:
    return precompute_spaces(monaco)


def test_every_space_is_the_one_a_search_finds(monaco: RoadGraph, monaco_spaces: SpaceTable) -> None:
    router = Router(monaco)
    assert len(monaco_spaces.offset) == 2 * monaco.node_count + 1
    for node in random.Random(3).sample(range(monaco.node_count), 300):
        for forward in (True, False):
            table, searched = monaco_spaces.space(node, forward), router._upward_search(node, forward)
            for field in ("nodes", "time_s", "length_m", "parent_edge"):
                np.testing.assert_array_equal(getattr(table, field), getattr(searched, field))


def test_spaces_gathered_at_once_are_those_read_one_by_one(monaco_spaces: SpaceTable) -> None:
    rng = random.Random(5)
    nodes = [rng.randrange(len(monaco_spaces.offset) // 2) for _ in range(200)] + [0, 0]
    for forward in (True, False):
        gathered = monaco_spaces.gather(np.array(nodes), forward)
        one_by_one = [monaco_spaces.space(node, forward) for node in nodes]
        np.testing.assert_array_equal(gathered.sizes, [len(space.nodes) for space in one_by_one])
        np.testing.assert_array_equal(gathered.starts, np.cumsum([0, *gathered.sizes[:-1]]))
        for field in ("nodes", "time_s"):
            np.testing.assert_array_equal(
                getattr(gathered, field), np.concatenate([getattr(space, field) for space in one_by_one])
            )
        lengths = np.concatenate([space.length_m for space in one_by_one])
        np.testing.assert_array_equal(gathered.length_m(), lengths)
        some = np.array([0, 7, len(lengths) - 1])
        np.testing.assert_array_equal(gathered.length_m(some), lengths[some])
    empty = monaco_spaces.gather(np.array([], dtype=np.int64), True)
    assert len(empty.nodes) == len(empty.starts) == 0


def test_a_router_on_the_table_routes_and_matches_the_same(
    monaco: RoadGraph, monaco_spaces: SpaceTable, monaco_router: Router, tmp_path: Path
) -> None:
    monaco_spaces.save(tmp_path / "monaco.spaces")
    mapped = load_spaces(tmp_path / "monaco.spaces", graph=monaco)
    # Read from the file, not copied, and never written to.
    assert not mapped.nodes.flags.owndata and not mapped.nodes.flags.writeable
    router = Router(monaco, spaces=mapped)
    at, rng = monaco.node_latlon, random.Random(5)
    nodes = [rng.randrange(monaco.node_count) for _ in range(90)]
    pairs = list(zip(nodes[::3], nodes[1::3], nodes[2::3], strict=True))
    routes = [router.route(at(a), at(b), via=[at(c)]) for a, b, c in pairs]
    again = [monaco_router.route(at(a), at(b), via=[at(c)]) for a, b, c in pairs]
    assert [(r.time_s, r.length_m, r.nodes) for r in routes] == [
        (r.time_s, r.length_m, r.nodes) for r in again
    ]
    for a, b in zip(nodes[:20], nodes[20:40], strict=True):
        assert router.match_many(routes, at(a), at(b), max_detour_s=600) == monaco_router.match_many(
            again, at(a), at(b), max_detour_s=600
        )
    # It never searched, so it never built the adjacency lists a search walks (about
    # 100 MB of Python objects for Porto, in every web worker otherwise).
    assert not {"_up", "_down", "_edge_length"} & vars(router).keys()
    assert {"_up", "_down"} <= vars(monaco_router).keys()


def test_spaces_of_another_graph_are_refused(
    monaco_spaces: SpaceTable, saint_barthelemy: RoadGraph, monaco: RoadGraph, tmp_path: Path
) -> None:
    with pytest.raises(ValueError):
        Router(saint_barthelemy, spaces=monaco_spaces)
    folder = tmp_path / "monaco.spaces"
    monaco_spaces.save(folder)
    with pytest.raises(GraphFileError, match="another road graph"):
        load_spaces(folder, graph=saint_barthelemy)
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "format_version": 0}))
    with pytest.raises(GraphFileError, match="format version"):
        load_spaces(folder, graph=monaco)
    (folder / "nodes.npy").write_bytes(b"damaged")
    with pytest.raises(GraphFileError):
        load_spaces(folder)
    with pytest.raises(GraphFileError):
        load_spaces(tmp_path / "nowhere")


def test_a_table_saved_over_a_mapped_one_leaves_the_mapping_whole(
    monaco_spaces: SpaceTable, saint_barthelemy: RoadGraph, monaco: RoadGraph, tmp_path: Path
) -> None:
    """A site's workers map the table while a new graph's is saved in its place: they
    keep reading theirs, unchanged (written over in place, its pages would change
    under them or vanish: SIGBUS), and a process that loads it then gets the new one."""
    folder = tmp_path / "region.spaces"
    monaco_spaces.save(folder)
    mapped = load_spaces(folder, graph=monaco)
    other = precompute_spaces(saint_barthelemy)
    assert len(other.nodes) < len(mapped.nodes)  # a smaller file: pages past its end would vanish
    other.save(folder)
    for field in ("offset", "nodes", "time_s", "length_m", "parent_edge"):
        np.testing.assert_array_equal(getattr(mapped, field), getattr(monaco_spaces, field))
    assert load_spaces(folder, graph=saint_barthelemy).fingerprint == saint_barthelemy.fingerprint
    assert sorted(path.name for path in tmp_path.iterdir()) == ["region.spaces"]  # nothing left beside
    (tmp_path / "blocked").write_text("a file, not a folder")
    with pytest.raises(GraphFileError, match="cannot write"):
        other.save(tmp_path / "blocked" / "spaces")


def test_a_table_that_cannot_be_put_in_place_leaves_the_old_one(
    monaco_spaces: SpaceTable,
    saint_barthelemy: RoadGraph,
    monaco: RoadGraph,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "region.spaces"
    monaco_spaces.save(folder)
    rename = Path.rename

    def failing_for_the_new_table(self: Path, target: Path) -> Path:
        if ".new-" in self.name:
            raise OSError("disk failure")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", failing_for_the_new_table)
    with pytest.raises(GraphFileError, match="disk failure"):
        precompute_spaces(saint_barthelemy).save(folder)
    monkeypatch.undo()
    assert load_spaces(folder, graph=monaco).fingerprint == monaco.fingerprint
    assert sorted(path.name for path in tmp_path.iterdir()) == ["region.spaces"]


def test_the_command_line_writes_them_beside_the_graph(
    monaco: RoadGraph, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = tmp_path / "monaco.graph"
    monaco.save(graph)
    assert main(["spaces", str(graph)]) == 0
    assert load_spaces(spaces_path(graph), graph=monaco).fingerprint == monaco.fingerprint
    assert main(["route", str(graph), "43.7311,7.4197", "43.7476,7.4336"]) == 0
    assert "length:" in capsys.readouterr().out
