"""What a suspended or banned member can no longer do, wherever they try, and what
the association's figures leave out: checked after a review of the whole site."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from carpool.extensions import db
from carpool.models import MailJob, NoShow, Review, Trip, User
from carpool.services import bookings, moderation, reviews, stats
from carpool.services.alerts import AlertWish, create_alert
from carpool.services.trips import publish
from tests.site.test_alerts import point
from tests.site.test_bookings import ask, member
from tests.site.test_search import on_the_way
from tests.site.test_trips import TOMORROW, draft

ARRIVED = TOMORROW + timedelta(hours=2)


def suspend(user_id: int) -> None:
    user = db.session.get(User, user_id)
    assert user is not None
    user.suspended_until = TOMORROW + timedelta(days=60)
    db.session.commit()


def test_a_suspended_member_neither_reviews_nor_reports_a_no_show(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        booking = bookings.request_booking(alix, ask(publish(driver, draft())))
        bookings.accept(booking, driver)
        suspend(alix)
        with pytest.raises(reviews.ReviewError):
            reviews.write_review(booking, alix, 1, "Nul", now=ARRIVED)
        with pytest.raises(reviews.NoShowError):
            reviews.report_no_show(booking, alix, now=ARRIVED)
        assert db.session.query(Review).count() == 0 and db.session.query(NoShow).count() == 0


def test_a_suspended_driver_does_not_answer_bookings(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        booking = bookings.request_booking(alix, ask(publish(driver, draft())))
        suspend(driver)
        with pytest.raises(bookings.BookingError):
            bookings.accept(booking, driver)
        with pytest.raises(bookings.BookingError):
            bookings.decline(booking, driver)
        assert bookings.get_booking(booking, alix).status == "requested"


def test_a_suspended_administrator_does_not_moderate(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        admin = db.session.get(User, driver)
        assert admin is not None
        admin.is_admin = True
        db.session.commit()
        moderation.require_moderator(driver)
        suspend(driver)
        with pytest.raises(moderation.NotAModerator):
            moderation.require_moderator(driver)
        assert alix  # (the member exists; nothing was done to them)


def test_a_suspended_member_gets_no_alert_mail(app: Flask, driver: int) -> None:
    pickup, dropoff = on_the_way(app)
    alix = member(app, "Alix")
    with app.app_context():
        create_alert(alix, AlertWish(point(pickup), point(dropoff), day=TOMORROW.date()))
        suspend(alix)
        publish(driver, draft())
        assert db.session.scalars(select(MailJob).where(MailJob.group.like("alert:%"))).all() == []


def test_the_figures_leave_out_what_the_moderators_withdrew(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        kept = publish(driver, draft())
        withdrawn = publish(driver, draft(departure=TOMORROW + timedelta(hours=3)))
        for trip_id in (kept, withdrawn):
            bookings.accept(bookings.request_booking(alix, ask(trip_id)), driver)
        trip = db.session.get(Trip, withdrawn)
        assert trip is not None
        trip.status = "hidden"
        db.session.commit()
        report = stats.transparency(now=TOMORROW + timedelta(days=1))
        assert report.total.trips == 1 and report.total.seats == 1
