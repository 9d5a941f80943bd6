"""Backups: what ``flask backup`` wrote, ``flask restore`` puts back exactly, on the
database the suite runs on (SQLite, or PostgreSQL with DATABASE_URL); a backup taken
while the site writes is consistent; what is not a backup is refused, and nothing
is changed then."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, inspect, make_url, text, update

from carpool.extensions import db
from carpool.models import MailJob, User
from carpool.services import backup, bookings
from carpool.services.trips import get_trip, publish
from tests.site.conftest import MigratedDatabase
from tests.site.test_bookings import ask
from tests.site.test_security import database_snapshot
from tests.site.test_trips import CASINO, draft


def schema() -> dict[str, tuple[list[str], list[str]]]:
    """Every table of the database, with the names of its indexes and of its checks:
    what migrations add besides rows."""
    tables = inspect(db.engine)
    return {
        name: (
            sorted(str(index["name"]) for index in tables.get_indexes(name)),
            sorted(str(check["name"]) for check in tables.get_check_constraints(name)),
        )
        for name in tables.get_table_names()
    }


def public_schema() -> tuple[Any, ...] | None:
    """On PostgreSQL, the owner, privileges and comment of the schema the site's tables
    are in; None on SQLite."""
    if db.engine.url.get_backend_name() == "sqlite":
        return None
    row = db.session.execute(
        text(
            "SELECT nspowner::regrole::text, nspacl::text[], obj_description(oid, 'pg_namespace')"
            " FROM pg_namespace WHERE nspname = 'public'"
        )
    ).one()
    db.session.rollback()
    return tuple(row)


def newer_objects() -> None:
    """What a migration newer than a backup adds: a table with its index and a row, an
    index on a table of the backup."""
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE newer_feature (id INTEGER PRIMARY KEY, note VARCHAR(20))"))
        connection.execute(text("CREATE INDEX ix_newer_feature_note ON newer_feature (note)"))
        connection.execute(text("INSERT INTO newer_feature (id, note) VALUES (1, 'newer')"))
        connection.execute(text('CREATE INDEX ix_user_newer ON "user" (display_name, email)'))


def without_newer_objects() -> None:
    """On PostgreSQL, where the database outlives the test: what :func:`newer_objects`
    made, gone even when a test failed before its restore (the migrations' tests expect
    only the models' tables)."""
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS newer_feature"))
        connection.execute(text("DROP INDEX IF EXISTS ix_user_newer"))


def sqlite_file(app: Flask) -> Path | None:
    """The site's SQLite file, or None on PostgreSQL."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def a_booked_trip(app: Flask, driver: int, passenger: int) -> tuple[int, int]:
    """A trip with an accepted booking, made through the services (mails queued too)."""
    with app.app_context():
        trip_id = publish(driver, draft(seats=3, stopovers=(CASINO,), contribution_cents=20))
        booking_id = bookings.request_booking(passenger, ask(trip_id, seats=2))
        bookings.accept(booking_id, driver)
    return trip_id, booking_id


def test_a_backup_restores_exactly_what_it_saved(
    app: Flask,
    runner: FlaskCliRunner,
    driver: int,
    passenger: int,
    migrated_database: MigratedDatabase,
    tmp_path: Path,
) -> None:
    trip_id, booking_id = a_booked_trip(app, driver, passenger)
    with app.app_context():
        saved = database_snapshot(app)
    assert saved["booking"] and saved["booking_event"] and saved["trip_stop"] and saved["mail_job"]
    target = tmp_path / "saved"
    made = runner.invoke(args=["backup", str(target)])
    assert made.exit_code == 0, made.output
    assert f"written to {target}" in made.output and target.stat().st_size > 0
    with app.app_context():  # what is lost after the backup: changed, added, deleted
        bookings.cancel_booking(booking_id, passenger, "Plus besoin")
        publish(driver, draft())
        db.session.execute(update(User).where(User.id == passenger).values(display_name="Someone else"))
        db.session.execute(delete(MailJob))
        db.session.commit()
        assert database_snapshot(app) != saved
    restored = runner.invoke(args=["restore", "--yes", str(target)])
    assert restored.exit_code == 0, restored.output
    assert f"at revision {migrated_database.revision}" in restored.output
    with app.app_context():
        assert database_snapshot(app) == saved
        assert saved["alembic_version"] == [(migrated_database.revision,)]
        assert bookings.get_booking(booking_id, passenger).status == "accepted"
        assert get_trip(trip_id).seats_left == 1
        # The restored database goes on as the site's (its sequences too): a new trip.
        publish(driver, draft())
    if (database := sqlite_file(app)) is not None:
        assert not Path(f"{database}.part").exists()


def test_a_restore_takes_the_database_back_to_the_backups_migrations(
    app: Flask,
    runner: FlaskCliRunner,
    driver: int,
    passenger: int,
    migrated_database: MigratedDatabase,
    tmp_path: Path,
) -> None:
    """A backup taken before the last migration, restored after it (and after a newer
    one's table and indexes, and new rows): the database is the backup's again, its
    tables and indexes too, so that ``flask db upgrade`` brings it to the code's
    migrations without finding what they make there already."""
    a_booked_trip(app, driver, passenger)
    with app.app_context():
        downgrade(revision="-1")
        older = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.rollback()
        saved, saved_schema, saved_public = database_snapshot(app), schema(), public_schema()
    assert older != migrated_database.revision
    target = tmp_path / "older"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    try:
        with app.app_context():
            upgrade()  # the last migration: its checks
            newer_objects()
            publish(driver, draft())  # and the site's activity since
            assert "newer_feature" in schema() and database_snapshot(app)["trip"] != saved["trip"]
        restored = runner.invoke(args=["restore", "--yes", str(target)])
        assert restored.exit_code == 0, restored.output
        assert f"at revision {older}" in restored.output
        with app.app_context():
            assert schema() == saved_schema  # newer_feature, ix_user_newer and the checks gone
            assert database_snapshot(app) == saved and saved["alembic_version"] == [(older,)]
            assert public_schema() == saved_public  # its owner and privileges: see backup.py
            upgrade()  # flask db upgrade, as after every restore
            assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == (
                migrated_database.revision
            )
            publish(driver, draft())
    finally:
        with app.app_context():
            without_newer_objects()


def test_a_restore_that_fails_half_way_changes_nothing(
    app: Flask,
    runner: FlaskCliRunner,
    driver: int,
    passenger: int,
    migrated_database: MigratedDatabase,
    tmp_path: Path,
) -> None:
    """An archive cut short (a copy that did not end) still passes the check, its table
    of contents being whole; pg_restore fails on the last table's data, when psql has
    already dropped the schema and made it again with every other table's rows: all of
    it is rolled back, the newer objects that were dropped too."""
    if sqlite_file(app) is not None:
        pytest.skip("pg_restore's SQL fed to psql; an SQLite backup is copied whole before it is renamed")
    a_booked_trip(app, driver, passenger)
    target = tmp_path / "saved.dump"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    cut = tmp_path / "cut.dump"
    cut.write_bytes(target.read_bytes()[:-8])  # into the last table's data ("user")
    script = subprocess.run(["pg_restore", "--file=-", str(cut)], capture_output=True, text=True, check=False)
    assert script.returncode == 1, script.stderr
    assert "CREATE TABLE public.trip (" in script.stdout and "COPY public.trip (" in script.stdout
    try:
        with app.app_context():
            newer_objects()
            publish(driver, draft())
            before, before_schema, before_public = database_snapshot(app), schema(), public_schema()
            assert backup.check(cut) == migrated_database.revision  # refused only half-way
        failed = runner.invoke(args=["restore", "--yes", str(cut)])
        assert failed.exit_code == 1, failed.output
        assert (
            f"Error: {cut} could not be restored, the database is as it was: pg_restore failed:"
            in failed.output
        )
        assert "restored from" not in failed.output
        with app.app_context():
            assert database_snapshot(app) == before and schema() == before_schema
            assert public_schema() == before_public
            assert before["newer_feature"] == [(1, "newer")]
    finally:
        with app.app_context():
            without_newer_objects()


def test_a_backup_taken_while_the_site_writes_is_consistent(app: Flask, tmp_path: Path) -> None:
    """A writer commits batches of ten rows, as fast as it can, on its own connection,
    while backups are taken: each backup holds every batch committed before it began,
    and whole batches only; the writer commits while backups are copied, and is never
    stopped by one."""
    database = sqlite_file(app)
    if database is None:
        pytest.skip("SQLite's online backup; pg_dump reads one snapshot of PostgreSQL")  # CI runs both
    with closing(sqlite3.connect(database)) as site:  # 16 MB: a backup that takes a while
        site.executemany(
            "INSERT INTO place (name, search_key, kind, lat, lon, population, source, source_id)"
            " VALUES (?, 'ballast', 'village', 43.73, 7.36, 0, 'ballast', ?)",
            [("x" * 4000, str(i)) for i in range(4000)],
        )
        site.commit()
    committed = 0
    failures: list[BaseException] = []
    stop = threading.Event()

    def write() -> None:
        nonlocal committed
        try:
            with closing(sqlite3.connect(database, timeout=5, isolation_level=None)) as site:
                site.execute("PRAGMA journal_mode=WAL")
                batch = 0
                while not stop.is_set():
                    batch += 1
                    site.execute("BEGIN IMMEDIATE")
                    site.executemany(
                        "INSERT INTO place (name, search_key, kind, lat, lon, population, source, source_id)"
                        " VALUES (?, ?, 'village', 43.73, 7.36, 0, 'writer', ?)",
                        [(str(batch), f"place {batch} {i}", f"{batch}.{i}") for i in range(10)],
                    )
                    site.execute("COMMIT")
                    committed = batch
        except BaseException as error:  # seen by the test, not lost in the thread
            failures.append(error)

    writer = threading.Thread(target=write)
    writer.start()
    seen: list[int] = []
    during: list[int] = []  # batches committed while each backup was copied
    try:
        while committed < 5 and writer.is_alive():
            stop.wait(0.01)
        with app.app_context():
            for attempt in range(8):
                before = committed
                copy = backup.backup(tmp_path / f"copy-{attempt}.sqlite")
                during.append(committed - before)
                with closing(sqlite3.connect(copy)) as saved:
                    assert saved.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                    assert saved.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
                    sizes = saved.execute(
                        "SELECT CAST(name AS INTEGER), count(*) FROM place"
                        " WHERE source = 'writer' GROUP BY name ORDER BY 1"
                    ).fetchall()
                batches = [batch for batch, _ in sizes]
                assert all(size == 10 for _, size in sizes), sizes  # no batch half copied
                assert batches == list(range(1, len(batches) + 1))  # none missing
                assert len(batches) >= before  # what was committed before is in it
                assert not Path(f"{copy}-wal").exists()  # the file alone is the backup
                seen.append(len(batches))
                stop.wait(0.005)
    finally:
        stop.set()
        writer.join()
    assert not failures, failures
    assert len(set(seen)) > 1, seen  # the writer kept writing between the backups
    assert any(during), during  # and while they were copied


def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(
    app: Flask, runner: FlaskCliRunner, driver: int, passenger: int, tmp_path: Path
) -> None:
    a_booked_trip(app, driver, passenger)
    with app.app_context():
        before = database_snapshot(app)
    text_file = tmp_path / "notes.sqlite"
    text_file.write_text("Not a database, whatever its name says.\n" * 100)
    empty = tmp_path / "empty.dump"
    empty.touch()
    other = tmp_path / "other.sqlite"  # an SQLite database, but not the site's
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
        connection.commit()
    candidates = [text_file, empty, other]
    database = sqlite_file(app)
    if database is None:  # a pg_dump archive, without the site's tables
        archive = tmp_path / "nothing.dump"
        with app.app_context():
            address, environment = backup.libpq_address(db.engine.url)
        subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--exclude-schema=public",
                f"--file={archive}",
                f"--dbname={address}",
            ],
            env=environment,
            check=True,
        )
        candidates.append(archive)
    stamp = database.stat().st_mtime_ns if database else None
    for candidate in candidates:
        refused = runner.invoke(args=["restore", "--yes", str(candidate)])
        assert refused.exit_code == 1, refused.output
        assert f"Error: {candidate} is not a carpool backup" in refused.output
        assert "restored" not in refused.output
    with app.app_context():
        assert database_snapshot(app) == before
    if database is not None:
        assert database.stat().st_mtime_ns == stamp and not Path(f"{database}.part").exists()


def test_restore_asks_first(
    app: Flask, runner: FlaskCliRunner, driver: int, migrated_database: MigratedDatabase, tmp_path: Path
) -> None:
    target = tmp_path / "saved"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    with app.app_context():
        publish(driver, draft())
        before = database_snapshot(app)
    kind = "SQLite" if sqlite_file(app) else "PostgreSQL"
    declined = runner.invoke(args=["restore", str(target)], input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert f"Replace the {kind} database" in declined.output
    assert f"(revision {migrated_database.revision})?" in declined.output
    with app.app_context():
        assert database_snapshot(app) == before and before["trip"]


def test_restore_refuses_a_database_in_use(
    app: Flask, runner: FlaskCliRunner, driver: int, tmp_path: Path
) -> None:
    """SQLite: another program with the file open (the site running) would write into
    the replaced file and lose it; the restore waits for it to be stopped."""
    database = sqlite_file(app)
    if database is None:
        pytest.skip("SQLite's file; PostgreSQL's schema is replaced in a transaction")
    target = tmp_path / "saved.sqlite"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    with app.app_context():
        publish(driver, draft())
        before = database_snapshot(app)
    with closing(sqlite3.connect(database)) as site:
        site.execute("SELECT count(*) FROM trip").fetchone()  # open, as a worker keeps it
        refused = runner.invoke(args=["restore", "--yes", str(target)])
    assert refused.exit_code == 1 and "is in use: stop the site" in refused.output
    with app.app_context():
        assert database_snapshot(app) == before
    assert runner.invoke(args=["restore", "--yes", str(target)]).exit_code == 0  # once it is closed
    with app.app_context():
        assert database_snapshot(app)["trip"] == []


def test_restore_replaces_a_database_lost_or_broken(
    app: Flask, runner: FlaskCliRunner, driver: int, passenger: int, tmp_path: Path
) -> None:
    """What a restore is for: the site's file gone, or no database any more."""
    database = sqlite_file(app)
    if database is None:
        pytest.skip("SQLite's file; PostgreSQL's files are the server's")
    a_booked_trip(app, driver, passenger)
    with app.app_context():
        saved = database_snapshot(app)
    target = tmp_path / "saved.sqlite"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    for damage in ("lost", "broken"):
        with app.app_context():
            db.engine.dispose()  # as the site, stopped
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            path.unlink(missing_ok=True)
        if damage == "broken":
            database.write_bytes(b"\0" * 8192)
        restored = runner.invoke(args=["restore", "--yes", str(target)])
        assert restored.exit_code == 0, (damage, restored.output)
        with app.app_context():
            assert database_snapshot(app) == saved, damage


def test_backups_are_named_by_the_time_and_never_overwritten(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    made = runner.invoke(args=["backup"])
    assert made.exit_code == 0, made.output
    folder = tmp_path / "instance" / "backups"
    (written,) = folder.iterdir()
    assert re.fullmatch(r"carpool-\d{8}T\d{6}Z\.(sqlite|dump)", written.name)
    assert made.output.strip().endswith(f"written to {written}")
    # Every member's data is in it: for the owner's eyes only.
    assert stat.S_IMODE(written.stat().st_mode) == 0o600 and stat.S_IMODE(folder.stat().st_mode) == 0o700
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    into_folder = runner.invoke(args=["backup", str(elsewhere)])
    assert into_folder.exit_code == 0 and len(list(elsewhere.glob("carpool-*"))) == 1
    kept = written.read_bytes()
    again = runner.invoke(args=["backup", str(written)])
    assert again.exit_code == 1 and "exists already" in again.output
    assert written.read_bytes() == kept and not list(folder.glob("*.part"))


def test_postgresql_tools_get_the_address_without_the_password() -> None:
    """The password would show in the process list of every user of the machine."""
    url = make_url("postgresql+psycopg://carpool:s%40cret@db1:5433/carpool?sslmode=require")
    address, environment = backup.libpq_address(url)
    assert address == "postgresql://carpool@db1:5433/carpool?sslmode=require"
    assert environment["PGPASSWORD"] == "s@cret" and "cret" not in address
    local, environment = backup.libpq_address(make_url("postgresql+psycopg://carpool@/carpool"))
    assert local == "postgresql://carpool@/carpool"  # the local socket, as libpq reads it
    assert environment.get("PGPASSWORD") == os.environ.get("PGPASSWORD")  # none added


def test_a_missing_pg_dump_is_named(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no PostgreSQL program on it
    with pytest.raises(backup.BackupError, match=r"pg_dump is not installed.*postgresql-client"):
        backup._pg_tool("pg_dump")
    if sqlite_file(app) is None:  # the command itself, on PostgreSQL
        folder = tmp_path / "backups"
        folder.mkdir()
        failed = runner.invoke(args=["backup", str(folder / "saved.dump")])
        assert failed.exit_code == 1 and "pg_dump is not installed" in failed.output
        assert not list(folder.iterdir())  # not even a part of a file
