"""Messages shared by services, translated when shown."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import format_currency, format_date, format_datetime
from flask_babel import lazy_gettext as _l

from routing import InvalidPointError, NoRouteError, PointOutOfAreaError, RoutingError

__all__ = ["DateText", "FieldError", "Moment", "Money", "ServiceError", "routing_problem"]


class ServiceError(ValueError):
    """A request a service refuses; ``message`` is translated when it is shown."""

    def __init__(self, message: object) -> None:
        self.message = message
        super().__init__(message)


class FieldError(ServiceError):
    """A refusal about one field of a form; ``field`` names it."""

    def __init__(self, message: object, field: str) -> None:
        super().__init__(message)
        self.field = field


class Money:
    """An amount that formats itself for the reader's language when shown."""

    def __init__(self, cents: int, currency: str) -> None:
        self.cents = cents
        self.currency = currency

    def __str__(self) -> str:
        return str(format_currency(self.cents / 100, self.currency))


class DateText:
    """A date that formats itself for the reader's language when shown."""

    def __init__(self, day: date) -> None:
        self.day = day

    def __str__(self) -> str:
        return str(format_date(self.day, "long"))


class Moment:
    """A date and time that formats itself for the reader's language and time zone when shown."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __str__(self) -> str:
        return str(format_datetime(self.at, "short"))


def routing_problem(error: RoutingError) -> object:
    """What to tell a person when the routing core refuses a point or a route."""
    if isinstance(error, PointOutOfAreaError):
        return _l("This place is outside the region this site covers.")
    if isinstance(error, InvalidPointError):
        return _l("These coordinates are not a place on Earth.")
    if isinstance(error, NoRouteError):
        return _l("No road joins these places.")
    return _l("This route cannot be computed.")
