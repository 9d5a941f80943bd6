"""The offer to be alerted, from a search that found nothing."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from carpool.extensions import db
from carpool.models import Alert
from tests.site.test_auth import token_of
from tests.site.test_pages import signed_in  # noqa: F401  (fixture)
from tests.site.test_trips import TOMORROW

DAY = (TOMORROW + timedelta(days=10)).date().isoformat()
SEARCH = f"/search?origin=Monaco&destination=Cap-d'Ail&day={DAY}"


def ask(client: FlaskClient, **changes: str):  # type: ignore[no-untyped-def]
    data = {
        "origin": "Monaco",
        "destination": "Cap-d'Ail",
        "day": DAY,
        "flex_days": "1",
        "csrf_token": token_of(client, SEARCH),
    }
    data.update(changes)
    return client.post("/alerts", data=data)


def test_an_empty_search_offers_an_alert_that_is_kept_once(app: Flask, signed_in: FlaskClient) -> None:  # noqa: F811
    page = signed_in.get(SEARCH).get_data(as_text=True)
    assert "Aucun trajet" in page and 'action="/alerts"' in page
    response = ask(signed_in)
    assert response.status_code == 302 and "/search?" in response.headers["Location"]
    assert "Votre alerte est enregistrée." in signed_in.get(response.headers["Location"]).get_data(
        as_text=True
    )
    ask(signed_in)  # asked twice: kept once
    with app.app_context():
        (alert,) = db.session.query(Alert).all()
        assert (alert.origin, alert.destination, alert.flex_days) == ("Monaco", "Cap-d'Ail", 1)
        assert alert.day.isoformat() == DAY and 43.7 < alert.origin_lat < 43.8


def test_a_wrong_alert_is_refused_with_a_message(app: Flask, signed_in: FlaskClient) -> None:  # noqa: F811
    past = (TOMORROW - timedelta(days=3)).date().isoformat()
    for changes, message in [
        ({"day": past}, "Cette date est passée."),
        ({"origin": "Nulle-Part"}, "Aucun lieu de la région ne s’appelle"),
        ({"day": "demain"}, "n’a pas pu être enregistrée"),
    ]:
        response = ask(signed_in, **changes)
        assert response.status_code == 302
        assert message in signed_in.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Alert).count() == 0


def test_a_visitor_is_asked_to_sign_in_first(client: FlaskClient, runner) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(args=["places", "load"]).exit_code == 0
    page = client.get(SEARCH).get_data(as_text=True)
    assert "Connectez-vous pour être alerté" in page and "/account/login?next=" in page
    assert client.post("/alerts", data={}).status_code in (302, 400)
