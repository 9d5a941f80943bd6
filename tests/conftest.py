"""The OSRM server the tests of routing.osrm and of the site's OSRM backend share."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.osrm_server import NO_PYTHON, OsrmUnavailable, osrm_binaries, prepare, serve


@pytest.fixture(scope="session")
def osrm_url(extracts: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """osrm-routed serving the Monaco extract on loopback, for the whole session.

    Skipped only when no Python 3.12+ exists to install OSRM with; a failure instead
    where CARPOOL_REQUIRE_OSRM=1 (CI), and for any other problem.
    """
    try:
        binaries = osrm_binaries()
    except OsrmUnavailable as error:
        if str(error) == NO_PYTHON and os.environ.get("CARPOOL_REQUIRE_OSRM") != "1":
            pytest.skip(NO_PYTHON)
        pytest.fail(f"OSRM is required here: {error}")
    base = prepare(binaries, extracts / "monaco.osm.pbf", tmp_path_factory.mktemp("osrm"))
    with serve(binaries, base) as url:
        yield url
