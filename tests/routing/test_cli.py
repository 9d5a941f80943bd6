"""The command line, run as a maintainer would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "routing", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_import_then_route(extracts: Path, tmp_path: Path) -> None:
    graph = tmp_path / "monaco.graph"
    imported = run("import", str(extracts / "monaco.osm.pbf"), str(graph))
    assert imported.returncode == 0, imported.stderr
    assert "nodes" in imported.stdout and graph.is_file()
    assert "contracting" in imported.stderr and "#" in imported.stderr  # the progress bar

    routed = run("route", str(graph), "43.7311,7.4197", "43.7476,7.4336")
    assert routed.returncode == 0, routed.stderr
    lines = routed.stdout.splitlines()
    assert lines[0].startswith("time: ") and " min " in lines[0]
    assert lines[1].startswith("length: ") and lines[1].endswith(" km")
    km = float(lines[1].split()[1])
    assert 2 < km < 4.5

    via = run("route", str(graph), "43.7311,7.4197", "43.7476,7.4336", "--via", "43.7395,7.4282")
    assert via.returncode == 0 and float(via.stdout.splitlines()[1].split()[1]) >= km

    info = run("info", str(graph))
    assert "nodes: " in info.stdout and "format_version: " in info.stdout


def test_errors_are_messages_not_tracebacks(extracts: Path, tmp_path: Path) -> None:
    missing = run("route", str(tmp_path / "none.graph"), "43.73,7.42", "43.74,7.43")
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: ") and "Traceback" not in missing.stderr

    bad_point = run("route", str(tmp_path / "none.graph"), "43.73;7.42", "43.74,7.43")
    assert bad_point.returncode == 2 and "expected LAT,LON" in bad_point.stderr

    not_osm = tmp_path / "x.osm.pbf"
    not_osm.write_text("hello")
    failed = run("import", str(not_osm), str(tmp_path / "x.graph"))
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
