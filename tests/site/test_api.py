"""The JSON API, /api/v1: tokens, the trip and search contracts, bookings, messages,
alerts, one's data; errors as translated problem details; the generated OpenAPI
document, and schemathesis over it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from sqlalchemy import func, select

from carpool.extensions import db
from carpool.models import ApiToken, Booking, Trip
from carpool.services import accounts
from tests.site.test_auth import PASSWORD, sign_in, token_of
from tests.site.test_search import on_the_way as along
from tests.site.test_search import publish_random_trips, random_place
from tests.site.test_trips import CASINO, LARVOTTO, PALACE, TOMORROW

PROBLEM = "application/problem+json"


def member(app: Flask, email: str, name: str) -> int:
    with app.app_context():
        return accounts.register(accounts.Registration(email=email, display_name=name, password=PASSWORD))


def token_for(client: FlaskClient, email: str) -> str:
    answer = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD, "name": "tests"})
    assert answer.status_code == 201, answer.get_json()
    secret: str = answer.get_json()["token"]
    return secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def camille(app: Flask, client: FlaskClient) -> tuple[int, dict[str, str]]:
    """A driver with a token: (id, headers)."""
    user_id = member(app, "camille@example.org", "Camille")
    return user_id, bearer(token_for(client, "camille@example.org"))


@pytest.fixture
def dominique(app: Flask, client: FlaskClient) -> tuple[int, dict[str, str]]:
    """A passenger with a token: (id, headers)."""
    user_id = member(app, "dominique@example.org", "Dominique")
    return user_id, bearer(token_for(client, "dominique@example.org"))


def point(stop: Any) -> dict[str, float]:
    return {"lat": stop.lat, "lon": stop.lon}


def trip_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "origin": point(PALACE),
        "destination": point(LARVOTTO),
        "via": [point(CASINO)],
        "departure": TOMORROW.isoformat(),
        "seats": 3,
        "max_detour_min": 10,
    }
    body.update(changes)
    return body


def leg(app: Flask) -> dict[str, dict[str, float]]:
    """A passenger's pickup and drop-off on the way of ``trip_body(via=[])``, neither of its ends."""
    pickup, dropoff = along(app)
    return {"pickup": {"lat": pickup[0], "lon": pickup[1]}, "dropoff": {"lat": dropoff[0], "lon": dropoff[1]}}


def trip_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Trip)) or 0


# Tokens ------------------------------------------------------------------------------


def test_a_token_from_email_and_password_opens_the_api(app: Flask, client: FlaskClient) -> None:
    member(app, "camille@example.org", "Camille")
    token = token_for(client, "camille@example.org")
    assert token.startswith("cp_") and len(token) > 40
    answer = client.get("/api/v1/tokens", headers=bearer(token))
    assert answer.status_code == 200
    (listed,) = answer.get_json()
    assert listed["name"] == "tests" and token.startswith(listed["prefix"]) and "token" not in listed
    with app.app_context():
        stored = db.session.scalars(select(ApiToken)).one()
        assert token not in (stored.token_hash, stored.prefix)  # only its hash is kept


