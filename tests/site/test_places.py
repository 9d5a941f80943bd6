"""The gazetteer: loading the region's places, suggestions while typing."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from carpool.extensions import db
from carpool.models import Place
from carpool.services import geocoder, places
from carpool.services.messages import FieldError
from carpool.services.roads import get_router
from tests.site.test_trips import TOMORROW


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


# -- Coordinates typed, or written in the field by a click on the map -----------------


def refusal(app: Flask, text: str, field: str = "origin") -> str:
    """The message (in English) place_for_field gives for ``text``; the field must match."""
    with pytest.raises(FieldError) as refused:
        places.place_for_field(text, field)
    assert refused.value.field == field
    with app.test_request_context(), force_locale("en"):
        return str(refused.value.message)


def test_coordinates_name_a_point_after_the_nearest_place(loaded: Flask) -> None:
    with loaded.app_context():
        for text in ("43.73840, 7.42460", "43.7384,7.4246", " 43.7384 7.4246 "):
            point = places.place_for_field(text, "origin")
            assert point == places.PlaceOption(
                id=0, name="Monte-Carlo (43.7384, 7.4246)", kind="point", lat=43.7384, lon=7.4246
            )
        # Coordinates are kept as given; only the name is rounded.
        precise = places.find_place("43.738412, 7.424634")
        assert (precise.lat, precise.lon) == (43.738412, 7.424634)
        assert precise.name == "Monte-Carlo (43.7384, 7.4246)"
        assert places.parse_point("-0.5 +7") == (-0.5, 7.0)


def test_coordinates_far_from_any_place_are_named_by_themselves(app: Flask) -> None:
    with app.app_context():  # an empty gazetteer: no place within 3 km
        assert places.find_place("43.7384, 7.4246").name == "43.7384, 7.4246"
        assert places.nearest_place(43.7384, 7.4246, within_m=3_000) is None


def test_nearest_place_reads_only_a_box_around_the_point(loaded: Flask) -> None:
    with loaded.app_context():
        near = places.nearest_place(43.7384, 7.4246, within_m=3_000)
        assert near is not None and near.name == "Monte-Carlo"
        # Roquebrune-Cap-Martin is about 5 km from Monte-Carlo.
        assert places.nearest_place(43.7641, 7.4821, within_m=100) is not None
        assert places.nearest_place(43.7641, 7.4921, within_m=100) is None  # 800 m east


@pytest.mark.parametrize(("text", "field"), [("91, 7", "origin"), ("43.7, 200", "destination")])
def test_impossible_coordinates_are_refused_on_their_field(loaded: Flask, text: str, field: str) -> None:
    with loaded.app_context():
        assert refusal(loaded, text, field) == "These coordinates are not a place on Earth."


@pytest.mark.parametrize("text", ["48.8566, 2.3522", "43.60, 7.45", "0 0"])
def test_a_point_far_from_the_roads_is_refused(loaded: Flask, text: str) -> None:
    # Paris, the sea 15 km off Monaco, the Gulf of Guinea.
    with loaded.app_context():
        assert refusal(loaded, text, "stopovers-0") == "This point is not near a road of the region."


@pytest.mark.parametrize("text", ["Route 66", "66", "43.7384, 7.4246, 12", "43,7 7,4", "1e3 2"])
def test_text_with_numbers_is_still_a_name(loaded: Flask, text: str) -> None:
    assert places.parse_point(text) is None
    with loaded.app_context():
        assert refusal(loaded, text) == f"No place of the region is called “{text}”."


def test_a_point_in_the_search_form(loaded: Flask, client: FlaskClient) -> None:
    query = {"origin": "43.7384, 7.4246", "destination": "Beausoleil", "day": TOMORROW.date().isoformat()}
    page = client.get("/search", query_string=query).get_data(as_text=True)
    assert "0 trajet" in page and "Aucun lieu" not in page
    far = client.get("/search", query_string={**query, "origin": "48.8566, 2.3522"})
    with loaded.test_request_context(), force_locale("fr"):  # translated or not yet
        message = str(_l("This point is not near a road of the region."))
    assert far.status_code == 200 and message in far.get_data(as_text=True)


# -- Nominatim, when configured -----------------------------------------------------------

HAMEAU = {
    "place_id": 900001,
    "osm_type": "node",
    "osm_id": 123456789,
    "lat": "43.7384",
    "lon": "7.4246",
    "display_name": "Hameau de Test, Monte-Carlo, Monaco, 98000, Monaco",
    "name": "Hameau de Test",
    "type": "hamlet",
    "addresstype": "hamlet",
    "class": "place",
}
PARIS = {
    "place_id": 900002,
    "osm_type": "relation",
    "osm_id": 7444,
    "lat": "48.8566",
    "lon": "2.3522",
    "display_name": "Paris, Île-de-France, France métropolitaine, France",
    "name": "Paris",
    "type": "administrative",
    "addresstype": "city",
    "class": "boundary",
}
USER_AGENT = "carpool-tests/1.0 (tests@example.org)"


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    user_agent: str
    at: float


@dataclass
class FakeNominatim:
    """A Nominatim server on 127.0.0.1: answers /search from ``answers``, records requests."""

    port: int = 0
    status: int = 200
    answers: dict[str, list[dict[str, object]]] = dataclass_field(default_factory=dict)
    requests: list[Request] = dataclass_field(default_factory=list)

    def configure(self, app: Flask, *, geocoder_name: str = "nominatim") -> None:
        app.config.update(
            GEOCODER=geocoder_name,
            GEOCODER_DOMAIN=f"127.0.0.1:{self.port}",
            GEOCODER_SCHEME="http",
            GEOCODER_USER_AGENT=USER_AGENT,
            GEOCODER_TIMEOUT=3.0,
        )


@pytest.fixture
def nominatim() -> Iterator[FakeNominatim]:
    fake = FakeNominatim(answers={"Hameau de Test": [HAMEAU], "Ville Lointaine": [PARIS]})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            fake.requests.append(
                Request(url.path, query, self.headers.get("User-Agent", ""), time.monotonic())
            )
            if fake.status != 200:
                body, status = b"Internal Server Error", fake.status
            elif url.path != "/search":
                body, status = b"Not Found", 404
            else:
                body, status = json.dumps(fake.answers.get(query.get("q", [""])[0], [])).encode(), 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


def nominatim_places() -> list[Place]:
    return list(db.session.scalars(select(Place).where(Place.source == "nominatim")))


def test_nominatim_finds_a_place_the_gazetteer_lacks_and_keeps_it(
    loaded: Flask, nominatim: FakeNominatim
) -> None:
    nominatim.configure(loaded)
    with loaded.app_context():
        found = places.find_place("Hameau de Test")
        assert (found.name, found.kind, found.lat, found.lon) == ("Hameau de Test", "hamlet", 43.7384, 7.4246)
        assert len(nominatim.requests) == 1
        sent = nominatim.requests[0]
        assert sent.path == "/search" and sent.query["q"] == ["Hameau de Test"]
        assert sent.query["bounded"] == ["1"] and sent.user_agent == USER_AGENT
        west, south, east, north = map(float, sent.query["viewbox"][0].split(","))
        network = get_router().graph.network
        assert (south, north) == pytest.approx((network.lat.min(), network.lat.max()))
        assert (west, east) == pytest.approx((network.lon.min(), network.lon.max()))
        [stored] = nominatim_places()
        assert (stored.source_id, stored.search_key, stored.population) == (
            "node/123456789",
            "hameau de test",
            0,
        )
        assert stored.id == found.id
        # Now in the gazetteer: found offline, suggested while typing, never asked again.
        assert places.find_place("hameau de test") == found
        assert places.autocomplete("hameau")[0] == found
        assert len(nominatim.requests) == 1
    client = loaded.test_client()
    assert client.get("/places/suggest?q=hameau").get_json()[0]["name"] == "Hameau de Test"


def test_the_same_nominatim_result_is_stored_once(loaded: Flask, nominatim: FakeNominatim) -> None:
    nominatim.answers["Le Hameau"] = [HAMEAU]  # another name for the same place
    nominatim.configure(loaded)
    with loaded.app_context():
        first = places.find_place("Hameau de Test")
        assert places.find_place("Le Hameau") == first
        assert len(nominatim.requests) == 2 and len(nominatim_places()) == 1


def test_nominatim_misses_are_remembered(
    loaded: Flask, nominatim: FakeNominatim, monkeypatch: pytest.MonkeyPatch
) -> None:
    nominatim.configure(loaded)
    with loaded.app_context():
        for name in ("Atlantis", "atlantis", " ATLANTIS "):
            with pytest.raises(places.UnknownPlace):
                places.find_place(name)
        assert len(nominatim.requests) == 1
        # Forgotten after a day.
        monkeypatch.setattr(geocoder, "MISS_TTL_S", 0.0)
        with pytest.raises(places.UnknownPlace):
            places.find_place("Atlantis")
        assert len(nominatim.requests) == 2


def test_nominatim_is_asked_once_a_second_at_most(loaded: Flask, nominatim: FakeNominatim) -> None:
    nominatim.configure(loaded)
    with loaded.app_context():
        for name in ("Atlantis", "Lemurie", "Hyperborée"):
            with pytest.raises(places.UnknownPlace):
                places.find_place(name)
    times = [r.at for r in nominatim.requests]
    assert len(times) == 3
    assert all(later - earlier >= 0.95 for earlier, later in itertools.pairwise(times))


def test_a_nominatim_result_outside_the_region_is_refused(loaded: Flask, nominatim: FakeNominatim) -> None:
    nominatim.configure(loaded)
    with loaded.app_context():
        assert refusal(loaded, "Ville Lointaine") == "No place of the region is called “Ville Lointaine”."
        assert nominatim_places() == []
        # Refused results count as a miss too.
        assert refusal(loaded, "Ville Lointaine") and len(nominatim.requests) == 1


def test_the_first_result_inside_the_region_is_taken(loaded: Flask, nominatim: FakeNominatim) -> None:
    nominatim.answers["Test"] = [PARIS, HAMEAU]
    nominatim.configure(loaded)
    with loaded.app_context():
        assert places.find_place("Test").name == "Hameau de Test"


def test_a_failing_nominatim_means_unknown_place(loaded: Flask, nominatim: FakeNominatim) -> None:
    nominatim.status = 500
    nominatim.configure(loaded)
    with loaded.app_context():
        assert refusal(loaded, "Hameau de Test") == "No place of the region is called “Hameau de Test”."
        assert len(nominatim.requests) == 1
        # A failing server is left alone for a while, and a failure is not a miss.
        nominatim.status = 200
        refusal(loaded, "Hameau de Test")
        assert len(nominatim.requests) == 1
        loaded.extensions.pop("carpool.geocoder")  # as if a minute had passed
        assert places.find_place("Hameau de Test").name == "Hameau de Test"


def test_a_nominatim_that_is_down_means_unknown_place(loaded: Flask, nominatim: FakeNominatim) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    nominatim.port = closed
    nominatim.configure(loaded)
    with loaded.app_context():
        assert refusal(loaded, "Hameau de Test") == "No place of the region is called “Hameau de Test”."


def test_a_slow_nominatim_means_unknown_place(
    loaded: Flask, nominatim: FakeNominatim, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        nominatim.port = silent.getsockname()[1]
        nominatim.configure(loaded)
        loaded.config["GEOCODER_TIMEOUT"] = 0.5
        with loaded.app_context():
            started = time.monotonic()
            assert refusal(loaded, "Hameau de Test") == "No place of the region is called “Hameau de Test”."
            assert time.monotonic() - started < 3


def test_no_geocoder_no_network(loaded: Flask, nominatim: FakeNominatim) -> None:
    nominatim.configure(loaded, geocoder_name="")  # the default: the server is never asked
    with loaded.app_context():
        started = time.monotonic()
        assert refusal(loaded, "Hameau de Test") == "No place of the region is called “Hameau de Test”."
        assert time.monotonic() - started < 1
    assert nominatim.requests == []


def test_search_page_with_a_place_from_nominatim(
    loaded: Flask, client: FlaskClient, nominatim: FakeNominatim
) -> None:
    nominatim.configure(loaded)
    query = {"origin": "Hameau de Test", "destination": "Monaco", "day": TOMORROW.date().isoformat()}
    response = client.get("/search", query_string=query)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "0 trajet" in page and "Aucun lieu de la région" not in page
    assert len(nominatim.requests) == 1
    nominatim.status = 500  # a failing server still gives a page
    unknown = client.get("/search", query_string={**query, "origin": "Atlantis"})
    assert unknown.status_code == 200
    assert "Aucun lieu de la région ne s’appelle « Atlantis »." in unknown.get_data(as_text=True)
