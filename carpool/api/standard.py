"""The French "standard covoiturage" interop API, under ``/api/standard/v1``.

Partners authenticate with a key (``X-API-Key: <secret>`` or ``Authorization:
Bearer <secret>``), never with the session cookie, so the blueprint is exempt from
CSRF; each key has its own rate of requests. Every answer under the prefix is JSON,
errors included (see :func:`error_response`, which the app's error handlers call).
See docs/STANDARD_API.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, time
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..extensions import configured_rate, limiter
from ..models import PartnerKey
from ..services import partners, standard
from ..services.messages import ServiceError

__all__ = ["PREFIX", "bp", "error_response", "serves"]

PREFIX = "/api/standard/v1"
bp = Blueprint("standard_api", __name__, url_prefix=PREFIX)

_View = TypeVar("_View", bound=Callable[..., Any])
_PARTIAL_TIME = re.compile(r"\d{2}:\d{2}:\d{2}(\.\d+)?")


class BadParameter(ServiceError):
    """A query parameter missing, or not of its type."""


# -- answers ----------------------------------------------------------------------------------


def serves(path: str) -> bool:
    """Whether an address is this API's: its errors are JSON, never the site's pages."""
    return path == PREFIX or path.startswith(PREFIX + "/")


def _error(message: object, status: int) -> Response:
    response = jsonify(error=str(message))
    response.status_code = status
    return response


def error_response(error: Exception) -> Response:
    """The JSON answer to an error under the prefix (404, 405, 429, 500 …)."""
    if not isinstance(error, HTTPException):
        current_app.logger.exception("unexpected error in the standard API")
        return _error(_("Something went wrong on our side: please try again later."), 500)
    if error.code == 429:
        return _error(_("Too many requests: wait for the seconds Retry-After gives, then try again."), 429)
    if error.code == 404:
        return _error(_("There is nothing at this address of the API."), 404)
    if error.code == 405:
        return _error(_("This address of the API does not take this method."), 405)
    return _error(error.description or error.name, error.code or 500)


# -- authentication and rate -------------------------------------------------------------------


def _secret() -> str:
    if request.headers.get("X-API-Key"):
        return request.headers["X-API-Key"].strip()
    scheme, _space, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def _partner() -> PartnerKey:
    partner: PartnerKey = g.partner_key
    return partner


def _partner_rate() -> str:
    return _partner().rate_limit


def _partner_bucket() -> str:
    return f"partner:{_partner().id}"


def partner_required(view: _View) -> _View:
    """Authenticate the partner's key (401 without a valid one), then count the
    request against that key's own rate, shared by every endpoint (429 over it)."""
    limited = limiter.shared_limit(_partner_rate, scope="standard-api", key_func=_partner_bucket)(view)

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        key = partners.authenticate(_secret())
        if key is None:
            return _error(_("A valid partner key is needed: send it in the X-API-Key header."), 401)
        g.partner_key = key
        return limited(*args, **kwargs)

    return checked  # type: ignore[return-value]


# -- reading parameters -------------------------------------------------------------------------


def _raw(name: str, required: bool) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        if required:
            raise BadParameter(_l("The parameter %(name)s is missing.", name=name))
        return None
    return value


def _number(name: str, default: float | None = None) -> float:
    raw = _raw(name, required=default is None)
    if raw is None:
        assert default is not None
        return default
    try:
        value = float(raw)
    except ValueError as error:
        raise BadParameter(_l("The parameter %(name)s must be a number.", name=name)) from error
    if not math.isfinite(value):
        raise BadParameter(_l("The parameter %(name)s must be a number.", name=name))
    return value


def _integer(name: str, default: int | None = None, *, required: bool = False) -> int | None:
    raw = _raw(name, required=required)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise BadParameter(_l("The parameter %(name)s must be a whole number.", name=name)) from error


def _moment(name: str, *, required: bool = False) -> datetime | None:
    seconds = _integer(name, required=required)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise BadParameter(_l("The parameter %(name)s is not a possible date.", name=name)) from error


def _time_of_day(name: str) -> time:
    raw = _raw(name, required=True) or ""
    if not _PARTIAL_TIME.fullmatch(raw):
        raise BadParameter(_l("The parameter %(name)s must be a time of day such as 07:30:00.", name=name))
    try:
        return time.fromisoformat(raw)
    except ValueError as error:
        raise BadParameter(
            _l("The parameter %(name)s must be a time of day such as 07:30:00.", name=name)
        ) from error


def _weekdays(name: str) -> frozenset[int]:
    raw = _raw(name, required=False)
    if raw is None:
        return frozenset(range(7))
    days = [day.strip().upper() for day in raw.split(",")]
    if not all(day in standard.WEEKDAYS for day in days):
        raise BadParameter(
            _l("The parameter %(name)s must be days among MON, TUE, WED, THU, FRI, SAT, SUN.", name=name)
        )
    return frozenset(standard.WEEKDAYS.index(day) for day in days)


def _places() -> dict[str, Any]:
    """The parameters every search has: places, margin, radii, count."""
    return {
        "departure": (_number("departureLat"), _number("departureLng")),
        "arrival": (_number("arrivalLat"), _number("arrivalLng")),
        "time_delta_s": _integer("timeDelta", standard.DEFAULT_TIME_DELTA_S),
        "departure_radius_km": _number("departureRadius", 1.0),
        "arrival_radius_km": _number("arrivalRadius", 1.0),
        "count": _integer("count"),
    }


def _journey_query() -> standard.JourneyQuery:
    departure_date = _moment("departureDate", required=True)
    assert departure_date is not None  # a required parameter is never None
    return standard.JourneyQuery(departure_date=departure_date, **_places())


def _regular_query() -> standard.RegularQuery:
    return standard.RegularQuery(
        time_of_day=_time_of_day("departureTimeOfDay"),
        weekdays=_weekdays("departureWeekdays"),
        min_departure=_moment("minDepartureDate"),
        max_departure=_moment("maxDepartureDate"),
        **_places(),
    )


def _answer(search: Callable[[], list[dict[str, Any]]]) -> Response:
    """The results of a search as JSON, or a 400 saying what is wrong."""
    try:
        return jsonify(search())
    except ServiceError as refused:
        return _error(refused.message, 400)


# -- endpoints ------------------------------------------------------------------------------------


@bp.get("/status")
@limiter.limit(configured_rate("PARTNER_RATE_LIMIT"))
def status() -> Response:
    """Whether the service answers (no key needed)."""
    return jsonify(status="ok")


@bp.get("/driver_journeys")
@partner_required
def driver_journeys() -> Response:
    return _answer(lambda: standard.driver_journeys(_journey_query()))


@bp.get("/passenger_journeys")
@partner_required
def passenger_journeys() -> Response:
    return _answer(lambda: standard.passenger_journeys(_journey_query()))


@bp.get("/driver_regular_trips")
@partner_required
def driver_regular_trips() -> Response:
    return _answer(lambda: standard.driver_regular_trips(_regular_query()))


@bp.get("/passenger_regular_trips")
@partner_required
def passenger_regular_trips() -> Response:
    return _answer(lambda: standard.passenger_regular_trips(_regular_query()))
