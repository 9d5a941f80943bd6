"""Conversations: a passenger and a driver write to each other about one trip. Only the
two of them read it; it stays when a booking is cancelled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Booking, Conversation, Message, Report, Trip, User
from . import alerts, notify, standing
from .messages import ServiceError
from .text import clean_text
from .trips import TripNotFound, label

__all__ = [
    "MAX_MESSAGE",
    "ConversationError",
    "ConversationNotFound",
    "ConversationView",
    "InboxEntry",
    "NotYourConversation",
    "inbox",
    "read",
    "send",
    "unread_count",
    "write_about_booking",
    "write_to_driver",
    "write_to_passenger",
]

MAX_MESSAGE = 2000


class ConversationError(ServiceError):
    """A message that cannot be sent."""


class ConversationNotFound(LookupError):
    """No conversation has this id."""


class NotYourConversation(PermissionError):
    """Only the passenger and the driver read their conversation."""


def _body(text: str, sender_id: int) -> str:
    """The message, cleaned; refused before anything is stored."""
    refused = standing.refusal(sender_id)
    if refused is not None:
        raise ConversationError(refused)
    body = clean_text(text, limit=MAX_MESSAGE + 1)
    if not body:
        raise ConversationError(_l("Write a message first."))
    if len(body) > MAX_MESSAGE:
        raise ConversationError(_l("A message has at most %(most)d characters.", most=MAX_MESSAGE))
    return body


def _conversation_for(trip: Trip, passenger_id: int) -> Conversation:
    """The trip's conversation with this passenger, made on the first message; two
    first messages at once end in the same conversation."""
    query = select(Conversation).where(
        Conversation.trip_id == trip.id, Conversation.passenger_id == passenger_id
    )
    found: Conversation | None = db.session.scalar(query)
    if found is not None:
        return found
    conversation = Conversation(trip_id=trip.id, passenger_id=passenger_id)
    db.session.add(conversation)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        conversation = db.session.scalars(query).one()
    return conversation


def _add(conversation: Conversation, sender_id: int, body: str, now: datetime) -> int:
    message = Message(conversation_id=conversation.id, sender_id=sender_id, body=body, sent_at=now)
    db.session.add(message)
    conversation.last_message_at = now
    driver = conversation.trip.driver
    sender, recipient = (
        (conversation.passenger, driver)
        if sender_id == conversation.passenger_id
        else (driver, conversation.passenger)
    )
    notify.new_message(recipient, sender, conversation.id)
    db.session.commit()
    return message.id


def write_to_driver(trip_id: int, passenger_id: int, text: str, *, now: datetime | None = None) -> int:
    """A passenger writes to a trip's driver; returns the conversation's id.

    Raises
    ------
    TripNotFound
        If there is no such trip.
    ConversationError
        For an empty or too long message, a driver writing to themselves, or a
        suspended member.
    """
    trip = db.session.get(Trip, trip_id)
    if trip is None:
        raise TripNotFound(trip_id)
    if trip.driver_id == passenger_id:
        raise ConversationError(_l("This is your own trip."))
    body = _body(text, passenger_id)
    conversation = _conversation_for(trip, passenger_id)
    _add(conversation, passenger_id, body, now or datetime.now(UTC))
    return conversation.id


def write_to_passenger(
    trip_id: int, driver_id: int, alert_id: int, text: str, *, now: datetime | None = None
) -> int:
    """A driver writes to a passenger whose ride request their trip can take (see
    :func:`alerts.requests_along`), in the trip's conversation with that passenger;
    returns the conversation's id.

    Raises
    ------
    TripNotFound
        If there is no such trip.
    ConversationError
        For an empty or too long message, or a request this driver's trip cannot
        take (or that is not public any more), or a suspended member.
    """
    trip = db.session.get(Trip, trip_id)
    if trip is None:
        raise TripNotFound(trip_id)
    body = _body(text, driver_id)
    wanted = {r.alert_id: r for r in alerts.requests_along(trip_id, driver_id, now=now)}
    if alert_id not in wanted:
        raise ConversationError(_l("This request does not pass along your trip any more."))
    conversation = _conversation_for(trip, wanted[alert_id].passenger_id)
    _add(conversation, driver_id, body, now or datetime.now(UTC))
    return conversation.id


def write_about_booking(booking_id: int, sender_id: int, text: str, *, now: datetime | None = None) -> int:
    """The passenger or the driver of a booking writes to the other, in the trip's
    conversation with that passenger; returns the conversation's id.

    Raises
    ------
    ConversationNotFound, NotYourConversation
        For an unknown booking, or someone who is neither its passenger nor its driver.
    ConversationError
        For an empty or too long message, or a suspended member.
    """
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise ConversationNotFound(booking_id)
    if sender_id not in (booking.passenger_id, booking.trip.driver_id):
        raise NotYourConversation(booking_id)
    body = _body(text, sender_id)
    conversation = _conversation_for(booking.trip, booking.passenger_id)
    _add(conversation, sender_id, body, now or datetime.now(UTC))
    return conversation.id


def _participant(conversation_id: int, user_id: int) -> Conversation:
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    if user_id not in (conversation.passenger_id, conversation.trip.driver_id):
        raise NotYourConversation(conversation_id)
    return conversation


def send(conversation_id: int, sender_id: int, text: str, *, now: datetime | None = None) -> int:
    """One side of a conversation writes to the other; returns the message's id.

    Raises
    ------
    ConversationNotFound, NotYourConversation
        For an unknown conversation, or someone outside it.
    ConversationError
        For an empty or too long message, or a suspended member.
    """
    conversation = _participant(conversation_id, sender_id)
    return _add(conversation, sender_id, _body(text, sender_id), now or datetime.now(UTC))


@dataclass(frozen=True)
class MessageView:
    id: int
    mine: bool
    sender_name: str
    body: str
    sent_at: datetime


@dataclass(frozen=True)
class ConversationView:
    """A conversation as a participant sees it, or a moderator reading a report
    (``moderating``: then ``other_name`` is the passenger's and nothing is marked read)."""

    id: int
    trip_id: int
    trip_label: str
    departure_at: datetime
    other_name: str
    messages: tuple[MessageView, ...]
    moderating: bool = False


def _reader(conversation_id: int, user_id: int) -> tuple[Conversation, bool]:
    """The conversation, and whether the reader is a moderator acting on a report."""
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    if user_id in (conversation.passenger_id, conversation.trip.driver_id):
        return conversation, False
    reader = db.session.get(User, user_id)
    # Reports of one of its messages carry the conversation's id too.
    reported = db.session.scalar(
        select(Report.id)
        .where(Report.conversation_id == conversation.id, Report.closed_at.is_(None))
        .limit(1)
    )
    if reader is not None and reader.is_admin and reported is not None:
        return conversation, True
    raise NotYourConversation(conversation_id)


def read(conversation_id: int, viewer_id: int, *, now: datetime | None = None) -> ConversationView:
    """A conversation for its page; what the other side wrote is marked read. A
    moderator may read a conversation while a report on it, or on one of its
    messages, is open.

    Raises
    ------
    ConversationNotFound, NotYourConversation
        As :func:`send`.
    """
    conversation, moderating = _reader(conversation_id, viewer_id)
    if not moderating:
        db.session.execute(
            update(Message)
            .where(
                Message.conversation_id == conversation.id,
                Message.sender_id != viewer_id,
                Message.read_at.is_(None),
            )
            .values(read_at=now or datetime.now(UTC))
        )
        db.session.commit()
    trip = conversation.trip
    other = trip.driver if viewer_id == conversation.passenger_id else conversation.passenger
    return ConversationView(
        id=conversation.id,
        trip_id=trip.id,
        trip_label=label(trip),
        departure_at=trip.departure_at,
        other_name=other.display_name,
        messages=tuple(
            MessageView(m.id, m.sender_id == viewer_id, m.sender.display_name, m.body, m.sent_at)
            for m in conversation.messages
        ),
        moderating=moderating,
    )


def _mine(user_id: int):  # type: ignore[no-untyped-def]
    """Conversations the member takes part in, as passenger or as driver."""
    return or_(
        Conversation.passenger_id == user_id,
        Conversation.trip_id.in_(select(Trip.id).where(Trip.driver_id == user_id)),
    )


def unread_count(user_id: int) -> int:
    """Messages written to the member that they have not opened yet."""
    count = db.session.scalar(
        select(func.count(Message.id))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(_mine(user_id), Message.sender_id != user_id, Message.read_at.is_(None))
    )
    return count or 0


@dataclass(frozen=True)
class InboxEntry:
    conversation_id: int
    trip_label: str
    other_name: str
    last_message_at: datetime
    unread: int


def inbox(user_id: int) -> list[InboxEntry]:
    """The member's conversations, the latest first, with their unread counts."""
    unread = (
        select(Message.conversation_id, func.count(Message.id).label("n"))
        .where(Message.sender_id != user_id, Message.read_at.is_(None))
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Conversation, unread.c.n)
        .outerjoin(unread, unread.c.conversation_id == Conversation.id)
        .where(_mine(user_id))
        .order_by(Conversation.last_message_at.desc())
        .limit(200)
    ).all()
    entries = []
    for conversation, count in rows:
        trip = conversation.trip
        other = trip.driver if user_id == conversation.passenger_id else conversation.passenger
        entries.append(
            InboxEntry(
                conversation_id=conversation.id,
                trip_label=label(trip),
                other_name=other.display_name,
                last_message_at=conversation.last_message_at,
                unread=count or 0,
            )
        )
    return entries
