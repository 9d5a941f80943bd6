"""Publishing a trip and finding it, through the pages, as a browser without JavaScript."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.site.test_auth import sign_in, token_of
from tests.site.test_trips import TOMORROW

PASSWORD = "a long passphrase"


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
    stops = page[page.index("<ol>") :]
    assert stops.index("Cap-d&#39;Ail") < stops.index("Monaco") < stops.index("Roquebrune-Cap-Martin")
    assert "08:00" in page and "Conducteur : Camille" in page
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
    assert re.search(r"vous prend le .*vous dépose à", page)
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