def test_wrong_credentials_get_no_token_and_a_translated_problem(app: Flask, client: FlaskClient) -> None:
    member(app, "camille@example.org", "Camille")
    for email, password in (("camille@example.org", "wrong password"), ("nobody@example.org", PASSWORD)):
        answer = client.post(
            "/api/v1/tokens", json={"email": email, "password": password}, headers={"Accept-Language": "fr"}
        )
        assert answer.status_code == 401 and answer.content_type == PROBLEM
        problem = answer.get_json()
        assert problem["status"] == 401 and problem["title"] == "Unauthorized"
        assert "ne correspondent à aucun compte" in problem["detail"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_without_a_valid_token_the_api_refuses(
    app: Flask, client: FlaskClient, camille: tuple[int, dict[str, str]]
) -> None:
    for headers in ({}, bearer("cp_not-a-token"), {"Authorization": "Basic Y2FtaWxsZTp4"}):
        answer = client.post("/api/v1/trips", json=trip_body(), headers=headers)
        assert answer.status_code == 401 and answer.content_type == PROBLEM
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert trip_count(app) == 0


def test_a_revoked_token_opens_nothing(
    app: Flask, client: FlaskClient, camille: tuple[int, dict[str, str]]
) -> None:
    _, headers = camille
    (token,) = client.get("/api/v1/tokens", headers=headers).get_json()
    assert client.delete(f"/api/v1/tokens/{token['id']}", headers=headers).status_code == 204
    answer = client.get("/api/v1/trips/mine", headers=headers)
    assert answer.status_code == 401
    with app.app_context():
        assert db.session.scalars(select(ApiToken)).one().revoked_at is not None


def test_nobody_revokes_another_members_token(
    app: Flask,
    client: FlaskClient,
    camille: tuple[int, dict[str, str]],
    dominique: tuple[int, dict[str, str]],
) -> None:
    (token,) = client.get("/api/v1/tokens", headers=camille[1]).get_json()
    answer = client.delete(f"/api/v1/tokens/{token['id']}", headers=dominique[1])
    assert answer.status_code == 404 and answer.content_type == PROBLEM
    assert client.get("/api/v1/trips/mine", headers=camille[1]).status_code == 200


def test_the_site_session_does_not_open_the_api(app: Flask, client: FlaskClient) -> None:
    """Only a token authenticates: another site cannot act through a member's cookie."""
    member(app, "camille@example.org", "Camille")
    sign_in(client, "camille@example.org", PASSWORD)
    assert client.get("/api/v1/trips/mine").status_code == 401
    assert client.post("/api/v1/trips", json=trip_body()).status_code == 401
    assert trip_count(app) == 0


def test_tokens_made_and_revoked_from_the_profile(app: Flask, client: FlaskClient) -> None:
    member(app, "camille@example.org", "Camille")
    sign_in(client, "camille@example.org", PASSWORD)
    profile = client.get("/account/profile").get_data(as_text=True)
    assert 'action="/account/tokens"' in profile
    page = client.post(
        "/account/tokens",
        data={"token-name": "Mon téléphone", "token-csrf_token": token_of(client, "/account/profile")},
    ).get_data(as_text=True)
    secret = re.search(r'<code id="new-token">(cp_[^<]+)</code>', page)
    assert secret is not None and "Mon téléphone" in page
    headers = bearer(secret[1])
    assert client.get("/api/v1/trips/mine", headers=headers).status_code == 200
    # The list shows the token, never its secret again.
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "Mon téléphone" in listing and secret[1] not in listing
    with app.app_context():
        token_id = db.session.scalars(select(ApiToken.id)).one()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', listing)
    assert csrf is not None
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf[1]})
    assert client.get("/api/v1/trips/mine", headers=headers).status_code == 401


def test_revoking_from_the_profile_needs_the_form(
    app: Flask, client: FlaskClient, camille: tuple[int, dict[str, str]]
) -> None:
    sign_in(client, "camille@example.org", PASSWORD)
    with app.app_context():
        token_id = db.session.scalars(select(ApiToken.id)).one()
    client.post(f"/account/tokens/{token_id}/revoke")  # no CSRF token: a forged request
    assert client.get("/api/v1/trips/mine", headers=camille[1]).status_code == 200


# Trips -------------------------------------------------------------------------------


def test_publish_a_trip_the_contract(
    app: Flask, client: FlaskClient, camille: tuple[int, dict[str, str]]
) -> None:
    answer = client.post("/api/v1/trips", json=trip_body(), headers=camille[1])
    assert answer.status_code == 201, answer.get_json()
    trip = answer.get_json()
    assert isinstance(trip["id"], int) and 60 < trip["time_s"] < 1800 and 2_000 < trip["length_m"] < 6_000
    route = trip["route"]
    assert route["type"] == "LineString" and len(route["coordinates"]) > 10
    lons, lats = zip(*route["coordinates"], strict=True)  # GeoJSON: longitude first
    assert 7.40 < min(lons) <= max(lons) < 7.45 and 43.72 < min(lats) <= max(lats) < 43.76
    assert [s["lat"] for s in trip["stops"]] == [PALACE.lat, CASINO.lat, LARVOTTO.lat]
    assert trip["stops"][1]["name"]  # named after the nearest place of the region
    assert trip["driver"]["id"] == camille[0] and trip["seats"] == trip["seats_left"] == 3
    assert datetime.fromisoformat(trip["departure"]) == TOMORROW
    assert client.get(f"/api/v1/trips/{trip['id']}").get_json() == trip
    assert client.get(trip["url"]).status_code == 200
    (mine,) = client.get("/api/v1/trips/mine", headers=camille[1]).get_json()
    assert mine["id"] == trip["id"]


