"""Authorization on every object: nobody but its passenger and driver reads or changes
a booking or its conversation, nobody but its owner changes an alert, a trip or an API
token, reads a data export or deletes an account, and only moderators (administrators)
open the moderation pages; on the pages and through /api/v1.

The site refuses with 403 what exists and is someone else's, through the pages
(``abort(403)``) and the API (problem details); visitors who are not signed in are sent
to sign in (302), or answered 401 by the API. Three places answer otherwise, each
tested below as it is: revoking someone else's token (the page's "not among yours",
the API's 404, as for a token already gone), a driver's answer to a ride request from
someone who is not that trip's driver (back to the trip, with the reason), and a trip's
bookings through the API (the empty list, for anyone but its driver). Each refusal is
checked in the database too: every row of every table is the same after it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import time, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from carpool.extensions import db
from carpool.models import ApiToken, Message
from carpool.services import alerts, api_tokens, bookings, conversations, moderation, partners
from carpool.services.moderation import ReportTarget
from carpool.services.regular_trips import Schedule, publish_regular
from carpool.services.trips import publish
from tests.site.test_alerts import point
from tests.site.test_auth import token_of
from tests.site.test_bookings import ask, member
from tests.site.test_regular_trips import MONDAY
from tests.site.test_reports import make_admin
from tests.site.test_search import on_the_way
from tests.site.test_security import database_snapshot
from tests.site.test_trips import TOMORROW, draft


@dataclass(frozen=True)
class World:
    """Camille drives a trip (and a regular one) that Dominique booked and wrote
    about; Dominique keeps a public alert and an API token, and reported Camille.
    Alix is a member with nothing to do with any of it; Sam is a moderator."""

    camille: int
    dominique: int
    alix: int
    sam: int
    trip: int
    regular: int
    booking: int
    conversation: int
    message: int
    alert: int
    token: int
    report: int
    partner_key: int
    alix_token: str
    sam_token: str


@pytest.fixture
def world(app: Flask) -> World:
    camille, dominique = (
        member(app, "Camille", "+33 6 00 00 00 01"),
        member(app, "Dominique", "+33 6 00 00 00 02"),
    )
    alix, sam = member(app, "Alix"), member(app, "Sam")
    make_admin(app, sam)
    pickup, dropoff = on_the_way(app)
    one_week = Schedule(times=(time(7, 30), *[None] * 6), start_on=MONDAY, end_on=MONDAY + timedelta(days=6))
    with app.app_context():
        trip = publish(camille, draft())
        regular = publish_regular(camille, draft(), one_week)
        booking = bookings.request_booking(dominique, ask(trip))
        conversation = conversations.write_about_booking(booking, dominique, "Je serai devant la poste.")
        message = db.session.scalars(select(Message.id)).one()
        wish = alerts.AlertWish(point(pickup), point(dropoff), day=TOMORROW.date(), public=True)
        alert = alerts.create_alert(dominique, wish)
        token = api_tokens.create_token(dominique, "Téléphone").id
        report = moderation.report(dominique, ReportTarget("user", camille), "behaviour", "En retard")
        partner_key, _secret = partners.create_key("Ville de Nice")
        alix_token = api_tokens.create_token(alix, "Alix").secret
        sam_token = api_tokens.create_token(sam, "Sam").secret
    return World(
        camille, dominique, alix, sam, trip, regular, booking, conversation, message, alert, token, report,
        partner_key, alix_token, sam_token,
    )  # fmt: skip


def signed_in(app: Flask, user_id: int) -> FlaskClient:
    """A browser with a member's session, as signing in leaves it (the sign-in itself is
    tested in test_auth.py)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def posted(client: FlaskClient, method: str, path: str, data: dict[str, str]) -> TestResponse:
    """A request from a page of the site: a form's POST carries its CSRF token, so
    that what refuses it is the authorization, not the token."""
    if method == "GET":
        return client.get(path)
    token = token_of(client, "/account/login" if not _is_signed_in(client) else "/")
    return client.post(path, data={**data, "csrf_token": token})


def _is_signed_in(client: FlaskClient) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


# The pages --------------------------------------------------------------------------------

