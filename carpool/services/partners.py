"""Partner API keys: made by an administrator for a MaaS platform or another
operator, shown once, kept as a hash, revoked at will.

A secret is ``secrets.token_urlsafe(32)``: 256 random bits, so one SHA-256 (no slow
password hash) is enough to keep it, and it can be looked up by its hash directly.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from limits import parse_many
from sqlalchemy import select

from ..extensions import db
from ..models import PartnerKey
from .messages import ServiceError
from .text import clean_name

__all__ = [
    "KeyView",
    "PartnerError",
    "PartnerKeyNotFound",
    "authenticate",
    "create_key",
    "list_keys",
    "revoke",
]

#: Characters of the secret shown in lists, to tell keys apart.
PREFIX_LENGTH = 8
#: ``last_used_at`` is written at most this often: not one write per request.
_USE_RESOLUTION = timedelta(minutes=1)
_MAX_NAME = 100


class PartnerError(ServiceError):
    """A key that cannot be made as asked."""


class PartnerKeyNotFound(LookupError):
    """No key has this id."""


@dataclass(frozen=True)
class KeyView:
    """A key as the administrators' list shows it: never its secret."""

    id: int
    name: str
    prefix: str
    rate_limit: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _checked_rate(rate_limit: str | None) -> str:
    rate = (rate_limit or "").strip() or str(current_app.config["PARTNER_RATE_LIMIT"])
    try:
        parse_many(rate)
    except ValueError as error:
        raise PartnerError(_l("Write the rate as a number of requests per period: 60/minute.")) from error
    return rate


def create_key(name: str, rate_limit: str | None = None) -> tuple[int, str]:
    """Make a key for a partner.

    Parameters
    ----------
    name : str
        Who the key is for, as the administrators will recognise it.
    rate_limit : str, optional
        Its requests per period ("60/minute"); by default the setting
        ``PARTNER_RATE_LIMIT``.

    Returns
    -------
    tuple of (int, str)
        The key's id, and its secret: shown once, never stored.

    Raises
    ------
    PartnerError
        For an empty or too long name, or a rate that is not one.
    """
    name = clean_name(name)  # no control character (PostgreSQL refuses NUL)
    if not name or len(name) > _MAX_NAME:
        raise PartnerError(_l("Name the partner in 1 to %(most)d characters.", most=_MAX_NAME))
    secret = secrets.token_urlsafe(32)
    key = PartnerKey(
        name=name,
        secret_hash=_hash(secret),
        prefix=secret[:PREFIX_LENGTH],
        rate_limit=_checked_rate(rate_limit),
    )
    db.session.add(key)
    db.session.commit()
    return int(key.id), secret


def revoke(key_id: int, *, now: datetime | None = None) -> None:
    """Revoke a key: its requests are refused from now on (revoking twice keeps the
    first date).

    Raises
    ------
    PartnerKeyNotFound
        For an unknown id.
    """
    key = db.session.get(PartnerKey, key_id)
    if key is None:
        raise PartnerKeyNotFound(key_id)
    if key.revoked_at is None:
        key.revoked_at = now or datetime.now(UTC)
        db.session.commit()


def list_keys() -> list[KeyView]:
    """Every key, the newest first."""
    keys = db.session.scalars(select(PartnerKey).order_by(PartnerKey.id.desc()))
    return [
        KeyView(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            rate_limit=key.rate_limit,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )
        for key in keys
    ]


def authenticate(secret: str, *, now: datetime | None = None) -> PartnerKey | None:
    """The key this secret belongs to, if it is not revoked; its use is noted.

    Parameters
    ----------
    secret : str
        As the partner sends it.

    Returns
    -------
    PartnerKey or None
        None for an unknown or revoked secret.
    """
    if not secret:
        return None
    key: PartnerKey | None = db.session.scalar(
        select(PartnerKey).where(PartnerKey.secret_hash == _hash(secret))
    )
    if key is None or key.revoked_at is not None:
        return None
    now = now or datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at >= _USE_RESOLUTION:
        key.last_used_at = now
        db.session.commit()
    return key
