"""Accounts: registration rules, passwords, e-mail confirmation, administrators."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_babel import force_locale

from carpool.extensions import db
from carpool.models import User
from carpool.services import accounts
from carpool.services.accounts import AccountError, EmailTaken, Registration

GOOD = Registration(
    email="  Alix@Example.ORG ", display_name="  Alix  Martin ", password="correct horse battery"
)


def test_register_then_sign_in(app: Flask) -> None:
    with app.app_context():
        user_id = accounts.register(GOOD)
        user = db.session.get(User, user_id)
        assert user is not None
        assert user.email == "alix@example.org" and user.display_name == "Alix Martin"
        assert user.password_hash.startswith("scrypt:") and "correct horse" not in user.password_hash
        assert user.confirmed_at is None and not user.is_admin
        assert accounts.authenticate("ALIX@example.org", "correct horse battery") == user_id
        assert accounts.authenticate("alix@example.org", "wrong horse battery") is None
        assert accounts.authenticate("nobody@example.org", "correct horse battery") is None
        assert accounts.authenticate("alix@example.org", "x" * 100_000) is None


def test_an_address_has_one_account(app: Flask) -> None:
    with app.app_context():
        accounts.register(GOOD)
        with pytest.raises(EmailTaken):
            accounts.register(
                Registration(email="alix@EXAMPLE.org", display_name="Other", password="another password")
            )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "not-an-address"}, "adresse e-mail valide"),
        ({"email": "a@b"}, "adresse e-mail valide"),
        ({"email": "x" * 250 + "@example.org"}, "adresse e-mail valide"),
        ({"display_name": "   "}, "entre 1 et 60 caractères"),
        ({"display_name": "\x00\x07"}, "entre 1 et 60 caractères"),
        ({"display_name": "A" * 61}, "entre 1 et 60 caractères"),
        ({"password": "short"}, "au moins 10 caractères"),
        ({"language": "xx"}, "Langue inconnue"),
    ],
)
def test_registration_refuses_bad_data(app: Flask, changes: dict[str, str], message: str) -> None:
    values = {"email": GOOD.email, "display_name": GOOD.display_name, "password": GOOD.password}
    values.update(changes)
    with app.app_context():
        with pytest.raises(AccountError) as refused:
            accounts.register(Registration(**values))
        with app.test_request_context(), force_locale("fr"):
            assert message in str(refused.value.message)
        assert db.session.query(User).count() == 0


def test_confirmation_link(app: Flask) -> None:
    with app.app_context():
        user_id = accounts.register(GOOD)
        token = accounts.confirmation_token(user_id)
        assert accounts.confirm_email(token) == user_id
        user = db.session.get(User, user_id)
        assert user is not None and user.confirmed_at is not None
        assert accounts.confirm_email(token) == user_id  # a second click does no harm
        for damaged in ("", "abc", token[:-2] + "xx", token + "."):
            with pytest.raises(AccountError):
                accounts.confirm_email(damaged)


def test_confirmation_link_expires(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        token = accounts.confirmation_token(accounts.register(GOOD))
        later = time.time() + (accounts.CONFIRMATION_DAYS + 1) * 86_400
        monkeypatch.setattr(time, "time", lambda: later)
        with pytest.raises(AccountError) as refused, app.test_request_context(), force_locale("en"):
            accounts.confirm_email(token)
        with app.test_request_context(), force_locale("en"):
            assert "expired" in str(refused.value.message)


def test_user_commands(app: Flask, runner: FlaskCliRunner) -> None:
    created = runner.invoke(
        args=["users", "create", "admin@example.org", "Admin", "--password", "a long passphrase"]
    )
    assert created.exit_code == 0, created.output
    promoted = runner.invoke(args=["users", "make-admin", "ADMIN@example.org"])
    assert promoted.exit_code == 0 and "administrator" in promoted.output
    with app.app_context():
        user = db.session.query(User).one()
        assert user.is_admin and user.confirmed_at is not None
    twice = runner.invoke(
        args=["users", "create", "admin@example.org", "Admin", "--password", "a long passphrase"]
    )
    assert twice.exit_code == 1 and "déjà un compte" in twice.output
    unknown = runner.invoke(args=["users", "make-admin", "nobody@example.org"])
    assert unknown.exit_code == 1 and "Compte inconnu" in unknown.output


def test_reset_link_expires_and_works_once(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        user_id = accounts.register(GOOD)
        assert accounts.reset_token("nobody@example.org") is None
        found = accounts.reset_token("ALIX@example.org")
        assert found is not None and found[0] == user_id
        token = found[1]
        later = time.time() + accounts.RESET_HOURS * 3600 + 60
        with monkeypatch.context() as patched:
            patched.setattr(time, "time", lambda: later)
            with pytest.raises(AccountError):
                accounts.reset_password(token, "a brand new passphrase")
        assert accounts.reset_password(token, "a brand new passphrase") == user_id
        assert accounts.authenticate("alix@example.org", "a brand new passphrase") == user_id
        with pytest.raises(AccountError):
            accounts.reset_password(token, "one more passphrase")
