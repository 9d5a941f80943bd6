"""Maintainer commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from flask import Flask
from flask.testing import FlaskCliRunner

from carpool.extensions import db
from carpool.services.roads import get_router
from routing import load_graph, load_spaces, spaces_path


def test_graph_import_replaces_the_region(app: Flask, runner: FlaskCliRunner, extracts: Path) -> None:
    target = Path(app.config["ROAD_GRAPH"])
    target.unlink()
    result = runner.invoke(args=["graph", "import", str(extracts / "saint_barthelemy.osm.pbf")])
    assert result.exit_code == 0, result.output
    assert "nodes" in result.output
    graph = load_graph(target)
    assert graph.meta["source"] == "saint_barthelemy.osm.pbf"
    # The search spaces of the new graph, beside it, which the site's router maps.
    assert load_spaces(spaces_path(target), graph=graph).fingerprint == graph.fingerprint
    with app.app_context():
        assert get_router()._table is not None  # type: ignore[union-attr]


def test_graph_import_errors(runner: FlaskCliRunner, tmp_path: Path) -> None:
    missing = runner.invoke(args=["graph", "import", str(tmp_path / "none.osm.pbf")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    junk = tmp_path / "junk.osm.pbf"
    junk.write_text("not OpenStreetMap")
    failed = runner.invoke(args=["graph", "import", str(junk)])
    assert failed.exit_code == 1 and "Error:" in failed.output


def test_graph_spaces_are_made_again_only_when_they_do_not_fit(app: Flask, runner: FlaskCliRunner) -> None:
    target = Path(app.config["ROAD_GRAPH"])
    folder = spaces_path(target)
    written = (folder / "time_s.npy").stat().st_mtime_ns
    up_to_date = runner.invoke(args=["graph", "spaces"])
    assert up_to_date.exit_code == 0 and "up to date" in up_to_date.output
    assert (folder / "time_s.npy").stat().st_mtime_ns == written
    # A table of the format before (its lengths in 64-bit floats), as an upgrade finds it.
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "format_version": 1}))
    with app.app_context():
        assert get_router()._table is None  # type: ignore[union-attr]
    redone = runner.invoke(args=["graph", "spaces"])
    assert redone.exit_code == 0 and "computed" in redone.output
    table = load_spaces(folder, graph=load_graph(target))
    assert table.length_m.dtype == np.float32
    with app.app_context():
        assert get_router()._table is not None  # type: ignore[union-attr]
    target.unlink()
    missing = runner.invoke(args=["graph", "spaces"])
    assert missing.exit_code == 1 and "Error:" in missing.output


def test_places_load_without_a_graph_says_what_to_do(app: Flask, runner: FlaskCliRunner) -> None:
    Path(app.config["ROAD_GRAPH"]).unlink()
    result = runner.invoke(args=["places", "load"])
    assert result.exit_code != 0
    assert "flask graph import" in result.output


def test_demo_setup_is_idempotent(app: Flask, runner: FlaskCliRunner) -> None:
    Path(app.config["ROAD_GRAPH"]).unlink()
    first = runner.invoke(args=["demo", "setup"])
    assert first.exit_code == 0, first.output
    assert "demo ready" in first.output
    assert load_graph(app.config["ROAD_GRAPH"]).meta["source"] == "monaco.osm.pbf"
    assert "demo trips: 200 published" in first.output
    with app.app_context():
        from carpool.models import Trip, User

        trips = db.session.query(Trip).all()
        assert len(trips) == 200 and db.session.query(User).count() == 8
        assert all(
            t.departure_at.replace(tzinfo=t.departure_at.tzinfo or UTC) > datetime.now(UTC) for t in trips
        )
        assert any(len(t.stops) == 3 for t in trips)  # some with a stopover
    again = runner.invoke(args=["demo", "setup"])
    assert again.exit_code == 0 and "0 added" in again.output and "demo trips: 0 published" in again.output


def test_demo_extract_from_the_package_registry(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """On a machine without shared/, the demo extract comes from PyPI, checked by hash."""
    from carpool.services import demo

    monkeypatch.setattr(demo, "ROOT", tmp_path / "no-project")  # as if shared/ were absent
    path = demo.demo_extract(tmp_path / "cache")
    assert path == tmp_path / "cache" / "monaco.osm.pbf"
    assert demo._sha256(path) == demo.DEMO_EXTRACT_SHA256
    assert demo.demo_extract(tmp_path / "cache") == path  # kept: no second download
