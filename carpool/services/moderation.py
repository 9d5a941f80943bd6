"""Moderation: members report a member, a trip, a conversation or a message; the
association's moderators (administrators) read the reports (and the site's own flags,
see :mod:`carpool.services.flags`), act on them, and every action is logged in the
same transaction as the deed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, ColumnExpressionArgument, Select, func, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..i18n import site_zone
from ..models import (
    MODERATION_ACTIONS,
    REPORT_CATEGORIES,
    Booking,
    Conversation,
    Message,
    ModerationAction,
    Report,
    Trip,
    TripStop,
    User,
)
from . import mail, notify, standing, trips
from .messages import ServiceError
from .roads import forget_route
from .text import clean_name, clean_text

__all__ = [
    "MAX_NOTE",
    "MAX_REASON",
    "PER_PAGE",
    "BookingRow",
    "CannotReport",
    "Decision",
    "LogRow",
    "ModerationError",
    "NotAModerator",
    "Page",
    "ReportDetail",
    "ReportNotFound",
    "ReportRow",
    "ReportTarget",
    "TripRow",
    "UserRow",
    "act",
    "bookings",
    "get_report",
    "log",
    "open_count",
    "queue",
    "report",
    "require_moderator",
    "trips_list",
    "users",
]

PER_PAGE = 25
MAX_REASON = 1000
MAX_NOTE = 2000
#: The longest suspension; longer is a ban.
MAX_SUSPENSION = timedelta(days=3660)

T = TypeVar("T")


class ModerationError(ServiceError):
    """A report or a moderator's action that cannot be made."""


class ReportNotFound(LookupError):
    """No report, or nothing to report, has this id."""


class NotAModerator(PermissionError):
    """Only the moderators (administrators) see reports and act on them."""


class CannotReport(PermissionError):
    """A member reports only what they can see: a message of their own conversations."""


@dataclass(frozen=True)
class ReportTarget:
    """What is reported: ``kind`` is one of REPORT_KINDS, ``id`` the member's, trip's,
    conversation's or message's. A message is reported from its conversation's page:
    ``conversation_id`` is that conversation, and must be the message's."""

    kind: str
    id: int
    conversation_id: int | None = None


# Reporting.


def _participant(conversation: Conversation, user_id: int) -> bool:
    return user_id in (conversation.passenger_id, conversation.trip.driver_id)


def _other_side(conversation: Conversation, user_id: int) -> int:
    driver_id = conversation.trip.driver_id
    return driver_id if user_id == conversation.passenger_id else conversation.passenger_id


def _about_user(reporter_id: int, target: ReportTarget) -> Report:
    if db.session.get(User, target.id) is None:
        raise ReportNotFound(target.id)
    if target.id == reporter_id:
        raise ModerationError(_l("You cannot report yourself."))
    return Report(kind="user", user_id=target.id)


def _about_trip(reporter_id: int, target: ReportTarget) -> Report:
    trip = db.session.get(Trip, target.id)
    if trip is None:
        raise ReportNotFound(target.id)
    if trip.driver_id == reporter_id:
        raise ModerationError(_l("This is your own trip."))
    return Report(kind="trip", trip_id=trip.id, user_id=trip.driver_id)


def _about_conversation(reporter_id: int, target: ReportTarget) -> Report:
    conversation = db.session.get(Conversation, target.id)
    if conversation is None:
        raise ReportNotFound(target.id)
    if not _participant(conversation, reporter_id):
        raise CannotReport(target.id)
    return Report(
        kind="conversation",
        conversation_id=conversation.id,
        trip_id=conversation.trip_id,
        user_id=_other_side(conversation, reporter_id),
    )


def _about_message(reporter_id: int, target: ReportTarget) -> Report:
    message = db.session.get(Message, target.id)
    if message is None or target.conversation_id not in (None, message.conversation_id):
        raise ReportNotFound(target.id)
    if not _participant(message.conversation, reporter_id):
        raise CannotReport(target.id)
    if message.sender_id == reporter_id:
        raise ModerationError(_l("This is your own message."))
    return Report(
        kind="message",
        message_id=message.id,
        conversation_id=message.conversation_id,
        trip_id=message.conversation.trip_id,
        user_id=message.sender_id,
    )


