"""A booking, or a change of one, that fails half-way leaves nothing half done: no
booking row, no step of its history, no seat taken, no mail queued; not even once
the caller, carrying on, commits something else (a worker with its next job); and
nothing stays locked. The same when the process is killed half-way (SIGKILL).

The failures are caused after the change's first writes (the seat lock, the booking
row and its history), where the mails are written: each test checks the writes were
made before it failed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Table, func, select

from carpool import ROOT, create_app
from carpool.extensions import db
from carpool.models import Booking, BookingEvent, MailJob, Trip
from carpool.services import bookings, mail, notify
from carpool.services.regular_trips import publish_regular
from carpool.services.trips import TripOptions, get_trip, publish
from tests.site.test_bookings import ask
from tests.site.test_regular_trips import SCHEDULE, dates_of, period
from tests.site.test_search import on_the_way
from tests.site.test_trips import draft


class Crash(Exception):
    """The failure the tests cause half-way through a change."""


def committed() -> dict[str, list[tuple[Any, ...]]]:
    """What another connection reads of the bookings, their history, the mails and
    the trips (with their seats' version, raised by every change of seats)."""
    with db.engine.connect() as other:
        return {
            table.name: [tuple(row) for row in other.execute(select(table).order_by(*table.primary_key))]
            for table in (Booking.__table__, BookingEvent.__table__, MailJob.__table__, Trip.__table__)
            if isinstance(table, Table)
        }


def fails_leaving_nothing(change: Callable[[], object]) -> None:
    """Run ``change``, which fails half-way: nothing of it is stored, even once the
    session it ran in is committed."""
    before = committed()
    with pytest.raises(Crash):
        change()
    assert committed() == before
    db.session.commit()  # what its caller commits next
    assert committed() == before


def test_a_request_failing_at_its_second_mail_leaves_nothing(
    app: Flask, driver: int, passenger: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        trip_id = publish(driver, draft(seats=3, options=TripOptions(instant_booking=True)))
        queue = mail.queue
        written: list[int] = []

        def queue_once(to: str, *args: Any, **kwargs: Any) -> None:
            if written:
                raise Crash("the passenger's mail")
            written.append(db.session.scalar(select(func.count()).select_from(Booking)) or 0)
            queue(to, *args, **kwargs)

        monkeypatch.setattr(mail, "queue", queue_once)
        fails_leaving_nothing(lambda: bookings.request_booking(passenger, ask(trip_id, seats=2)))
        assert written == [1]  # it failed after the booking and the driver's mail were written
        assert get_trip(trip_id).seats_left == 3
        monkeypatch.undo()
        # Nothing stands in the way of the same booking: no lock, no booking half made.
        booking_id = bookings.request_booking(passenger, ask(trip_id, seats=2))
        assert bookings.get_booking(booking_id, passenger).status == "accepted"
        assert get_trip(trip_id).seats_left == 1


def crash_when_told(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Make the notification of a change fail; returns where each booking stood, in
    the failing transaction, when it failed (its status, the steps of its history)."""
    seen: list[tuple[str, int]] = []

    def crash(booking: Booking, status: str, *, period: object = ()) -> None:
        seen.append((booking.status, len(booking.events)))
        raise Crash(status)

    monkeypatch.setattr(notify, "booking_changed", crash)
    return seen


def test_an_acceptance_failing_half_way_leaves_the_booking_requested(
    app: Flask, driver: int, passenger: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        trip_id = publish(driver, draft(seats=2))
        booking_id = bookings.request_booking(passenger, ask(trip_id, seats=2))
        seen = crash_when_told(monkeypatch)
        fails_leaving_nothing(lambda: bookings.accept(booking_id, driver))
        assert seen == [("accepted", 2)]
        assert bookings.get_booking(booking_id, passenger).status == "requested"
        assert get_trip(trip_id).seats_left == 2
        monkeypatch.undo()
        bookings.accept(booking_id, driver)
        assert get_trip(trip_id).seats_left == 0


def test_a_cancellation_failing_half_way_keeps_the_seats(
    app: Flask, driver: int, passenger: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        trip_id = publish(driver, draft(seats=2))
        booking_id = bookings.request_booking(passenger, ask(trip_id))
        bookings.accept(booking_id, driver)
        seen = crash_when_told(monkeypatch)
        fails_leaving_nothing(lambda: bookings.cancel_booking(booking_id, passenger, "Plus besoin"))
        assert seen == [("cancelled", 3)]
        view = bookings.get_booking(booking_id, passenger)
        assert view.status == "accepted" and len(view.events) == 2
        assert get_trip(trip_id).seats_left == 1


def test_a_period_failing_half_way_books_no_date(
    app: Flask, driver: int, passenger: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        regular_id = publish_regular(driver, draft(max_detour_min=5), SCHEDULE)
        first = dates_of(regular_id)[0].id
        seen = crash_when_told(monkeypatch)
        fails_leaving_nothing(lambda: bookings.request_period(passenger, period(first, pickup, dropoff)))
        assert seen == [("requested", 1)]
        monkeypatch.undo()
        bookings.request_period(passenger, period(first, pickup, dropoff))
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 4  # every date, now


def test_a_booking_killed_half_way_leaves_nothing(
    app: Flask, driver: int, passenger: int, tmp_path: Path
) -> None:
    """A real process, killed (SIGKILL: no handler, no clean-up) after the booking's
    writes and before its mails and its commit."""
    with app.app_context():
        trip_id = publish(driver, draft(seats=3))
        before = committed()
    half_way = tmp_path / "half-way"
    spec = {
        "config": {
            key: app.config[key]
            for key in (
                "SQLALCHEMY_DATABASE_URI",
                "ROAD_GRAPH",
                "MAIL_OUTBOX",
                "BABEL_TRANSLATION_DIRECTORIES",
                "SECRET_KEY",
            )
        },
        "passenger": passenger,
        "trip": trip_id,
        "half_way": str(half_way),
    }
    log = tmp_path / "child.log"
    with log.open("wb") as output:
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.site.test_bookings_crash", json.dumps(spec)],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while not half_way.exists():
            if child.poll() is not None:
                pytest.fail(f"the booking ended before it was killed:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the booking never got half-way:\n{log.read_text()}")
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert half_way.read_text() == "1"  # it was killed with the booking written, not committed
    with app.app_context():
        assert committed() == before
        assert get_trip(trip_id).seats_left == 3
        # Nothing left locked: the same booking, at once.
        booking_id = bookings.request_booking(passenger, ask(trip_id, seats=3))
        assert bookings.get_booking(booking_id, passenger).status == "requested"


def _book_until_killed(spec: dict[str, Any]) -> None:
    """The killed process: a booking that stops half-way, after its writes, until it
    is killed."""
    app = create_app({"TESTING": True, **spec["config"]})

    def stop_here(booking: Booking, status: str, *, period: object = ()) -> None:
        written = db.session.scalar(select(func.count()).select_from(Booking))
        told = Path(spec["half_way"] + ".part")
        told.write_text(str(written))
        told.rename(spec["half_way"])  # whole, for the test to read
        time.sleep(600)

    notify.booking_changed = stop_here  # type: ignore[assignment]
    with app.app_context():
        bookings.request_booking(spec["passenger"], ask(spec["trip"], seats=2))


if __name__ == "__main__":
    _book_until_killed(json.loads(sys.argv[1]))
