"""Fixtures shared by the whole suite and by the docstring examples."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from routing import RoadGraph, build_graph

ROOT = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The shared OpenStreetMap extracts: $CARPOOL_DATA_DIR, else ../shared/data."""
    configured = os.environ.get("CARPOOL_DATA_DIR")
    path = Path(configured) if configured else ROOT.parent / "shared" / "data"
    if not (path / "monaco.osm.pbf").is_file():
        pytest.fail(
            f"the OpenStreetMap extracts are not in {path}: put shared/ beside the project "
            "or set CARPOOL_DATA_DIR (see ../shared/data/README.md)"
        )
    return path


@pytest.fixture(scope="session")
def extracts() -> Path:
    return data_dir()


@pytest.fixture(scope="session")
def monaco(extracts: Path) -> RoadGraph:
    """The Monaco road graph, built once for the whole session."""
    return build_graph(extracts / "monaco.osm.pbf")


@pytest.fixture(autouse=True)
def _doctest_names(request: pytest.FixtureRequest) -> None:
    """Docstring examples run on the real Monaco extract: ``monaco_pbf`` is its path."""
    if isinstance(request.node, pytest.DoctestItem):
        namespace = request.getfixturevalue("doctest_namespace")
        namespace["monaco_pbf"] = str(data_dir() / "monaco.osm.pbf")
