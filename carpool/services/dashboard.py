"""The administrators' dashboard: how the site stands now (members, trips and
bookings to come, open reports, regular trips running), and what happened month
by month over the last twelve months, counted in the site's ``TIMEZONE``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute

from ..extensions import db
from ..i18n import site_zone
from ..models import Booking, BookingEvent, RegularTrip, Report, Trip, User
from . import moderation
from .stats import MONTHS, last_months, monthly_counts

__all__ = ["Dashboard", "Standing", "dashboard"]


@dataclass(frozen=True)
class Standing:
    """The figures at one moment.

    ``suspended`` leaves out banned members, counted in ``banned``; bookings to
    come are those of trips that have not left; ``open_flags`` are the open reports
    the site made itself (its automatic flags); a regular trip runs until its last
    day, unless cancelled.
    """

    members: int
    confirmed: int
    suspended: int
    banned: int
    trips_to_come: int
    bookings_requested: int
    bookings_accepted: int
    open_reports: int
    open_flags: int
    regular_trips: int


@dataclass(frozen=True)
class Dashboard:
    """The dashboard: the figures now, and one count per month in each series
    (oldest first, months with nothing at 0).

    ``trips_published`` counts trips by the month they were published in, whatever
    became of them; ``bookings_made`` every booking by the month it was asked for;
    ``bookings_accepted`` acceptances by the month they happened in (by the driver,
    or at once for instant booking), even of bookings cancelled since.
    """

    now: Standing
    months: tuple[date, ...]
    new_members: tuple[int, ...]
    trips_published: tuple[int, ...]
    bookings_made: tuple[int, ...]
    bookings_accepted: tuple[int, ...]
    reports_opened: tuple[int, ...]
    timezone: str


def _count(*where: ColumnElement[bool], of: InstrumentedAttribute[int] = User.id) -> int:
    """Rows of ``of``'s table that meet every condition."""
    return db.session.scalar(select(func.count(of)).where(*where)) or 0


def _bookings_to_come(now: datetime) -> dict[str, int]:
    """Bookings of trips still to come that hold or ask for seats, per state."""
    rows = db.session.execute(
        select(Booking.status, func.count(Booking.id))
        .join(Trip, Trip.id == Booking.trip_id)
        .where(Trip.departure_at > now, Booking.status.in_(("requested", "accepted")))
        .group_by(Booking.status)
    )
    return {status: count for status, count in rows}


def _standing(now: datetime, today: date) -> Standing:
    to_come = _bookings_to_come(now)
    open_ = Report.closed_at.is_(None)
    return Standing(
        members=_count(),
        confirmed=_count(User.confirmed_at.is_not(None)),
        suspended=_count(User.banned_at.is_(None), User.suspended_until > now),
        banned=_count(User.banned_at.is_not(None)),
        trips_to_come=_count(Trip.status == "published", Trip.departure_at > now, of=Trip.id),
        bookings_requested=to_come.get("requested", 0),
        bookings_accepted=to_come.get("accepted", 0),
        open_reports=_count(open_, of=Report.id),
        open_flags=_count(open_, Report.flag.is_not(None), of=Report.id),
        regular_trips=_count(
            RegularTrip.status == "published", RegularTrip.end_on >= today, of=RegularTrip.id
        ),
    )


def dashboard(moderator_id: int, *, now: datetime | None = None, months: int = MONTHS) -> Dashboard:
    """The dashboard as at ``now``, over the ``months`` months up to ``now``'s.

    Raises
    ------
    NotAModerator
        If the member is not a moderator (an administrator).
    """
    moderation.require_moderator(moderator_id)
    now = now or datetime.now(UTC)
    zone = site_zone()
    firsts = last_months(now, months, zone)
    return Dashboard(
        now=_standing(now, now.astimezone(zone).date()),
        months=firsts,
        new_members=monthly_counts(User.created_at, firsts, zone=zone),
        trips_published=monthly_counts(Trip.created_at, firsts, zone=zone),
        bookings_made=monthly_counts(Booking.created_at, firsts, zone=zone),
        bookings_accepted=monthly_counts(
            BookingEvent.at, firsts, where=(BookingEvent.status == "accepted",), zone=zone
        ),
        reports_opened=monthly_counts(Report.created_at, firsts, zone=zone),
        timezone=str(zone),
    )
