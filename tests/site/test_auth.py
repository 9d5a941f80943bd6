"""Registration, confirmation by the e-mailed link, sign-in and sign-out, as a browser
without JavaScript would do them."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import Message
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from carpool.extensions import db
from carpool.models import User

PASSWORD = "correct horse battery"


def token_of(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert found
    return found.group(1)


def sign_in(client: FlaskClient, address: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/account/login",
        data={"email": address, "password": password, "csrf_token": token_of(client, "/account/login")},
    )


def outbox(app: Flask) -> list[Message]:
    folder = Path(app.config["MAIL_OUTBOX"])
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]


def register(client: FlaskClient, address: str = "alix@example.org", **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/account/register",
        data={
            "email": address,
            "display_name": "Alix",
            "password": PASSWORD,
            "csrf_token": token_of(client, "/account/register"),
        },
        headers=headers,
    )


def test_register_confirm_sign_in_sign_out(app: Flask, client: FlaskClient) -> None:
    response = register(client)
    assert response.status_code == 302 and response.headers["Location"] == "/account/login"
    page = client.get("/account/login").get_data(as_text=True)
    assert "Nous vous avons envoyé un e-mail" in page
    (message,) = outbox(app)
    assert message["To"] == "alix@example.org"
    assert message["Subject"] == "Confirmez votre adresse e-mail"
    body = message.get_content()
    assert "Bonjour Alix," in body
    link = re.search(r"http://localhost(/account/confirm/\S+)", body)
    assert link
    confirmed = client.get(link.group(1))
    assert confirmed.status_code == 302
    assert "Votre adresse e-mail est confirmée." in client.get("/account/login").get_data(as_text=True)
    with app.app_context():
        user = db.session.query(User).one()
        assert user.confirmed_at is not None and user.language == "fr"

    assert sign_in(client, "ALIX@example.org", PASSWORD).status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Bonjour Alix !" in home and "Se déconnecter" in home
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    assert "Se connecter" in client.get("/").get_data(as_text=True)


def test_english_speakers_get_english_mail(app: Flask, client: FlaskClient) -> None:
    register(client, **{"Accept-Language": "en"})
    (message,) = outbox(app)
    assert message["Subject"] == "Confirm your e-mail address"
    assert "Welcome to carpool!" in message.get_content()


def test_wrong_password_and_bad_forms_say_why_inline(app: Flask, client: FlaskClient) -> None:
    register(client)
    wrong = sign_in(client, "alix@example.org", "nope nope nope")
    assert wrong.status_code == 200
    assert "ne correspondent à aucun compte" in wrong.get_data(as_text=True)
    empty = client.post("/account/register", data={"csrf_token": token_of(client, "/account/register")})
    page = empty.get_data(as_text=True)
    assert empty.status_code == 200 and page.count("Ce champ est obligatoire.") == 3
    short = client.post(
        "/account/register",
        data={
            "email": "b@example.org",
            "display_name": "B",
            "password": "short",
            "csrf_token": token_of(client, "/account/register"),
        },
    )
    assert "au moins 10 caractères" in short.get_data(as_text=True)
    assert 'value="b@example.org"' in short.get_data(as_text=True)  # what was typed is kept
    huge = client.post(
        "/account/register",
        data={
            "email": "c@example.org",
            "display_name": "C" * 10_000,
            "password": PASSWORD,
            "csrf_token": token_of(client, "/account/register"),
        },
    )
    assert huge.status_code == 200


def test_registration_does_not_reveal_existing_accounts(app: Flask, client: FlaskClient) -> None:
    first = register(client)
    second = register(client)  # same address again
    assert second.status_code == first.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    _, warning = outbox(app)
    assert warning["Subject"] == "Quelqu’un a essayé de s’inscrire avec votre adresse"
    with app.app_context():
        assert db.session.query(User).count() == 1


def test_forms_need_their_csrf_token(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/account/register", data={"email": "x@example.org", "display_name": "X", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "La demande n’a pas pu être comprise" in response.get_data(as_text=True)
    assert client.post("/account/logout").status_code == 400
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_a_damaged_confirmation_link(client: FlaskClient) -> None:
    client.get("/account/confirm/not-a-token")
    assert "Ce lien de confirmation n’est pas valide." in client.get("/account/login").get_data(as_text=True)


def test_password_reset_by_e_mailed_link(app: Flask, client: FlaskClient) -> None:
    register(client)
    for address in ("alix@example.org", "nobody@example.org"):
        response = client.post(
            "/account/reset", data={"email": address, "csrf_token": token_of(client, "/account/reset")}
        )
        assert response.status_code == 302  # the same answer for both: no enumeration
    assert "nous lui avons envoyé un lien" in client.get("/account/login").get_data(as_text=True)
    _, reset_mail = outbox(app)  # one mail only: none to the unknown address
    assert reset_mail["Subject"] == "Choisissez un nouveau mot de passe"
    link = re.search(r"http://localhost(/account/reset/\S+)", reset_mail.get_content())
    assert link
    path = link.group(1)
    short = client.post(path, data={"password": "short", "csrf_token": token_of(client, path)})
    assert "au moins 10 caractères" in short.get_data(as_text=True)
    done = client.post(
        path, data={"password": "a brand new passphrase", "csrf_token": token_of(client, path)}
    )
    assert done.status_code == 302
    assert sign_in(client, "alix@example.org", "a brand new passphrase").status_code == 302
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    assert sign_in(client, "alix@example.org", PASSWORD).status_code == 200  # the old one no longer works
    again = client.post(
        path, data={"password": "yet another passphrase", "csrf_token": token_of(client, path)}
    )
    assert "déjà servi" in again.get_data(as_text=True)  # a link works once
    broken = client.post(
        "/account/reset/nonsense", data={"password": "whatever long", "csrf_token": token_of(client, path)}
    )
    assert "Ce lien n’est pas valide." in broken.get_data(as_text=True)
