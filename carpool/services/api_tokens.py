"""Personal API tokens: made by a member (on their profile, or with their e-mail and
password), used as ``Authorization: Bearer`` on ``/api/v1``, revoked at will."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..models import ApiToken, User
from . import accounts
from .messages import ServiceError
from .text import clean_name

__all__ = [
    "MAX_TOKENS",
    "BadCredentials",
    "NewToken",
    "TokenError",
    "TokenNotFound",
    "TokenView",
    "authenticate",
    "create_token",
    "create_token_with_password",
    "my_tokens",
    "revoke",
]

#: Tokens a member may hold at once: enough for a phone, a laptop and a few scripts.
MAX_TOKENS = 20
_PREFIX = "cp_"
#: ``last_used_at`` is written at most this often, not at every request.
_USE_RESOLUTION = timedelta(minutes=5)


class TokenError(ServiceError):
    """A token that cannot be made."""


class BadCredentials(TokenError):
    """An e-mail address and password that open no account (whichever part is wrong)."""


class TokenNotFound(LookupError):
    """No such token among the member's."""


@dataclass(frozen=True)
class NewToken:
    """A token just made: ``secret`` is shown this once and never stored."""

    id: int
    name: str
    secret: str
    created_at: datetime


@dataclass(frozen=True)
class TokenView:
    """A token as its owner's list shows it (never the secret)."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _clean_name(name: str) -> str:
    name = clean_name(name)[:80]  # no control character (PostgreSQL refuses NUL)
    return name or str(_l("API token"))


def create_token(user_id: int, name: str, *, now: datetime | None = None) -> NewToken:
    """Make a token for a member.

    Raises
    ------
    TokenError
        When the member already holds :data:`MAX_TOKENS` tokens.
    """
    held = db.session.scalar(
        select(func.count()).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    )
    if (held or 0) >= MAX_TOKENS:
        raise TokenError(_l("You already have %(count)d tokens: revoke one first.", count=MAX_TOKENS))
    secret = _PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user_id,
        name=_clean_name(name),
        token_hash=_hash(secret),
        prefix=secret[: len(_PREFIX) + 6],
        created_at=now or datetime.now(UTC),
    )
    db.session.add(token)
    db.session.commit()
    return NewToken(id=token.id, name=token.name, secret=secret, created_at=token.created_at)


def create_token_with_password(email: str, password: str, name: str) -> NewToken:
    """Make a token from a member's credentials, as signing in does.

    Raises
    ------
    BadCredentials
        For credentials that open no account.
    carpool.services.accounts.AccountClosed
        For the right credentials of a banned account.
    TokenError
        As :func:`create_token`.
    """
    user_id = accounts.authenticate(email, password)
    if user_id is None:
        raise BadCredentials(_l("This e-mail address and password do not match an account."))
    return create_token(user_id, name)


def authenticate(secret: str, *, now: datetime | None = None) -> int | None:
    """The member a bearer token acts for, or None for an unknown or revoked token,
    or one of a banned or deleted account."""
    if not secret.startswith(_PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _hash(secret), ApiToken.revoked_at.is_(None))
    )
    if token is None:
        return None
    user = db.session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    moment = now or datetime.now(UTC)
    if token.last_used_at is None or moment - token.last_used_at > _USE_RESOLUTION:
        token.last_used_at = moment
        db.session.commit()
    user_id: int = token.user_id
    return user_id


def my_tokens(user_id: int) -> list[TokenView]:
    """The member's tokens in use, the newest first."""
    tokens = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return [
        TokenView(id=t.id, name=t.name, prefix=t.prefix, created_at=t.created_at, last_used_at=t.last_used_at)
        for t in tokens
    ]


def revoke(token_id: int, user_id: int, *, now: datetime | None = None) -> None:
    """Revoke one of the member's tokens: it opens nothing from now on.

    Raises
    ------
    TokenNotFound
        If the member holds no such token (someone else's included).
    """
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id or token.revoked_at is not None:
        raise TokenNotFound(token_id)
    token.revoked_at = now or datetime.now(UTC)
    db.session.commit()