def test_change_and_cancel_a_trip(
    app: Flask, client: FlaskClient, camille: tuple[int, dict[str, str]]
) -> None:
    trip = client.post("/api/v1/trips", json=trip_body(), headers=camille[1]).get_json()
    changed = client.patch(
        f"/api/v1/trips/{trip['id']}",
        json={"seats": 2, "via": [], "comment": "Bagages légers"},
        headers=camille[1],
    )
    assert changed.status_code == 200, changed.get_json()
    after = changed.get_json()
    assert after["seats"] == 2 and len(after["stops"]) == 2 and after["comment"] == "Bagages légers"
    assert after["departure"] == trip["departure"] and after["stops"][0]["name"] == trip["stops"][0]["name"]
    cancelled = client.post(
        f"/api/v1/trips/{trip['id']}/cancel", json={"reason": "Panne"}, headers=camille[1]
    )
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled" and cancelled.get_json()["cancel_reason"] == "Panne"
    again = client.patch(
        f"/api/v1/trips/{trip['id']}", json={"seats": 3}, headers={**camille[1], "Accept-Language": "fr"}
    )
    assert again.status_code == 422 and again.get_json()["detail"] == "Ce trajet est annulé."


def test_only_its_driver_changes_a_trip(
    app: Flask,
    client: FlaskClient,
    camille: tuple[int, dict[str, str]],
    dominique: tuple[int, dict[str, str]],
) -> None:
    trip = client.post("/api/v1/trips", json=trip_body(), headers=camille[1]).get_json()
    for answer in (
        client.patch(f"/api/v1/trips/{trip['id']}", json={"seats": 1}, headers=dominique[1]),
        client.post(f"/api/v1/trips/{trip['id']}/cancel", json={}, headers=dominique[1]),
    ):
        assert answer.status_code == 403 and answer.content_type == PROBLEM
    # A trip's bookings are its driver's to see: nobody else learns of any.
    assert client.get(f"/api/v1/trips/{trip['id']}/bookings", headers=dominique[1]).get_json() == []
    now = client.get(f"/api/v1/trips/{trip['id']}").get_json()
    assert now["seats"] == 3 and now["status"] == "published"


@pytest.mark.parametrize(
    ("changes", "field", "detail"),
    [
        ({"seats": 0}, None, "entre 1 et 8 places"),
        ({"seats": 100}, None, "entre 1 et 8 places"),
        ({"seats": "three"}, "seats", "nombre entier"),
        ({"departure": (TOMORROW - timedelta(days=3)).isoformat()}, None, "dans le futur"),
        ({"departure": TOMORROW.replace(tzinfo=None).isoformat()}, "departure", "fuseau horaire"),
        ({"departure": "demain"}, "departure", "fuseau horaire"),
        ({"origin": {"lat": 200, "lon": 7.42}}, "origin.lat", "entre -90 et 90"),
        ({"destination": {"lat": 48.8566, "lon": 2.3522}}, "destination", "en dehors de la région"),
        ({"destination": {"lat": 43.74}}, "destination.lon", "obligatoire"),
        ({"via": [point(CASINO)] * 7}, "via", "au plus 6 étapes"),
        ({"comment": "x" * 5000}, "comment", "au plus 2000 caractères"),
        ({"colour": "red"}, "colour", "Champ inconnu"),
        ({"max_detour_min": -5}, None, "de 0 à 60 minutes"),
    ],
)
def test_bad_trips_get_a_translated_problem_and_store_nothing(
    app: Flask,
    client: FlaskClient,
    camille: tuple[int, dict[str, str]],
    changes: dict[str, Any],
    field: str | None,
    detail: str,
) -> None:
    body = trip_body(**changes)
    answer = client.post("/api/v1/trips", json=body, headers={**camille[1], "Accept-Language": "fr"})
    assert answer.status_code == 422 and answer.content_type == PROBLEM
    problem = answer.get_json()
    said = " ".join([problem["detail"], *(m for ms in problem.get("errors", {}).values() for m in ms)])
    assert detail.lower() in said.lower(), problem
    if field is not None:
        assert field in problem["errors"], problem
    assert trip_count(app) == 0


def test_a_body_that_is_not_json_is_a_problem(
    app: Flask, client: FlaskClient, camille: tuple[int, dict[str, str]]
) -> None:
    for data, content_type in (("{not json", "application/json"), ("[1, 2]", "application/json")):
        answer = client.post("/api/v1/trips", data=data, content_type=content_type, headers=camille[1])
        assert answer.status_code in (400, 422) and answer.content_type == PROBLEM
    assert trip_count(app) == 0


def test_unknown_addresses_and_methods_are_problems(client: FlaskClient) -> None:
    for answer, status in (
        (client.get("/api/v1/nowhere"), 404),
        (client.get("/api/v1/trips/2147483647"), 404),
        (client.get("/api/v1/trips/99999999999"), 404),
        (client.put("/api/v1/trips"), 405),
    ):
        assert answer.status_code == status and answer.content_type == PROBLEM
        assert answer.get_json()["status"] == status