#: (method, path, form) of each page that reads or changes a member's object; paths
#: name the objects of :class:`World`.
MEMBER_PAGES: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/bookings/{booking}", {}),
    ("POST", "/bookings/{booking}/accept", {}),
    ("POST", "/bookings/{booking}/decline", {"reason": "Complet"}),
    ("POST", "/bookings/{booking}/cancel", {"reason": "Plus besoin"}),
    ("POST", "/bookings/{booking}/period/accept", {}),
    ("POST", "/bookings/{booking}/period/decline", {}),
    ("POST", "/bookings/{booking}/period/cancel", {}),
    ("POST", "/bookings/{booking}/messages", {"body": "Hé"}),
    ("GET", "/bookings/{booking}/review", {}),
    ("POST", "/bookings/{booking}/review", {"rating": "1", "comment": "Nul"}),
    ("POST", "/bookings/{booking}/no-show", {"note": "Pas venu"}),
    ("GET", "/conversations/{conversation}", {}),
    ("POST", "/conversations/{conversation}", {"body": "Hé"}),
    ("POST", "/conversations/{conversation}/report", {"category": "behaviour", "reason": "Rien"}),
    (
        "POST",
        "/conversations/{conversation}/messages/{message}/report",
        {"category": "spam", "reason": "Rien"},
    ),
    ("POST", "/alerts/{alert}/pause", {}),
    ("POST", "/alerts/{alert}/resume", {}),
    ("POST", "/alerts/{alert}/delete", {}),
    ("GET", "/trips/{trip}/edit", {}),
    ("POST", "/trips/{trip}/edit", {"origin": "Monaco", "destination": "Menton", "seats": "8"}),
    ("POST", "/trips/{trip}/cancel", {"reason": "Je ne pars plus"}),
    ("POST", "/trips/regular/{regular}/cancel", {"reason": "Je ne pars plus"}),
]

MODERATION_PAGES: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/moderation", {}),
    ("GET", "/moderation/dashboard", {}),
    ("GET", "/moderation/log", {}),
    ("GET", "/moderation/users", {}),
    ("GET", "/moderation/trips", {}),
    ("GET", "/moderation/bookings", {}),
    ("GET", "/moderation/partners", {}),
    ("GET", "/moderation/reports/{report}", {}),
    ("POST", "/moderation/reports/{report}", {"action": "ban", "note": "Dehors"}),
    ("POST", "/moderation/reports/{report}", {"action": "close", "note": ""}),
    ("POST", "/moderation/partners", {"name": "Intrus", "rate_limit": "1000/second"}),
    ("POST", "/moderation/partners/{partner_key}/revoke", {}),
]

#: One's own things, which no address names: signed-out visitors are sent to sign in.
OWN_PAGES: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/account/data.json", {}),
    ("GET", "/account/delete", {}),
    ("POST", "/account/delete", {"password": "whatever it is"}),
    ("GET", "/account/profile", {}),
    ("GET", "/account/tokens", {}),
    ("POST", "/account/tokens/{token}/revoke", {}),
    ("GET", "/alerts", {}),
    ("GET", "/inbox", {}),
    ("GET", "/my/trips", {}),
]


def _id(case: tuple[str, str, dict[str, str]]) -> str:
    method, path, data = case
    return f"{method} {path}" + (f" {data['action']}" if "action" in data else "")


@pytest.mark.parametrize("case", MEMBER_PAGES, ids=_id)
def test_another_member_neither_reads_nor_changes_it(
    app: Flask, world: World, case: tuple[str, str, dict[str, str]]
) -> None:
    method, path, data = case
    alix = signed_in(app, world.alix)
    before = database_snapshot(app)
    response = posted(alix, method, path.format(**asdict(world)), data)
    assert response.status_code == 403
    assert "Vous n’avez pas accès à cette page." in response.get_data(as_text=True)
    assert database_snapshot(app) == before


@pytest.mark.parametrize("case", [c for c in MEMBER_PAGES if c[1] != "/bookings/{booking}"], ids=_id)
def test_a_moderator_changes_nothing_of_a_member(
    app: Flask, world: World, case: tuple[str, str, dict[str, str]]
) -> None:
    """Moderators read a booking's page (without the phone numbers) and a reported
    conversation; they act through the moderation pages only."""
    method, path, data = case
    sam = signed_in(app, world.sam)
    before = database_snapshot(app)
    assert posted(sam, method, path.format(**asdict(world)), data).status_code == 403
    assert database_snapshot(app) == before


@pytest.mark.parametrize("case", MODERATION_PAGES, ids=_id)
@pytest.mark.parametrize("who", ["alix", "dominique"])
def test_the_moderation_pages_need_a_moderator(
    app: Flask, world: World, case: tuple[str, str, dict[str, str]], who: str
) -> None:
    """Refused to a member with nothing to do with the report, and to the one who made it."""
    method, path, data = case
    client = signed_in(app, getattr(world, who))
    before = database_snapshot(app)
    assert posted(client, method, path.format(**asdict(world)), data).status_code == 403
    assert database_snapshot(app) == before


