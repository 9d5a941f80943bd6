"""Alerts: a passenger asks to hear of rides that will pass their way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..models import Alert
from . import places
from .messages import ServiceError
from .search import MAX_FLEX_DAYS

__all__ = ["MAX_ALERTS", "AlertError", "create_alert"]

#: Alerts a member can have at once: enough for real needs, not for flooding.
MAX_ALERTS = 20


class AlertError(ServiceError):
    """An alert that cannot be kept."""


def create_alert(user_id: int, origin: str, destination: str, day: date, flex_days: int = 0) -> int:
    """Keep a member's alert for rides from ``origin`` to ``destination`` around ``day``;
    returns its id. The same alert asked twice is kept once.

    Raises
    ------
    FieldError
        For a place name the gazetteer does not know.
    AlertError
        For a day in the past or more than a year ahead, a flexibility out of 0–3
        days, or too many alerts.
    """
    today = datetime.now(UTC).astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()
    if day < today:
        raise AlertError(_l("This date has passed."))
    if day > today + timedelta(days=366):
        raise AlertError(_l("Alerts can be set up to one year ahead."))
    if not 0 <= flex_days <= MAX_FLEX_DAYS:
        raise AlertError(_l("Dates can be flexible by at most %(days)d days.", days=MAX_FLEX_DAYS))
    start = places.place_for_field(origin, "origin")
    end = places.place_for_field(destination, "destination")
    same = db.session.scalar(
        select(Alert.id).where(
            Alert.user_id == user_id,
            Alert.origin == start.name,
            Alert.destination == end.name,
            Alert.day == day,
            Alert.flex_days == flex_days,
        )
    )
    if same is not None:
        return same
    count = db.session.scalar(
        select(func.count(Alert.id)).where(Alert.user_id == user_id, Alert.day >= today)
    )
    if (count or 0) >= MAX_ALERTS:
        raise AlertError(_l("You already have %(most)d alerts: that is the most.", most=MAX_ALERTS))
    alert = Alert(
        user_id=user_id,
        origin=start.name,
        origin_lat=start.lat,
        origin_lon=start.lon,
        destination=end.name,
        destination_lat=end.lat,
        destination_lon=end.lon,
        day=day,
        flex_days=flex_days,
    )
    db.session.add(alert)
    db.session.commit()
    return alert.id
