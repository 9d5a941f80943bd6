"""Regular trips: one ad for a trip a driver makes every week, on some days at a time
of their own, between two dates.

Each date is published as an occurrence, a trip of its own: the search, the alerts
and the bookings see occurrences as any trip, so they need no rule of their own.
An exception is a change of one occurrence: cancelling it, or moving it (changing
its date or time) through the trip's own edit page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import site_zone
from ..models import RegularTrip, Trip
from . import alerts, mail, trips
from .trips import NamedTrip, TripDraft, TripError

__all__ = [
    "MAX_WEEKS",
    "NotYourRegularTrip",
    "OccurrenceView",
    "RegularTripNotFound",
    "RegularTripView",
    "Schedule",
    "cancel_regular",
    "get_regular",
    "occurrence_days",
    "publish_regular",
    "publish_regular_named",
]

#: How far a regular trip may run: a year, as a single trip may be published.
MAX_WEEKS = 52


class RegularTripNotFound(LookupError):
    """No regular trip has this id."""


class NotYourRegularTrip(PermissionError):
    """Only its driver may cancel a regular trip."""


@dataclass(frozen=True)
class Schedule:
    """When a regular trip runs: a departure time for each day of the week it runs
    (Monday first, None on the others), from ``start_on`` to ``end_on`` included."""

    times: tuple[time | None, ...]
    start_on: date
    end_on: date


def occurrence_days(schedule: Schedule, *, now: datetime) -> list[tuple[date, datetime]]:
    """The dates of the schedule still to come, each with its departure (local time).

    Raises
    ------
    TripError
        For a schedule without a day, with seven times that are not one per day of
        the week, ending before it starts or more than a year ahead, or with no date
        left to come.
    """
    if len(schedule.times) != 7:
        raise TripError(_l("Give one time per day of the week."))
    if not any(schedule.times):
        raise TripError(_l("Choose at least one day of the week, with its time."))
    today = now.astimezone(site_zone()).date()
    if schedule.end_on < schedule.start_on:
        raise TripError(_l("The last date comes before the first."))
    if schedule.end_on > today + timedelta(weeks=MAX_WEEKS):
        raise TripError(_l("A regular trip can run for one year at most."))
    days = []
    day = max(schedule.start_on, today)
    while day <= schedule.end_on:
        hour = schedule.times[day.weekday()]
        if hour is not None:
            departure = datetime.combine(day, hour, site_zone())
            if departure > now:
                days.append((day, departure))
        day += timedelta(days=1)
    if not days:
        raise TripError(_l("No date of this schedule is still to come."))
    return days


def _times_text(times: tuple[time | None, ...]) -> str:
    return ",".join(t.strftime("%H:%M") if t else "" for t in times)


def _times_of(text: str) -> tuple[time | None, ...]:
    return tuple(time.fromisoformat(t) if t else None for t in text.split(","))


def publish_regular(
    driver_id: int, draft: TripDraft, schedule: Schedule, *, now: datetime | None = None
) -> int:
    """Publish a regular trip and each of its dates still to come, in one
    transaction; returns the regular trip's id. The draft's departure is ignored:
    the schedule gives them.

    Raises
    ------
    TripError
        As :func:`occurrence_days`, and as :func:`carpool.services.trips.publish`
        for the trip itself.
    """
    now = now or datetime.now(UTC)
    return _publish(driver_id, draft, schedule, occurrence_days(schedule, now=now), now)


def _publish(
    driver_id: int, draft: TripDraft, schedule: Schedule, days: list[tuple[date, datetime]], now: datetime
) -> int:
    series = RegularTrip(
        driver_id=driver_id,
        times=_times_text(schedule.times),
        start_on=schedule.start_on,
        end_on=schedule.end_on,
        status="published",
    )
    db.session.add(series)
    db.session.flush()
    try:
        published = trips.publish_occurrences(driver_id, draft, days, regular_id=series.id, now=now)
    except TripError:
        db.session.rollback()
        raise
    db.session.commit()
    mail.deliver_soon()
    alerts.match_soon(published, now=now)
    return int(series.id)


def publish_regular_named(driver_id: int, form: NamedTrip, schedule: Schedule) -> int:
    """:func:`publish_regular` from the form: places by name.

    Raises
    ------
    FieldError, TripError
        As :func:`carpool.services.trips.publish_named` and :func:`publish_regular`.
    """
    now = datetime.now(UTC)
    # The schedule is checked before the places, and its dates are worked out once.
    days = occurrence_days(schedule, now=now)
    draft = trips.draft_from_form(form, departure=days[0][1])
    return _publish(driver_id, draft, schedule, days, now)


@dataclass(frozen=True)
class OccurrenceView:
    """One date of a regular trip. ``moved``: its departure is not the schedule's."""

    trip_id: int
    day: date
    departure: datetime
    status: str
    moved: bool