_TARGETS: dict[str, Callable[[int, ReportTarget], Report]] = {
    "user": _about_user,
    "trip": _about_trip,
    "conversation": _about_conversation,
    "message": _about_message,
}
#: The column that names a report's target, per kind: one open report per reporter and target.
_TARGET_COLUMN = {
    "user": Report.user_id,
    "trip": Report.trip_id,
    "conversation": Report.conversation_id,
    "message": Report.message_id,
}


def _reason(text: str) -> str:
    reason = clean_text(text, limit=MAX_REASON + 1)
    if not reason:
        raise ModerationError(_l("Say what is wrong, for the moderators."))
    if len(reason) > MAX_REASON:
        raise ModerationError(_l("At most %(most)d characters, please.", most=MAX_REASON))
    return reason


def report(
    reporter_id: int, target: ReportTarget, category: str, reason: str, *, now: datetime | None = None
) -> int:
    """A member asks the moderators to look at something; returns the report's id.
    While a report on a conversation or one of its messages is open, the moderators
    may read that conversation.

    Raises
    ------
    ReportNotFound
        For an unknown kind or target (or a message that is not the conversation's).
    CannotReport
        For a conversation, or a message of one, the reporter is not in.
    ModerationError
        For one's own account, trip or message, a suspended reporter, a category
        not in the list, a missing or too long reason, or a second open report of
        the same thing by the same member.
    """
    if target.kind not in _TARGETS:
        raise ReportNotFound(target.id)
    row = _TARGETS[target.kind](reporter_id, target)
    refused = standing.refusal(reporter_id, now)
    if refused is not None:
        raise ModerationError(refused)
    if category not in REPORT_CATEGORIES:
        raise ModerationError(_l("Choose what is wrong from the list."))
    row.reason = _reason(reason)
    column = _TARGET_COLUMN[target.kind]
    already = db.session.scalar(
        select(Report.id)
        .where(
            Report.reporter_id == reporter_id,
            Report.kind == row.kind,
            column == getattr(row, column.key),
            Report.closed_at.is_(None),
        )
        .limit(1)
    )
    if already is not None:
        raise ModerationError(_l("You already reported this: a moderator will look at it."))
    row.reporter_id, row.category = reporter_id, category
    row.created_at = now or datetime.now(UTC)
    db.session.add(row)
    db.session.commit()
    return row.id


# What the moderators read.


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: ``page`` counts from 1, and there are ``pages`` (at least 1)."""

    items: tuple[T, ...]
    page: int
    pages: int
    total: int


def _paged(query: Select[Any], page: int, make: Callable[[Any], T]) -> Page[T]:
    """The page of ``query`` asked for, or the nearest one that exists."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    rows = db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    return Page(items=tuple(make(row) for row in rows), page=page, pages=pages, total=total)


def _moderator(user_id: int) -> User:
    user = db.session.get(User, user_id)
    # A suspended administrator does not moderate either.
    if user is None or not user.is_admin or not user.is_active or user.suspended(datetime.now(UTC)):
        raise NotAModerator(user_id)
    return user


def require_moderator(user_id: int) -> None:
    """Check that the member is a moderator, for the pages other modules give them.

    Raises
    ------
    NotAModerator
        If the member is not a moderator.
    """
    _moderator(user_id)