# Search ------------------------------------------------------------------------------


def test_the_api_search_gives_the_search_pages_trips_in_its_order(
    app: Flask, client: FlaskClient, camille: tuple[int, dict[str, str]]
) -> None:
    rng = np.random.default_rng(11)
    with app.app_context():
        publish_random_trips(camille[0], rng, count=20)
        queries = [(random_place(rng), random_place(rng)) for _ in range(15)]
        queries.append(tuple(_stop(p) for p in along(app)))  # type: ignore[arg-type]
    day = TOMORROW.date().isoformat()
    found = 0
    for pickup, dropoff in queries:
        where = f"{pickup.lat:.6f},{pickup.lon:.6f}", f"{dropoff.lat:.6f},{dropoff.lon:.6f}"
        page = client.get(f"/search?origin={where[0]}&destination={where[1]}&day={day}").get_data(
            as_text=True
        )
        on_page = [int(i) for i in re.findall(r'<h3><a href="/trips/(\d+)\?', page)]
        answer = client.get(f"/api/v1/search?from={where[0]}&to={where[1]}&date={day}")
        assert answer.status_code == 200, answer.get_json()
        results = answer.get_json()["results"]
        assert [r["trip_id"] for r in results] == on_page
        found += len(results)
        for r in results:
            assert r["price"] == r["price_cents"] / 100 and r["currency"] == "EUR" and r["seats_left"] >= 1
            assert r["detour_s"] >= 0 and r["pickup_at"] < r["dropoff_at"]
            assert r["url"].startswith(f"http://localhost/trips/{r['trip_id']}?")
    assert found >= 5  # the searches do find trips


def _stop(latlon: tuple[float, float]) -> Any:
    return type("P", (), {"lat": latlon[0], "lon": latlon[1]})


def test_search_windows_and_refusals(
    app: Flask, client: FlaskClient, camille: tuple[int, dict[str, str]]
) -> None:
    client.post("/api/v1/trips", json=trip_body(via=[]), headers=camille[1])
    (pickup, dropoff) = along(app)
    where = f"from={pickup[0]},{pickup[1]}&to={dropoff[0]},{dropoff[1]}"
    day = TOMORROW.date()
    assert len(client.get(f"/api/v1/search?{where}&date={day}").get_json()["results"]) == 1
    assert client.get(f"/api/v1/search?{where}&date={day}&time_from=12:00").get_json()["results"] == []
    before = (day - timedelta(days=1)).isoformat()
    assert client.get(f"/api/v1/search?{where}&date={before}").get_json()["results"] == []
    assert len(client.get(f"/api/v1/search?{where}&date={before}&days=1").get_json()["results"]) == 1
    french = {"Accept-Language": "fr"}
    for query, detail in (
        (f"{where}&date={day}&days=9", "Entre 0 et 3 jours"),
        (f"{where}&date={day}&time_from=12:00&time_to=08:00", "se termine avant de commencer"),
        (f"from=48.85,2.35&to={dropoff[0]},{dropoff[1]}&date={day}", "en dehors de la région"),
        (f"from=Monaco&to={dropoff[0]},{dropoff[1]}&date={day}", "LAT,LON"),
        (f"{where}&date=9999-12-31&days=3", "hors des limites"),
    ):
        answer = client.get(f"/api/v1/search?{query}", headers=french)
        assert answer.status_code == 422 and answer.content_type == PROBLEM
        problem = answer.get_json()
        said = " ".join([problem["detail"], *(m for ms in problem.get("errors", {}).values() for m in ms)])
        assert detail.lower() in said.lower(), problem


def test_places_autocomplete(app: Flask, client: FlaskClient) -> None:
    from carpool.services.places import load_gazetteer
    from carpool.services.roads import get_router

    with app.app_context():
        load_gazetteer(get_router().graph)
    answer = client.get("/api/v1/places?q=monte")
    assert answer.status_code == 200
    names = [p["name"] for p in answer.get_json()]
    assert names and all("monte" in n.lower() for n in names)
    assert client.get("/api/v1/places?q=monte&limit=500").status_code == 422


# Bookings and messages ---------------------------------------------------------------


