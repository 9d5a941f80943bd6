"""Place suggestions while typing (JSON, used by the forms' autocomplete)."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify, request
from flask.wrappers import Response

from ..services import places

bp = Blueprint("places", __name__, url_prefix="/places")


@bp.get("/suggest")
def suggest() -> Response:
    options = places.autocomplete(request.args.get("q", ""), limit=10)
    return jsonify([asdict(option) for option in options])
