"""Members' data: a copy of everything about them, deleting an account, and the
retention delay after which past trips and messages are purged or made anonymous.

A deleted account is not removed: its row stays so that other members' trips,
bookings and conversations keep their history, but every personal field in it is
erased, and wherever its name is shown it reads "Deleted member". What the member
wrote to others (messages, reviews, reports) stays readable for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, Executable, delete, or_, select, update
from werkzeug.security import check_password_hash

from ..extensions import db
from ..models import (
    NOTIFICATIONS,
    Alert,
    AlertMatch,
    ApiToken,
    Booking,
    BookingEvent,
    Conversation,
    MailJob,
    Message,
    ModerationAction,
    NoShow,
    RegularTrip,
    Report,
    Review,
    Trip,
    TripCell,
    User,
)
from . import mail, notify, seats, stats, trips
from .messages import ServiceError
from .roads import forget_route

__all__ = [
    "FORMAT_VERSION",
    "AccountError",
    "PurgeReport",
    "delete_account",
    "export_data",
    "purge_past",
]

#: Changes when the export's layout changes, so that programs reading it can tell.
FORMAT_VERSION = 1
#: Coordinates kept after the retention delay: two decimals, about a kilometre.
_ROUGH = 2


class AccountError(ServiceError):
    """An account that cannot be deleted as asked."""


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise LookupError(user_id)
    return user


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


# -- the copy of one's data -----------------------------------------------------------------


def export_data(user_id: int) -> dict[str, Any]:
    """Everything the site keeps about a member, as JSON-ready values: the account,
    trips driven, bookings, messages written, reviews written and received, alerts,
    no-shows and reports made. Nothing about anyone else: other members appear only
    as the trips' and conversations' ids, never by name, address or phone.

    Raises
    ------
    LookupError
        If there is no such member (or the account is deleted).
    """
    user = _user(user_id)
    return {
        "format": FORMAT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "account": _account(user),
        "trips_driven": [_trip(t) for t in _trips_of(user.id)],
        "regular_trips": [_regular(r) for r in _regulars_of(user.id)],
        "bookings": [_booking(b, user.id) for b in _bookings_of(user.id)],
        "messages_written": [_message(m) for m in _messages_of(user.id)],
        "reviews_written": [_review(r, written=True) for r in _reviews(Review.author_id == user.id)],
        "reviews_received": [_review(r, written=False) for r in _reviews(Review.subject_id == user.id)],
        "alerts": [_alert(a) for a in db.session.scalars(select(Alert).where(Alert.user_id == user.id))],
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "created_at": _moment(t.created_at),
                "last_used_at": _moment(t.last_used_at),
                "revoked_at": _moment(t.revoked_at),
            }
            for t in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id))
        ],
        "no_shows_reported": [
            {"booking_id": n.booking_id, "at": _moment(n.created_at), "note": n.note}
            for n in db.session.scalars(select(NoShow).where(NoShow.reporter_id == user.id))
        ],
        "reports_made": [
            {"kind": r.kind, "category": r.category, "reason": r.reason, "at": _moment(r.created_at)}
            for r in db.session.scalars(select(Report).where(Report.reporter_id == user.id))
        ],
    }


def _account(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "phone": user.phone,
        "bio": user.bio,
        "car_model": user.car_model,
        "car_colour": user.car_colour,
        "preferences": {
            "smoking": user.smoking,
            "pets": user.pets,
            "music": user.music,
            "chattiness": user.chattiness,
        },
        "language": user.language,
        "emails_received": [kind for kind in NOTIFICATIONS if kind not in user.mail_off.split(",")],
        "created_at": _moment(user.created_at),
        "confirmed_at": _moment(user.confirmed_at),
        "administrator": user.is_admin,
    }


def _trips_of(user_id: int) -> list[Trip]:
    return list(db.session.scalars(select(Trip).where(Trip.driver_id == user_id).order_by(Trip.departure_at)))


def _trip(trip: Trip) -> dict[str, Any]:
    return {
        "id": trip.id,
        "departure": _moment(trip.departure_at),
        "stops": [{"name": s.name, "lat": s.lat, "lon": s.lon} for s in trip.stops],
        "seats": trip.seats,
        "max_detour_min": trip.max_detour_s // 60,
        "contribution_cents": trip.contribution_cents,
        "currency": trip.currency,
        "status": trip.status,
        "comment": trip.comment,
        "cancel_reason": trip.cancel_reason,
        "regular_trip_id": trip.regular_id,
        # Others' bookings are theirs: only how many seats they hold.
        "seats_booked": seats.most_held(trip),
    }


def _regulars_of(user_id: int) -> list[RegularTrip]:
    return list(db.session.scalars(select(RegularTrip).where(RegularTrip.driver_id == user_id)))


def _regular(series: RegularTrip) -> dict[str, Any]:
    return {
        "id": series.id,
        "times": series.times.split(","),
        "start_on": _day(series.start_on),
        "end_on": _day(series.end_on),
        "status": series.status,
    }


def _bookings_of(user_id: int) -> list[Booking]:
    mine = select(Booking).where(Booking.passenger_id == user_id).order_by(Booking.id)
    return list(db.session.scalars(mine))


def _booking(booking: Booking, user_id: int) -> dict[str, Any]:
    return {
        "id": booking.id,
        "trip_id": booking.trip_id,
        "seats": booking.seats,
        "status": booking.status,
        "pickup": {"name": booking.pickup_name, "lat": booking.pickup_lat, "lon": booking.pickup_lon},
        "dropoff": {"name": booking.dropoff_name, "lat": booking.dropoff_lat, "lon": booking.dropoff_lon},
        "pickup_at": _moment(booking.trip.departure_at + timedelta(seconds=booking.pickup_offset_s)),
        "price_cents": booking.price_cents,
        "currency": booking.currency,
        "message": booking.message,
        "late_cancellation": booking.late_cancellation,
        # The history, with the notes this member wrote (the driver's are theirs).
        "history": [
            {"status": e.status, "at": _moment(e.at), "note": e.note if e.actor_id == user_id else ""}
            for e in booking.events
        ],
    }


def _messages_of(user_id: int) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.sender_id == user_id).order_by(Message.id)))


def _message(message: Message) -> dict[str, Any]:
    return {
        "conversation_id": message.conversation_id,
        "trip_id": message.conversation.trip_id,
        "sent_at": _moment(message.sent_at),
        "body": message.body,
    }


def _reviews(condition: Any) -> list[Review]:
    return list(db.session.scalars(select(Review).where(condition).order_by(Review.id)))


def _review(review: Review, *, written: bool) -> dict[str, Any]:
    return {
        "booking_id": review.booking_id,
        "rating": review.rating,
        "comment": review.comment,
        "written_at": _moment(review.created_at),
        "changed_at": _moment(review.updated_at),
        "by": "self" if written else "other",  # the other's identity is theirs
    }


def _alert(alert: Alert) -> dict[str, Any]:
    return {
        "origin": alert.origin,
        "destination": alert.destination,
        "day": _day(alert.day),
        "flex_days": alert.flex_days,
        "weekdays": [day for day in range(7) if alert.weekdays >> day & 1],
        "time_from": alert.time_from.isoformat() if alert.time_from else None,
        "time_to": alert.time_to.isoformat() if alert.time_to else None,
        "expires_on": _day(alert.expires_on),
        "public": alert.public,
        "paused": alert.paused,
    }


# -- deleting an account ----------------------------------------------------------------


def delete_account(user_id: int, password: str, *, now: datetime | None = None) -> None:
    """Delete a member's account, once they typed their password again.

    Trips to come are cancelled and bookings to come too, with their other sides
    told. Then every personal field is erased: e-mail, name, password, phone, bio,
    car, preferences; the member's alerts, reviews received, the words they left in
    bookings and no-shows, their trips' comments, the places of their bookings and
    trips (made rough), and the mails kept for them. Messages, reviews and reports
    they wrote stay, shown as by a deleted member.

    Raises
    ------
    LookupError
        If there is no such member.
    AccountError
        For a wrong password.
    """
    now = now or datetime.now(UTC)
    user = _user(user_id)
    if not check_password_hash(user.password_hash, password):
        raise AccountError(_l("This is not your password: your account is not deleted."))
    _forget_in_mails(user.email, user.name)
    # Erased first, so that the mails telling others of the cancellations below
    # already speak of a deleted member, and of rough places.
    _erase_account(user, now)
    _erase_traces(user, now)
    _withdraw_what_is_to_come(user, now)
    db.session.commit()
    mail.deliver_soon()


def _forget_in_mails(email: str, name: str) -> None:
    """The mails kept for the member go; in those to others, their name becomes
    "Deleted member" (as a whole word: "Jo" is not taken out of "Joséphine"), so
    that a mail still to go says what it said, and the mails' log keeps its marks."""
    db.session.execute(delete(MailJob).where(MailJob.to == email))
    if not name:
        return
    whole_name = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    label = str(_l("Deleted member"))
    for job in db.session.scalars(select(MailJob).where(MailJob.body.contains(name, autoescape=True))):
        job.body = whole_name.sub(label, job.body)


