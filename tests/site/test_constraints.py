"""The database itself refuses what the services never store: were a bug, a script or
a hand-made change to try, each invariant holds and the row stays as it was. (The
services' own refusals, with their messages, are tested with each service.)"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from carpool.extensions import db
from carpool.models import Booking, NoShow, RegularTrip, Review, Trip, User
from tests.site.test_bookings import member
from tests.site.test_reviews import accepted


def _refused(model: Any, row_id: int, **values: object) -> None:
    """An UPDATE of ``values`` is refused, and the row is unchanged."""
    before = db.session.execute(select(model).where(model.id == row_id)).scalar_one()
    kept = {name: getattr(before, name) for name in values}
    with pytest.raises(IntegrityError):
        db.session.execute(update(model).where(model.id == row_id).values(**values))
        db.session.commit()
    db.session.rollback()
    after = db.session.execute(select(model).where(model.id == row_id)).scalar_one()
    assert {name: getattr(after, name) for name in values} == kept


def _refused_row(row: object) -> None:
    """An INSERT of ``row`` is refused, and nothing of it is stored."""
    table = type(row)
    count = db.session.query(table).count()
    db.session.add(row)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.query(table).count() == count


@pytest.mark.parametrize(
    "values",
    [
        {"seats": 0},
        {"seats": 100},
        {"max_detour_s": -1},
        {"contribution_cents": -50},
        {"luggage": "piano"},
        {"status": "sold"},
    ],
)
def test_a_trip_cannot_hold_what_no_trip_is(app: Flask, driver: int, values: dict[str, object]) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        booking = db.session.get(Booking, accepted(driver, alix))
        assert booking is not None
        _refused(Trip, booking.trip_id, **values)


@pytest.mark.parametrize(
    "values",
    [
        {"seats": 0},
        {"seats": 100},
        {"price_cents": -1},  # the driver would pay the passenger
        {"status": "paid"},
        {"pickup_offset_s": 10_000.0, "dropoff_offset_s": 60.0},  # dropped before picked up
    ],
)
def test_a_booking_cannot_hold_what_no_booking_is(app: Flask, driver: int, values: dict[str, object]) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        _refused(Booking, accepted(driver, alix), **values)


def test_one_account_per_address(app: Flask, driver: int) -> None:
    with app.app_context():
        _refused_row(User(email="driver@example.org", display_name="Twin", password_hash="-"))
        db.session.add(User(email="twin@example.org", display_name="Twin", password_hash="-"))
        db.session.commit()  # the same row with an address of its own is taken


def test_reviews_one_per_booking_and_author_never_of_oneself(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        booking_id = accepted(driver, alix)
        db.session.add(Review(booking_id=booking_id, author_id=alix, subject_id=driver, rating=4))
        db.session.commit()
        _refused_row(Review(booking_id=booking_id, author_id=alix, subject_id=driver, rating=2))
        _refused_row(Review(booking_id=booking_id, author_id=driver, subject_id=alix, rating=6))
        _refused_row(Review(booking_id=booking_id, author_id=driver, subject_id=driver, rating=5))
        _refused_row(NoShow(booking_id=booking_id, reporter_id=alix, reported_id=alix))


def test_a_regular_trip_has_a_known_status_and_its_dates_in_order(app: Flask, driver: int) -> None:
    with app.app_context():
        series = RegularTrip(
            driver_id=driver, times=",,,,08:00,,", start_on=date(2027, 1, 4), end_on=date(2027, 2, 1)
        )
        db.session.add(series)
        db.session.commit()
        _refused(RegularTrip, series.id, status="paused")
        _refused(RegularTrip, series.id, end_on=date(2026, 12, 1))