def test_book_accept_write_and_cancel(
    app: Flask,
    client: FlaskClient,
    camille: tuple[int, dict[str, str]],
    dominique: tuple[int, dict[str, str]],
) -> None:
    trip = client.post("/api/v1/trips", json=trip_body(via=[]), headers=camille[1]).get_json()
    asked = client.post(
        f"/api/v1/trips/{trip['id']}/bookings",
        json={**leg(app), "seats": 2},
        headers=dominique[1],
    )
    assert asked.status_code == 201, asked.get_json()
    booking = asked.get_json()
    assert booking["status"] == "requested" and booking["seats"] == 2 and booking["other_phone"] == ""
    (held,) = client.get(f"/api/v1/trips/{trip['id']}/bookings", headers=camille[1]).get_json()
    assert held["id"] == booking["id"] and held["viewer_is_driver"]
    # The passenger cannot accept their own request.
    assert client.post(f"/api/v1/bookings/{booking['id']}/accept", headers=dominique[1]).status_code == 403
    accepted = client.post(f"/api/v1/bookings/{booking['id']}/accept", headers=camille[1])
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    (mine,) = client.get("/api/v1/bookings", headers=dominique[1]).get_json()
    assert mine["id"] == booking["id"] and mine["status"] == "accepted"

    written = client.post(
        f"/api/v1/trips/{trip['id']}/messages",
        json={"text": "Je serai devant la poste."},
        headers=dominique[1],
    )
    assert written.status_code == 201
    conversation_id = written.get_json()["conversation_id"]
    (entry,) = client.get("/api/v1/conversations", headers=camille[1]).get_json()
    assert entry["conversation_id"] == conversation_id and entry["unread"] == 1
    read = client.get(f"/api/v1/conversations/{conversation_id}", headers=camille[1]).get_json()
    assert [m["body"] for m in read["messages"]] == ["Je serai devant la poste."] and not read["messages"][0][
        "mine"
    ]
    answer = client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"text": "Parfait !"}, headers=camille[1]
    )
    assert answer.status_code == 201 and isinstance(answer.get_json()["message_id"], int)
    about = client.post(
        f"/api/v1/bookings/{booking['id']}/messages", json={"text": "À demain"}, headers=camille[1]
    )
    assert about.get_json()["conversation_id"] == conversation_id
    assert (
        client.post(
            f"/api/v1/conversations/{conversation_id}/messages", json={"text": " "}, headers=camille[1]
        ).status_code
        == 422
    )

    cancelled = client.post(
        f"/api/v1/bookings/{booking['id']}/cancel", json={"reason": "Plus besoin"}, headers=dominique[1]
    )
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"


def test_others_neither_read_nor_change_bookings_and_messages(
    app: Flask,
    client: FlaskClient,
    camille: tuple[int, dict[str, str]],
    dominique: tuple[int, dict[str, str]],
) -> None:
    trip = client.post("/api/v1/trips", json=trip_body(via=[]), headers=camille[1]).get_json()
    booking = client.post(
        f"/api/v1/trips/{trip['id']}/bookings",
        json=leg(app),
        headers=dominique[1],
    ).get_json()
    conversation_id = client.post(
        f"/api/v1/trips/{trip['id']}/messages", json={"text": "Bonjour"}, headers=dominique[1]
    ).get_json()["conversation_id"]
    member(app, "alix@example.org", "Alix")
    stranger = bearer(token_for(client, "alix@example.org"))
    for answer in (
        client.get(f"/api/v1/bookings/{booking['id']}", headers=stranger),
        client.post(f"/api/v1/bookings/{booking['id']}/accept", headers=stranger),
        client.post(f"/api/v1/bookings/{booking['id']}/decline", json={}, headers=stranger),
        client.post(f"/api/v1/bookings/{booking['id']}/cancel", json={}, headers=stranger),
        client.post(f"/api/v1/bookings/{booking['id']}/messages", json={"text": "Hé"}, headers=stranger),
        client.get(f"/api/v1/conversations/{conversation_id}", headers=stranger),
        client.post(
            f"/api/v1/conversations/{conversation_id}/messages", json={"text": "Hé"}, headers=stranger
        ),
    ):
        assert answer.status_code in (403, 404) and answer.content_type == PROBLEM
    assert client.get("/api/v1/bookings", headers=stranger).get_json() == []
    assert client.get("/api/v1/conversations", headers=stranger).get_json() == []
    with app.app_context():
        assert db.session.scalars(select(Booking.status)).one() == "requested"


# Alerts and one's data ---------------------------------------------------------------