def _withdraw_what_is_to_come(user: User, now: datetime) -> None:
    reason = str(_l("The member deleted their account."))
    for trip in db.session.scalars(
        select(Trip).where(Trip.driver_id == user.id, Trip.status == "published", Trip.departure_at > now)
    ):
        trips.withdraw(trip, user.id, reason, now=now)
    db.session.execute(
        update(RegularTrip)
        .where(RegularTrip.driver_id == user.id, RegularTrip.status == "published")
        .values(status="cancelled")
    )
    for booking in db.session.scalars(
        select(Booking).where(Booking.passenger_id == user.id, Booking.status.in_(seats.HOLDING))
    ):
        if booking.trip.departure_at + timedelta(seconds=booking.pickup_offset_s) > now:
            seats.record(booking, "cancelled", user.id, reason)
            notify.booking_changed(booking, "cancelled")


def _erase_traces(user: User, now: datetime) -> None:
    """What about the member sits in other tables: their alerts, the reviews of them,
    their words in bookings and no-shows, and where they were picked up or drove."""
    _delete_alerts(Alert.user_id == user.id)
    db.session.execute(delete(Review).where(Review.subject_id == user.id))
    db.session.execute(update(BookingEvent).where(BookingEvent.actor_id == user.id).values(note=""))
    db.session.execute(update(NoShow).where(NoShow.reporter_id == user.id).values(note=""))
    for booking in db.session.scalars(select(Booking).where(Booking.passenger_id == user.id)):
        _make_rough(booking)
    for trip in db.session.scalars(select(Trip).where(Trip.driver_id == user.id)):
        _make_trip_rough(trip, now)