def open_count(user_id: int) -> int:
    """For the menu: the open reports, for a moderator (0 for anyone else)."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_admin:
        return 0
    return db.session.scalar(select(func.count(Report.id)).where(Report.closed_at.is_(None))) or 0


@dataclass(frozen=True)
class ReportRow:
    """A report as the queue shows it. ``reporter_name`` is None for the site's own
    flags; ``reported_text`` is what was reported, as its author wrote it (a message,
    a trip's comment, a member's bio)."""

    id: int
    kind: str
    category: str
    flag: str | None
    reporter_id: int | None
    reporter_name: str | None
    user_id: int | None
    user_name: str | None
    trip_id: int | None
    trip_label: str | None
    conversation_id: int | None
    reported_text: str
    reason: str
    created_at: datetime
    closed_at: datetime | None


def _reported_text(row: Report) -> str:
    if row.message is not None:
        return row.message.body
    if row.kind == "trip" and row.trip is not None:
        return row.trip.comment
    if row.kind == "user" and row.user is not None:
        return row.user.bio
    return ""


def _report_row(row: Report) -> ReportRow:
    return ReportRow(
        id=row.id,
        kind=row.kind,
        category=row.category,
        flag=row.flag,
        reporter_id=row.reporter_id,
        reporter_name=row.reporter.display_name if row.reporter is not None else None,
        user_id=row.user_id,
        user_name=row.user.display_name if row.user is not None else None,
        trip_id=row.trip_id,
        trip_label=trips.label(row.trip) if row.trip is not None else None,
        conversation_id=row.conversation_id,
        reported_text=_reported_text(row),
        reason=row.reason,
        created_at=row.created_at,
        closed_at=row.closed_at,
    )


def queue(moderator_id: int, page: int = 1) -> Page[ReportRow]:
    """The reports, open ones first, the oldest first.

    Raises
    ------
    NotAModerator
        If the member is not a moderator.
    """
    _moderator(moderator_id)
    query = select(Report).order_by(Report.closed_at.is_not(None), Report.created_at, Report.id)
    return _paged(query, page, _report_row)


@dataclass(frozen=True)
class LogRow:
    """One moderator action, as the log shows it."""

    id: int
    at: datetime
    moderator_name: str | None
    action: str
    user_id: int | None
    user_name: str | None
    trip_id: int | None
    trip_label: str | None
    report_id: int | None
    note: str
    until: datetime | None


def _log_row(row: ModerationAction) -> LogRow:
    return LogRow(
        id=row.id,
        at=row.at,
        moderator_name=row.moderator.display_name if row.moderator is not None else None,
        action=row.action,
        user_id=row.user_id,
        user_name=row.user.display_name if row.user is not None else None,
        trip_id=row.trip_id,
        trip_label=trips.label(row.trip) if row.trip is not None else None,
        report_id=row.report_id,
        note=row.note,
        until=row.until,
    )


@dataclass(frozen=True)
class ReportDetail:
    """A report's page: the report, the state of what it is about, what was done."""

    report: ReportRow
    user_suspended_until: datetime | None
    user_banned: bool
    user_is_admin: bool
    trip_status: str | None
    #: The trip is the reported member's own: hiding it is one of the actions.
    trip_is_theirs: bool
    actions: tuple[LogRow, ...]

    @property
    def user_suspended(self) -> bool:
        until = self.user_suspended_until
        return self.user_banned or (until is not None and until > datetime.now(UTC))


def get_report(moderator_id: int, report_id: int) -> ReportDetail:
    """A report for its page.

    Raises
    ------
    NotAModerator
        If the member is not a moderator.
    ReportNotFound
        If there is no such report.
    """
    _moderator(moderator_id)
    row = db.session.get(Report, report_id)
    if row is None:
        raise ReportNotFound(report_id)
    done = db.session.scalars(
        select(ModerationAction).where(ModerationAction.report_id == row.id).order_by(ModerationAction.id)
    )
    user = row.user
    return ReportDetail(
        report=_report_row(row),
        user_suspended_until=user.suspended_until if user is not None else None,
        user_banned=user is not None and user.banned_at is not None,
        user_is_admin=user is not None and user.is_admin,
        trip_status=row.trip.status if row.trip is not None else None,
        trip_is_theirs=row.trip is not None and row.trip.driver_id == row.user_id,
        actions=tuple(_log_row(action) for action in done),
    )


def log(moderator_id: int, page: int = 1) -> Page[LogRow]:
    """The moderators' actions, the latest first.

    Raises
    ------
    NotAModerator
        If the member is not a moderator.
    """
    _moderator(moderator_id)
    query = select(ModerationAction).order_by(ModerationAction.at.desc(), ModerationAction.id.desc())
    return _paged(query, page, _log_row)


# Actions.


@dataclass(frozen=True)
class Decision:
    """What a moderator decides about a report: ``action`` is one of
    MODERATION_ACTIONS; ``note`` goes to the member (a warning needs one);
    ``until`` is the last day of a suspension, in the site's time zone."""

    action: str
    note: str = ""
    until: date | None = None


def _user_of(report_: Report, moderator: User) -> User:
    if report_.user is None:
        raise ModerationError(_l("This report is about no member."))
    if report_.user_id == moderator.id:
        raise ModerationError(_l("Another moderator must decide about your own account."))
    return report_.user


def _hide_trips_to_come(user: User, moderator: User, now: datetime) -> list[int]:
    """Withdraw a suspended or banned driver's published trips still to come."""
    hidden = list(
        db.session.scalars(
            select(Trip.id).where(
                Trip.driver_id == user.id, Trip.status == "published", Trip.departure_at > now
            )
        )
    )
    for trip_id in hidden:
        trips.hide(trip_id, moderator.id)
    return hidden