@pytest.mark.parametrize("case", MEMBER_PAGES + MODERATION_PAGES + OWN_PAGES, ids=_id)
def test_a_visitor_is_sent_to_sign_in(
    app: Flask, world: World, case: tuple[str, str, dict[str, str]]
) -> None:
    method, path, data = case
    visitor = app.test_client()
    before = database_snapshot(app)
    response = posted(visitor, method, path.format(**asdict(world)), data)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")
    assert database_snapshot(app) == before


def test_the_moderation_pages_open_to_a_moderator(app: Flask, world: World) -> None:
    """The other side of the refusals above: the same addresses, for Sam."""
    sam = signed_in(app, world.sam)
    for method, path, _data in MODERATION_PAGES:
        if method == "GET":
            assert sam.get(path.format(**asdict(world))).status_code == 200, path
    assert sam.get(f"/bookings/{world.booking}").status_code == 200  # read-only, for reports


def test_a_token_of_another_member_is_not_revoked(app: Flask, world: World) -> None:
    """The tokens page answers as for a token already gone (a second click): its own
    message, and the token still opens the API."""
    alix = signed_in(app, world.alix)
    before = database_snapshot(app)
    refused = alix.post(f"/account/tokens/{world.token}/revoke", data={"csrf_token": token_of(alix, "/")})
    assert refused.status_code == 302 and refused.headers["Location"] == "/account/tokens"
    assert "Ce jeton ne fait pas partie des vôtres." in alix.get("/account/tokens").get_data(as_text=True)
    assert database_snapshot(app) == before
    with app.app_context():
        assert db.session.get(ApiToken, world.token).revoked_at is None  # type: ignore[union-attr]


def test_only_the_driver_writes_to_a_passenger_looking_for_a_ride(app: Flask, world: World) -> None:
    """A public request shown on a trip's page is answered by that trip's driver only:
    anyone else is sent back to the trip with the reason, and nothing is sent."""
    alix = signed_in(app, world.alix)
    before = database_snapshot(app)
    path = f"/trips/{world.trip}/requests/{world.alert}/messages"
    refused = alix.post(path, data={"body": "Je vous emmène", "csrf_token": token_of(alix, "/")})
    assert refused.status_code == 302 and refused.headers["Location"] == f"/trips/{world.trip}"
    assert "Cette demande ne se trouve plus sur votre trajet." in alix.get(f"/trips/{world.trip}").get_data(
        as_text=True
    )
    assert database_snapshot(app) == before


def test_the_data_export_holds_only_ones_own_data(app: Flask, world: World) -> None:
    alix = signed_in(app, world.alix)
    before = database_snapshot(app)
    export = alix.get("/account/data.json")
    assert export.status_code == 200
    data = export.get_json()
    assert data["account"]["email"] == "alix@example.org"
    for part in ("trips_driven", "regular_trips", "bookings", "messages_written", "alerts", "reports_made"):
        assert data[part] == [], part
    assert [token["name"] for token in data["api_tokens"]] == ["Alix"]
    body = export.get_data(as_text=True)
    for private in ("dominique@example.org", "+33 6 00 00 00 02", "Je serai devant la poste.", "En retard"):
        assert private not in body
    assert database_snapshot(app) == before


def test_deleting_an_account_needs_its_own_password(app: Flask, world: World) -> None:
    """Deleting acts on the signed-in member only, after their password: nothing else
    names an account to delete."""
    alix = signed_in(app, world.alix)
    before = database_snapshot(app)
    refused = alix.post(
        f"/account/delete?user_id={world.dominique}",
        data={"password": "not Alix's password", "csrf_token": token_of(alix, "/")},
    )
    assert refused.status_code == 200 and "Ce n’est pas votre mot de passe" in refused.get_data(as_text=True)
    assert database_snapshot(app) == before


# The API ----------------------------------------------------------------------------------