def _rows(statement: Executable) -> int:
    """Run a bulk DELETE or UPDATE; how many rows it changed."""
    result = cast(CursorResult[Any], db.session.execute(statement))
    return int(result.rowcount or 0)


def _delete_alerts(condition: Any) -> int:
    """Delete alerts and the trips found for them (the database's cascade is not
    enforced on SQLite, so the rows that refer to them go first)."""
    chosen = select(Alert.id).where(condition)
    db.session.execute(delete(AlertMatch).where(AlertMatch.alert_id.in_(chosen)))
    return _rows(delete(Alert).where(condition))


#: "Monte-Carlo (43.7384, 7.4246)", as a point picked on the map is named.
_POINT_NAME = re.compile(r"^(?P<place>.*?)\s*\(?(?P<lat>-?\d+\.\d+), (?P<lon>-?\d+\.\d+)\)?$")


def _rough_name(name: str) -> str:
    """A stop's name without the exact point it may carry."""
    found = _POINT_NAME.match(name)
    if found is None:
        return name
    return found["place"] or f"{round(float(found['lat']), _ROUGH)}, {round(float(found['lon']), _ROUGH)}"


def _keep_shared_distance(booking: Booking) -> None:
    # The distance shared is worked out from the places: kept before they go rough.
    if booking.shared_m is None:
        booking.shared_m = stats.shared_length_m(booking)


def _make_rough(booking: Booking) -> None:
    _keep_shared_distance(booking)
    booking.message = ""
    booking.pickup_name = booking.dropoff_name = ""
    booking.pickup_lat = round(booking.pickup_lat, _ROUGH)
    booking.pickup_lon = round(booking.pickup_lon, _ROUGH)
    booking.dropoff_lat = round(booking.dropoff_lat, _ROUGH)
    booking.dropoff_lon = round(booking.dropoff_lon, _ROUGH)


