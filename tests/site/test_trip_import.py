"""Trips imported from a CSV file (``flask trips import``): good lines published as
one by one publishing would, each refused line reported with its reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from carpool.extensions import db
from carpool.models import Trip
from carpool.services.search import SearchQuery, find
from carpool.services.trip_import import TripFileError, import_csv
from tests.site.test_search import on_the_way
from tests.site.test_trips import TOMORROW

DAY = TOMORROW.date().isoformat()
LATER = (TOMORROW + timedelta(days=2)).date().isoformat()


@pytest.fixture(autouse=True)
def gazetteer(runner: FlaskCliRunner) -> None:
    """The region's places, by which the lines name their stops."""
    assert runner.invoke(args=["places", "load"]).exit_code == 0


def test_a_file_of_trips_is_published_and_its_refused_lines_said(app: Flask, driver: int) -> None:
    text = "\n".join(
        [
            "driver,origin,destination,day,time,seats,detour_min,contribution,stopovers,comment",
            f"driver@example.org,Monaco-Ville,Larvotto,{DAY},08:00,3,10,,,Départ devant la poste",
            f'DRIVER@example.org ,Larvotto,Monaco-Ville,{LATER},17:30,2,5,"0,20",Monte-Carlo,',
            f"nobody@example.org,Monaco-Ville,Larvotto,{DAY},08:00,3,10,,,",
            f"driver@example.org,Atlantis,Larvotto,{DAY},08:00,3,10,,,",
            f"driver@example.org,Monaco-Ville,Larvotto,{DAY},25:00,3,10,,,",
            f"driver@example.org,Monaco-Ville,Larvotto,{DAY},08:00,many,10,,,",
            f"driver@example.org,Monaco-Ville,Larvotto,{DAY},08:00,3,10,Infinity,,",
            "driver@example.org,Monaco-Ville,Larvotto,2020-01-01,08:00,3,10,,,",
            f"driver@example.org,Monaco-Ville,Larvotto,{DAY},08:00,12,10,,,",
        ]
    )
    with app.app_context():
        report = import_csv(text)
        assert [line for line, _ in report.published] == [2, 3], report.refused
        reasons = dict(report.refused)
        assert sorted(reasons) == [4, 5, 6, 7, 8, 9, 10]
        assert "nobody@example.org" in reasons[4]
        assert "Atlantis" in reasons[5]
        # The column and the value, in the site's language (French first).
        assert reasons[6].startswith("time") and "25:00" in reasons[6] and "08:30" in reasons[6]
        assert reasons[7].startswith("seats") and "many" in reasons[7]
        assert reasons[8].startswith("contribution") and "Infinity" in reasons[8]
        assert all(reasons[line] for line in (9, 10))  # the form's own messages: past, seats
        first, second = (db.session.get(Trip, trip_id) for _, trip_id in report.published)
        assert first is not None and second is not None
        assert first.driver_id == second.driver_id == driver
        assert [s.name for s in first.stops] == ["Monaco-Ville", "Larvotto"]
        assert first.comment == "Départ devant la poste" and first.max_detour_s == 600
        assert [s.name for s in second.stops] == ["Larvotto", "Monte-Carlo", "Monaco-Ville"]
        assert second.contribution_cents == 20 and second.seats == 2
        assert db.session.scalar(select(func.count()).select_from(Trip)) == 2


def test_imported_trips_are_found_by_the_search(app: Flask, driver: int) -> None:
    pickup, dropoff = on_the_way(app)
    # Semicolons, a day and an hour as a French spreadsheet writes them.
    day = TOMORROW.date().strftime("%d/%m/%Y")
    text = f"driver;origin;destination;day;time;seats\ndriver@example.org;Monaco-Ville;Larvotto;{day};8h;3\n"
    with app.app_context():
        ((_, trip_id),) = import_csv(text).published
        found = find(SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date()))
        assert [result.trip_id for result in found] == [trip_id]


def test_a_file_without_its_columns_is_refused_whole(app: Flask, driver: int) -> None:
    with app.app_context():
        for text in ("", "driver,origin,day\n", "no header at all"):
            try:
                import_csv(text)
            except TripFileError as error:
                assert "destination" in str(error.message)
            else:
                raise AssertionError(f"{text!r} was read")
        assert db.session.scalar(select(func.count()).select_from(Trip)) == 0


def test_the_command_says_what_it_published_and_refused(
    app: Flask, runner: FlaskCliRunner, driver: int, tmp_path: Path
) -> None:
    good = tmp_path / "trips.csv"
    good.write_text(
        "\ufeffdriver,origin,destination,day,time,seats\n"
        f"driver@example.org,Monaco-Ville,Larvotto,{DAY},08:00,3\n"
        f"driver@example.org,Monaco-Ville,Monaco-Ville,{DAY},08:00,3\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["trips", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "trips published: 1, lines refused: 1" in result.output
    assert "line 3: " in result.output
    binary = tmp_path / "trips.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe not text")
    refused = runner.invoke(args=["trips", "import", str(binary)])
    assert refused.exit_code == 1 and "Error:" in refused.output
    columns = tmp_path / "columns.csv"
    columns.write_text("driver,origin\n")
    lacking = runner.invoke(args=["trips", "import", str(columns)])
    assert lacking.exit_code == 1 and "day, destination, seats, time" in lacking.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Trip)) == 1
