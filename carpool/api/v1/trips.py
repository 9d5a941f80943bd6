"""Trips: publish, read, change, cancel, list one's own; book a seat on one, write to
its driver, and (for its driver) list its bookings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from ...services import bookings, conversations, trips
from . import limits
from .auth import SECURED, member_id, token_required
from .limits import per_address
from .problems import refusals
from .schemas import (
    BookingInSchema,
    BookingSchema,
    ConversationRefSchema,
    MessageInSchema,
    PeriodInSchema,
    ReasonSchema,
    TripInSchema,
    TripPatchSchema,
    TripSchema,
)

blp = Blueprint("api_trips", __name__, url_prefix="/api/v1/trips", description="Trips offered by drivers.")

TRIP = "/<int(max=2147483647):trip_id>"
#: "My trips" lists those of the last month too, for reviews and the record.
_RECENT = timedelta(days=31)


def trip_json(trip: trips.TripView) -> dict[str, Any]:
    """A trip as the API gives it (see :class:`~.schemas.TripSchema`)."""
    coordinates = [[lon, lat] for lat, lon in trip.path]
    return {
        **{name: getattr(trip, name) for name in TripSchema().fields if hasattr(trip, name)},
        "driver": {"id": trip.driver_id, "name": trip.driver_name},
        "departure": trip.stops[0].at,
        "arrival": trip.stops[-1].at,
        "route": {"type": "LineString", "coordinates": coordinates} if len(coordinates) >= 2 else None,
        "url": url_for("trips.show", trip_id=trip.id, _external=True),
    }


def _stop(point: dict[str, Any], field: str) -> trips.StopInput:
    return trips.stop_at(point["lat"], point["lon"], field, point.get("name") or "")


def draft_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The request's fields as :class:`~carpool.services.trips.TripDraft` names them."""
    changes: dict[str, Any] = {
        key: data[key]
        for key in ("departure", "seats", "max_detour_min", "contribution_cents", "comment")
        if key in data
    }
    for key in ("origin", "destination"):
        if key in data:
            changes[key] = _stop(data[key], key)
    if "via" in data:
        changes["stopovers"] = tuple(_stop(point, f"via.{i}") for i, point in enumerate(data["via"]))
    if "options" in data:
        changes["options"] = trips.TripOptions(**data["options"])
    return changes


def _leg(data: dict[str, Any]) -> dict[str, Any]:
    """A booking request's passenger leg, as the bookings service names its fields."""
    return {
        "pickup": (data["pickup"]["lat"], data["pickup"]["lon"]),
        "dropoff": (data["dropoff"]["lat"], data["dropoff"]["lon"]),
        "pickup_name": data["pickup"].get("name") or "",
        "dropoff_name": data["dropoff"].get("name") or "",
        "seats": data["seats"],
        "message": data["message"],
    }


@blp.route("")
class Trips(MethodView):
    @blp.doc(**SECURED)
    @blp.arguments(TripInSchema)
    @blp.response(201, TripSchema)
    @token_required
    @refusals
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Publish a trip: it is routed, priced (never above the cost-sharing ceiling)
        and found by searches along its route."""
        trip_id = trips.publish(member_id(), trips.TripDraft(**draft_fields(data)))
        return trip_json(trips.get_trip(trip_id))


@blp.get("/mine")
@blp.doc(**SECURED)
@blp.response(200, TripSchema(many=True))
@token_required
def mine() -> list[dict[str, Any]]:
    """The trips one drives, from a month ago on, the soonest first."""
    since = datetime.now(UTC) - _RECENT
    return [trip_json(trip) for trip in trips.driver_trips(member_id(), since=since)]


@blp.route(TRIP)
class Trip(MethodView):
    @blp.response(200, TripSchema)
    @per_address
    @refusals
    def get(self, trip_id: int) -> dict[str, Any]:
        """A trip, with its route as a GeoJSON LineString."""
        return trip_json(trips.get_trip(trip_id))

    @blp.doc(**SECURED)
    @blp.arguments(TripPatchSchema)
    @blp.response(200, TripSchema)
    @token_required
    @refusals
    def patch(self, data: dict[str, Any], trip_id: int) -> dict[str, Any]:
        """Change a trip that has not left; what is left out stays as it is. Passengers
        who booked are told."""
        trips.amend(trip_id, member_id(), draft_fields(data))
        return trip_json(trips.get_trip(trip_id))


@blp.post(f"{TRIP}/cancel")
@blp.doc(**SECURED)
@blp.arguments(ReasonSchema)
@blp.response(200, TripSchema)
@token_required
@refusals
def cancel(data: dict[str, Any], trip_id: int) -> dict[str, Any]:
    """Cancel a trip: its passengers are told, with the reason."""
    trips.cancel(trip_id, member_id(), data["reason"])
    return trip_json(trips.get_trip(trip_id))


@blp.route(f"{TRIP}/bookings")
class TripBookings(MethodView):
    @blp.doc(**SECURED)
    @blp.arguments(BookingInSchema)
    @blp.response(201, BookingSchema)
    @token_required
    @refusals
    def post(self, data: dict[str, Any], trip_id: int) -> bookings.BookingView:
        """Ask for seats from one's pickup to one's drop-off (accepted at once if the
        driver chose instant booking)."""
        request = bookings.BookingRequest(trip_id=trip_id, **_leg(data))
        booking_id = bookings.request_booking(member_id(), request)
        return bookings.get_booking(booking_id, member_id())

    @blp.doc(**SECURED)
    @blp.response(200, BookingSchema(many=True))
    @token_required
    @refusals
    def get(self, trip_id: int) -> list[bookings.BookingView]:
        """For its driver: the bookings of a trip."""
        return bookings.trip_bookings(trip_id, member_id())


@blp.post(f"{TRIP}/bookings/period")
@blp.doc(**SECURED)
@blp.arguments(PeriodInSchema)
@blp.response(201, BookingSchema(many=True))
@token_required
@refusals
def book_period(data: dict[str, Any], trip_id: int) -> list[bookings.BookingView]:
    """On a date of a regular trip: seats on every date from ``first_day`` to
    ``last_day``, all or none, answered and cancelled together."""
    request = bookings.PeriodRequest(
        trip_id=trip_id, first_day=data["first_day"], last_day=data["last_day"], **_leg(data)
    )
    first_id = bookings.request_period(member_id(), request)
    period = bookings.get_booking(first_id, member_id()).period
    return [bookings.get_booking(booking_id, member_id()) for booking_id, _at, _status in period]


@blp.post(f"{TRIP}/messages")
@blp.doc(**SECURED)
@blp.arguments(MessageInSchema)
@blp.response(201, ConversationRefSchema)
@token_required
@limits.messages
@refusals
def write_to_driver(data: dict[str, Any], trip_id: int) -> dict[str, int]:
    """Write to the trip's driver (a question before booking, say)."""
    conversation_id = conversations.write_to_driver(trip_id, member_id(), data["text"])
    return {"conversation_id": conversation_id}