def test_alerts_kept_paused_resumed_and_deleted(
    app: Flask,
    client: FlaskClient,
    camille: tuple[int, dict[str, str]],
    dominique: tuple[int, dict[str, str]],
) -> None:
    pickup, dropoff = along(app)
    wish = {
        "origin": f"{pickup[0]},{pickup[1]}",
        "destination": f"{dropoff[0]},{dropoff[1]}",
        "day": TOMORROW.date().isoformat(),
        "public": True,
    }
    made = client.post("/api/v1/alerts", json=wish, headers=dominique[1])
    assert made.status_code == 201, made.get_json()
    alert = made.get_json()
    assert alert["public"] and not alert["paused"] and alert["day"] == wish["day"]
    assert client.post(f"/api/v1/alerts/{alert['id']}/pause", headers=dominique[1]).get_json()["paused"]
    assert not client.post(f"/api/v1/alerts/{alert['id']}/resume", headers=dominique[1]).get_json()["paused"]
    assert client.delete(f"/api/v1/alerts/{alert['id']}", headers=camille[1]).status_code == 403
    assert client.delete(f"/api/v1/alerts/{alert['id']}", headers=dominique[1]).status_code == 204
    assert client.get("/api/v1/alerts", headers=dominique[1]).get_json() == []
    refused = client.post(
        "/api/v1/alerts", json={**wish, "day": None}, headers={**dominique[1], "Accept-Language": "fr"}
    )
    assert refused.status_code == 422 and refused.content_type == PROBLEM


def test_my_data_export(app: Flask, client: FlaskClient, camille: tuple[int, dict[str, str]]) -> None:
    client.post("/api/v1/trips", json=trip_body(), headers=camille[1])
    data = client.get("/api/v1/me/data", headers=camille[1]).get_json()
    assert data["account"]["email"] == "camille@example.org" and len(data["trips_driven"]) == 1
    (token,) = data["api_tokens"]
    assert token["name"] == "tests" and token["revoked_at"] is None
    assert client.get("/api/v1/me/data").status_code == 401


# The OpenAPI document ----------------------------------------------------------------


