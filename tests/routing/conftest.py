"""Road graphs built once per test session from the real extracts."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing import RoadGraph, Router, build_graph


@pytest.fixture(scope="session")
def monaco_router(monaco: RoadGraph) -> Router:
    return Router(monaco)


@pytest.fixture(scope="session")
def saint_barthelemy(extracts: Path) -> RoadGraph:
    return build_graph(extracts / "saint_barthelemy.osm.pbf")


@pytest.fixture(scope="session")
def paris(extracts: Path) -> RoadGraph:
    return build_graph(extracts / "paris_bss.osm.pbf")
