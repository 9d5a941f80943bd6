"""Publishing a trip and finding it, through the pages, as a browser without JavaScript."""

from __future__ import annotations

import html
import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.site.test_auth import sign_in, token_of
from tests.site.test_trips import TOMORROW

PASSWORD = "a long passphrase"


def members_created(runner: FlaskCliRunner, *names: str) -> None:
    """Accounts made with the command line, each ``name@example.org`` with PASSWORD."""
    for name in names:
        email = f"{name.lower()}@example.org"
        assert runner.invoke(args=["users", "create", email, name, "--password", PASSWORD]).exit_code == 0


@pytest.fixture
def signed_in(app: Flask, client: FlaskClient, runner: FlaskCliRunner) -> FlaskClient:
    assert runner.invoke(args=["places", "load"]).exit_code == 0
    assert (
        runner.invoke(
            args=["users", "create", "camille@example.org", "Camille", "--password", PASSWORD]
        ).exit_code
        == 0
    )
    assert sign_in(client, "camille@example.org", PASSWORD).status_code == 302
    return client


def publish(client: FlaskClient, **changes: str):  # type: ignore[no-untyped-def]
    data = {
        "origin": "Cap-d'Ail",
        "destination": "Roquebrune-Cap-Martin",
        "day": TOMORROW.date().isoformat(),
        "hour": "08:00",
        "seats": "3",
        "max_detour_min": "15",
        "contribution": "",
        "comment": "Petit coffre",
        "csrf_token": token_of(client, "/trips/new"),
    }
    data.update(changes)
    return client.post("/trips/new", data=data)


def test_publishing_needs_an_account(client: FlaskClient) -> None:
    response = client.get("/trips/new")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_publish_then_see_the_trip(signed_in: FlaskClient) -> None:
    response = publish(signed_in, **{"stopovers-0": "Monaco"})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Votre trajet est publié." in page
    stops = page[page.index('<ol class="stops"') :]
    assert stops.index("Cap-d&#39;Ail") < stops.index("Monaco") < stops.index("Roquebrune-Cap-Martin")
    assert "08:00" in page and "Conducteur :" in page and ">Camille</a>" in page
    assert "par passager" in page and "€" in page and "Petit coffre" in page


def test_publish_form_errors_are_inline_and_keep_what_was_typed(signed_in: FlaskClient) -> None:
    unknown = publish(signed_in, destination="Atlantis")
    page = unknown.get_data(as_text=True)
    assert unknown.status_code == 200
    assert "Aucun lieu de la région ne s’appelle « Atlantis »." in page
    assert 'value="Petit coffre"' in page or "Petit coffre</textarea>" in page
    past = publish(signed_in, day="2020-01-01")
    assert "La date de départ doit être dans le futur." in past.get_data(as_text=True)
    for seats in ("0", "100", "deux"):
        assert publish(signed_in, seats=seats).status_code == 200
    greedy = publish(signed_in, contribution="500")
    assert "le conducteur ne fait aucun bénéfice" in greedy.get_data(as_text=True)
    assert publish(signed_in, day="31/02/2027", hour="25:99").status_code == 200


def test_search_finds_a_trip_passing_by(signed_in: FlaskClient) -> None:
    assert publish(signed_in).status_code == 302
    # Monaco and Beausoleil are neither end of the trip, but on its way.
    query = {"origin": "monaco", "destination": "beausoleil", "day": TOMORROW.date().isoformat()}
    page = signed_in.get("/search", query_string=query).get_data(as_text=True)
    assert "1 trajet" in page and "Trajet avec Camille" in page
    assert re.search(r"Vous prend le .*vous dépose à", page)
    assert "versés au conducteur" in page


