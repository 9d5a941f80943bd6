"""Rate limits of the site's pages: signing in (per client address and per e-mail
address tried), registering, asking for a password reset, the mails those send to one
address, messages per member and the search per client address. Each test sets a low
rate (limits are on in the tests, counted in memory, afresh for each app), then checks
the refusal: 429, the error page saying how long to wait, and nothing changed."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from carpool.extensions import db
from carpool.models import MailJob, Message, User
from carpool.services import conversations
from carpool.services.trips import publish
from tests.site.test_auth import outbox, register, token_of
from tests.site.test_pages import PASSWORD, members_created
from tests.site.test_trips import draft

FRENCH_WAIT = re.compile(r"Patientez \d+ minutes?, puis réessayez\.")
ENGLISH_WAIT = re.compile(r"Please wait \d+ minutes?, then try again\.")


def count(model: type[object]) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def attempt(
    client: FlaskClient, email: str, password: str, address: str = "127.0.0.1", **headers: str
) -> TestResponse:
    """A sign-in posted from a client ``address``."""
    return client.post(
        "/account/login",
        data={"email": email, "password": password, "csrf_token": token_of(client, "/account/login")},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def signed_in_as(client: FlaskClient) -> str | None:
    with client.session_transaction() as session:
        user_id = session.get("_user_id")
    return None if user_id is None else str(user_id)


def assert_told_to_wait(response: TestResponse, wait: re.Pattern[str]) -> None:
    assert response.status_code == 429
    assert wait.search(response.get_data(as_text=True)), response.get_data(as_text=True)
    assert 0 < int(response.headers["Retry-After"]) <= 3600


def reset(client: FlaskClient, email: str, address: str = "127.0.0.1") -> TestResponse:
    return client.post(
        "/account/reset",
        data={"email": email, "csrf_token": token_of(client, "/account/reset")},
        environ_base={"REMOTE_ADDR": address},
    )


# Signing in -------------------------------------------------------------------------------


def test_sign_in_is_limited_per_client_address(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    members_created(runner, "Camille")
    app.config["LOGIN_RATE_LIMIT"] = "3/minute"
    for guess in ("a@example.org", "b@example.org", "c@example.org"):  # three addresses tried
        assert attempt(client, guess, "a wrong passphrase").status_code == 200
    right = attempt(client, "camille@example.org", PASSWORD)
    assert_told_to_wait(right, FRENCH_WAIT)  # the right password too, while limited
    assert signed_in_as(client) is None
    english = attempt(client, "camille@example.org", PASSWORD, **{"Accept-Language": "en"})
    assert_told_to_wait(english, ENGLISH_WAIT)
    assert signed_in_as(client) is None
    # Another client address has its own count.
    assert attempt(client, "camille@example.org", PASSWORD, address="192.0.2.7").status_code == 302
    assert signed_in_as(client) is not None


def test_sign_in_is_limited_per_e_mail_address_from_any_client_address(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    members_created(runner, "Camille", "Alix")
    app.config["LOGIN_EMAIL_RATE_LIMIT"] = "3/minute"
    for n, typed in enumerate(("camille@example.org", " CAMILLE@example.org", "Camille@Example.org ")):
        assert attempt(client, typed, f"guess number {n}", address=f"192.0.2.{n + 1}").status_code == 200
    right = attempt(client, "camille@example.org", PASSWORD, address="198.51.100.9")
    assert_told_to_wait(right, FRENCH_WAIT)
    assert signed_in_as(client) is None
    # Another member signs in from that same client address.
    assert attempt(client, "alix@example.org", PASSWORD, address="198.51.100.9").status_code == 302
    assert signed_in_as(client) is not None


def test_reading_the_forms_is_not_counted(app: Flask, client: FlaskClient, runner: FlaskCliRunner) -> None:
    members_created(runner, "Camille")
    for setting in ("LOGIN_RATE_LIMIT", "REGISTER_RATE_LIMIT", "RESET_RATE_LIMIT"):
        app.config[setting] = "1/minute"
    for path in ("/account/login", "/account/register", "/account/reset"):
        assert [client.get(path).status_code for _ in range(5)] == [200] * 5
    assert attempt(client, "camille@example.org", PASSWORD).status_code == 302
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    assert register(client, "alix@example.org").status_code == 302
    assert reset(client, "camille@example.org").status_code == 302
    with app.app_context():
        assert count(User) == 2


# Registering and resetting ----------------------------------------------------------------


def test_a_blocked_registration_creates_no_account(app: Flask, client: FlaskClient) -> None:
    app.config["REGISTER_RATE_LIMIT"] = "2/minute"
    assert register(client, "alix@example.org").status_code == 302
    assert register(client, "sam@example.org").status_code == 302
    blocked = register(client, "dominique@example.org")
    assert_told_to_wait(blocked, FRENCH_WAIT)
    with app.app_context():
        assert count(User) == 2
        assert db.session.scalar(select(User).where(User.email == "dominique@example.org")) is None
    assert [m["To"] for m in outbox(app)] == ["alix@example.org", "sam@example.org"]


def test_a_blocked_reset_request_sends_no_mail(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    members_created(runner, "Camille")
    app.config["RESET_RATE_LIMIT"] = "2/minute"
    for unknown in ("nobody@example.org", "noone@example.org"):
        assert reset(client, unknown).status_code == 302
    assert_told_to_wait(reset(client, "camille@example.org"), FRENCH_WAIT)
    assert outbox(app) == []
    with app.app_context():
        assert count(MailJob) == 0
    # Another client address may ask: the link is mailed.
    assert reset(client, "camille@example.org", address="192.0.2.7").status_code == 302
    assert [m["Subject"] for m in outbox(app)] == ["Choisissez un nouveau mot de passe"]


def test_one_mailbox_cannot_be_flooded_through_the_forms(app: Flask, client: FlaskClient) -> None:
    """Registering and resetting count together the mails to one address, whatever
    the client address: a link, a warning, then no more."""
    app.config["MAIL_PER_ADDRESS_RATE_LIMIT"] = "2/hour"

    def registration(address: str) -> TestResponse:
        return client.post(
            "/account/register",
            data={
                "email": "alix@example.org",
                "display_name": "Alix",
                "password": "a long enough passphrase",
                "csrf_token": token_of(client, "/account/register"),
            },
            environ_base={"REMOTE_ADDR": address},
        )

    assert registration("192.0.2.1").status_code == 302
    assert reset(client, "ALIX@example.org", address="192.0.2.2").status_code == 302
    assert_told_to_wait(registration("192.0.2.3"), FRENCH_WAIT)
    assert_told_to_wait(reset(client, "alix@example.org", address="192.0.2.4"), FRENCH_WAIT)
    assert [m["Subject"] for m in outbox(app)] == [
        "Confirmez votre adresse e-mail",
        "Choisissez un nouveau mot de passe",
    ]
    # Another address is not held up.
    assert reset(client, "sam@example.org", address="192.0.2.4").status_code == 302


# Messages ---------------------------------------------------------------------------------


def test_a_blocked_message_is_not_stored(app: Flask, client: FlaskClient, runner: FlaskCliRunner) -> None:
    members_created(runner, "Camille", "Alix")
    with app.app_context():
        camille, alix = db.session.scalars(select(User.id).order_by(User.id)).all()
        trip_id = publish(camille, draft())
        conversation_id = conversations.write_to_driver(trip_id, alix, "Bonjour !")  # not through a page
    app.config["MESSAGE_RATE_LIMIT"] = "2/minute"
    assert attempt(client, "alix@example.org", PASSWORD).status_code == 302
    conversation = f"/conversations/{conversation_id}"
    # Reading the conversation is not counted; each page that sends a message is.
    assert [client.get(conversation).status_code for _ in range(4)] == [200] * 4
    token = token_of(client, conversation)
    sent = client.post(f"/trips/{trip_id}/messages", data={"body": "Une question", "csrf_token": token})
    assert sent.status_code == 302
    assert client.post(conversation, data={"body": "Et une autre", "csrf_token": token}).status_code == 302
    blocked = client.post(conversation, data={"body": "Encore une", "csrf_token": token})
    assert_told_to_wait(blocked, FRENCH_WAIT)
    assert_told_to_wait(
        client.post(f"/trips/{trip_id}/messages", data={"body": "Allô ?", "csrf_token": token}), FRENCH_WAIT
    )
    with app.app_context():
        assert db.session.scalars(select(Message.body).order_by(Message.id)).all() == [
            "Bonjour !",
            "Une question",
            "Et une autre",
        ]
    # The count is the member's: the driver answers.
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    assert attempt(client, "camille@example.org", PASSWORD).status_code == 302
    answer = client.post(conversation, data={"body": "Oui ?", "csrf_token": token_of(client, conversation)})
    assert answer.status_code == 302
    with app.app_context():
        assert count(Message) == 4


def test_messages_through_the_api_share_the_members_count(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    """The API is no way around the limit: a member's messages are counted together,
    from the pages and through the API."""
    from carpool.services import api_tokens

    members_created(runner, "Camille", "Alix")
    with app.app_context():
        camille, alix = db.session.scalars(select(User.id).order_by(User.id)).all()
        trip_id = publish(camille, draft())
        headers = {"Authorization": f"Bearer {api_tokens.create_token(alix, 'tests').secret}"}
    app.config["MESSAGE_RATE_LIMIT"] = "2/minute"
    api = f"/api/v1/trips/{trip_id}/messages"
    assert client.post(api, json={"text": "Bonjour !"}, headers=headers).status_code == 201
    assert attempt(client, "alix@example.org", PASSWORD).status_code == 302
    page = client.post(
        f"/trips/{trip_id}/messages", data={"body": "Une question", "csrf_token": token_of(client, "/")}
    )
    assert page.status_code == 302
    blocked = client.post(api, json={"text": "Encore une"}, headers=headers)
    assert blocked.status_code == 429 and blocked.headers["Content-Type"] == "application/problem+json"
    assert "Retry-After" in blocked.headers
    with app.app_context():
        assert db.session.scalars(select(Message.body).order_by(Message.id)).all() == [
            "Bonjour !",
            "Une question",
        ]


# The search -------------------------------------------------------------------------------


def test_the_search_page_is_limited_per_client_address(app: Flask, client: FlaskClient) -> None:
    app.config["SEARCH_RATE_LIMIT"] = "3/minute"
    assert [client.get("/search").status_code for _ in range(3)] == [200] * 3
    assert_told_to_wait(client.get("/search"), FRENCH_WAIT)
    assert_told_to_wait(client.get("/search", headers={"Accept-Language": "en"}), ENGLISH_WAIT)
    assert client.get("/search", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
    assert client.get("/").status_code == 200  # the rest of the site is not held up


def test_behind_the_site_proxy_the_client_is_the_address_it_forwards(app: Flask, client: FlaskClient) -> None:
    """nginx on the same machine adds the client's address to X-Forwarded-For; what a
    client puts there itself comes before, and is never believed, nor is the header
    of a client that reaches the site directly."""
    app.config["SEARCH_RATE_LIMIT"] = "1/minute"

    def search(peer: str, forwarded: str) -> int:
        return client.get(
            "/search", environ_base={"REMOTE_ADDR": peer}, headers={"X-Forwarded-For": forwarded}
        ).status_code

    assert search("127.0.0.1", "203.0.113.5") == 200
    assert search("127.0.0.1", "203.0.113.6") == 200  # another client behind the proxy
    assert search("127.0.0.1", "198.51.100.1, 203.0.113.5") == 429  # the first one again
    assert search("192.0.2.9", "203.0.113.7") == 200
    assert search("192.0.2.9", "203.0.113.8") == 429  # a direct client chooses nothing
