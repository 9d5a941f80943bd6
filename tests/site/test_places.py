"""The gazetteer: loading the region's places, suggestions while typing."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from carpool.extensions import db
from carpool.models import Place
from carpool.services import places
from carpool.services.roads import get_router


@pytest.fixture
def loaded(app: Flask, runner: FlaskCliRunner) -> Flask:
    result = runner.invoke(args=["places", "load"])
    assert result.exit_code == 0, result.output
    assert "added" in result.output
    return app


def names(options: list[places.PlaceOption]) -> list[str]:
    return [o.name for o in options]


def test_load_keeps_places_of_the_region_once(loaded: Flask, runner: FlaskCliRunner) -> None:
    with loaded.app_context():
        count = db.session.scalar(select(func.count()).select_from(Place))
        assert count is not None and 10 < count < 100
        all_names = list(db.session.scalars(select(Place.name)))
        # GeoNames and the extract both know Beausoleil: it is listed once.
        assert all_names.count("Beausoleil") == 1
        assert {"Monaco", "Beausoleil", "La Turbie", "Èze"} <= set(all_names)
        graph = get_router().graph
        for place in db.session.scalars(select(Place)):
            graph.snap((place.lat, place.lon), max_distance_m=5_000)  # near a road of the region
        ids = dict(db.session.execute(select(Place.source_id, Place.id)).all())
    again = runner.invoke(args=["places", "load"])
    assert "0 added" in again.output
    with loaded.app_context():
        assert dict(db.session.execute(select(Place.source_id, Place.id)).all()) == ids


def test_suggestions_ignore_accents_case_and_hyphens(loaded: Flask) -> None:
    with loaded.app_context():
        db.session.add(
            Place(
                name="Saint-Étienne",
                search_key=places.search_key("Saint-Étienne"),
                kind="city",
                lat=45.43,
                lon=4.39,
                population=170_000,
                source="test",
                source_id="1",
            )
        )
        db.session.commit()
        assert names(places.autocomplete("saint et")) == ["Saint-Étienne"]
        assert names(places.autocomplete("SAINT-ÉT")) == ["Saint-Étienne"]
        assert names(places.autocomplete("eze"))[0] == "Èze"
        assert "Roquebrune-Cap-Martin" in names(places.autocomplete("cap mar"))  # a word inside the name
        # Names that start with the query come before names that contain it.
        capd = names(places.autocomplete("cap"))
        assert capd.index("Cap-d'Ail") < capd.index("Roquebrune-Cap-Martin")


ODD_QUERIES = ["", "   ", "%", "_", "\\", "x" * 10_000, "\x00\x1f", "' OR 1=1 --", "🚗"]


def test_odd_queries_find_nothing_and_break_nothing(loaded: Flask, client: FlaskClient) -> None:
    for query in ODD_QUERIES:
        with loaded.app_context():
            assert places.autocomplete(query) == [], query
        response = client.get("/places/suggest", query_string={"q": query})
        assert response.status_code == 200 and response.get_json() == [], query


def test_suggest_endpoint(loaded: Flask, client: FlaskClient) -> None:
    response = client.get("/places/suggest?q=beau")
    assert response.status_code == 200
    first = response.get_json()[0]
    assert first["name"] == "Beausoleil"
    assert 43.7 < first["lat"] < 43.8 and 7.4 < first["lon"] < 7.5
    assert client.get("/places/suggest").get_json() == []


def test_find_place(loaded: Flask) -> None:
    with loaded.app_context():
        assert places.find_place("la turbie").name == "La Turbie"
        assert places.find_place("Beauso").name == "Beausoleil"
        with pytest.raises(places.UnknownPlace):
            places.find_place("Atlantis")
        with pytest.raises(places.UnknownPlace):
            places.find_place("   ")
