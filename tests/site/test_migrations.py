"""Every migration upgrades and downgrades (on SQLite, and on PostgreSQL in CI)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from carpool import ROOT
from carpool.extensions import db


def tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_downgrade_to_nothing_and_back(app: Flask) -> None:
    with app.app_context():
        assert tables() == set(db.metadata.tables)  # the migrations build the models' schema
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        assert tables() == set()
        upgrade(directory=str(ROOT / "migrations"))
        assert tables() == set(db.metadata.tables)


def test_models_need_no_migration_that_is_not_written(app: Flask) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from carpool.extensions import in_this_database

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": in_this_database})
        assert compare_metadata(context, db.metadata) == []


_BEFORE_MODERATION = "0058e3843078"
_ROWS = (
    """INSERT INTO "user" (id, email, display_name, password_hash, language, created_at)
       VALUES (1, 'driver@example.org', 'Camille', '-', 'fr', '2030-01-01 10:00:00'),
              (2, 'alix@example.org', 'Alix', '-', 'en', '2030-01-01 10:00:00')""",
    """INSERT INTO trip (id, driver_id, departure_at, seats, max_detour_s, time_s, length_m,
                        contribution_cents, currency, status, comment, created_at)
       VALUES (1, 1, '2030-01-02 08:00:00', 3, 600, 900, 12000, 100, 'EUR', 'published', '',
               '2030-01-01 10:00:00')""",
    """INSERT INTO conversation (id, trip_id, passenger_id, created_at, last_message_at)
       VALUES (1, 1, 2, '2030-01-01 10:00:00', '2030-01-01 10:00:00')""",
    """INSERT INTO conversation_report (id, conversation_id, reporter_id, reason, created_at)
       VALUES (7, 1, 2, 'Insults', '2030-01-01 11:00:00')""",
)


def test_conversation_reports_survive_the_migration_to_general_reports(app: Flask) -> None:
    from sqlalchemy import select, text

    from carpool.models import Report

    directory = str(ROOT / "migrations")
    with app.app_context():
        downgrade(directory=directory, revision=_BEFORE_MODERATION)
        with db.engine.begin() as connection:
            for statement in _ROWS:
                connection.execute(text(statement))
        upgrade(directory=directory)
        (report,) = db.session.scalars(select(Report))
        assert (report.kind, report.category, report.reporter_id, report.user_id) == (
            "conversation",
            "other",
            2,
            1,
        )
        assert (report.conversation_id, report.trip_id, report.reason) == (1, 1, "Insults")
        assert report.closed_at is None and report.created_at.hour == 11
        db.session.remove()
        # And back: members' reports of conversations return to the old table.
        downgrade(directory=directory, revision=_BEFORE_MODERATION)
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT conversation_id, reporter_id, reason FROM conversation_report")
            )
            assert [tuple(row) for row in rows] == [(1, 2, "Insults")]
        upgrade(directory=directory)


def test_search_cells_take_their_pickup_moments_from_their_trip(app: Flask, driver: int) -> None:
    """The index's entries made before their moments were kept get them from their
    trip: moments that hold (the driver is at a pickup between them), as wide as
    the cells' legs said then; ``reindex`` gives them those the site gives now."""
    from sqlalchemy import select

    from carpool.models import TripCell
    from carpool.services import trips
    from tests.site.test_trips import CASINO, TOMORROW, draft

    directory = str(ROOT / "migrations")

    def moments() -> dict[tuple[int, int], tuple[datetime, datetime]]:
        cells = db.session.scalars(select(TripCell))
        return {(c.trip_id, c.cell): (c.pickup_from, c.pickup_until) for c in cells}

    with app.app_context():
        trips.publish(driver, draft(stopovers=(CASINO,)))
        trips.publish(driver, draft(max_detour_min=3))
        made = moments()
        assert len(made) >= 2 and len({trip for trip, _ in made}) == 2
        db.session.remove()
        downgrade(directory=directory, revision="3525c4937019")
        assert "pickup_from" not in {c["name"] for c in inspect(db.engine).get_columns("trip_cell")}
        upgrade(directory=directory)
        filled = moments()
        assert filled.keys() == made.keys()
        assert all(filled[k][0] <= made[k][0] and made[k][1] <= filled[k][1] for k in made)
        trips.reindex(now=TOMORROW - timedelta(hours=1))
        assert moments() == made


def test_search_cells_keep_bounds_that_hold_until_reindexed(app: Flask, driver: int) -> None:
    """Entries made when they kept their legs' start and end (``first_s``,
    ``last_s``) keep them as the earliest and latest moments, the latest late by the
    trip's whole detour: wider than new entries, never narrower, so their trips are
    still found; ``reindex`` narrows them as publishing does."""
    from sqlalchemy import select, text

    from carpool.models import TripCell
    from carpool.services import trips
    from carpool.services.search import SearchQuery, find
    from tests.site.test_search import on_the_way
    from tests.site.test_trips import TOMORROW, draft

    directory = str(ROOT / "migrations")
    pickup, dropoff = on_the_way(app)
    query = SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date())

    def bounds() -> dict[int, tuple[float, float]]:
        rows = db.session.execute(select(TripCell.cell, TripCell.earliest_s, TripCell.latest_s))
        return {cell: (earliest, latest) for cell, earliest, latest in rows}

    with app.app_context():
        trip_id = trips.publish(driver, draft(max_detour_min=3))
        made = bounds()
        db.session.remove()
        downgrade(directory=directory, revision="0b5d7e9f3a18")
        assert {"first_s", "last_s"} <= {c["name"] for c in inspect(db.engine).get_columns("trip_cell")}
        with db.engine.begin() as connection:  # what the site wrote then: its legs' ends
            connection.execute(text("UPDATE trip_cell SET first_s = 0, last_s = 400"))
        upgrade(directory=directory)
        assert set(bounds().values()) == {(0.0, 400.0 + 180)}
        assert all(earliest >= 0 and latest <= 580 for earliest, latest in made.values())
        assert [r.trip_id for r in find(query, now=TOMORROW - timedelta(hours=1))] == [trip_id]
        trips.reindex(now=TOMORROW - timedelta(hours=1))
        assert bounds() == made