def test_search_without_result_offers_nearby_dates(signed_in: FlaskClient) -> None:
    query = {"origin": "monaco", "destination": "beausoleil", "day": TOMORROW.date().isoformat()}
    page = signed_in.get("/search", query_string=query).get_data(as_text=True)
    assert "0 trajet" in page and "Aucun trajet ne passe encore par là" in page
    assert "flex_days=3" in page


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"origin": "Atlantis", "destination": "Monaco", "day": "2030-01-01"},
        {"origin": "Monaco", "destination": "Èze", "day": "not a date"},
        {"origin": "Monaco", "destination": "Èze", "day": "2030-01-01", "flex_days": "99"},
        {"origin": "x" * 10_000, "destination": "\x00", "day": "9999-12-31", "flex_days": "3"},
    ],
)
def test_search_odd_input_gets_a_page_not_an_error(signed_in: FlaskClient, query: dict[str, str]) -> None:
    response = signed_in.get("/search", query_string=query)
    assert response.status_code == 200
    assert "Trouver un covoiturage" in response.get_data(as_text=True)


def test_unknown_trip(client: FlaskClient) -> None:
    assert client.get("/trips/999999").status_code == 404


def test_search_time_window(signed_in: FlaskClient) -> None:
    assert publish(signed_in).status_code == 302  # leaves at 8:00
    base = {"origin": "monaco", "destination": "beausoleil", "day": TOMORROW.date().isoformat()}
    morning = signed_in.get("/search", query_string={**base, "time_from": "07:30", "time_to": "09:00"})
    assert "1 trajet" in morning.get_data(as_text=True)
    evening = signed_in.get("/search", query_string={**base, "time_from": "17:00"})
    assert "0 trajet" in evening.get_data(as_text=True)
    backwards = signed_in.get("/search", query_string={**base, "time_from": "18:00", "time_to": "08:00"})
    assert "La plage horaire se termine avant de commencer." in backwards.get_data(as_text=True)
    nonsense = signed_in.get("/search", query_string={**base, "time_from": "26:61"})
    assert nonsense.status_code == 200


def trip_map(page: str) -> dict:  # type: ignore[type-arg]
    found = re.search(r"data-trip='([^']*)'", page)
    assert found
    return json.loads(html.unescape(found.group(1)))  # type: ignore[no-any-return]


def test_the_trip_page_draws_the_route_and_the_passengers_places(signed_in: FlaskClient) -> None:
    trip = publish(signed_in).headers["Location"]
    page = signed_in.get(trip + "?pickup=43.7300,7.4200&dropoff=43.7400,7.4300").get_data(as_text=True)
    drawn = trip_map(page)
    assert len(drawn["path"]) > 10 and len(drawn["stops"]) == 2
    assert drawn["pickup"] == [43.73, 7.42] and drawn["dropoff"] == [43.74, 7.43]
    assert drawn["stops"][0]["name"] == "Cap-d'Ail"
    assert "/leaflet/leaflet.js" in page and "© les contributeurs d’OpenStreetMap" in page
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in page
    # Points that are not coordinates are ignored, never a 500.
    odd = signed_in.get(trip + "?pickup=nord&dropoff=91,7").get_data(as_text=True)
    assert trip_map(odd)["pickup"] is None and trip_map(odd)["dropoff"] is None


def test_leaflet_and_the_site_scripts_are_served_from_the_packages(client: FlaskClient) -> None:
    leaflet = client.get("/leaflet/leaflet.js")
    assert leaflet.status_code == 200 and b"Leaflet" in leaflet.data[:500]
    assert client.get("/leaflet/leaflet.css").status_code == 200
    assert b"OpenStreetMap" in client.get("/static/js/map.js").data
    assert client.get("/static/css/site.css").status_code == 200


def test_the_forms_offer_suggestions_and_a_map_to_pick_places(signed_in: FlaskClient) -> None:
    for path in ("/", "/trips/new"):
        page = signed_in.get(path).get_data(as_text=True)
        assert 'data-suggest="/places/suggest"' in page and "data-fields=" in page
        centre = json.loads(re.search(r"data-centre='([^']*)'", page).group(1))  # type: ignore[union-attr]
        assert 43.6 < centre[0] < 43.9 and 7.2 < centre[1] < 7.7


