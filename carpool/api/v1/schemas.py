"""What ``/api/v1`` reads and writes, as marshmallow schemas: the OpenAPI document
is generated from them, and requests are checked against them before any service runs."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from ...services.conversations import MAX_MESSAGE
from ...services.search import MAX_FLEX_DAYS, MAX_PAGE, MAX_PER_PAGE, PER_PAGE
from ...services.trips import LUGGAGE_SIZES, MAX_STOPOVERS

__all__ = [
    "WEEKDAY_KEYS",
    "AlertInSchema",
    "AlertSchema",
    "BookingInSchema",
    "BookingSchema",
    "ConversationRefSchema",
    "ConversationSchema",
    "CountSchema",
    "InboxEntrySchema",
    "MemberSchema",
    "MessageInSchema",
    "MessageRefSchema",
    "NewTokenSchema",
    "PeriodInSchema",
    "PlaceArgsSchema",
    "PlaceSchema",
    "ReasonSchema",
    "RegularTripInSchema",
    "RegularTripSchema",
    "ReviewInSchema",
    "ReviewRefSchema",
    "SearchArgsSchema",
    "SearchResultsSchema",
    "TokenInSchema",
    "TokenSchema",
    "TripInSchema",
    "TripPatchSchema",
    "TripSchema",
]

#: "LAT,LON" in a query string, as the site's map writes points.
_POINT_TEXT = r"^\s*-?\d{1,3}(\.\d+)?\s*,\s*-?\d{1,3}(\.\d+)?\s*$"
_TEXT = 200


def _text(limit: int = _TEXT, **options: Any) -> fields.String:
    return fields.String(
        validate=validate.Length(max=limit, error=_l("At most {max} characters.")), **options
    )


class Schema(ma.Schema):
    """Fields unknown to a schema are refused, so that a typo is not silently ignored."""

    class Meta:
        unknown = ma.RAISE


class PointSchema(Schema):
    lat = fields.Float(
        required=True, validate=validate.Range(-90, 90, error=_l("A latitude is between -90 and 90."))
    )
    lon = fields.Float(
        required=True, validate=validate.Range(-180, 180, error=_l("A longitude is between -180 and 180."))
    )
    name = _text(metadata={"description": "Shown on the trip; by default the nearest place of the region."})


class TripOptionsSchema(Schema):
    luggage = fields.String(
        validate=validate.OneOf(LUGGAGE_SIZES, error=_l("One of: {choices}.")), load_default="medium"
    )
    pets = fields.Boolean(load_default=False)
    smoking = fields.Boolean(load_default=False)
    max_two_back = fields.Boolean(load_default=False, metadata={"description": "At most two in the back."})
    instant_booking = fields.Boolean(load_default=False)


class TripInSchema(Schema):
    """A trip to publish."""

    origin = fields.Nested(PointSchema, required=True)
    destination = fields.Nested(PointSchema, required=True)
    via = fields.List(
        fields.Nested(PointSchema),
        load_default=list,
        validate=validate.Length(max=MAX_STOPOVERS, error=_l("At most {max} stopovers.")),
        metadata={"description": "Stopovers, in driving order."},
    )
    departure = fields.AwareDateTime(required=True, metadata={"description": "With its time zone."})
    seats = fields.Integer(required=True, metadata={"description": "Seats offered, 1 to 8."})
    max_detour_min = fields.Integer(load_default=10, metadata={"description": "0 to 60."})
    contribution_cents = fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "Per seat; by default the suggested one."},
    )
    comment = _text(2000, load_default="")
    options = fields.Nested(TripOptionsSchema, load_default=dict)


class TripPatchSchema(Schema):
    """What changes in a trip; what is left out stays as it is."""

    origin = fields.Nested(PointSchema)
    destination = fields.Nested(PointSchema)
    via = fields.List(
        fields.Nested(PointSchema),
        validate=validate.Length(max=MAX_STOPOVERS, error=_l("At most {max} stopovers.")),
    )
    departure = fields.AwareDateTime()
    seats = fields.Integer()
    max_detour_min = fields.Integer()
    contribution_cents = fields.Integer(allow_none=True)
    comment = _text(2000)
    options = fields.Nested(TripOptionsSchema)


class StopSchema(Schema):
    name = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    at = fields.DateTime(metadata={"description": "When the driver passes there."})


class LineStringSchema(Schema):
    type = fields.Constant("LineString")
    coordinates = fields.List(fields.List(fields.Float()), metadata={"description": "[lon, lat] pairs."})


class DriverSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class TripSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "published, cancelled or hidden."})
    driver = fields.Nested(DriverSchema)
    departure = fields.DateTime()
    arrival = fields.DateTime()
    stops = fields.List(fields.Nested(StopSchema))
    time_s = fields.Float(metadata={"description": "Driving time, in seconds."})
    length_m = fields.Float(metadata={"description": "Driving distance, in metres."})
    route = fields.Nested(LineStringSchema, allow_none=True)
    seats = fields.Integer()
    seats_left = fields.Integer()
    max_detour_min = fields.Integer()
    contribution_cents = fields.Integer()
    currency = fields.String()
    comment = fields.String()
    options = fields.Nested(TripOptionsSchema)
    cancel_reason = fields.String()
    outward_id = fields.Integer(allow_none=True)
    return_id = fields.Integer(allow_none=True)
    regular_id = fields.Integer(allow_none=True)
    url = fields.String(metadata={"description": "The trip's page."})


class SearchArgsSchema(Schema):
    from_ = fields.String(
        data_key="from",
        required=True,
        validate=validate.Regexp(_POINT_TEXT, error=_l("Send a point as LAT,LON.")),
        metadata={"description": "Pickup point, LAT,LON.", "example": "43.7311,7.4197"},
    )
    to = fields.String(
        required=True,
        validate=validate.Regexp(_POINT_TEXT, error=_l("Send a point as LAT,LON.")),
        metadata={"description": "Drop-off point, LAT,LON.", "example": "43.7476,7.4336"},
    )
    date = fields.Date(required=True)
    days = fields.Integer(
        load_default=0,
        validate=validate.Range(0, MAX_FLEX_DAYS, error=_l("Between {min} and {max} days.")),
        metadata={"description": "Days of flexibility before and after."},
    )
    time_from = fields.Time(load_default=None, metadata={"description": "Local time, HH:MM."})
    time_to = fields.Time(load_default=None, metadata={"description": "Local time, HH:MM."})
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(1, MAX_PAGE, error=_l("Between {min} and {max}.")),
        metadata={"description": "Which page of results, from 1."},
    )
    per_page = fields.Integer(
        load_default=PER_PAGE,
        validate=validate.Range(1, MAX_PER_PAGE, error=_l("Between {min} and {max}.")),
        metadata={"description": "Results a page."},
    )


class SearchResultSchema(Schema):
    trip_id = fields.Integer()
    driver_name = fields.String()
    trip_from = fields.String()
    trip_to = fields.String()
    detour_s = fields.Float(metadata={"description": "Extra driving time for the driver."})
    pickup_at = fields.DateTime()
    dropoff_at = fields.DateTime()
    price = fields.Float(metadata={"description": "For one seat on this leg, in the currency."})
    price_cents = fields.Integer()
    currency = fields.String()
    seats_left = fields.Integer()
    score = fields.Float(
        metadata={"description": "Lower is better: detour and distance from the wished time."}
    )
    url = fields.String(metadata={"description": "The trip's page, with this pickup and drop-off."})


class SearchResultsSchema(Schema):
    results = fields.List(
        fields.Nested(SearchResultSchema), metadata={"description": "This page's, best first."}
    )
    total = fields.Integer(metadata={"description": "Trips found, on every page."})
    page = fields.Integer()
    pages = fields.Integer(metadata={"description": "Pages the results fill (1 at least)."})


class PlaceArgsSchema(Schema):
    q = _text(100, required=True, metadata={"description": "The start of a place's name."})
    limit = fields.Integer(
        load_default=10, validate=validate.Range(1, 50, error=_l("Between {min} and {max}."))
    )


class PlaceSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    lat = fields.Float()
    lon = fields.Float()


class TokenInSchema(Schema):
    email = _text(320, required=True)
    password = _text(1000, required=True)
    name = _text(80, load_default="", metadata={"description": "To recognise the token in one's list."})


class NewTokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    token = fields.String(attribute="secret", metadata={"description": "Shown this once only."})
    created_at = fields.DateTime()


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)


class BookingInSchema(Schema):
    pickup = fields.Nested(PointSchema, required=True)
    dropoff = fields.Nested(PointSchema, required=True)
    seats = fields.Integer(load_default=1)
    message = _text(1000, load_default="")


class ReasonSchema(Schema):
    reason = _text(1000, load_default="")


class EventSchema(Schema):
    status = fields.String()
    at = fields.DateTime()
    note = fields.String()


class BookingSchema(Schema):
    id = fields.Integer()
    trip_id = fields.Integer()
    trip_from = fields.String()
    trip_to = fields.String()
    viewer_is_driver = fields.Boolean()
    driver_name = fields.String()
    passenger_name = fields.String()
    seats = fields.Integer()
    status = fields.String()
    pickup_name = fields.String()
    dropoff_name = fields.String()
    pickup_at = fields.DateTime()
    dropoff_at = fields.DateTime()
    price_cents = fields.Integer()
    currency = fields.String()
    message = fields.String()
    late_cancellation = fields.Boolean()
    other_phone = fields.String(metadata={"description": "Given once the booking is accepted."})
    events = fields.List(fields.Nested(EventSchema))


class MessageInSchema(Schema):
    text = fields.String(
        required=True, validate=validate.Length(max=MAX_MESSAGE, error=_l("At most {max} characters."))
    )


class MessageSchema(Schema):
    id = fields.Integer()
    mine = fields.Boolean()
    sender_name = fields.String()
    body = fields.String()
    sent_at = fields.DateTime()


class ConversationSchema(Schema):
    id = fields.Integer()
    trip_id = fields.Integer()
    trip_label = fields.String()
    departure_at = fields.DateTime()
    other_name = fields.String()
    messages = fields.List(fields.Nested(MessageSchema))


class InboxEntrySchema(Schema):
    conversation_id = fields.Integer()
    trip_label = fields.String()
    other_name = fields.String()
    last_message_at = fields.DateTime()
    unread = fields.Integer()


class AlertInSchema(Schema):
    origin = _text(required=True, metadata={"description": "A place's name, or LAT,LON."})
    destination = _text(required=True, metadata={"description": "A place's name, or LAT,LON."})
    day = fields.Date(load_default=None, metadata={"description": "One day; or give weekdays."})
    flex_days = fields.Integer(load_default=0)
    weekdays = fields.List(
        fields.Integer(validate=validate.Range(0, 6, error=_l("Days of the week are 0 (Monday) to 6."))),
        load_default=list,
        validate=validate.Length(max=7, error=_l("At most {max} days.")),
    )
    until = fields.Date(load_default=None, metadata={"description": "The last day of a weekly alert."})
    time_from = fields.Time(load_default=None)
    time_to = fields.Time(load_default=None)
    seats = fields.Integer(load_default=1)
    public = fields.Boolean(
        load_default=False, metadata={"description": "Shown to drivers as “looking for a ride”."}
    )


class AlertSchema(Schema):
    id = fields.Integer()
    origin = fields.String()
    destination = fields.String()
    day = fields.Date(allow_none=True)
    flex_days = fields.Integer()
    weekdays = fields.List(fields.Integer())
    expires_on = fields.Date()
    time_from = fields.Time(allow_none=True)
    time_to = fields.Time(allow_none=True)
    seats = fields.Integer()
    public = fields.Boolean()
    paused = fields.Boolean()
    expired = fields.Boolean()


class ConversationRefSchema(Schema):
    conversation_id = fields.Integer()


class MessageRefSchema(Schema):
    message_id = fields.Integer()


#: Days of the week as the API names them, Monday first.
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class RegularTripInSchema(Schema):
    """A trip made every week: a departure time for each day it runs, between two dates."""

    origin = fields.Nested(PointSchema, required=True)
    destination = fields.Nested(PointSchema, required=True)
    via = fields.List(
        fields.Nested(PointSchema),
        load_default=list,
        validate=validate.Length(max=MAX_STOPOVERS, error=_l("At most {max} stopovers.")),
    )
    days = fields.Dict(
        keys=fields.String(validate=validate.OneOf(WEEKDAY_KEYS, error=_l("One of: {choices}."))),
        values=fields.Time(),
        required=True,
        metadata={"description": 'Local departure time by day, e.g. {"mon": "07:45", "fri": "17:30"}.'},
    )
    start_on = fields.Date(required=True)
    end_on = fields.Date(required=True)
    seats = fields.Integer(required=True)
    max_detour_min = fields.Integer(load_default=10)
    contribution_cents = fields.Integer(load_default=None, allow_none=True)
    comment = _text(2000, load_default="")
    options = fields.Nested(TripOptionsSchema, load_default=dict)


class OccurrenceSchema(Schema):
    trip_id = fields.Integer()
    day = fields.Date()
    departure = fields.DateTime()
    status = fields.String()
    moved = fields.Boolean(metadata={"description": "Its departure is not the schedule's."})


class RegularTripSchema(Schema):
    id = fields.Integer()
    driver = fields.Nested(DriverSchema)
    origin = fields.String()
    destination = fields.String()
    days = fields.Dict(keys=fields.String(), values=fields.Time())
    start_on = fields.Date()
    end_on = fields.Date()
    status = fields.String()
    occurrences = fields.List(fields.Nested(OccurrenceSchema))
    url = fields.String()


class PeriodInSchema(BookingInSchema):
    first_day = fields.Date(required=True)
    last_day = fields.Date(required=True)


class CountSchema(Schema):
    count = fields.Integer()


class ReviewInSchema(Schema):
    rating = fields.Integer(required=True, metadata={"description": "1 to 5."})
    comment = _text(2000, load_default="")


class ReviewRefSchema(Schema):
    review_id = fields.Integer()


class ReceivedReviewSchema(Schema):
    author_id = fields.Integer()
    author_name = fields.String()
    rating = fields.Integer()
    comment = fields.String()
    written_at = fields.DateTime()


class TrustSchema(Schema):
    average_rating = fields.Float(allow_none=True)
    reviews = fields.Integer()
    driven = fields.Integer()
    ridden = fields.Integer()
    late_cancellations = fields.Integer()
    no_shows = fields.Integer()


class MemberSchema(Schema):
    id = fields.Integer()
    display_name = fields.String()
    bio = fields.String()
    car_model = fields.String()
    car_colour = fields.String()
    preferences = fields.Dict(keys=fields.String(), values=fields.String())
    member_since = fields.DateTime()
    confirmed = fields.Boolean()
    trust = fields.Nested(TrustSchema)
    reviews = fields.List(fields.Nested(ReceivedReviewSchema))