def test_trips_legs_move_from_their_stops_and_back(app: Flask, driver: int) -> None:
    """The legs the stops kept are packed into their trip, and back on a downgrade; a
    trip that kept none (routed by searches) keeps none."""
    from sqlalchemy import select, text, update

    from carpool.models import Trip
    from carpool.services.trips import publish
    from routing import LegsBatch
    from tests.site.test_trips import CASINO, draft

    directory = str(ROOT / "migrations")

    def legs() -> dict[int, bytes | None]:
        return {trip_id: packed for trip_id, packed in db.session.execute(select(Trip.id, Trip.legs))}

    with app.app_context():
        with_stopover = publish(driver, draft(stopovers=(CASINO,)))
        plain = publish(driver, draft(max_detour_min=3))
        without = publish(driver, draft())
        db.session.execute(update(Trip).where(Trip.id == without).values(legs=None))
        db.session.commit()
        made = legs()
        kept = LegsBatch.unpack([made[with_stopover]]).legs(0)
        assert len(kept.stops) == 3 and made[plain] is not None and made[without] is None
        db.session.remove()

        downgrade(directory=directory, revision="c41e0a7d9b52")
        with db.engine.connect() as connection:
            stops = connection.execute(
                text(
                    "SELECT node, leg_time_s, leg_length_m FROM trip_stop"
                    " WHERE trip_id = :t ORDER BY position"
                ),
                {"t": with_stopover},
            ).all()
            nothing = connection.execute(
                text("SELECT node FROM trip_stop WHERE trip_id = :t"), {"t": without}
            ).scalars()
            assert set(nothing) == {None}
        assert [tuple(stop) for stop in stops] == [
            (kept.stops[0], kept.leg_time_s[0], kept.leg_length_m[0]),
            (kept.stops[1], kept.leg_time_s[1], kept.leg_length_m[1]),
            (kept.stops[2], None, None),
        ]
        upgrade(directory=directory)
        assert legs() == made


def test_search_cells_claim_every_subcell_until_reindexed(app: Flask, driver: int) -> None:
    """Entries made before sub-cells were kept claim them all (-1): their trips are
    still found; ``reindex`` then gives them the masks that publishing gives."""
    from sqlalchemy import select

    from carpool.models import TripCell
    from carpool.services import trips
    from carpool.services.search import SearchQuery, find
    from tests.site.test_search import on_the_way
    from tests.site.test_trips import TOMORROW, draft

    directory = str(ROOT / "migrations")
    pickup, dropoff = on_the_way(app)
    query = SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date())

    def masks() -> dict[int, int]:
        return dict(db.session.execute(select(TripCell.cell, TripCell.subcells)).all())

    with app.app_context():
        trip_id = trips.publish(driver, draft(max_detour_min=3))
        made = masks()
        assert made and all(mask != -1 for mask in made.values())  # a 3-minute detour: some sub-cells
        db.session.remove()
        downgrade(directory=directory, revision="e7b3f19a2c64")
        assert "subcells" not in {c["name"] for c in inspect(db.engine).get_columns("trip_cell")}
        upgrade(directory=directory)
        assert set(masks().values()) == {-1}
        assert [r.trip_id for r in find(query, now=TOMORROW - timedelta(hours=1))] == [trip_id]
        trips.reindex(now=TOMORROW - timedelta(hours=1))
        assert masks() == made


def test_alerts_kept_before_their_subcells_still_match_until_reindexed(
    app: Flask, driver: int, passenger: int
) -> None:
    """Alerts kept before their sub-cells and fastest time were have none (any
    sub-cell, no time): a trip on their way still reaches them; ``trips reindex``
    then places them as setting them up does."""
    from sqlalchemy import select

    from carpool.models import Alert, AlertMatch
    from carpool.services import alerts, trips
    from tests.site.test_alerts import point
    from tests.site.test_search import on_the_way
    from tests.site.test_trips import TOMORROW, draft

    directory = str(ROOT / "migrations")
    pickup, dropoff = on_the_way(app)
    columns = (Alert.pickup_subcell, Alert.dropoff_subcell, Alert.fastest_s)
    with app.app_context():
        alert_id = alerts.create_alert(
            passenger, alerts.AlertWish(point(pickup), point(dropoff), day=TOMORROW.date())
        )
        placed = db.session.execute(select(*columns)).one()
        assert None not in placed and placed.fastest_s > 0
        db.session.remove()
        downgrade(directory=directory, revision="7a3c9e5d2b14")
        assert "fastest_s" not in {c["name"] for c in inspect(db.engine).get_columns("alert")}
        upgrade(directory=directory)
        assert db.session.execute(select(*columns)).one() == (None, None, None)
        trip_id = trips.publish(driver, draft(max_detour_min=3))
        assert db.session.scalars(
            select(AlertMatch.trip_id).where(AlertMatch.alert_id == alert_id)
        ).all() == [trip_id]
        trips.reindex(now=TOMORROW - timedelta(hours=1))
        alerts.reindex()
        assert db.session.execute(select(*columns)).one() == placed