def test_the_openapi_document_describes_the_api(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.") and document["info"]["title"]
    assert {
        "/api/v1/trips",
        "/api/v1/search",
        "/api/v1/tokens",
        "/api/v1/bookings/{booking_id}/accept",
    } <= set(document["paths"])
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    publish = document["paths"]["/api/v1/trips"]["post"]
    assert publish["security"] == [{"bearerAuth": []}] and "201" in publish["responses"]
    default = document["components"]["responses"]["DEFAULT_ERROR"]
    assert list(default["content"]) == [PROBLEM]
    validate(document)  # a valid OpenAPI document, by openapi-spec-validator


# Property: whatever the trip, a routed trip or a refusal, never a 500 --------------

#: Mostly inside the Monaco extract, sometimes just outside it.
_NEAR_MONACO = {"lat": st.floats(43.722, 43.756), "lon": st.floats(7.400, 7.445)}


@st.composite
def trip_bodies(draw: st.DrawFn) -> dict[str, Any]:
    points = st.fixed_dictionaries(_NEAR_MONACO, optional={"name": st.text(max_size=250)})
    return {
        "origin": draw(points),
        "destination": draw(points),
        # Mostly valid values (hypothesis likes the edges), sometimes anything.
        "via": draw(st.lists(points, max_size=2) | st.lists(points, max_size=8)),
        "departure": (TOMORROW + timedelta(hours=draw(st.integers(-72, 24 * 400)))).isoformat(),
        "seats": draw(st.integers(1, 8) | st.integers(-3, 12)),
        "max_detour_min": draw(st.integers(0, 60) | st.integers(-10, 90)),
        "contribution_cents": draw(st.none() | st.integers(0, 300) | st.integers(-100, 10_000)),
        "comment": draw(st.text(max_size=2100)),
    }


def test_any_trip_is_published_or_refused_never_half_stored(
    app: Flask, client: FlaskClient, camille: tuple[int, dict[str, str]]
) -> None:
    app.config["API_RATE_LIMIT"] = "10000/minute"  # many requests, on purpose
    statuses: list[int] = []

    @given(body=trip_bodies())
    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def published_or_refused(body: dict[str, Any]) -> None:
        before = trip_count(app)
        answer = client.post("/api/v1/trips", json=body, headers={**camille[1], "Accept-Language": "fr"})
        assert answer.status_code in (201, 422), answer.get_json()
        statuses.append(answer.status_code)
        if answer.status_code == 201:
            trip = answer.get_json()
            assert trip_count(app) == before + 1 and len(trip["stops"]) == 2 + len(body["via"])
            assert 1 <= trip["seats"] <= 8 and trip["route"]["type"] == "LineString"
        else:
            assert answer.content_type == PROBLEM and answer.get_json()["detail"]
            assert trip_count(app) == before

    published_or_refused()
    assert {201, 422} <= set(statuses)  # both ways were taken


def test_deleting_the_account_deletes_its_tokens(
    app: Flask, client: FlaskClient, camille: tuple[int, dict[str, str]]
) -> None:
    from carpool.services import privacy

    with app.app_context():
        privacy.delete_account(camille[0], PASSWORD)
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
    assert client.get("/api/v1/trips/mine", headers=camille[1]).status_code == 401


# Regular trips, periods, reviews, members ---------------------------------------------


def test_regular_trip_booked_for_a_period(
    app: Flask,
    client: FlaskClient,
    camille: tuple[int, dict[str, str]],
    dominique: tuple[int, dict[str, str]],
) -> None:
    start = TOMORROW.date()
    body = {
        "origin": point(PALACE),
        "destination": point(LARVOTTO),
        "days": {"mon": "07:45", "wed": "07:45", "fri": "17:30"},
        "start_on": start.isoformat(),
        "end_on": (start + timedelta(days=20)).isoformat(),
        "seats": 3,
    }
    made = client.post("/api/v1/regular-trips", json=body, headers=camille[1])
    assert made.status_code == 201, made.get_json()
    series = made.get_json()
    assert series["days"] == {"mon": "07:45:00", "wed": "07:45:00", "fri": "17:30:00"}
    dates = series["occurrences"]
    assert 8 <= len(dates) <= 9 and {datetime.fromisoformat(d["day"]).weekday() for d in dates} == {0, 2, 4}
    assert client.get(f"/api/v1/regular-trips/{series['id']}").get_json() == series

    pickup, dropoff = along(app)
    first, last = dates[0], dates[3]
    period = client.post(
        f"/api/v1/trips/{first['trip_id']}/bookings/period",
        json={
            "pickup": {"lat": pickup[0], "lon": pickup[1]},
            "dropoff": {"lat": dropoff[0], "lon": dropoff[1]},
            "first_day": first["day"],
            "last_day": last["day"],
        },
        headers=dominique[1],
    )
    assert period.status_code == 201, period.get_json()
    booked = period.get_json()
    assert [b["trip_id"] for b in booked] == [d["trip_id"] for d in dates[:4]]
    answered = client.post(f"/api/v1/bookings/{booked[0]['id']}/period/accept", json={}, headers=camille[1])
    assert [b["status"] for b in answered.get_json()] == ["accepted"] * 4
    cancelled = client.post(
        f"/api/v1/bookings/{booked[0]['id']}/period/cancel", json={}, headers=dominique[1]
    )
    assert cancelled.get_json() == {"count": 4}
    ended = client.post(
        f"/api/v1/regular-trips/{series['id']}/cancel", json={"reason": "Déménagement"}, headers=camille[1]
    )
    assert ended.get_json() == {"count": len(dates)}
    assert (
        client.post(f"/api/v1/regular-trips/{series['id']}/cancel", json={}, headers=dominique[1]).status_code
        == 403
    )


def test_a_regular_trip_needs_a_day_of_the_week(
    app: Flask, client: FlaskClient, camille: tuple[int, dict[str, str]]
) -> None:
    body = {
        "origin": point(PALACE),
        "destination": point(LARVOTTO),
        "days": {"someday": "07:45"},
        "start_on": TOMORROW.date().isoformat(),
        "end_on": (TOMORROW.date() + timedelta(days=20)).isoformat(),
        "seats": 3,
    }
    answer = client.post("/api/v1/regular-trips", json=body, headers=camille[1])
    assert answer.status_code == 422 and "days.someday.key" in answer.get_json()["errors"]
    answer = client.post("/api/v1/regular-trips", json={**body, "days": {}}, headers=camille[1])
    assert answer.status_code == 422 and answer.content_type == PROBLEM
    assert trip_count(app) == 0


def test_review_after_the_trip_and_the_members_profile(
    app: Flask,
    client: FlaskClient,
    camille: tuple[int, dict[str, str]],
    dominique: tuple[int, dict[str, str]],
) -> None:
    trip = client.post("/api/v1/trips", json=trip_body(via=[]), headers=camille[1]).get_json()
    booking = client.post(
        f"/api/v1/trips/{trip['id']}/bookings",
        json=leg(app),
        headers=dominique[1],
    ).get_json()
    client.post(f"/api/v1/bookings/{booking['id']}/accept", headers=camille[1])
    review = {"rating": 5, "comment": "Conductrice ponctuelle"}
    early = client.post(f"/api/v1/bookings/{booking['id']}/review", json=review, headers=dominique[1])
    assert early.status_code == 422  # not before the trip
    with app.app_context():
        stored = db.session.get(Trip, trip["id"])
        assert stored is not None
        stored.departure_at = datetime.now(UTC) - timedelta(days=2)
        db.session.commit()
    written = client.post(f"/api/v1/bookings/{booking['id']}/review", json=review, headers=dominique[1])
    assert written.status_code == 201, written.get_json()
    assert (
        client.post(
            f"/api/v1/bookings/{booking['id']}/review", json={"rating": 9}, headers=camille[1]
        ).status_code
        == 422
    )
    profile = client.get(f"/api/v1/members/{camille[0]}").get_json()
    assert profile["display_name"] == "Camille" and "email" not in profile and "phone" not in profile
    assert profile["trust"]["average_rating"] == 5.0 and profile["trust"]["reviews"] == 1
    (received,) = profile["reviews"]
    assert received["comment"] == "Conductrice ponctuelle" and received["author_name"] == "Dominique"
    assert client.get("/api/v1/members/999999").status_code == 404


# Rates -------------------------------------------------------------------------------


def test_each_member_has_their_own_rate(
    app: Flask,
    client: FlaskClient,
    camille: tuple[int, dict[str, str]],
    dominique: tuple[int, dict[str, str]],
) -> None:
    app.config["API_RATE_LIMIT"] = "3/minute"
    for _ in range(3):
        assert client.get("/api/v1/trips/mine", headers=camille[1]).status_code == 200
    over = client.post("/api/v1/trips", json=trip_body(), headers={**camille[1], "Accept-Language": "fr"})
    assert over.status_code == 429 and over.content_type == PROBLEM
    assert int(over.headers["Retry-After"]) > 0 and "Trop de requêtes" in over.get_json()["detail"]
    assert trip_count(app) == 0
    assert client.get("/api/v1/trips/mine", headers=dominique[1]).status_code == 200


def test_open_endpoints_have_a_rate_per_address(app: Flask, client: FlaskClient) -> None:
    app.config["API_RATE_LIMIT"] = "2/minute"
    day = TOMORROW.date().isoformat()
    search = f"/api/v1/search?from=43.7311,7.4197&to=43.7476,7.4336&date={day}"
    assert [client.get(search).status_code for _ in range(3)] == [200, 200, 429]
    elsewhere = client.get(search, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert elsewhere.status_code == 200


def test_passwords_cannot_be_guessed_through_the_api(app: Flask, client: FlaskClient) -> None:
    member(app, "camille@example.org", "Camille")
    app.config["API_TOKEN_RATE_LIMIT"] = "3/minute"
    for guess in ("password1", "motdepasse", "azerty123"):
        assert (
            client.post(
                "/api/v1/tokens", json={"email": "camille@example.org", "password": guess}
            ).status_code
            == 401
        )
    right = client.post("/api/v1/tokens", json={"email": "camille@example.org", "password": PASSWORD})
    assert right.status_code == 429 and right.content_type == PROBLEM and "token" not in right.get_json()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_search_results_come_a_page_at_a_time(
    app: Flask, client: FlaskClient, camille: tuple[int, dict[str, str]]
) -> None:
    for k in range(5):
        departure = (TOMORROW + timedelta(minutes=10 * k)).isoformat()
        assert (
            client.post(
                "/api/v1/trips", json=trip_body(via=[], departure=departure), headers=camille[1]
            ).status_code
            == 201
        )
    (pickup, dropoff) = along(app)
    where = f"from={pickup[0]},{pickup[1]}&to={dropoff[0]},{dropoff[1]}&date={TOMORROW.date()}"
    every = client.get(f"/api/v1/search?{where}").get_json()
    assert (len(every["results"]), every["total"], every["page"], every["pages"]) == (5, 5, 1, 1)
    pages = [client.get(f"/api/v1/search?{where}&per_page=2&page={page}").get_json() for page in (1, 2, 3, 4)]
    assert [len(p["results"]) for p in pages] == [2, 2, 1, 0]
    assert [r for p in pages for r in p["results"]] == every["results"]
    assert {(p["total"], p["pages"]) for p in pages} == {(5, 3)}
    for bad in ("per_page=0", "per_page=101", "page=0", "page=x"):
        answer = client.get(f"/api/v1/search?{where}&{bad}", headers={"Accept-Language": "fr"})
        assert answer.status_code == 422, bad
        assert "Entre" in str(answer.get_json()) or "nombre" in str(answer.get_json()).lower(), (
            answer.get_json()
        )