#: (method, path, JSON body) of each API operation on a member's object.
MEMBER_OPERATIONS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/bookings/{booking}", None),
    ("POST", "/api/v1/bookings/{booking}/accept", None),
    ("POST", "/api/v1/bookings/{booking}/decline", {"reason": "Complet"}),
    ("POST", "/api/v1/bookings/{booking}/cancel", {"reason": "Plus besoin"}),
    ("POST", "/api/v1/bookings/{booking}/messages", {"text": "Hé"}),
    ("POST", "/api/v1/bookings/{booking}/period/accept", {}),
    ("POST", "/api/v1/bookings/{booking}/period/decline", {}),
    ("POST", "/api/v1/bookings/{booking}/period/cancel", {}),
    ("POST", "/api/v1/bookings/{booking}/review", {"rating": 1, "comment": "Nul"}),
    ("GET", "/api/v1/conversations/{conversation}", None),
    ("POST", "/api/v1/conversations/{conversation}/messages", {"text": "Hé"}),
    ("DELETE", "/api/v1/alerts/{alert}", None),
    ("POST", "/api/v1/alerts/{alert}/pause", None),
    ("POST", "/api/v1/alerts/{alert}/resume", None),
    ("PATCH", "/api/v1/trips/{trip}", {"seats": 8}),
    ("POST", "/api/v1/trips/{trip}/cancel", {"reason": "Je ne pars plus"}),
    ("POST", "/api/v1/regular-trips/{regular}/cancel", {"reason": "Je ne pars plus"}),
]


def call(
    client: FlaskClient, method: str, path: str, body: dict[str, Any] | None, token: str | None
) -> TestResponse:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open(path, method=method, json=body, headers=headers)


def _api_id(case: tuple[str, str, dict[str, Any] | None]) -> str:
    return f"{case[0]} {case[1]}"


#: Alix, a member with nothing to do with them, and Sam, a moderator, who reads bookings
#: (read-only, see test_the_moderation_pages_open_to_a_moderator) and changes nothing.
OUTSIDERS = [
    pytest.param(who, case, id=f"{who}-{_api_id(case)}")
    for who in ("alix", "sam")
    for case in MEMBER_OPERATIONS
    if (who, case[:2]) != ("sam", ("GET", "/api/v1/bookings/{booking}"))
]


@pytest.mark.parametrize(("who", "case"), OUTSIDERS)
def test_another_member_neither_reads_nor_changes_it_through_the_api(
    app: Flask, client: FlaskClient, world: World, who: str, case: tuple[str, str, dict[str, Any] | None]
) -> None:
    method, path, body = case
    token = getattr(world, f"{who}_token")
    call(client, "GET", "/api/v1/trips/mine", None, token)  # the token's first use is recorded, once
    before = database_snapshot(app)
    response = call(client, method, path.format(**asdict(world)), body, token)
    assert response.status_code == 403
    assert response.content_type == "application/problem+json" and response.get_json()["status"] == 403
    assert database_snapshot(app) == before


@pytest.mark.parametrize("case", MEMBER_OPERATIONS, ids=_api_id)
def test_the_api_needs_a_token(
    app: Flask, client: FlaskClient, world: World, case: tuple[str, str, dict[str, Any] | None]
) -> None:
    method, path, body = case
    before = database_snapshot(app)
    assert call(client, method, path.format(**asdict(world)), body, None).status_code == 401
    # The session cookie of a signed-in member is no token.
    member_browser = signed_in(app, world.dominique)
    assert call(member_browser, method, path.format(**asdict(world)), body, None).status_code == 401
    assert database_snapshot(app) == before


def test_another_member_token_is_not_found_to_revoke(app: Flask, client: FlaskClient, world: World) -> None:
    """A token is only ever looked up among the member's own: someone else's is a 404,
    as one that does not exist."""
    call(client, "GET", "/api/v1/trips/mine", None, world.alix_token)
    before = database_snapshot(app)
    response = call(client, "DELETE", f"/api/v1/tokens/{world.token}", None, world.alix_token)
    assert response.status_code == 404 and response.content_type == "application/problem+json"
    assert database_snapshot(app) == before


def test_a_trip_s_bookings_are_listed_to_its_driver_only(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """Listed for its driver; anyone else gets the empty list, as for a trip of nobody."""
    call(client, "GET", "/api/v1/trips/mine", None, world.alix_token)
    before = database_snapshot(app)
    listed = call(client, "GET", f"/api/v1/trips/{world.trip}/bookings", None, world.alix_token)
    assert listed.status_code == 200 and listed.get_json() == []
    assert database_snapshot(app) == before
    with app.app_context():
        driver_token = api_tokens.create_token(world.camille, "Camille").secret
    mine = call(client, "GET", f"/api/v1/trips/{world.trip}/bookings", None, driver_token).get_json()
    assert [booking["id"] for booking in mine] == [world.booking]


def test_the_api_data_export_holds_only_ones_own_data(app: Flask, client: FlaskClient, world: World) -> None:
    data = call(client, "GET", "/api/v1/me/data", None, world.alix_token).get_json()
    assert data["account"]["email"] == "alix@example.org"
    assert data["bookings"] == data["messages_written"] == data["alerts"] == []
    assert "dominique@example.org" not in json.dumps(data)
