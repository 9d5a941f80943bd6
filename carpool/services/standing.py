"""A member's standing: whether a suspension or a ban keeps them from publishing,
booking, writing or reporting. Shared by the services that do those things, each of
which refuses with its own error and this message."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import User
from .messages import Moment

__all__ = ["refusal"]


def refusal(user_id: int, now: datetime | None = None) -> object | None:
    """Why the member may not act now (a translated message), or None if they may."""
    user = db.session.get(User, user_id)
    if user is None or not user.suspended(now or datetime.now(UTC)):
        return None
    message: object
    if user.banned_at is not None or user.suspended_until is None:
        message = _l("This account is closed.")
    else:
        message = _l(
            "Your account is suspended until %(until)s: you can read the site, but not publish, book, "
            "write or report.",
            until=Moment(user.suspended_until),
        )
    return message
