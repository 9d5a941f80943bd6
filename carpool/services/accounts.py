"""Accounts: registration, passwords, e-mail confirmation, administrators."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import User
from ..models.user import utcnow
from .messages import ServiceError
from .text import clean_name, is_visible

__all__ = [
    "AccountClosed",
    "AccountError",
    "EmailTaken",
    "Registration",
    "authenticate",
    "confirm_email",
    "confirmation_token",
    "find_by_email",
    "is_email",
    "make_admin",
    "register",
    "reset_password",
    "reset_token",
]

MIN_PASSWORD = 10
MAX_PASSWORD = 256
CONFIRMATION_DAYS = 7
RESET_HOURS = 2
#: Each kind of link is signed with its own salt: one cannot stand for the other.
_CONFIRM = "confirm-email"
_RESET = "reset-password"
#: Something, an @, a domain with a dot: deliverability is checked by the e-mail sent.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ServiceError):
    """Registration or sign-in data that cannot be accepted."""


class EmailTaken(AccountError):
    """The address already has an account. Views must not tell a stranger so (no
    account enumeration): they answer as for a new account and mail the owner."""


class AccountClosed(AccountError):
    """The moderators closed (banned) this account: it no longer signs in."""


@dataclass(frozen=True)
class Registration:
    email: str
    display_name: str
    password: str
    language: str = "fr"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def is_email(address: str) -> bool:
    """Whether a (normalised) address can be an account's: the form of an address,
    and no invisible character."""
    return len(address) <= 254 and _EMAIL.match(address) is not None and is_visible(address)


def find_by_email(email: str) -> User | None:
    """The account of an e-mail address, however it is typed (none for what cannot
    be an address: no query is made of it)."""
    address = normalise_email(email)
    if not is_email(address):
        return None
    user: User | None = db.session.scalar(select(User).where(User.email == address))
    return user


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(_l("Choose a password of at least %(least)d characters.", least=MIN_PASSWORD))


def _validate(form: Registration) -> tuple[str, str]:
    email = normalise_email(form.email)
    if not is_email(email):
        raise AccountError(_l("Please enter a valid e-mail address."))
    name = clean_name(form.display_name)
    if not 1 <= len(name) <= 60:
        raise AccountError(_l("Your name must have between 1 and 60 characters."))
    _check_password(form.password)
    if form.language not in current_app.config["LANGUAGES"]:
        raise AccountError(_l("Unknown language."))
    return email, name


def register(form: Registration) -> int:
    """Create an unconfirmed account; returns its id.

    The password is stored hashed with scrypt (Werkzeug's default KDF).

    Raises
    ------
    AccountError
        For invalid data.
    EmailTaken
        If the address already has an account.
    """
    email, name = _validate(form)
    # Hashed first, even for an address that has an account: answering a hash sooner
    # would tell that it has one.
    password_hash = generate_password_hash(form.password)
    if find_by_email(email) is not None:
        raise EmailTaken(_l("This address already has an account."))
    user = User(email=email, display_name=name, password_hash=password_hash, language=form.language)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as error:  # registered at the same moment elsewhere
        db.session.rollback()
        raise EmailTaken(_l("This address already has an account.")) from error
    return user.id


@cache
def _decoy_hash() -> str:
    """The hash of a random password, checked when an address has no account (made
    once per process)."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> int | None:
    """The id of the account these credentials open, else None (whichever part is wrong).

    Raises
    ------
    AccountClosed
        For the right credentials of a banned account (only then: a stranger
        learns nothing about an address).
    """
    user = find_by_email(email)
    if len(password) > MAX_PASSWORD:
        return None
    # An address without an account has its password checked too, against a decoy:
    # the answer takes as long either way, so its time tells nothing.
    checked = _decoy_hash() if user is None else user.password_hash
    if not check_password_hash(checked, password) or user is None:
        return None
    if user.banned_at is not None:
        raise AccountClosed(_l("This account is closed by the association's moderators."))
    return user.id


def _signer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _read_token(
    salt: str, token: str, max_age_s: int, *, expired: object, invalid: object
) -> tuple[User, dict[str, Any]]:
    """The account a signed link was made for, and what the link carries.

    Raises
    ------
    AccountError
        With ``expired`` or ``invalid`` as its message.
    """
    try:
        data = _signer(salt).loads(token, max_age=max_age_s)
    except SignatureExpired as error:
        raise AccountError(expired) from error
    except BadSignature as error:
        raise AccountError(invalid) from error
    user: User | None = db.session.get(User, data.get("id")) if isinstance(data, dict) else None
    if user is None:
        raise AccountError(invalid)
    return user, data


def confirmation_token(user_id: int) -> str:
    """A token for the link that confirms the account's e-mail address."""
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError(_l("Unknown account."))
    return str(_signer(_CONFIRM).dumps({"id": user.id, "email": user.email}))


def confirm_email(token: str) -> int:
    """Confirm the address a token was made for; returns the account id.

    Raises
    ------
    AccountError
        If the link is damaged, expired, or for an address that has changed.
    """
    invalid = _l("This confirmation link is not valid.")
    user, data = _read_token(
        _CONFIRM,
        token,
        CONFIRMATION_DAYS * 86_400,
        expired=_l("This confirmation link has expired; ask for a new one."),
        invalid=invalid,
    )
    if user.email != data.get("email"):
        raise AccountError(invalid)
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()
        db.session.commit()
    return user.id


def make_admin(email: str) -> int:
    """Give an account the administrator role; returns its id."""
    user = find_by_email(email)
    if user is None:
        raise AccountError(_l("Unknown account."))
    user.is_admin = True
    db.session.commit()
    return user.id


def _password_stamp(user: User) -> str:
    # The end of the current password hash: it changes with the password, so the
    # link dies once used, and a link never carries the whole hash.
    return user.password_hash[-16:]


def reset_token(email: str) -> tuple[int, str] | None:
    """(account id, token) for a password-reset link, or None for an unknown address
    (the page answers the same either way)."""
    user = find_by_email(email)
    if user is None:
        return None
    return user.id, str(_signer(_RESET).dumps({"id": user.id, "stamp": _password_stamp(user)}))


def reset_password(token: str, new_password: str) -> int:
    """Set a new password with a reset link's token; returns the account id.

    The link works once and for two hours.

    Raises
    ------
    AccountError
        If the link is damaged, expired or already used, or the password too short.
    """
    user, data = _read_token(
        _RESET,
        token,
        RESET_HOURS * 3600,
        expired=_l("This link has expired; ask for a new one."),
        invalid=_l("This link is not valid."),
    )
    if data.get("stamp") != _password_stamp(user):
        raise AccountError(_l("This link is not valid, or was already used."))
    _check_password(new_password)
    user.password_hash = generate_password_hash(new_password)
    db.session.commit()
    return user.id
