"""Bookings: one's own as a passenger, one's passengers' as a driver; answer, cancel,
write about them."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from ...services import bookings, conversations, reviews
from . import limits
from .auth import SECURED, member_id, token_required
from .problems import refusals
from .schemas import (
    BookingSchema,
    ConversationRefSchema,
    CountSchema,
    MessageInSchema,
    ReasonSchema,
    ReviewInSchema,
    ReviewRefSchema,
)

blp = Blueprint("api_bookings", __name__, url_prefix="/api/v1/bookings", description="Seats booked on trips.")

BOOKING = "/<int(max=2147483647):booking_id>"


@blp.get("")
@blp.doc(**SECURED)
@blp.response(200, BookingSchema(many=True))
@token_required
def mine() -> list[bookings.BookingView]:
    """One's bookings as a passenger, those to come first (as on "My trips")."""
    listed = bookings.my_trips(member_id())
    return [*listed.riding, *listed.past_riding]


@blp.get(BOOKING)
@blp.doc(**SECURED)
@blp.response(200, BookingSchema)
@token_required
@refusals
def one(booking_id: int) -> bookings.BookingView:
    """A booking, for its passenger or the trip's driver."""
    return bookings.get_booking(booking_id, member_id())


@blp.post(f"{BOOKING}/accept")
@blp.doc(**SECURED)
@blp.response(200, BookingSchema)
@token_required
@refusals
def accept(booking_id: int) -> bookings.BookingView:
    """The driver accepts a booking request (the seats are then held)."""
    bookings.accept(booking_id, member_id())
    return bookings.get_booking(booking_id, member_id())


@blp.post(f"{BOOKING}/decline")
@blp.doc(**SECURED)
@blp.arguments(ReasonSchema)
@blp.response(200, BookingSchema)
@token_required
@refusals
def decline(data: dict[str, Any], booking_id: int) -> bookings.BookingView:
    """The driver declines a booking request."""
    bookings.decline(booking_id, member_id(), data["reason"])
    return bookings.get_booking(booking_id, member_id())


@blp.post(f"{BOOKING}/cancel")
@blp.doc(**SECURED)
@blp.arguments(ReasonSchema)
@blp.response(200, BookingSchema)
@token_required
@refusals
def cancel(data: dict[str, Any], booking_id: int) -> bookings.BookingView:
    """The passenger or the driver cancels a booking (late within the last hours)."""
    bookings.cancel_booking(booking_id, member_id(), data["reason"])
    return bookings.get_booking(booking_id, member_id())


@blp.post(f"{BOOKING}/messages")
@blp.doc(**SECURED)
@blp.arguments(MessageInSchema)
@blp.response(201, ConversationRefSchema)
@token_required
@limits.messages
@refusals
def write(data: dict[str, Any], booking_id: int) -> dict[str, int]:
    """Write to the other side of a booking."""
    conversation_id = conversations.write_about_booking(booking_id, member_id(), data["text"])
    return {"conversation_id": conversation_id}


@blp.post(f"{BOOKING}/period/cancel")
@blp.doc(**SECURED)
@blp.arguments(ReasonSchema)
@blp.response(200, CountSchema)
@token_required
@refusals
def cancel_period(data: dict[str, Any], booking_id: int) -> dict[str, int]:
    """Cancel every date still to come of the period this booking belongs to."""
    return {"count": bookings.cancel_period(booking_id, member_id(), data["reason"])}


@blp.post(f"{BOOKING}/review")
@blp.doc(**SECURED)
@blp.arguments(ReviewInSchema)
@blp.response(201, ReviewRefSchema)
@token_required
@refusals
def review(data: dict[str, Any], booking_id: int) -> dict[str, int]:
    """After the trip, the driver reviews the passenger or the passenger the driver
    (1 to 5, and a comment); written again within the edit delay, it changes it."""
    return {"review_id": reviews.write_review(booking_id, member_id(), data["rating"], data["comment"])}


@blp.post(f"{BOOKING}/period/<any(accept, decline):answer>")
@blp.doc(**SECURED)
@blp.arguments(ReasonSchema)
@blp.response(200, BookingSchema(many=True))
@token_required
@refusals
def answer_period(data: dict[str, Any], booking_id: int, answer: str) -> list[bookings.BookingView]:
    """The driver accepts or declines every date of a period at once."""
    bookings.answer_period(booking_id, member_id(), accepted=answer == "accept", reason=data["reason"])
    period = bookings.get_booking(booking_id, member_id()).period
    return [bookings.get_booking(one_id, member_id()) for one_id, _at, _status in period]