def _make_trip_rough(trip: Trip, now: datetime) -> None:
    """A trip's words erased and its stops made rough (about a kilometre); its
    bookings keep the distance they shared, for the association's figures."""
    for booking in db.session.scalars(select(Booking).where(Booking.trip_id == trip.id)):
        _keep_shared_distance(booking)
    trip.comment = trip.cancel_reason = ""
    for stop in trip.stops:
        stop.lat, stop.lon = round(stop.lat, _ROUGH), round(stop.lon, _ROUGH)
        stop.name = _rough_name(stop.name)
    trip.anonymised_at = now
    forget_route(trip.id)


def _erase_account(user: User, now: datetime) -> None:
    user.email = f"deleted-{user.id}@deleted.invalid"  # unique, and no mail ever reaches it
    user.display_name = ""
    user.password_hash = "!"  # matches no password
    user.phone = user.bio = user.car_model = user.car_colour = ""
    user.smoking = user.pets = user.music = user.chattiness = ""
    user.mail_off = ",".join(NOTIFICATIONS)
    user.language = current_app.config["DEFAULT_LOCALE"]
    user.confirmed_at = None
    user.is_admin = False
    user.deleted_at = now
    # Its API tokens open nothing any more (see api_tokens.authenticate); they go too.
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))


# -- the retention delay ------------------------------------------------------------------


def _purge_conversations(chosen: Any) -> int:
    """Delete conversations with their messages, except those a report still open
    is about (the moderators are reading them), and the closed reports about them
    (the audit log keeps the moderators' actions, without the report); returns how
    many messages went."""
    on_messages = select(Message.id).where(Message.conversation_id == Conversation.id)
    still_read = select(Report.id).where(
        Report.closed_at.is_(None),
        or_(Report.conversation_id == Conversation.id, Report.message_id.in_(on_messages.scalar_subquery())),
    )
    ids = list(
        db.session.scalars(select(Conversation.id).where(Conversation.id.in_(chosen), ~still_read.exists()))
    )
    if not ids:
        return 0
    reports = select(Report.id).where(
        or_(
            Report.conversation_id.in_(ids),
            Report.message_id.in_(select(Message.id).where(Message.conversation_id.in_(ids))),
        )
    )
    db.session.execute(
        update(ModerationAction).where(ModerationAction.report_id.in_(reports)).values(report_id=None)
    )
    db.session.execute(delete(Report).where(Report.id.in_(reports)))
    messages = _rows(delete(Message).where(Message.conversation_id.in_(ids)))
    db.session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
    return messages


@dataclass(frozen=True)
class PurgeReport:
    """What :func:`purge_past` did."""

    trips: int
    messages: int
    alerts: int
    mails: int


def purge_past(*, now: datetime | None = None, months: int | None = None) -> PurgeReport:
    """After the retention delay (``RETENTION_MONTHS``, counted from a trip's
    departure): delete the conversations of past trips with their messages (unless
    a report on them is still open), erase the trips' comments and the words left
    in their bookings and no-shows, make the places of the trips and their bookings
    rough, and drop their search cells; also forget the alerts ended and the mails
    queued before it. The trips themselves stay, anonymous, for the association's
    figures. Running it twice does nothing more.
    """
    now = now or datetime.now(UTC)
    months = months if months is not None else int(current_app.config["RETENTION_MONTHS"])
    cutoff = now - timedelta(days=round(months * 30.44))
    old = select(Trip.id).where(Trip.departure_at < cutoff)
    messages = _purge_conversations(select(Conversation.id).where(Conversation.trip_id.in_(old)))
    fresh = list(
        db.session.scalars(select(Trip).where(Trip.departure_at < cutoff, Trip.anonymised_at.is_(None)))
    )
    for trip in fresh:
        _make_trip_rough(trip, now)
    for booking in db.session.scalars(
        select(Booking).where(Booking.trip_id.in_(old), or_(Booking.message != "", Booking.pickup_name != ""))
    ):
        _make_rough(booking)
    old_bookings = select(Booking.id).where(Booking.trip_id.in_(old))
    db.session.execute(update(BookingEvent).where(BookingEvent.booking_id.in_(old_bookings)).values(note=""))
    db.session.execute(update(NoShow).where(NoShow.booking_id.in_(old_bookings)).values(note=""))
    db.session.execute(delete(TripCell).where(TripCell.trip_id.in_(old)))
    alerts = _delete_alerts(Alert.expires_on < cutoff.date())
    mails = _rows(delete(MailJob).where(MailJob.created_at < cutoff))
    db.session.commit()
    return PurgeReport(trips=len(fresh), messages=messages, alerts=alerts, mails=mails)
