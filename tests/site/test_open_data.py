"""The open data export: the future trips on offer, anonymised, as GeoJSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.security import generate_password_hash

from carpool.extensions import db
from carpool.models import Place, Trip, User
from carpool.services import open_data
from carpool.services.privacy import delete_account
from carpool.services.regular_trips import publish_regular
from carpool.services.trips import StopInput, cancel, hide, publish
from tests.site.test_regular_trips import SCHEDULE
from tests.site.test_trips import CASINO, LARVOTTO, PALACE, PARIS, TOMORROW, draft

#: The driver's origin is a point picked on the map: its name holds its exact place.
HOME = StopInput("Monaco-Ville (43.7311, 7.4197)", PALACE.lat, PALACE.lon)
COMMENT = "Départ devant chez moi, au 12 rue Grimaldi"
PHONE = "06 12 34 56 78"
#: What nobody may find in a file: the driver, and the exact places of the trips.
PERSONAL = ("Camille", "driver@example.org", PHONE, COMMENT, "Grimaldi")
EXACT_COORDINATES = ("43.7311", "7.4197", "43.7395", "7.4282", "43.7476", "7.4336")
LEAVING = TOMORROW.replace(hour=8, minute=7)


@dataclass(frozen=True)
class Offers:
    """The trips of the fixture: those the export must hold, and those it must not."""

    shown: tuple[int, ...]
    left_out: dict[str, int]


def _member(email: str, name: str) -> int:
    user = User(email=email, display_name=name, password_hash=generate_password_hash("secret"), phone=PHONE)
    db.session.add(user)
    db.session.commit()
    return user.id


def _gazetteer() -> None:
    """Monte-Carlo is a district, its name published; Larvotto is taken as a hamlet,
    whose name is not."""
    for name, kind, stop in (("Monte-Carlo", "suburb", CASINO), ("Larvotto", "hamlet", LARVOTTO)):
        db.session.add(
            Place(
                name=name,
                search_key=name.lower(),
                kind=kind,
                lat=stop.lat,
                lon=stop.lon,
                source="osm",
                source_id=name,
            )
        )
    db.session.commit()


@pytest.fixture
def offers(app: Flask, driver: int) -> Offers:
    with app.app_context():
        _gazetteer()
        _user(driver).phone = PHONE
        db.session.commit()
        shown = publish(driver, draft(origin=HOME, stopovers=(CASINO,), departure=LEAVING, comment=COMMENT))
        later = publish(driver, draft(departure=TOMORROW + timedelta(days=1)))
        past_day = datetime.now(PARIS) - timedelta(days=1)
        past = publish(driver, draft(departure=past_day), now=past_day - timedelta(days=1))
        cancelled = publish(driver, draft())
        cancel(cancelled, driver, "Panne")
        hidden = publish(driver, draft())
        hide(hidden, driver)
        db.session.commit()
        left_out = {"past": past, "cancelled": cancelled, "hidden": hidden}
        members = {
            state: _member(f"{state}@example.org", state.title())
            for state in ("banned", "suspended", "deleted")
        }
        for state, member in members.items():
            left_out[state] = publish(member, draft())
        _user(members["banned"]).banned_at = datetime.now(UTC)
        _user(members["suspended"]).suspended_until = datetime.now(UTC) + timedelta(days=3)
        db.session.commit()
        delete_account(members["deleted"], "secret")
        return Offers(shown=(shown, later), left_out=left_out)


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def _ids(*trip_ids: int) -> list[str]:
    return [open_data.opaque_id(trip_id) for trip_id in trip_ids]


def geojson_of(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/open-data/trips.geojson")
    assert response.status_code == 200
    return json.loads(response.data)  # type: ignore[no-any-return]


def csv_rows_of(client: FlaskClient) -> list[dict[str, str]]:
    response = client.get("/open-data/trips.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))


# -- which trips ------------------------------------------------------------------------


def test_the_files_hold_the_future_published_trips_and_only_those(
    app: Flask, client: FlaskClient, offers: Offers
) -> None:
    with app.app_context():
        expected = _ids(*offers.shown)
        left_out = dict(zip(offers.left_out, _ids(*offers.left_out.values()), strict=True))
    features = geojson_of(client)["features"]
    assert [feature["id"] for feature in features] == expected
    assert [row["id"] for row in csv_rows_of(client)] == expected
    body = client.get("/open-data/trips.geojson").get_data(as_text=True)
    for state, opaque in left_out.items():
        assert opaque not in body, state


def test_the_occurrences_of_a_regular_trip_are_marked_so(
    app: Flask, client: FlaskClient, driver: int
) -> None:
    with app.app_context():
        publish_regular(driver, draft(), SCHEDULE)
        publish(driver, draft())
    features = geojson_of(client)["features"]
    assert sorted(f["properties"]["regular"] for f in features) == [False] + [True] * 6
    assert sorted(row["regular"] for row in csv_rows_of(client)) == ["false"] + ["true"] * 6


# -- nothing personal -------------------------------------------------------------------


def test_nothing_personal_is_in_either_file(client: FlaskClient, offers: Offers) -> None:
    for path in ("/open-data/trips.geojson", "/open-data/trips.csv"):
        body = client.get(path).data
        for secret in PERSONAL + EXACT_COORDINATES:
            assert secret.encode() not in body, (path, secret)


def test_places_are_rounded_and_only_towns_are_named(client: FlaskClient, offers: Offers) -> None:
    first = geojson_of(client)["features"][0]
    assert first["geometry"] == {
        "type": "LineString",
        "coordinates": [[7.42, 43.73], [7.43, 43.74], [7.43, 43.75]],
    }
    # The map point's name holds its coordinates; Larvotto is a hamlet here.
    names = first["properties"]
    assert (names["origin_name"], names["stopover_names"], names["destination_name"]) == (
        "",
        ["Monte-Carlo"],
        "",
    )
    row = csv_rows_of(client)[0]
    assert (row["origin_lat"], row["origin_lon"], row["destination_lat"], row["destination_lon"]) == (
        "43.73",
        "7.42",
        "43.75",
        "7.43",
    )
    assert (row["stopovers"], row["stopover_names"]) == ("43.74,7.43", "Monte-Carlo")


def test_every_coordinate_has_two_decimals_at_most(client: FlaskClient, offers: Offers) -> None:
    coordinates = [
        c for f in geojson_of(client)["features"] for point in f["geometry"]["coordinates"] for c in point
    ]
    assert coordinates and all(round(c, 2) == c for c in coordinates)
    figures = [v for row in csv_rows_of(client) for k, v in row.items() if k.endswith(("_lat", "_lon"))]
    assert figures and all(re.fullmatch(r"\d+\.\d{1,2}", figure) for figure in figures)


def test_the_departure_is_rounded_down_to_the_quarter_hour(client: FlaskClient, offers: Offers) -> None:
    properties = geojson_of(client)["features"][0]["properties"]
    eight = datetime.combine(LEAVING.date(), time(8, 0), PARIS).astimezone(UTC)
    assert properties["departure_utc"] == eight.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert properties["departure_local_date"] == LEAVING.date().isoformat()
    assert csv_rows_of(client)[0]["departure_utc"] == properties["departure_utc"]


def test_the_figures_of_a_trip_are_published(app: Flask, client: FlaskClient, offers: Offers) -> None:
    with app.app_context():
        trip = db.session.get(Trip, offers.shown[0])
        assert trip is not None
        seats, cents, currency = trip.seats, trip.contribution_cents, trip.currency
        km, minutes = round(trip.length_m / 1000, 1), round(trip.time_s / 60)
    properties = geojson_of(client)["features"][0]["properties"]
    assert (properties["seats"], properties["contribution_per_seat"], properties["currency"]) == (
        seats,
        cents / 100,
        currency,
    )
    assert (properties["length_km"], properties["duration_min"]) == (km, minutes)
    assert (properties["luggage"], properties["pets"], properties["smoking"]) == ("medium", False, False)
    row = csv_rows_of(client)[0]
    assert (row["contribution_per_seat"], row["length_km"], row["duration_min"]) == (
        f"{cents / 100:.2f}",
        str(km),
        str(minutes),
    )


# -- the ids ----------------------------------------------------------------------------


def test_ids_are_opaque_and_stable(app: Flask, client: FlaskClient, offers: Offers) -> None:
    first = [f["id"] for f in geojson_of(client)["features"]]
    assert [f["id"] for f in geojson_of(client)["features"]] == first
    assert all(re.fullmatch(r"[0-9a-f]{16}", opaque) for opaque in first)
    assert not {str(trip_id) for trip_id in offers.shown} & set(first)
    with app.app_context():
        app.config["SECRET_KEY"] = "another site"
        # Keyed: without the site's secret, nobody can work the ids out from 1, 2, 3…
        assert _ids(*offers.shown) != first


# -- the files --------------------------------------------------------------------------


def test_the_geojson_is_a_feature_collection_with_its_licence(client: FlaskClient, offers: Offers) -> None:
    collection = geojson_of(client)
    assert collection["type"] == "FeatureCollection"
    assert collection["licence"] == {
        "name": "Open Database License (ODbL) 1.0",
        "url": "https://opendatacommons.org/licenses/odbl/1-0/",
    }
    assert collection["attribution"] == "© carpool and OpenStreetMap contributors"
    generated = datetime.strptime(collection["generated_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - generated) < timedelta(minutes=1)
    for feature in collection["features"]:
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "LineString"
        lon, lat = feature["geometry"]["coordinates"][0]
        assert 7.3 < lon < 7.5 and 43.7 < lat < 43.8  # Monaco: longitude first


def test_the_csv_holds_the_same_trips_as_the_geojson(client: FlaskClient, offers: Offers) -> None:
    features = geojson_of(client)["features"]
    rows = csv_rows_of(client)
    assert [row["id"] for row in rows] == [feature["id"] for feature in features]
    for row, feature in zip(rows, features, strict=True):
        first, last = feature["geometry"]["coordinates"][0], feature["geometry"]["coordinates"][-1]
        assert [float(row["origin_lon"]), float(row["origin_lat"])] == first
        assert [float(row["destination_lon"]), float(row["destination_lat"])] == last
        assert row["departure_utc"] == feature["properties"]["departure_utc"]


def test_the_downloads_carry_their_licence_and_can_be_cached(client: FlaskClient, offers: Offers) -> None:
    for path, mimetype in (
        ("/open-data/trips.geojson", "application/geo+json"),
        ("/open-data/trips.csv", "text/csv"),
    ):
        response = client.get(path)
        assert response.mimetype == mimetype
        assert response.headers["Link"] == '<https://opendatacommons.org/licenses/odbl/1-0/>; rel="license"'
        assert response.headers["Content-Disposition"] == f'attachment; filename="{path.rsplit("/", 1)[1]}"'
        assert response.cache_control.public and response.cache_control.max_age == 900
        etag = response.headers["ETag"]
        unchanged = client.get(path, headers={"If-None-Match": etag})
        assert unchanged.status_code == 304 and not unchanged.data


def test_a_new_trip_changes_the_etag(app: Flask, client: FlaskClient, driver: int) -> None:
    etag = client.get("/open-data/trips.csv").headers["ETag"]
    with app.app_context():
        publish(driver, draft())
    response = client.get("/open-data/trips.csv", headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag
    assert len(list(csv.DictReader(io.StringIO(response.data.decode())))) == 1


def test_the_licence_is_a_setting(app: Flask, client: FlaskClient) -> None:
    app.config.update(OPEN_DATA_LICENCE="Licence Ouverte 2.0", OPEN_DATA_LICENCE_URL="https://example.org/lo")
    app.config["ASSOCIATION_NAME"] = "Covoit' du Val"
    collection = geojson_of(client)
    assert collection["licence"] == {"name": "Licence Ouverte 2.0", "url": "https://example.org/lo"}
    assert collection["attribution"] == "© Covoit' du Val and OpenStreetMap contributors"
    assert client.get("/open-data/trips.csv").headers["Link"] == '<https://example.org/lo>; rel="license"'
    assert "Licence Ouverte 2.0" in client.get("/open-data").get_data(as_text=True)


def test_an_empty_export_is_still_a_valid_file(client: FlaskClient) -> None:
    assert geojson_of(client)["features"] == []
    assert client.get("/open-data/trips.csv").data.decode().startswith("id,departure_utc,")


# -- the page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "heading", "licence"),
    [
        ("fr", "Données ouvertes : les trajets proposés", "Ces données sont publiées sous cette licence"),
        ("en", "Open data: the trips on offer", "These data are published under this licence"),
    ],
)
def test_the_page_explains_the_files_in_french_and_english(
    client: FlaskClient, language: str, heading: str, licence: str
) -> None:
    page = client.get("/open-data", headers={"Accept-Language": language}).get_data(as_text=True)
    assert f'<html lang="{language}">' in page and heading in page and licence in page
    assert 'href="/open-data/trips.geojson"' in page and 'href="/open-data/trips.csv"' in page
    assert 'href="https://opendatacommons.org/licenses/odbl/1-0/" rel="license"' in page
    assert "© carpool and OpenStreetMap contributors" in page


def test_the_footer_and_the_transparency_page_link_to_it(client: FlaskClient) -> None:
    for path in ("/", "/transparency"):
        page = client.get(path).get_data(as_text=True)
        assert page.count('href="/open-data"') == (1 if path == "/" else 2), path


# -- the command ------------------------------------------------------------------------


def test_the_command_writes_the_csv_file(
    app: Flask, runner: FlaskCliRunner, offers: Offers, tmp_path: Path
) -> None:
    target = tmp_path / "trajets.csv"
    result = runner.invoke(args=["open-data", "export", "--format", "csv", "--output", str(target)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    with app.app_context():
        assert [row["id"] for row in rows] == _ids(*offers.shown)


def test_the_command_prints_the_geojson(app: Flask, runner: FlaskCliRunner, offers: Offers) -> None:
    result = runner.invoke(args=["open-data", "export", "--format", "geojson"])
    assert result.exit_code == 0, result.output
    collection = json.loads(result.stdout)
    with app.app_context():
        assert [f["id"] for f in collection["features"]] == _ids(*offers.shown)
    assert collection["licence"]["url"] == "https://opendatacommons.org/licenses/odbl/1-0/"


def test_the_command_refuses_an_unknown_format(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["open-data", "export", "--format", "xlsx"])
    assert result.exit_code != 0 and "xlsx" in result.output


def test_a_trip_still_published_by_a_deleted_account_is_left_out(
    app: Flask, client: FlaskClient, driver: int
) -> None:
    with app.app_context():
        publish(driver, draft())
        # Deleting an account cancels its trips; the export does not count on it alone.
        _user(driver).deleted_at = datetime.now(UTC)
        db.session.commit()
    assert geojson_of(client)["features"] == []
    assert csv_rows_of(client) == []