@dataclass(frozen=True)
class RegularTripView:
    """A regular trip as its page shows it: the schedule and every date."""

    id: int
    driver_id: int
    driver_name: str
    origin: str
    destination: str
    times: tuple[time | None, ...]
    start_on: date
    end_on: date
    status: str
    occurrences: tuple[OccurrenceView, ...]

    @property
    def weekdays(self) -> tuple[int, ...]:
        return tuple(day for day, hour in enumerate(self.times) if hour is not None)


def _series(regular_id: int) -> RegularTrip:
    series = db.session.get(RegularTrip, regular_id)
    if series is None:
        raise RegularTripNotFound(regular_id)
    return series


def _occurrences(series: RegularTrip) -> list[Trip]:
    return list(
        db.session.scalars(
            select(Trip)
            .where(Trip.regular_id == series.id)
            .order_by(Trip.departure_at)
            .options(selectinload(Trip.stops))
        )
    )


def get_regular(regular_id: int) -> RegularTripView:
    """A regular trip for its page.

    Raises
    ------
    RegularTripNotFound
        If there is no such regular trip.
    """
    series = _series(regular_id)
    times = _times_of(series.times)
    zone = site_zone()
    dates = _occurrences(series)
    views = []
    for trip in dates:
        planned = times[trip.occurrence_on.weekday()] if trip.occurrence_on else None
        local = trip.departure_at.astimezone(zone)
        moved = planned is None or (local.date(), local.time()) != (trip.occurrence_on, planned)
        views.append(
            OccurrenceView(
                trip_id=trip.id,
                day=trip.occurrence_on or local.date(),
                departure=trip.departure_at,
                status=trip.status,
                moved=moved,
            )
        )
    stops = dates[0].stops if dates else []
    return RegularTripView(
        id=series.id,
        driver_id=series.driver_id,
        driver_name=series.driver.display_name,
        origin=stops[0].name if stops else "",
        destination=stops[-1].name if stops else "",
        times=times,
        start_on=series.start_on,
        end_on=series.end_on,
        status=series.status,
        occurrences=tuple(views),
    )


def cancel_regular(regular_id: int, driver_id: int, reason: str = "", *, now: datetime | None = None) -> int:
    """Cancel a regular trip: every date still to come, with its bookings (the
    passengers are told); returns how many dates were cancelled. Past dates stay.

    Raises
    ------
    RegularTripNotFound
        If there is no such regular trip.
    NotYourRegularTrip
        If ``driver_id`` is not its driver.
    TripError
        If it is cancelled already.
    """
    now = now or datetime.now(UTC)
    series = _series(regular_id)
    if series.driver_id != driver_id:
        raise NotYourRegularTrip(regular_id)
    if series.status != "published":
        raise TripError(_l("This regular trip is cancelled."))
    series.status = "cancelled"
    cancelled = 0
    for trip in _occurrences(series):
        if trip.status == "published" and trip.departure_at > now:
            trips.withdraw(trip, driver_id, reason, now=now)
            cancelled += 1
    db.session.commit()
    mail.deliver_soon()
    return cancelled