def test_a_point_picked_on_the_map_is_a_stop(signed_in: FlaskClient) -> None:
    response = publish(signed_in, origin="43.72500, 7.41800")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "(43.7250, 7.4180)" in page


def test_publish_with_options_and_a_return_then_change_and_cancel(signed_in: FlaskClient) -> None:
    back = TOMORROW.date().isoformat()
    response = publish(
        signed_in, luggage="small", pets="y", max_two_back="y", return_day=back, return_hour="18:30"
    )
    trip = response.headers["Location"]
    page = signed_in.get(trip).get_data(as_text=True)
    assert "Petits bagages seulement" in page and "Animaux bienvenus" in page and "Non-fumeur" in page
    assert "Deux passagers maximum à l’arrière" in page
    returning = re.search(r'href="(/trips/\d+)">Le trajet retour', page)
    assert returning
    back_page = signed_in.get(returning.group(1)).get_data(as_text=True)
    assert "18:30" in back_page and "Roquebrune-Cap-Martin → Cap-d&#39;Ail" in back_page

    edit = signed_in.get(trip + "/edit").get_data(as_text=True)
    assert 'value="Cap-d&#39;Ail"' in edit and '<option selected value="small">' in edit
    data = {
        "origin": "Cap-d'Ail",
        "destination": "Monaco",
        "day": TOMORROW.date().isoformat(),
        "hour": "09:15",
        "seats": "2",
        "max_detour_min": "5",
        "luggage": "medium",
        "contribution": "",
        "csrf_token": token_of(signed_in, trip + "/edit"),
    }
    changed = signed_in.post(trip + "/edit", data=data)
    assert changed.status_code == 302, re.findall(r"class=\"error\">([^<]*)", changed.get_data(as_text=True))
    page = signed_in.get(trip).get_data(as_text=True)
    assert "Votre trajet est modifié." in page and "09:15" in page and "2 places proposées" in page
    assert "Animaux bienvenus" not in page

    bad = signed_in.post(trip + "/edit", data={**data, "destination": "Nulle-Part"})
    assert bad.status_code == 200 and "Nulle-Part" in bad.get_data(as_text=True)

    cancelled = signed_in.post(
        trip + "/cancel", data={"reason": "Panne", "csrf_token": token_of(signed_in, trip)}
    )
    page = signed_in.get(cancelled.headers["Location"]).get_data(as_text=True)
    assert "Votre trajet est annulé." in page and "Motif : Panne" in page
    assert "Modifier ce trajet" not in page


def test_only_the_driver_can_change_a_trip(
    app: Flask, signed_in: FlaskClient, runner: FlaskCliRunner
) -> None:
    trip = publish(signed_in).headers["Location"]
    signed_in.post("/account/logout", data={"csrf_token": token_of(signed_in, "/")})
    assert (
        runner.invoke(args=["users", "create", "dom@example.org", "Dom", "--password", PASSWORD]).exit_code
        == 0
    )
    assert sign_in(signed_in, "dom@example.org", PASSWORD).status_code == 302
    assert signed_in.get(trip + "/edit").status_code == 403
    token = token_of(signed_in, trip)
    assert signed_in.post(trip + "/cancel", data={"csrf_token": token}).status_code == 403
    assert "Modifier ce trajet" not in signed_in.get(trip).get_data(as_text=True)
    assert signed_in.get("/trips/999/edit").status_code == 404


def test_a_free_ride_says_so_instead_of_a_zero_price(signed_in: FlaskClient) -> None:
    trip = publish(signed_in, contribution="0").headers["Location"]
    page = signed_in.get(trip).get_data(as_text=True)
    assert "ne demande aucune participation aux frais" in page and "0,00" not in page
    day = TOMORROW.date().isoformat()
    results = signed_in.get(f"/search?origin=Cap-d'Ail&destination=Monaco&day={day}").get_data(as_text=True)
    assert "Aucune participation demandée" in results and "0,00" not in results
