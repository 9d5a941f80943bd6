"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Float
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

__all__ = ["UTCDateTime", "posix_seconds"]


class UTCDateTime(TypeDecorator[datetime]):
    """A moment, stored in UTC and always read back time-zone aware.

    PostgreSQL keeps the time zone; SQLite keeps none and returns naive values. This
    type makes both behave alike, so no code above it has to guess: it accepts only
    aware datetimes, converts them to UTC before storing (comparisons in queries
    included) and marks what it reads as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a moment needs a time zone: {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class posix_seconds(FunctionElement[float]):
    """A moment's seconds since 1970-01-01 UTC, computed by the database: a number
    per row where a query reads thousands of moments only to compare and rank them
    (a :class:`UTCDateTime` read back costs a ``datetime`` each). To the microsecond.
    """

    type = Float()
    inherit_cache = True


@compiles(posix_seconds)
def _posix_seconds_sqlite(element: posix_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # UTCDateTime's text, "YYYY-MM-DD HH:MM:SS.ffffff": the whole seconds by strftime,
    # then the microseconds (SQLite's own date functions stop at the millisecond).
    moment = compiler.process(element.clauses, **kw)
    return f"(strftime('%s', substr({moment}, 1, 19)) + substr({moment}, 21, 6) / 1000000.0)"


@compiles(posix_seconds, "postgresql")
def _posix_seconds_postgresql(element: posix_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date_part('epoch', {compiler.process(element.clauses, **kw)})"
