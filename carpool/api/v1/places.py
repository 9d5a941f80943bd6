"""Places of the region by the start of their name, as the forms suggest them."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from ...services import places
from .limits import per_address
from .schemas import PlaceArgsSchema, PlaceSchema

blp = Blueprint("api_places", __name__, url_prefix="/api/v1/places", description="Places of the region.")


@blp.get("")
@blp.arguments(PlaceArgsSchema, location="query")
@blp.response(200, PlaceSchema(many=True))
@per_address
def suggest(args: dict[str, Any]) -> list[places.PlaceOption]:
    """Places whose name, or a word of it, starts with ``q``, the most likely first."""
    return places.autocomplete(args["q"], limit=args["limit"])