def _warn(
    report_: Report, moderator: User, decision: Decision, log_: ModerationAction, now: datetime
) -> list[int]:
    user = _user_of(report_, moderator)
    if not log_.note:
        raise ModerationError(_l("Write the warning the member will receive."))
    notify.warned(user, log_.note)
    return []


def _suspension_end(until: date | None, now: datetime) -> datetime:
    """The moment a suspension ends: the day after its last day, at midnight (local)."""
    if until is None:
        raise ModerationError(_l("Choose the last day of the suspension."))
    zone = site_zone()
    if until < now.astimezone(zone).date():
        raise ModerationError(_l("The suspension must end today or later."))
    if until > (now + MAX_SUSPENSION).date():
        raise ModerationError(_l("A suspension lasts ten years at most: ban the member instead."))
    return datetime.combine(until + timedelta(days=1), time.min, zone)


def _suspend(
    report_: Report, moderator: User, decision: Decision, log_: ModerationAction, now: datetime
) -> list[int]:
    user = _user_of(report_, moderator)
    if user.banned_at is not None:
        raise ModerationError(_l("This account is closed already."))
    user.suspended_until = log_.until = _suspension_end(decision.until, now)
    notify.account_suspended(user, user.suspended_until, log_.note)
    return _hide_trips_to_come(user, moderator, now)


def _ban(
    report_: Report, moderator: User, decision: Decision, log_: ModerationAction, now: datetime
) -> list[int]:
    user = _user_of(report_, moderator)
    if user.banned_at is not None:
        raise ModerationError(_l("This account is closed already."))
    user.banned_at = now
    notify.account_banned(user, log_.note)
    return _hide_trips_to_come(user, moderator, now)


def _lift(
    report_: Report, moderator: User, decision: Decision, log_: ModerationAction, now: datetime
) -> list[int]:
    user = _user_of(report_, moderator)
    if not user.suspended(now):
        raise ModerationError(_l("This member is not suspended."))
    # Lifting a ban reopens the account too; withdrawn trips stay withdrawn.
    user.suspended_until = user.banned_at = None
    notify.suspension_lifted(user, log_.note)
    return []


def _hide_trip(
    report_: Report, moderator: User, decision: Decision, log_: ModerationAction, now: datetime
) -> list[int]:
    # A trip goes for what its driver did: not for a passenger's message about it.
    if report_.trip is None or report_.trip.driver_id != report_.user_id:
        raise ModerationError(_l("This report is about no trip."))
    try:
        trip = trips.hide(report_.trip.id, moderator.id)
    except trips.TripError as refused:
        raise ModerationError(refused.message) from refused
    notify.trip_hidden_to_driver(trip, log_.note)
    return [trip.id]


def _close(
    report_: Report, moderator: User, decision: Decision, log_: ModerationAction, now: datetime
) -> list[int]:
    """Nothing to do: the report is closed, and that is logged."""
    return []


_ACTIONS: dict[str, Callable[[Report, User, Decision, ModerationAction, datetime], list[int]]] = {
    "warn": _warn,
    "hide_trip": _hide_trip,
    "suspend": _suspend,
    "ban": _ban,
    "lift": _lift,
    "close": _close,
}
assert set(_ACTIONS) == set(MODERATION_ACTIONS)


def act(moderator_id: int, report_id: int, decision: Decision, *, now: datetime | None = None) -> None:
    """Do what a moderator decided about an open report, tell the people it affects
    by e-mail, close the report, and log the action: all in one transaction.

    Raises
    ------
    NotAModerator
        If the member is not a moderator.
    ReportNotFound
        If there is no such report.
    ModerationError
        For a closed report, an unknown action, a note too long, an action that does
        not apply (a warning without a note, a suspension without a possible last
        day, a trip that is not published, a member not suspended, one's own
        account…). Nothing is changed then.
    """
    now = now or datetime.now(UTC)
    moderator = _moderator(moderator_id)
    row = db.session.get(Report, report_id)
    if row is None:
        raise ReportNotFound(report_id)
    if row.closed_at is not None:
        raise ModerationError(_l("This report is closed already."))
    if decision.action not in _ACTIONS:
        raise ModerationError(_l("Choose an action from the list."))
    note = clean_text(decision.note, limit=MAX_NOTE + 1)
    if len(note) > MAX_NOTE:
        raise ModerationError(_l("At most %(most)d characters, please.", most=MAX_NOTE))
    entry = ModerationAction(
        moderator_id=moderator.id,
        action=decision.action,
        user_id=row.user_id,
        trip_id=row.trip_id,
        report_id=row.id,
        note=note,
        at=now,
    )
    try:
        hidden = _ACTIONS[decision.action](row, moderator, decision, entry, now)
    except ModerationError:
        db.session.rollback()
        raise
    row.closed_at = now
    db.session.add(entry)
    db.session.commit()
    mail.deliver_soon()
    for trip_id in hidden:
        forget_route(trip_id)


