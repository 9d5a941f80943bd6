"""Open data: the page that explains the export, and its two files."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from ..services import open_data

bp = Blueprint("open_data", __name__, url_prefix="/open-data")

#: How long browsers and portals may keep a file: the departures in it are rounded
#: to the quarter hour, so a fresher copy would rarely say more.
CACHE_SECONDS = 15 * 60


@bp.get("")
def index() -> str:
    return render_template("open_data/index.html", licence=open_data.licence())


@bp.get("/trips.geojson")
def geojson() -> Response:
    return _download(open_data.export("geojson"))


@bp.get("/trips.csv")
def csv() -> Response:
    return _download(open_data.export("csv"))


def _download(file: open_data.Export) -> Response:
    """The file as an attachment, with its licence, cacheable, and answered with
    304 Not Modified to a client that already has these trips (If-None-Match)."""
    response = Response(file.body, mimetype=file.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response.headers["Link"] = f'<{file.licence.url}>; rel="license"'
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    response.set_etag(file.fingerprint)
    response.make_conditional(request)  # in place: 304 and no body when the ETag matches
    return response
