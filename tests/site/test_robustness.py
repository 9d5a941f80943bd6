"""Odd input and concurrent changes: a clear answer, never a 500, nothing half-done."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from carpool.extensions import db
from carpool.models import Trip
from carpool.services.roads import cached_route, forget_router
from carpool.services.trips import TripError, cancel, get_trip, publish, update
from tests.site.test_auth import token_of
from tests.site.test_pages import PASSWORD, signed_in  # noqa: F401
from tests.site.test_pages import publish as publish_page
from tests.site.test_trips import CASINO, LARVOTTO, PALACE, TOMORROW, draft

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "path", [f"/members/{HUGE}", f"/trips/{HUGE}", f"/trips/{HUGE}/edit", "/members/2147483648"]
)
def test_huge_ids_are_not_found(signed_in: FlaskClient, path: str) -> None:  # noqa: F811
    assert signed_in.get(path).status_code == 404


def test_a_date_at_the_edge_of_the_calendar_is_refused_with_a_message(signed_in: FlaskClient) -> None:  # noqa: F811
    response = signed_in.get("/search?origin=Monaco&destination=Cap-d'Ail&day=0001-01-01")
    assert response.status_code == 200 and "Cette date est hors des limites possibles." in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize("amount", ["sNaN", "NaN", "Infinity", "-Infinity"])
def test_amounts_that_are_not_numbers_are_refused(signed_in: FlaskClient, amount: str) -> None:  # noqa: F811
    response = publish_page(signed_in, contribution=amount)
    assert response.status_code == 200 and "Ce montant n’est pas possible." in response.get_data(as_text=True)


def test_control_characters_never_reach_the_database(app: Flask, driver: int) -> None:
    with app.app_context():
        trip_id = publish(driver, draft(comment="Bagages\x00 légers\r\nMerci\x07"))
        cancel(trip_id, driver, "Panne\x00 moteur")
        trip = db.session.get(Trip, trip_id)
        assert trip is not None
        assert trip.comment == "Bagages légers\nMerci" and trip.cancel_reason == "Panne moteur"


def test_names_of_keys_and_tokens_keep_no_control_character(app: Flask, driver: int) -> None:
    from carpool.models import ApiToken, PartnerKey
    from carpool.services import api_tokens, partners

    with app.app_context():
        token = api_tokens.create_token(driver, "Télé\x00phone\x07")
        key_id, _ = partners.create_key("Appli\x00 Mobilité")
        assert db.session.get(ApiToken, token.id).name == "Téléphone"  # type: ignore[union-attr]
        assert db.session.get(PartnerKey, key_id).name == "Appli Mobilité"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "address", ["camille\x00@example.org", "c\ud8fc@example.org", "ca\u200bmille@example.org"]
)
def test_an_address_with_invisible_characters_is_no_account(
    app: Flask, client: FlaskClient, address: str
) -> None:
    """Not registered (a clear message), not looked up (PostgreSQL refuses NUL, a lone
    surrogate cannot be encoded): refused, never a 500, on every way in."""
    from carpool.models import User
    from carpool.services import accounts

    with app.app_context():
        with pytest.raises(accounts.AccountError):
            accounts.register(accounts.Registration(address, "Camille", "a long enough password"))
        assert accounts.find_by_email(address) is None
        assert accounts.authenticate(address, "a long enough password") is None
        assert db.session.query(User).count() == 0
    answer = client.post("/api/v1/tokens", json={"email": address, "password": "a long enough password"})
    assert answer.status_code in (401, 422), answer.get_json()
    if "\ud8fc" in address:
        return  # no form can send a lone surrogate: it has no UTF-8
    for path, form in (
        ("/login", {"email": address, "password": "a long enough password"}),
        ("/reset", {"email": address}),
    ):
        assert client.post(path, data=form).status_code < 500


def test_a_route_changed_by_another_worker_is_not_served_from_the_cache(app: Flask, driver: int) -> None:
    with app.app_context():
        trip_id = publish(driver, draft())
        first = cached_route(trip_id, [(PALACE.lat, PALACE.lon), (LARVOTTO.lat, LARVOTTO.lon)])
        # Another worker moved the destination: this process still holds the old route.
        moved = cached_route(trip_id, [(PALACE.lat, PALACE.lon), (CASINO.lat, CASINO.lon)])
        assert moved.points[-1] == (CASINO.lat, CASINO.lon) and moved.length_m < first.length_m


def test_a_refused_change_changes_nothing(app: Flask, driver: int) -> None:
    with app.app_context():
        trip_id = publish(driver, draft(seats=3))
        with pytest.raises(TripError):
            update(trip_id, driver, draft(seats=5, contribution_cents=100_000))
        trip = db.session.get(Trip, trip_id)
        assert trip is not None and trip.seats == 3 and trip.updated_at is None


def test_a_return_moved_before_its_outward_trip_is_no_longer_its_return(app: Flask, driver: int) -> None:
    with app.app_context():
        outward_id = publish(driver, draft(), return_departure=TOMORROW + timedelta(hours=8))
        return_id = get_trip(outward_id).return_id
        assert return_id is not None
        update(outward_id, driver, draft(departure=TOMORROW + timedelta(days=2)))
        assert get_trip(outward_id).return_id is None and get_trip(return_id).outward_id is None


def test_signing_in_goes_back_to_the_page_asked_for_and_only_to_this_site(
    client: FlaskClient, runner: FlaskCliRunner
) -> None:
    assert (
        runner.invoke(args=["users", "create", "a@example.org", "A", "--password", PASSWORD]).exit_code == 0
    )
    for target, expected in [
        ("/search?origin=Monaco", "/search?origin=Monaco"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
    ]:
        token = token_of(client, "/account/login")
        response = client.post(
            "/account/login?" + urlencode({"next": target}),
            data={"email": "a@example.org", "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302 and response.headers["Location"] == expected
        client.post("/account/logout", data={"csrf_token": token_of(client, "/")})


def test_a_cancelled_trip_cannot_be_opened_for_changes(signed_in: FlaskClient) -> None:  # noqa: F811
    trip = publish_page(signed_in).headers["Location"]
    signed_in.post(trip + "/cancel", data={"csrf_token": token_of(signed_in, trip)})
    response = signed_in.get(trip + "/edit")
    assert response.status_code == 302 and response.headers["Location"] == trip
    assert "Ce trajet est annulé." in signed_in.get(trip).get_data(as_text=True)


def test_more_stopovers_than_allowed_are_ignored(signed_in: FlaskClient) -> None:  # noqa: F811
    response = publish_page(signed_in, **{f"stopovers-{i}": "Monaco" for i in range(40)})
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
        assert page.count("— Monaco") <= 6


def test_an_alert_more_than_a_year_ahead_is_refused(signed_in: FlaskClient) -> None:  # noqa: F811
    far = (TOMORROW + timedelta(days=400)).date().isoformat()
    search = f"/search?origin=Monaco&destination=Cap-d'Ail&day={far}"
    response = signed_in.post(
        "/alerts/from-search",
        data={
            "origin": "Monaco",
            "destination": "Cap-d'Ail",
            "day": far,
            "flex_days": "0",
            "seats": "1",
            "csrf_token": token_of(signed_in, search),
        },
    )
    assert "jusqu’à un an à l’avance" in signed_in.get(response.headers["Location"]).get_data(as_text=True)


def test_a_site_without_its_road_map_says_so(app: Flask, client: FlaskClient) -> None:
    """Before the first 'flask graph import' (or with the graph file lost), searches
    answer 503 with a message that says why, on the pages and in the API."""
    Path(app.config["ROAD_GRAPH"]).unlink()
    with app.app_context():
        forget_router()
    day = (date.today() + timedelta(days=1)).isoformat()
    api = client.get(
        f"/api/v1/search?from=43.7311,7.4197&to=43.7476,7.4336&date={day}", headers={"Accept-Language": "en"}
    )
    assert api.status_code == 503
    assert api.mimetype == "application/problem+json"
    assert "road map is not loaded yet" in api.get_json()["detail"]
    assert 0 < int(api.headers["Retry-After"]) <= 300
    page = client.get(
        f"/search?origin=43.7311,7.4197&destination=43.7476,7.4336&day={day}",
        headers={"Accept-Language": "fr"},
    )
    assert page.status_code == 503
    assert "carte routière" in page.get_data(as_text=True)
