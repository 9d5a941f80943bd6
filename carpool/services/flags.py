"""Automatic flags: reports the site itself makes (no reporter, category
"professional") about drivers who look like professionals rather than people sharing
the costs of a trip they make anyway. One open flag per driver and rule."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Report, Trip
from .messages import Money

__all__ = ["FLAGS", "above_ceiling", "trip_published"]

#: The rules, by the name stored in ``Report.flag``.
FLAGS = ("above_ceiling", "many_trips", "many_seats")
_WEEK = timedelta(days=7)


def _raise(driver_id: int, flag: str, reason: str, trip_id: int | None = None) -> None:
    """Add the flag to the session unless the same one is still open; the caller commits."""
    open_ = db.session.scalar(
        select(Report.id)
        .where(Report.user_id == driver_id, Report.flag == flag, Report.closed_at.is_(None))
        .limit(1)
    )
    if open_ is None:
        db.session.add(
            Report(
                kind="trip" if trip_id is not None else "user",
                category="professional",
                reporter_id=None,
                user_id=driver_id,
                trip_id=trip_id,
                flag=flag,
                reason=reason,
            )
        )


def _stored_text(text: object) -> str:
    """A flag's reason, stored once, in the site's own language (the moderators')."""
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        return str(text)


def above_ceiling(driver_id: int, asked_cents: int, ceiling_cents: int) -> None:
    """A driver asked more than the cost-sharing ceiling (the trip was refused). Called
    after the refused transaction is rolled back; commits the flag on its own."""
    reason = _stored_text(
        _l(
            "Tried to publish a trip at %(asked)s per passenger, above the ceiling of %(ceiling)s.",
            asked=Money(asked_cents, current_app.config["CURRENCY"]),
            ceiling=Money(ceiling_cents, current_app.config["CURRENCY"]),
        )
    )
    _raise(driver_id, "above_ceiling", reason)
    db.session.commit()


def _most_in_a_week(departures: list[datetime], around: datetime) -> int:
    """The most departures in one 7-day span that contains ``around`` (sorted list)."""
    most = 0
    for start in departures[: bisect_right(departures, around)]:
        if start + _WEEK > around:
            most = max(most, bisect_left(departures, start + _WEEK) - bisect_left(departures, start))
    return most


def trip_published(trip: Trip) -> None:
    """Flag the driver of a trip just published (in the session, not committed) who
    offers too many seats, or publishes too many trips in one week."""
    config = current_app.config
    if trip.seats >= config["FLAG_SEATS"]:
        reason = _stored_text(_l("Offers %(num)d seats on one trip.", num=trip.seats))
        _raise(trip.driver_id, "many_seats", reason, trip.id)
    departures = sorted(
        db.session.scalars(
            select(Trip.departure_at).where(
                Trip.driver_id == trip.driver_id,
                Trip.status == "published",
                Trip.departure_at > trip.departure_at - _WEEK,
                Trip.departure_at < trip.departure_at + _WEEK,
            )
        )
    )
    most = _most_in_a_week(departures, trip.departure_at)
    if most > config["FLAG_TRIPS_PER_WEEK"]:
        reason = _stored_text(_l("Published %(num)d trips leaving within 7 days.", num=most))
        _raise(trip.driver_id, "many_trips", reason, trip.id)
