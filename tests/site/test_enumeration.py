"""No account enumeration: registering with an address that has an account, asking a
password reset for one that has none, or signing in with either, answers exactly as
for the other kind (status, address, page), and costs the same password hashing, so
that neither the answer nor its time tells whether an address has an account."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from werkzeug.test import TestResponse

from carpool.extensions import db
from carpool.models import MailJob, User
from carpool.services import accounts
from tests.site.test_auth import outbox, register, sign_in, token_of
from tests.site.test_pages import PASSWORD as MEMBER_PASSWORD
from tests.site.test_pages import members_created


def shown(response: TestResponse, client: FlaskClient) -> tuple[int, str | None, str]:
    """What a visitor sees of an answer: its status, where it sends them, and the page
    they land on (without its CSRF token, which differs from one visitor to the next)."""
    location = response.headers.get("Location")
    page = client.get(location) if location else response
    text = re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "csrf", page.get_data(as_text=True))
    text = re.sub(r'value="[^"]+"[^>]*name="csrf_token"', "csrf", text)
    return response.status_code, location, text


def test_registering_an_address_that_has_an_account_looks_like_a_new_account(app: Flask) -> None:
    first, second = app.test_client(), app.test_client()  # two visitors, each their own session
    new = shown(register(first, "alix@example.org"), first)
    with app.app_context():
        original = db.session.scalars(select(User.password_hash)).one()
    assert shown(register(second, "alix@example.org"), second) == new
    assert new[:2] == (302, "/account/login") and "Nous vous avons envoyé un e-mail" in new[2]
    # Nothing changed in the account; its owner is told, in a mail of its own.
    with app.app_context():
        assert db.session.scalars(select(User.password_hash)).one() == original
    confirmation, warning = outbox(app)
    assert confirmation["To"] == warning["To"] == "alix@example.org"
    assert warning["Subject"] == "Quelqu’un a essayé de s’inscrire avec votre adresse"
    assert "http://localhost/account/confirm/" not in warning.get_content()


def test_a_refused_registration_says_the_same_for_both_kinds_of_address(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    members_created(runner, "Camille")
    pages = []
    for address in ("camille@example.org", "alix@example.org"):
        response = client.post(
            "/account/register",
            data={
                "email": address,
                "display_name": "Quelqu’un",
                "password": "short",
                "csrf_token": token_of(client, "/account/register"),
            },
        )
        assert response.status_code == 200
        pages.append(shown(response, client)[2].replace(address, "ADDRESS"))
    assert pages[0] == pages[1] and "au moins 10 caractères" in pages[0]
    with app.app_context():
        assert db.session.scalars(select(MailJob)).all() == []


def test_a_reset_for_an_unknown_address_looks_like_one_for_a_member(
    app: Flask, runner: FlaskCliRunner
) -> None:
    members_created(runner, "Camille")
    answers = []
    for address in ("camille@example.org", "nobody@example.org"):
        visitor = app.test_client()
        response = visitor.post(
            "/account/reset", data={"email": address, "csrf_token": token_of(visitor, "/account/reset")}
        )
        answers.append(shown(response, visitor))
    assert answers[0] == answers[1]
    assert answers[0][:2] == (302, "/account/login") and "nous lui avons envoyé un lien" in answers[0][2]
    assert [m["To"] for m in outbox(app)] == ["camille@example.org"]  # nothing to the unknown address


def test_signing_in_says_the_same_for_an_unknown_address_and_a_wrong_password(
    client: FlaskClient, runner: FlaskCliRunner
) -> None:
    members_created(runner, "Camille")
    pages = []
    for address in ("camille@example.org", "nobody@example.org"):
        response = sign_in(client, address, "not the passphrase")
        assert response.status_code == 200
        pages.append(shown(response, client)[2].replace(address, "ADDRESS"))
    assert pages[0] == pages[1] and "ne correspondent à aucun compte" in pages[0]


def counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """Count the calls of a password function of the accounts service."""
    calls: list[str] = []
    real = getattr(accounts, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(accounts, name, counted)
    return calls


def test_an_unknown_address_costs_a_password_check_too(
    client: FlaskClient, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checking a password takes tens of milliseconds: an answer that skipped it for an
    unknown address would tell, by its time alone, which addresses have an account."""
    members_created(runner, "Camille")
    checks = counting(monkeypatch, "check_password_hash")
    sign_in(client, "nobody@example.org", MEMBER_PASSWORD)
    assert len(checks) == 1
    sign_in(client, "camille@example.org", "not the passphrase")
    assert len(checks) == 2


def test_registering_a_taken_address_costs_a_password_hash_too(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = counting(monkeypatch, "generate_password_hash")
    assert register(app.test_client(), "alix@example.org").status_code == 302
    assert len(hashes) == 1
    assert register(app.test_client(), "alix@example.org").status_code == 302
    assert len(hashes) == 2
    with app.app_context():
        assert db.session.scalars(select(User.email)).all() == ["alix@example.org"]
