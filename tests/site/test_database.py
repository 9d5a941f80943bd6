"""The database refuses what the site must never store, on SQLite as on PostgreSQL,
and SQLite is set up for workers that read while another writes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, literal, select, text
from sqlalchemy.exc import IntegrityError

from carpool.extensions import db
from carpool.models import TripStop
from carpool.models.types import UTCDateTime, posix_seconds


def test_a_reference_to_nothing_is_refused(app: Flask) -> None:
    """A stop of a trip that does not exist: SQLite checks references as PostgreSQL does."""
    with app.app_context():
        db.session.add(TripStop(trip_id=987_654, position=0, name="Nowhere", lat=43.7, lon=7.4, offset_s=0.0))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(TripStop)) == 0


def test_sqlite_readers_do_not_wait_for_a_writer(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's own settings; PostgreSQL has none of these")  # CI runs both
        with db.engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("synchronous") == 2  # FULL: a commit is on the disk when it returns
        # A transaction that writes does not stop another connection from reading.
        with db.engine.connect() as writer, db.engine.connect() as reader:
            writer.execute(
                text(
                    "INSERT INTO place (name, search_key, kind, lat, lon, population, source, source_id)"
                    " VALUES ('Eze', 'eze', 'village', 43.73, 7.36, 0, 'test', '1')"
                )
            )
            assert reader.execute(text("SELECT count(*) FROM place WHERE name = 'Eze'")).scalar() == 0
            writer.commit()
            assert reader.execute(text("SELECT count(*) FROM place WHERE name = 'Eze'")).scalar() == 1


def test_postgresql_plans_for_the_sites_server(app: Flask) -> None:
    """PostgreSQL's planner is told that its pages are in memory, and plans each
    statement for its values, unless the connection's own options say otherwise."""
    from sqlalchemy import create_engine

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's planner; SQLite has no such setting")  # CI runs both
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW seq_page_cost").scalar() == "0.1"
            assert connection.exec_driver_sql("SHOW random_page_cost").scalar() == "0.11"
            assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
            assert connection.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar() == "0"
        # Either spelling PostgreSQL reads; the two page costs go together, so the other
        # one is the server's own (1 by default), not the site's 0.1.
        for options in ("-c random_page_cost=3", "--random-page-cost=3"):
            own = create_engine(db.engine.url, connect_args={"options": options})
            try:
                with own.connect() as connection:
                    assert connection.exec_driver_sql("SHOW random_page_cost").scalar() == "3"
                    assert connection.exec_driver_sql("SHOW seq_page_cost").scalar() == "1"
                    assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
                    assert connection.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar() == "0"
            finally:
                own.dispose()


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 5, 8, 30, tzinfo=UTC),
        datetime(2027, 3, 28, 2, 59, 59, 123_000, tzinfo=UTC),  # to the millisecond
        datetime(2027, 10, 31, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Paris")),  # stored in UTC: 01:30
        datetime(2026, 6, 1, 12, 0, 0, 123_456, tzinfo=UTC),
        datetime(2026, 6, 1, 12, 0, 59, 999_600, tzinfo=UTC),  # a millisecond would round it to 12:01
        datetime(1969, 12, 31, 23, 59, 30, 250_000, tzinfo=UTC),
    ],
)
def test_the_database_counts_a_moments_seconds_as_python_does(app: Flask, moment: datetime) -> None:
    """What the search ranks thousands of candidates by, without a ``datetime`` each:
    the seconds since 1970 of a stored moment, to the microsecond (SQLite's own date
    functions stop at the millisecond)."""
    with app.app_context():
        seconds = db.session.scalar(select(posix_seconds(literal(moment, UTCDateTime()))))
        assert isinstance(seconds, float)
        assert seconds == pytest.approx(moment.timestamp(), abs=1e-7)
