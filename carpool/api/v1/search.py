"""Search along the route: the search page's results, as JSON."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_smorest import Blueprint

from ...services import search
from ...services.places import parse_point
from .limits import per_address
from .problems import refusals
from .schemas import SearchArgsSchema, SearchResultsSchema

blp = Blueprint("api_search", __name__, url_prefix="/api/v1/search", description="Search along the route.")


@blp.get("")
@blp.arguments(SearchArgsSchema, location="query")
@blp.response(200, SearchResultsSchema)
@per_address
@refusals
def find(args: dict[str, Any]) -> dict[str, Any]:
    """Trips that pass by the pickup, then the drop-off, on the date (give or take
    ``days``), in the order of the search page: the smallest detour at the wished time
    first; ``per_page`` a page."""
    pickup, dropoff = parse_point(args["from_"]), parse_point(args["to"])
    assert pickup is not None and dropoff is not None  # the schema's pattern says so
    query = search.SearchQuery(
        pickup=pickup,
        dropoff=dropoff,
        day=args["date"],
        flex_days=args["days"],
        time_from=args["time_from"],
        time_to=args["time_to"],
    )
    found = search.find_page(query, page=args["page"], per_page=args["per_page"])
    return {
        "results": [_result(result) for result in found.results],
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
    }


def _result(found: search.SearchResult) -> dict[str, Any]:
    pickup, dropoff = (f"{lat:.5f},{lon:.5f}" for lat, lon in (found.pickup, found.dropoff))
    return {
        "trip_id": found.trip_id,
        "driver_name": found.driver_name,
        "trip_from": found.trip_from,
        "trip_to": found.trip_to,
        "detour_s": found.detour_s,
        "pickup_at": found.pickup_at,
        "dropoff_at": found.dropoff_at,
        "price": found.price_cents / 100,
        "price_cents": found.price_cents,
        "currency": found.currency,
        "seats_left": found.seats_left,
        "score": found.score,
        "url": url_for("trips.show", trip_id=found.trip_id, pickup=pickup, dropoff=dropoff, _external=True),
    }
