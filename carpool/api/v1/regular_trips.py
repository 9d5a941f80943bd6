"""Regular trips: one ad for a trip made every week; each date is a trip of its own
(see ``/trips``), booked one date at a time or for a whole period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from ...services import regular_trips, trips
from .auth import SECURED, member_id, token_required
from .limits import per_address
from .problems import refusals
from .schemas import WEEKDAY_KEYS, CountSchema, ReasonSchema, RegularTripInSchema, RegularTripSchema
from .trips import draft_fields

blp = Blueprint(
    "api_regular_trips", __name__, url_prefix="/api/v1/regular-trips", description="Trips made every week."
)

REGULAR = "/<int(max=2147483647):regular_id>"


def regular_json(series: regular_trips.RegularTripView) -> dict[str, Any]:
    return {
        **{name: getattr(series, name) for name in RegularTripSchema().fields if hasattr(series, name)},
        "driver": {"id": series.driver_id, "name": series.driver_name},
        "days": {key: hour for key, hour in zip(WEEKDAY_KEYS, series.times, strict=True) if hour is not None},
        "url": url_for("trips.show_regular", regular_id=series.id, _external=True),
    }


@blp.route("")
class RegularTrips(MethodView):
    @blp.doc(**SECURED)
    @blp.arguments(RegularTripInSchema)
    @blp.response(201, RegularTripSchema)
    @token_required
    @refusals
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Publish a regular trip and each of its dates still to come."""
        schedule = regular_trips.Schedule(
            times=tuple(data["days"].get(key) for key in WEEKDAY_KEYS),
            start_on=data["start_on"],
            end_on=data["end_on"],
        )
        # The schedule gives each date's departure: the draft's own is not used.
        fields = {"departure": datetime.now(UTC) + timedelta(days=1), **draft_fields(data)}
        regular_id = regular_trips.publish_regular(member_id(), trips.TripDraft(**fields), schedule)
        return regular_json(regular_trips.get_regular(regular_id))


@blp.get(REGULAR)
@blp.response(200, RegularTripSchema)
@per_address
@refusals
def one(regular_id: int) -> dict[str, Any]:
    """A regular trip: its schedule and every date."""
    return regular_json(regular_trips.get_regular(regular_id))


@blp.post(f"{REGULAR}/cancel")
@blp.doc(**SECURED)
@blp.arguments(ReasonSchema)
@blp.response(200, CountSchema)
@token_required
@refusals
def cancel(data: dict[str, Any], regular_id: int) -> dict[str, int]:
    """Cancel every date still to come (their passengers are told); ``count`` says how many."""
    return {"count": regular_trips.cancel_regular(regular_id, member_id(), data["reason"])}
