"""People with an account: drivers and passengers alike."""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String, Text, false
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from .types import UTCDateTime

#: Each travel preference and the answers a member can give.
PREFERENCES: dict[str, tuple[str, ...]] = {
    "smoking": ("no", "outside", "yes"),
    "pets": ("no", "depends", "yes"),
    "music": ("quiet", "depends", "music"),
    "chattiness": ("quiet", "depends", "chatty"),
}


#: The e-mails a member can choose to receive (all by default).
NOTIFICATIONS = (
    "booking_requested",
    "booking_answered",
    "booking_cancelled",
    "new_message",
    "trip_changed",
    "reminder",
    "review_received",
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """An account. E-mail addresses are stored lower-cased, so they are unique
    whatever the case people type them in."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: The name as the member gave it; read :attr:`display_name`, which says
    #: "Deleted member" once the account is deleted.
    name: Mapped[str] = mapped_column("display_name", String(60))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(5), default="fr")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # The profile other members see, except the phone number: that is shown only to
    # the people the member travels with.
    bio: Mapped[str] = mapped_column(Text, default="", server_default="")
    phone: Mapped[str] = mapped_column(String(30), default="", server_default="")
    car_model: Mapped[str] = mapped_column(String(60), default="", server_default="")
    car_colour: Mapped[str] = mapped_column(String(30), default="", server_default="")
    #: Travel preferences, each one of :data:`PREFERENCES`' choices, or "" when unsaid.
    smoking: Mapped[str] = mapped_column(String(10), default="", server_default="")
    pets: Mapped[str] = mapped_column(String(10), default="", server_default="")
    music: Mapped[str] = mapped_column(String(10), default="", server_default="")
    chattiness: Mapped[str] = mapped_column(String(10), default="", server_default="")
    #: E-mail notifications the member turned off, comma-separated (see NOTIFICATIONS).
    mail_off: Mapped[str] = mapped_column(String(200), default="", server_default="")

    # Moderation: a suspended member reads but does not publish, book, write or report
    # until then; a banned one is suspended for ever and can no longer sign in.
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    banned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    #: When the member deleted their account: its personal fields are erased, the
    #: row stays for the history of the trips and conversations of others.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @hybrid_property
    def display_name(self) -> str:
        """The name shown to others, in the reader's language for a deleted account."""
        return self.shown_name(self.name, self.deleted_at)

    @staticmethod
    def shown_name(name: str, deleted_at: datetime | None) -> str:
        """:attr:`display_name` from the two columns, for a query that reads them
        without loading members."""
        return str(_l("Deleted member")) if deleted_at is not None else name

    @display_name.inplace.setter
    def _display_name_setter(self, value: str) -> None:
        self.name = value

    @display_name.inplace.expression
    @classmethod
    def _display_name_expression(cls) -> ColumnElement[str]:
        return cls.name  # type: ignore[return-value]

    @display_name.inplace.bulk_dml
    @classmethod
    def _display_name_bulk(cls, mapping: MutableMapping[str, Any], value: str) -> None:
        """Bulk inserts that give ``display_name`` give the stored name."""
        mapping["name"] = value

    @property
    def is_active(self) -> bool:
        """Flask-Login's: a banned member's session, or a deleted account's, no
        longer counts as signed in."""
        return self.banned_at is None and self.deleted_at is None

    def suspended(self, now: datetime) -> bool:
        """Whether the member may not publish, book, write or report at ``now``."""
        return self.banned_at is not None or (self.suspended_until is not None and self.suspended_until > now)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.display_name!r}>"
