"""Trips brought over in bulk from a CSV file: another platform's export when an
association moves to this site, or a list of its members' commutes. Each row is
checked as the publishing form checks it; the rows that pass are published
together by :func:`trips.publish_many`, which has the RQ ``routes`` workers route
them when REDIS_URL is set. A row that is refused is reported with its line and
the reason, and publishes nothing; the others are published all the same.

The file (UTF-8, comma- or semicolon-separated, a header line first):

========================  =================================================
``driver``                e-mail address of a member (the trip's driver)
``origin``, ``destination``  a place of the region by name, or ``lat, lon``
``day``, ``time``         local departure: ``2026-12-24`` (or ``24/12/2026``)
                          and ``08:30`` (or ``8h30``)
``seats``                 seats offered, 1 to 8
``detour_min``            optional: minutes of detour accepted (10)
``contribution``          optional: per passenger, in the site's currency
                          (``7.50``); blank: the suggested contribution
``stopovers``             optional: places separated by ``|``
``comment``               optional
========================  =================================================
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import TypeVar

from flask_babel import lazy_gettext as _l

from . import accounts, trips
from .messages import ServiceError

__all__ = ["REQUIRED", "ImportReport", "TripFileError", "import_csv"]

REQUIRED = frozenset({"driver", "origin", "destination", "day", "time", "seats"})
#: The publishing form's default detour.
DEFAULT_DETOUR_MIN = 10

T = TypeVar("T")


class TripFileError(ServiceError):
    """A file that cannot be read as trips at all."""


@dataclass(frozen=True)
class ImportReport:
    """What an import did: the trips published (line, id) and the lines refused
    (line, reason), lines counted from 1 with the header."""

    published: tuple[tuple[int, int], ...]
    refused: tuple[tuple[int, str], ...]


def import_csv(text: str) -> ImportReport:
    """Publish the trips of a CSV file's ``text`` (see the module's text).

    Raises
    ------
    TripFileError
        For a file without a header line or without a required column.
    routing.RouterUnavailable
        When the routing server does not answer: nothing is published.
    """
    rows = _rows(text)
    drafts: list[tuple[int, tuple[int, trips.TripDraft]]] = []
    refused: list[tuple[int, str]] = []
    for line, row in rows:
        try:
            drafts.append((line, _draft(row)))
        except ServiceError as error:
            refused.append((line, str(error.message)))
    result = trips.publish_many([draft for _, draft in drafts])
    published = []
    for position, ((line, _), trip_id) in enumerate(zip(drafts, result.ids, strict=True)):
        if trip_id is None:
            refused.append((line, str(result.refused[position].message)))
        else:
            published.append((line, trip_id))
    return ImportReport(published=tuple(published), refused=tuple(sorted(refused)))


def _rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """The file's rows by line number, their columns named by the header."""
    try:
        dialect = csv.Sniffer().sniff(text.partition("\n")[0], delimiters=",;")
    except csv.Error:
        dialect = csv.excel  # one column, or none: the header check says what lacks
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), dialect=dialect)
    header = {(name or "").strip().lower() for name in reader.fieldnames or ()}
    missing = sorted(REQUIRED - header)
    if missing:
        raise TripFileError(_l("The file lacks these columns: %(columns)s.", columns=", ".join(missing)))
    return [
        (reader.line_num, {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k})
        for row in reader
    ]


def _draft(row: dict[str, str]) -> tuple[int, trips.TripDraft]:
    """The driver's id and the draft of one row.

    Raises
    ------
    ServiceError
        For an unknown driver or place, or a value not in its column's form.
    """
    driver = accounts.find_by_email(row["driver"])
    if driver is None:
        raise ServiceError(_l("No member has the e-mail address “%(email)s”.", email=row["driver"]))
    day, hour = _read(row, "day", _day), _read(row, "time", _hour)
    named = trips.NamedTrip(
        origin=row["origin"],
        destination=row["destination"],
        stopovers=tuple(name for name in row.get("stopovers", "").split("|") if name.strip()),
        day=day,
        hour=hour,
        seats=_read(row, "seats", int),
        max_detour_min=_read(row, "detour_min", lambda value: int(value or DEFAULT_DETOUR_MIN)),
        contribution_cents=_read(row, "contribution", _cents),
        comment=row.get("comment", ""),
    )
    return driver.id, trips.draft_from_form(named)


#: What each column's values look like, for the messages.
_EXAMPLES = {
    "day": "2026-12-24, 24/12/2026",
    "time": "08:30, 8h30",
    "seats": "3",
    "detour_min": "10",
    "contribution": "7.50",
}
_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_HOUR = re.compile(r"(\d{1,2})\s*[:hH]\s*(\d{2})?(?::(\d{2}))?")


def _day(value: str) -> date:
    """A day as ISO 8601 writes it, or as a French spreadsheet does (day/month/year)."""
    match = _DAY.fullmatch(value)
    if match is None:
        return date.fromisoformat(value)
    return date(int(match[3]), int(match[2]), int(match[1]))


def _hour(value: str) -> time:
    """An hour as ``08:30``, ``8:30``, ``8h30`` or ``8h``."""
    match = _HOUR.fullmatch(value)
    if match is None:
        raise ValueError(value)
    return time(int(match[1]), int(match[2] or 0), int(match[3] or 0))


def _read(row: dict[str, str], column: str, parse: Callable[[str], T]) -> T:
    value = row.get(column, "")
    try:
        return parse(value)
    except (ValueError, ArithmeticError) as error:
        raise ServiceError(
            _l(
                "%(column)s: “%(value)s” is not in the expected form, such as %(example)s.",
                column=column,
                value=value,
                example=_EXAMPLES[column],
            )
        ) from error


def _cents(amount: str) -> int | None:
    """An amount in the currency's units as cents; None for none (blank)."""
    if not amount:
        return None
    value = Decimal(amount.replace(",", "."))
    if not value.is_finite():
        raise ValueError(amount)
    return trips.cents(value)
