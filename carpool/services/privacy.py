"""Members' data: a copy of everything about them, deleting an account, and the
retention delay after which past trips and messages are purged or made anonymous.

A deleted account is not removed: its row stays so that other members' trips,
bookings and conversations keep their history, but every personal field in it is
erased, and wherever its name is shown it reads "Deleted member". What the member
wrote to others (messages, reviews, reports) stays readable for them.
"""

from __future__ import annotations

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
    User,
)
from . import mail, notify, seats, stats, trips
from .messages import ServiceError

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
        "by": "me" if written else "a member I travelled with",
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
    car, preferences; the member's alerts, reviews received, booking messages and
    notes, places of their bookings (made rough), and the mails kept for them.
    Messages, reviews and reports they wrote stay, shown as by a deleted member.

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
    email, name = user.email, user.name
    _forget_mails(email, name)
    # Erased first, so that the mails telling others of the cancellations below
    # already speak of a deleted member.
    _erase_account(user, now)
    _withdraw_what_is_to_come(user, now)
    _erase_traces(user)
    db.session.commit()
    mail.deliver_soon()


def _forget_mails(email: str, name: str) -> None:
    """The mails kept for the member, and those to others that name them."""
    named = MailJob.body.contains(name, autoescape=True) if name else MailJob.to == email
    db.session.execute(delete(MailJob).where(or_(MailJob.to == email, named)))


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


def _erase_traces(user: User) -> None:
    """What about the member sits in other tables: their alerts, the reviews of them,
    their words in bookings, and where they were picked up."""
    _delete_alerts(Alert.user_id == user.id)
    db.session.execute(delete(Review).where(Review.subject_id == user.id))
    db.session.execute(update(BookingEvent).where(BookingEvent.actor_id == user.id).values(note=""))
    for booking in db.session.scalars(select(Booking).where(Booking.passenger_id == user.id)):
        _make_rough(booking)


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


def _make_rough(booking: Booking) -> None:
    # The distance shared is worked out from the places: kept before they go rough.
    booking.shared_m = stats.shared_length_m(booking)
    booking.message = ""
    booking.pickup_name = booking.dropoff_name = ""
    booking.pickup_lat = round(booking.pickup_lat, _ROUGH)
    booking.pickup_lon = round(booking.pickup_lon, _ROUGH)
    booking.dropoff_lat = round(booking.dropoff_lat, _ROUGH)
    booking.dropoff_lon = round(booking.dropoff_lon, _ROUGH)


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


# -- the retention delay ------------------------------------------------------------------


def _purge_conversations(chosen: Any) -> int:
    """Delete conversations with their messages and the reports about them (the audit
    log keeps the moderators' actions, without the report); returns the messages."""
    reports = select(Report.id).where(
        or_(
            Report.conversation_id.in_(chosen),
            Report.message_id.in_(select(Message.id).where(Message.conversation_id.in_(chosen))),
        )
    )
    db.session.execute(
        update(ModerationAction).where(ModerationAction.report_id.in_(reports)).values(report_id=None)
    )
    db.session.execute(delete(Report).where(Report.id.in_(reports)))
    messages = _rows(delete(Message).where(Message.conversation_id.in_(chosen)))
    db.session.execute(delete(Conversation).where(Conversation.id.in_(chosen)))
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
    departure): delete the conversations of past trips with their messages, erase
    the trips' comments and the bookings' messages and notes, and make the places
    of their bookings rough; also forget alerts ended and mails sent before it.
    The trips themselves stay, anonymous, for the association's figures. Running it
    twice does nothing more.
    """
    now = now or datetime.now(UTC)
    months = months if months is not None else int(current_app.config["RETENTION_MONTHS"])
    cutoff = now - timedelta(days=round(months * 30.44))
    old = select(Trip.id).where(Trip.departure_at < cutoff)
    messages = _purge_conversations(select(Conversation.id).where(Conversation.trip_id.in_(old)))
    changed = _rows(
        update(Trip)
        .where(Trip.id.in_(old), or_(Trip.comment != "", Trip.cancel_reason != ""))
        .values(comment="", cancel_reason="")
    )
    for booking in db.session.scalars(
        select(Booking).where(Booking.trip_id.in_(old), or_(Booking.message != "", Booking.pickup_name != ""))
    ):
        _make_rough(booking)
    db.session.execute(
        update(BookingEvent)
        .where(BookingEvent.booking_id.in_(select(Booking.id).where(Booking.trip_id.in_(old))))
        .values(note="")
    )
    alerts = _delete_alerts(Alert.expires_on < cutoff.date())
    mails = _rows(delete(MailJob).where(MailJob.sent_at.is_not(None), MailJob.sent_at < cutoff))
    db.session.commit()
    return PurgeReport(
        trips=changed,
        messages=messages,
        alerts=alerts,
        mails=mails,
    )
