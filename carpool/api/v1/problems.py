"""Errors of ``/api/v1`` as RFC 9457 problem details (``application/problem+json``),
with a ``detail`` in the reader's language, and the refusals of services turned into them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, NoReturn, ParamSpec, TypeVar

import marshmallow as ma
from flask import Response, current_app, json
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_smorest import abort
from werkzeug.exceptions import HTTPException, InternalServerError

from ...services.accounts import AccountClosed
from ...services.messages import FieldError, ServiceError

__all__ = ["PROBLEM", "ProblemSchema", "problem_response", "refusals", "refuse"]

PROBLEM = "application/problem+json"

P = ParamSpec("P")
R = TypeVar("R")


class ProblemSchema(ma.Schema):
    """An error: what went wrong in ``detail``; field by field in ``errors``."""

    type = ma.fields.String(metadata={"description": "Always about:blank: the status says it all."})
    title = ma.fields.String(metadata={"description": "The HTTP status phrase."})
    status = ma.fields.Integer()
    detail = ma.fields.String(metadata={"description": "What went wrong, in the reader's language."})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Messages for each field that was refused (dotted paths)."},
    )


#: What to say for a status when nothing more precise is known.
_DETAILS: dict[int, Any] = {
    400: _l("The request could not be read: check that it is well-formed JSON."),
    401: _l("A valid API token is needed: send it as “Authorization: Bearer <token>”."),
    403: _l("You may not do this."),
    404: _l("There is nothing at this address."),
    405: _l("This method is not allowed at this address."),
    409: _l("This conflicts with the current state of the resource."),
    413: _l("The request is too large."),
    415: _l("Send the request body as JSON (Content-Type: application/json)."),
    422: _l("Some fields are not valid."),
    429: _l("Too many requests: please slow down and try again later."),
    500: _l("Something went wrong on our side. Please try again later."),
}

#: marshmallow's and webargs' own messages, in the reader's language.
_FIELD_MESSAGES: dict[str, Any] = {
    "Missing data for required field.": _l("This field is required."),
    "Field may not be null.": _l("This field may not be empty."),
    "Invalid value.": _l("This value is not valid."),
    "Unknown field.": _l("Unknown field."),
    "Invalid input type.": _l("Send an object here."),
    "Invalid type.": _l("Wrong type."),
    "Not a valid string.": _l("Send a text here."),
    "Not a valid utf-8 string.": _l("Send a text here."),
    "Not a valid integer.": _l("Send a whole number here."),
    "Not a valid number.": _l("Send a number here."),
    "Number too large.": _l("This number is too large."),
    "Special numeric values (nan or infinity) are not permitted.": _l("Send a number here."),
    "Not a valid boolean.": _l("Send true or false here."),
    "Not a valid list.": _l("Send a list here."),
    "Not a valid mapping type.": _l("Send an object here."),
    "Not a valid datetime.": _l(
        "Send a date and time with its time zone, such as 2026-12-01T08:00:00+01:00."
    ),
    "Not a valid aware datetime.": _l(
        "Send a date and time with its time zone, such as 2026-12-01T08:00:00+01:00."
    ),
    "Not a valid date.": _l("Send a date such as 2026-12-01."),
    "Not a valid time.": _l("Send a time such as 08:30."),
}


def _flat(messages: object, path: str = "") -> dict[str, list[str]]:
    """webargs' nested messages ({location: {field: [..]}}) as {"dotted.field": [..]},
    each message translated."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            flat.update(_flat(value, f"{path}.{key}" if path else str(key)))
        return flat
    items = messages if isinstance(messages, list) else [messages]
    if items and all(isinstance(item, Mapping) for item in items):
        flat = {}
        for item in items:
            flat.update(_flat(item, path))
        return flat
    return {path or "_": [str(_FIELD_MESSAGES.get(str(item), item)) for item in items]}


def _errors(data: Mapping[str, Any]) -> dict[str, list[str]]:
    errors = data.get("errors")
    if errors is None and "messages" in data:
        # webargs keys its messages by location ("json", "query"): the field is enough.
        errors = {
            field: messages
            for by_field in data["messages"].values()
            for field, messages in (by_field.items() if isinstance(by_field, Mapping) else [("_", by_field)])
        }
    return _flat(errors) if errors else {}


def problem_response(error: HTTPException) -> Response:
    """The problem details document for an HTTP error of the API."""
    code = error.code or 500
    data: Mapping[str, Any] = getattr(error, "data", None) or {}
    detail = data.get("message") or _DETAILS.get(code) or error.description
    body: dict[str, Any] = {"type": "about:blank", "title": error.name, "status": code, "detail": str(detail)}
    errors = _errors(data)
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=code, mimetype=PROBLEM)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    response.headers.update(data.get("headers") or {})
    return response


def unexpected_response(error: Exception) -> Response:
    current_app.logger.exception("unexpected error in the API")
    return problem_response(InternalServerError())


def refuse(status: int, detail: object, *, field: str | None = None) -> NoReturn:
    """End the request with a problem (``detail`` translated when shown)."""
    errors = {} if field is None else {"errors": {field: [str(detail)]}}
    abort(status, message=str(detail), **errors)
    raise AssertionError("abort returns no more")  # for the type checker: abort is untyped


def refusals(view: Callable[P, R]) -> Callable[P, R]:
    """Turn the services' refusals into problems: no such thing → 404, not yours → 403,
    a closed account → 403, a refused request → 422 (with the field when it is one)."""

    @wraps(view)
    def refusing(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return view(*args, **kwargs)
        except (KeyError, IndexError):
            raise  # a bug, not a missing resource
        except LookupError:
            refuse(404, _("There is nothing at this address."))
        except PermissionError:
            refuse(403, _("This is not yours."))
        except AccountClosed as closed:
            refuse(403, closed.message)
        except FieldError as refused:
            refuse(422, refused.message, field=refused.field)
        except ServiceError as refused:
            refuse(422, refused.message)

    return refusing
