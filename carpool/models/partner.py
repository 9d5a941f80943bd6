"""Keys of the partners (MaaS platforms, other operators) that read the interop API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime
from .user import utcnow


class PartnerKey(db.Model):  # type: ignore[name-defined,misc]
    """A partner's API key. Only the SHA-256 of its secret is kept: the secret is
    shown once, when the key is made, and a leaked database reveals none. ``prefix``
    (the secret's first characters) lets an administrator tell keys apart.

    ``rate_limit`` is in Flask-Limiter's notation ("60/minute", "1000/hour").
    """

    __tablename__ = "partner_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    rate_limit: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