# The administrators' lists.


def _search(text: str) -> str:
    """What was typed in a list's search box, folded for a case-blind match."""
    return clean_name(text)[:100].lower()


def _holds(column: ColumnExpressionArgument[str], words: str) -> ColumnElement[bool]:
    """Whether ``column`` holds ``words`` (from `_search`) whatever its case; ``%``
    and ``_`` typed in the box are matched as themselves, not as wildcards."""
    return func.lower(column).contains(words, autoescape=True)


@dataclass(frozen=True)
class UserRow:
    id: int
    display_name: str
    email: str
    created_at: datetime
    is_admin: bool
    suspended_until: datetime | None
    banned: bool


def _user_row(user: User) -> UserRow:
    return UserRow(
        id=user.id,
        display_name=user.display_name,
        email=user.email,
        created_at=user.created_at,
        is_admin=user.is_admin,
        suspended_until=user.suspended_until,
        banned=user.banned_at is not None,
    )


def users(moderator_id: int, q: str = "", page: int = 1) -> Page[UserRow]:
    """Members whose name or e-mail address holds ``q``, the newest first.

    Raises
    ------
    NotAModerator
        If the member is not a moderator.
    """
    _moderator(moderator_id)
    query = select(User).order_by(User.created_at.desc(), User.id.desc())
    if words := _search(q):
        query = query.where(
            or_(
                _holds(User.display_name, words),
                User.email.contains(words, autoescape=True),
            )
        )
    return _paged(query, page, _user_row)


@dataclass(frozen=True)
class TripRow:
    id: int
    label: str
    departure_at: datetime
    driver_id: int
    driver_name: str
    status: str


def _trip_row(trip: Trip) -> TripRow:
    return TripRow(
        id=trip.id,
        label=trips.label(trip),
        departure_at=trip.departure_at,
        driver_id=trip.driver_id,
        driver_name=trip.driver.display_name,
        status=trip.status,
    )


def trips_list(moderator_id: int, q: str = "", page: int = 1) -> Page[TripRow]:
    """Trips with a stop whose name holds ``q``, the latest departure first.

    Raises
    ------
    NotAModerator
        If the member is not a moderator.
    """
    _moderator(moderator_id)
    query = select(Trip).order_by(Trip.departure_at.desc(), Trip.id.desc())
    if words := _search(q):
        query = query.where(Trip.id.in_(select(TripStop.trip_id).where(_holds(TripStop.name, words))))
    return _paged(query, page, _trip_row)


@dataclass(frozen=True)
class BookingRow:
    id: int
    trip_id: int
    trip_label: str
    passenger_name: str
    driver_name: str
    status: str
    created_at: datetime


def _booking_row(booking: Booking) -> BookingRow:
    return BookingRow(
        id=booking.id,
        trip_id=booking.trip_id,
        trip_label=trips.label(booking.trip),
        passenger_name=booking.passenger.display_name,
        driver_name=booking.trip.driver.display_name,
        status=booking.status,
        created_at=booking.created_at,
    )


def bookings(moderator_id: int, q: str = "", page: int = 1) -> Page[BookingRow]:
    """Bookings whose passenger's or driver's name holds ``q``, the latest first.

    Raises
    ------
    NotAModerator
        If the member is not a moderator.
    """
    _moderator(moderator_id)
    query = select(Booking).order_by(Booking.created_at.desc(), Booking.id.desc())
    if words := _search(q):
        passenger, driver = aliased(User), aliased(User)
        query = (
            query.join(passenger, passenger.id == Booking.passenger_id)
            .join(Trip, Trip.id == Booking.trip_id)
            .join(driver, driver.id == Trip.driver_id)
            .where(
                or_(
                    _holds(passenger.display_name, words),
                    _holds(driver.display_name, words),
                )
            )
        )
    return _paged(query, page, _booking_row)
