"""The API object: flask-smorest generates the OpenAPI document from the views and
schemas, served at ``/api/v1/openapi.json``; errors are documented as problem details."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_smorest import Api
from flask_smorest.utils import prepare_response

from .problems import PROBLEM, ProblemSchema

__all__ = ["SETTINGS", "CarpoolApi"]

#: flask-smorest's settings for this API.
SETTINGS: dict[str, Any] = {
    "API_TITLE": "carpool API",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "The JSON API of a cooperative, commission-free carpooling site: places, "
                "trips, search along the route, bookings, messages, alerts and one's own "
                "data. Authenticate with a personal token (POST /api/v1/tokens, or the "
                "profile page) sent as `Authorization: Bearer <token>`. Errors are RFC 9457 "
                "problem details with a `detail` in the language of `Accept-Language`."
            ),
            "license": {"name": "AGPL-3.0-or-later", "url": "https://www.gnu.org/licenses/agpl-3.0.html"},
        },
    },
}


class CarpoolApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, with the site's own error handling: the app's handler
    answers problem details under ``/api/v1`` and pages elsewhere (flask-smorest's
    would answer JSON for the whole site)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """Errors are handled by the app (see :func:`carpool.api.error_response`)."""

    def _register_responses(self) -> None:
        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "An error, as problem details", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)
