"""Bookings: one's own as a passenger, one's passengers' as a driver; answer, cancel,
write about them."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from ...services import bookings, conversations
from .auth import SECURED, member_id, token_required
from .problems import refusals
from .schemas import BookingSchema, ConversationRefSchema, MessageInSchema, ReasonSchema

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
@refusals
def write(data: dict[str, Any], booking_id: int) -> dict[str, int]:
    """Write to the other side of a booking."""
    conversation_id = conversations.write_about_booking(booking_id, member_id(), data["text"])
    return {"conversation_id": conversation_id}
