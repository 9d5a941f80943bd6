"""Reviews, trust figures and no-shows: after a completed trip the driver and each
passenger rate each other; the profile counts what really happened; every refusal
says why and changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from carpool.extensions import db
from carpool.models import Booking, MailJob, NoShow, Review, Trip, User
from carpool.services import bookings, members, reviews
from carpool.services.reviews import (
    NoShowError,
    NotTravelling,
    ReviewError,
    ReviewFieldError,
    UnknownBooking,
    report_no_show,
    review_page,
    write_review,
)
from carpool.services.trips import cancel, publish
from tests.site.test_auth import sign_in, token_of
from tests.site.test_bookings import ask, member
from tests.site.test_notifications import speaks
from tests.site.test_pages import PASSWORD, members_created
from tests.site.test_trips import TOMORROW, draft

#: Well after the drop-off of a trip leaving TOMORROW at 8:00 across Monaco.
ARRIVED = TOMORROW + timedelta(hours=2)
#: A moment between the pickup at the start of the trip and the drop-off at its end.
ON_BOARD = TOMORROW + timedelta(seconds=30)


def accepted(driver: int, passenger: int, **changes: object) -> int:
    """A real booking on a real Monaco trip, accepted by the driver; its id."""
    trip_id = publish(driver, draft(**changes))
    booking_id = bookings.request_booking(passenger, ask(trip_id))
    bookings.accept(booking_id, driver)
    return booking_id


def stored() -> tuple[object, ...]:
    """Everything a review or a report could change, to check that a refusal did not."""
    db.session.rollback()
    return (
        db.session.execute(select(Review.id, Review.rating, Review.comment, Review.updated_at)).all(),
        db.session.execute(select(NoShow.id, NoShow.reporter_id)).all(),
        db.session.scalars(select(MailJob.subject)).all(),
    )


def refused(error: type[Exception], attempt: Callable[[], object]) -> Exception:
    """The refusal ``attempt`` meets, once sure it left the database as it was."""
    before = stored()
    with pytest.raises(error) as raised:
        attempt()
    assert stored() == before
    return raised.value


def review_mails(app: Flask) -> list[MailJob]:
    with app.app_context():
        return list(
            db.session.scalars(select(MailJob).where(MailJob.subject.in_(("Nouvel avis", "New review"))))
        )


# The service.


def test_the_driver_and_the_passenger_review_each_other_after_the_trip(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        booking_id = accepted(driver, alix)
        by_passenger = write_review(booking_id, alix, 5, "  Ponctuelle\x00 et\r\nsympathique ", now=ARRIVED)
        by_driver = write_review(booking_id, driver, 4, now=ARRIVED)
        review = db.session.get(Review, by_passenger)
        assert review is not None and by_driver != by_passenger
        assert (review.author_id, review.subject_id, review.rating) == (alix, driver, 5)
        assert review.comment == "Ponctuelle et\nsympathique" and review.created_at == ARRIVED
        other = db.session.get(Review, by_driver)
        assert other is not None and (other.subject_id, other.comment) == (alix, "")
        page = review_page(booking_id, alix, now=ARRIVED)
        assert (page.other_id, page.other_name, page.rating) == (driver, "Camille", 5)
        assert page.editable_until == ARRIVED + timedelta(days=14)
        assert reviews.write_review(booking_id, alix, 3, "x" * 1000, now=ARRIVED) == by_passenger  # the most


def test_reviews_are_refused_to_others_before_the_end_and_without_a_trip(app: Flask, driver: int) -> None:
    alix, sam, lou, stranger = (member(app, name) for name in ("Alix", "Sam", "Lou", "Dominique"))
    with app.app_context():
        booking_id = accepted(driver, alix)
        refused(NotTravelling, lambda: write_review(booking_id, stranger, 5, now=ARRIVED))
        refused(NotTravelling, lambda: review_page(booking_id, stranger, now=ARRIVED))
        refused(UnknownBooking, lambda: write_review(999_999, alix, 5, now=ARRIVED))
        for moment in (TOMORROW - timedelta(hours=1), ON_BOARD):  # before the pickup, on the way
            error = refused(ReviewError, lambda m=moment: write_review(booking_id, alix, 5, now=m))
            assert (
                str(error.message)
                == "Vous pourrez donner votre avis sur ce trajet une fois qu’il sera terminé."
            )
        declined = bookings.request_booking(sam, ask(publish(driver, draft())))
        bookings.decline(declined, driver, "Complet")
        error = refused(ReviewError, lambda: write_review(declined, sam, 5, now=ARRIVED))
        with force_locale("en"):
            assert str(error.message) == "Only the trip of an accepted booking can be reviewed."
        cancelled = accepted(driver, lou)
        bookings.cancel_booking(cancelled, lou)
        refused(ReviewError, lambda: write_review(cancelled, lou, 5, now=ARRIVED))
        refused(ReviewError, lambda: write_review(cancelled, driver, 1, now=ARRIVED))
        trip_cancelled = accepted(driver, sam, departure=TOMORROW + timedelta(hours=3))
        booking = db.session.get(Booking, trip_cancelled)
        assert booking is not None
        cancel(booking.trip_id, driver, "Panne")
        refused(ReviewError, lambda: write_review(trip_cancelled, sam, 5, now=ARRIVED + timedelta(hours=3)))


@pytest.mark.parametrize("rating", [0, 6, -1, 100, 4.5, True])
def test_a_rating_outside_one_to_five_is_refused(app: Flask, driver: int, rating: object) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        booking_id = accepted(driver, alix)
        error = refused(ReviewFieldError, lambda: write_review(booking_id, alix, rating, now=ARRIVED))  # type: ignore[arg-type]
        assert isinstance(error, ReviewFieldError) and error.field == "rating"
        assert str(error.message) == "Choisissez une note de 1 à 5 étoiles."


def test_a_comment_too_long_is_refused(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        booking_id = accepted(driver, alix)
        error = refused(ReviewFieldError, lambda: write_review(booking_id, alix, 4, "x" * 1001, now=ARRIVED))
        assert isinstance(error, ReviewFieldError) and error.field == "comment"
        assert "1000" in str(error.message)


def test_the_database_itself_keeps_one_review_per_booking_and_author_and_ratings_in_range(
    app: Flask, driver: int
) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        booking_id = accepted(driver, alix)
        write_review(booking_id, alix, 4, now=ARRIVED)
        report_no_show(booking_id, driver, now=ARRIVED)
        for row in (
            Review(booking_id=booking_id, author_id=alix, subject_id=driver, rating=2),  # a second one
            Review(booking_id=booking_id, author_id=driver, subject_id=alix, rating=6),
            NoShow(booking_id=booking_id, reporter_id=driver, reported_id=alix),  # a second one
        ):
            db.session.add(row)
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()


def test_a_review_changes_for_fourteen_days_then_no_longer(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        booking_id = accepted(driver, alix)
        first = write_review(booking_id, alix, 3, "Correct", now=ARRIVED)
        later = ARRIVED + timedelta(days=14) - timedelta(minutes=1)
        assert (
            write_review(booking_id, alix, 5, "Finalement très bien", now=later) == first
        )  # the same review
        review = db.session.get(Review, first)
        assert review is not None
        assert (review.rating, review.comment, review.created_at, review.updated_at) == (
            5,
            "Finalement très bien",
            ARRIVED,
            later,
        )
        assert db.session.query(Review).count() == 1
        for too_late in (ARRIVED + timedelta(days=14), ARRIVED + timedelta(days=40)):
            error = refused(ReviewError, lambda t=too_late: write_review(booking_id, alix, 1, "Non", now=t))
            assert "pendant 14 jours" in str(error.message)
            refused(ReviewError, lambda t=too_late: review_page(booking_id, alix, now=t))
        # The driver's own review has its own fourteen days.
        write_review(booking_id, driver, 4, now=ARRIVED + timedelta(days=20))
        write_review(booking_id, driver, 5, now=ARRIVED + timedelta(days=33))


def test_the_edit_window_follows_the_configuration(app: Flask, driver: int) -> None:
    app.config["REVIEW_EDIT_DAYS"] = 2
    alix = member(app, "Alix")
    with app.app_context():
        booking_id = accepted(driver, alix)
        write_review(booking_id, alix, 3, now=ARRIVED)
        write_review(booking_id, alix, 4, now=ARRIVED + timedelta(days=1))
        error = refused(
            ReviewError, lambda: write_review(booking_id, alix, 5, now=ARRIVED + timedelta(days=2))
        )
        with force_locale("en"):
            assert "changed for 2 days" in str(error.message)


def test_the_review_mail_is_queued_once_in_the_recipients_language(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    speaks(app, alix, "en")
    with app.app_context():
        booking_id = accepted(driver, alix)
        write_review(booking_id, driver, 4, "Très agréable, à bientôt", now=ARRIVED)
        write_review(booking_id, driver, 5, "Changé d’avis", now=ARRIVED + timedelta(days=1))
    (mail,) = review_mails(app)
    assert mail.to == "alix@example.org" and mail.subject == "New review"
    assert (
        "Hello Alix," in mail.body
        and "Camille reviewed you after the trip you made together: 4/5." in mail.body
    )
    assert "Très agréable, à bientôt" in mail.body and f"/members/{alix}" in mail.body
    with app.app_context():
        write_review(booking_id, alix, 5, now=ARRIVED)
    assert [m.subject for m in review_mails(app)] == ["New review", "Nouvel avis"]
    french = review_mails(app)[1]
    assert french.to == "driver@example.org" and "Alix a donné son avis sur vous" in french.body


def test_a_member_who_turned_the_review_mail_off_gets_none(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    speaks(app, driver, "fr", mail_off="review_received")
    with app.app_context():
        write_review(accepted(driver, alix), alix, 2, now=ARRIVED)
        assert members.get_profile(driver).mails == tuple(
            kind for kind in members.NOTIFICATIONS if kind != "review_received"
        )
    assert review_mails(app) == []


def test_no_shows_are_reported_after_the_pickup_once_by_each_side(app: Flask, driver: int) -> None:
    alix, sam, stranger = member(app, "Alix"), member(app, "Sam"), member(app, "Lou")
    with app.app_context():
        booking_id = accepted(driver, alix)
        error = refused(
            NoShowError, lambda: report_no_show(booking_id, driver, now=TOMORROW - timedelta(minutes=5))
        )
        assert (
            str(error.message) == "Une absence peut être signalée une fois l’heure de prise en charge passée."
        )
        refused(NotTravelling, lambda: report_no_show(booking_id, stranger, now=ARRIVED))
        refused(UnknownBooking, lambda: report_no_show(999_999, driver, now=ARRIVED))
        report_no_show(booking_id, driver, "Personne\x00 au rendez-vous", now=ON_BOARD)
        error = refused(NoShowError, lambda: report_no_show(booking_id, driver, now=ARRIVED))
        assert str(error.message) == "Vous avez déjà signalé cette absence."
        report_no_show(booking_id, alix, now=TOMORROW + timedelta(days=14) - timedelta(seconds=1))
        reported = db.session.execute(
            select(NoShow.reporter_id, NoShow.reported_id, NoShow.note).order_by(NoShow.id)
        ).all()
        assert [tuple(row) for row in reported] == [
            (driver, alix, "Personne au rendez-vous"),
            (alix, driver, ""),
        ]
        late = accepted(driver, sam, departure=TOMORROW + timedelta(hours=1))
        refused(NoShowError, lambda: report_no_show(late, driver, now=TOMORROW + timedelta(days=15)))
        requested = bookings.request_booking(sam, ask(publish(driver, draft())))
        refused(NoShowError, lambda: report_no_show(requested, driver, now=ARRIVED))
        bookings.decline(requested, driver)
        refused(NoShowError, lambda: report_no_show(requested, sam, now=ARRIVED))


def test_what_a_booking_shows_after_the_trip(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        booking_id = accepted(driver, alix)
        before = bookings.get_booking(booking_id, alix, now=TOMORROW - timedelta(hours=1)).after
        assert not (before.completed or before.review_open or before.no_show_open)
        on_board = bookings.get_booking(booking_id, alix, now=ON_BOARD).after
        assert on_board.no_show_open and not on_board.review_open
        write_review(booking_id, alix, 4, now=ARRIVED)
        report_no_show(booking_id, driver, now=ARRIVED)
        after = bookings.get_booking(booking_id, alix, now=ARRIVED).after
        assert (after.completed, after.rating, after.review_open, after.no_show_open) == (True, 4, True, True)
        by_driver = bookings.get_booking(booking_id, driver, now=ARRIVED).after
        assert by_driver.review_open and by_driver.rating is None and by_driver.no_show_reported
        much_later = bookings.get_booking(booking_id, alix, now=ARRIVED + timedelta(days=30)).after
        assert much_later.completed and not much_later.review_open and not much_later.no_show_open
        mine = bookings.my_trips(driver, now=ARRIVED)
        assert [b.after.review_open for *_, held in mine.past_driving for b in held] == [True]


def test_the_profile_figures_come_from_real_bookings(app: Flask, driver: int) -> None:
    alix, sam, lou, dom = (member(app, name) for name in ("Alix", "Sam", "Lou", "Dominique"))
    the_day_after = TOMORROW + timedelta(days=1)
    with app.app_context():
        first = publish(driver, draft())
        alix_first, sam_first, lou_first = (bookings.request_booking(p, ask(first)) for p in (alix, sam, lou))
        for booking_id in (alix_first, sam_first, lou_first):
            bookings.accept(booking_id, driver)
        accepted(driver, alix, departure=the_day_after)
        publish(driver, draft(departure=TOMORROW + timedelta(hours=5)))  # leaves, but nobody comes along
        declined = bookings.request_booking(dom, ask(publish(driver, draft(departure=the_day_after))))
        bookings.decline(declined, driver)
        # Late cancellations: one by a passenger, one by the driver; one in good time does not count.
        later = TOMORROW + timedelta(days=3)
        dom_late, lou_late = accepted(driver, dom, departure=later), accepted(driver, lou, departure=later)
        bookings.cancel_booking(dom_late, dom, "Empêchée", now=later - timedelta(hours=2))
        bookings.cancel_booking(lou_late, driver, "Plus de place", now=later - timedelta(hours=3))
        in_time = accepted(driver, sam, departure=later)
        bookings.cancel_booking(in_time, sam, now=later - timedelta(days=2))
        write_review(alix_first, alix, 5, now=ARRIVED)
        write_review(sam_first, sam, 4, now=ARRIVED + timedelta(hours=1))
        write_review(lou_first, lou, 4, now=ARRIVED + timedelta(days=1))
        write_review(alix_first, driver, 2, now=ARRIVED)
        report_no_show(lou_first, driver, now=ARRIVED)

        now_figures = members.public_profile(driver, now=TOMORROW - timedelta(hours=1)).trust
        assert (now_figures.driven, now_figures.ridden) == (0, 0)
        assert (now_figures.reviews, now_figures.average_rating) == (3, Decimal("4.3"))  # 13 / 3
        assert now_figures.late_cancellations == 1 and now_figures.no_shows == 0
        assert members.public_profile(driver, now=ARRIVED).trust.driven == 1
        at_the_end = the_day_after + timedelta(hours=2)
        camille = members.public_profile(driver, now=at_the_end)
        assert (camille.trust.driven, camille.trust.ridden) == (2, 0)
        assert [(r.author_name, r.rating) for r in camille.reviews] == [("Lou", 4), ("Sam", 4), ("Alix", 5)]
        assert camille.reviews[0].author_id == lou
        alix_figures = members.public_profile(alix, now=at_the_end).trust
        assert (alix_figures.ridden, alix_figures.driven, alix_figures.average_rating) == (
            2,
            0,
            Decimal("2.0"),
        )
        assert members.public_profile(alix, now=ARRIVED).trust.ridden == 1
        lou_figures = members.public_profile(lou, now=at_the_end).trust
        assert (lou_figures.ridden, lou_figures.no_shows, lou_figures.late_cancellations) == (1, 1, 0)
        dom_figures = members.public_profile(dom, now=at_the_end).trust
        assert (dom_figures.ridden, dom_figures.late_cancellations, dom_figures.average_rating) == (
            0,
            1,
            None,
        )
        sam_figures = members.public_profile(sam, now=at_the_end).trust
        assert (sam_figures.ridden, sam_figures.late_cancellations) == (1, 0)


def test_an_average_is_rounded_half_up_to_one_decimal() -> None:
    assert reviews._average(17, 4) == Decimal("4.3")  # 4.25
    assert reviews._average(9, 2) == Decimal("4.5") and reviews._average(0, 0) is None


# The pages.


def into_the_past(app: Flask, booking_id: int) -> None:
    """Pages read the real clock: the booking's trip is moved two days back, as if it
    had taken place (the services themselves are tested with ``now=``)."""
    with app.app_context():
        trip_id = db.session.scalars(select(Booking.trip_id).where(Booking.id == booking_id)).one()
        trip = db.session.get(Trip, trip_id)
        assert trip is not None
        db.session.execute(
            update(Trip).where(Trip.id == trip_id).values(departure_at=trip.departure_at - timedelta(days=2))
        )
        db.session.commit()


def completed_booking(app: Flask, driver: int, passenger: int) -> int:
    """A real booking on a trip of ``driver``, accepted, and taken place; its id."""
    with app.app_context():
        booking_id = accepted(driver, passenger)
    into_the_past(app, booking_id)
    return booking_id


def user_id(app: Flask, email: str) -> int:
    with app.app_context():
        return int(db.session.scalars(select(User.id).where(User.email == email)).one())


def switch(client: FlaskClient, email: str) -> None:
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    assert sign_in(client, email, PASSWORD).status_code == 302


def page(client: FlaskClient, path: str) -> str:
    return client.get(path).get_data(as_text=True)


def test_reviewing_through_the_pages_in_french(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    members_created(runner, "Camille", "Alix", "Dominique")
    camille, alix = user_id(app, "camille@example.org"), user_id(app, "alix@example.org")
    booking = f"/bookings/{completed_booking(app, camille, alix)}"
    sign_in(client, "alix@example.org", PASSWORD)
    shown = page(client, booking)
    assert "Après le trajet" in shown and f'href="{booking}/review"' in shown
    assert "Donner un avis sur Camille" in shown and "Absence de Camille ?" in shown
    assert f'href="{booking}/review"' in page(client, "/my/trips")
    form = page(client, booking + "/review")
    assert "Votre note" in form and "4 — bien" in form and "pendant 14 jours" in form
    before = review_mails(app)
    for wrong in ("9", "", "quatre", "9" * 5000):
        response = client.post(
            booking + "/review",
            data={"rating": wrong, "comment": "Bien", "csrf_token": token_of(client, booking)},
        )
        answer = response.get_data(as_text=True)
        assert response.status_code == 200 and "Choisissez une note de 1 à 5 étoiles." in answer
        assert 'aria-invalid="true"' in answer and "Bien</textarea>" in answer
    assert client.post(booking + "/review", data={"rating": "4"}).status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.query(Review).count() == 0
    saved = client.post(
        booking + "/review",
        data={
            "rating": "4",
            "comment": "<script>alert(1)</script> Très bien",
            "csrf_token": token_of(client, booking),
        },
    )
    assert saved.status_code == 302 and saved.headers["Location"] == booking
    shown = page(client, booking)
    assert "Votre avis est enregistré." in shown and "Votre avis sur Camille : 4/5." in shown
    assert "Modifier mon avis" in shown
    assert '<input checked id="rating-3"' in page(client, booking + "/review")
    assert len(review_mails(app)) == len(before) + 1
    profile = page(client, f"/members/{camille}")
    assert "Note moyenne de 4,0/5, sur 1 avis" in profile and "1 trajet effectué comme conducteur" in profile
    assert "0 annulation tardive" in profile and "0 absence signalée" in profile
    assert f'<a href="/members/{alix}">Alix</a>' in profile and ">4/5</span>" in profile
    assert 'aria-label="4 étoiles sur 5"' in profile and "<script>alert" not in profile
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Très bien" in profile
    assert "Pas encore d’avis" in page(client, f"/members/{alix}")
    # The driver reports a no-show, once.
    switch(client, "camille@example.org")
    assert "Absence de Alix ?" in page(client, booking)
    assert "Donner un avis sur Alix" in page(client, "/my/trips")
    for _ in range(2):
        reported = client.post(
            booking + "/no-show", data={"note": "Attendu 20 minutes", "csrf_token": token_of(client, booking)}
        )
        assert reported.status_code == 302
    shown = page(client, booking)
    assert (
        "Vous avez déjà signalé cette absence." in shown and "Vous avez signalé l’absence de Alix." in shown
    )
    assert "1 absence signalée" in page(client, f"/members/{alix}")
    # Nobody else reviews or reports.
    switch(client, "dominique@example.org")
    assert client.get(booking + "/review").status_code == 403
    assert (
        client.post(
            booking + "/review", data={"rating": "1", "csrf_token": token_of(client, "/")}
        ).status_code
        == 403
    )
    assert client.post(booking + "/no-show", data={"csrf_token": token_of(client, "/")}).status_code == 403
    for path in ("/bookings/999999/review", "/bookings/99999999999999999999/review"):
        assert client.get(path).status_code == 404
    assert (
        client.post("/bookings/999999/no-show", data={"csrf_token": token_of(client, "/")}).status_code == 404
    )


def test_reviewing_through_the_pages_in_english(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    members_created(runner, "Camille", "Sam")
    camille, sam = user_id(app, "camille@example.org"), user_id(app, "sam@example.org")
    speaks(app, sam, "en")
    with app.app_context():
        upcoming = accepted(camille, sam)
    sign_in(client, "sam@example.org", PASSWORD)
    # Not over yet: the form is refused with the reason, and no link leads to it.
    assert "Review Camille" not in page(client, f"/bookings/{upcoming}")
    early = client.get(f"/bookings/{upcoming}/review")
    assert early.status_code == 302 and early.headers["Location"] == f"/bookings/{upcoming}"
    assert "You can review this trip once it is over." in page(client, early.headers["Location"])
    into_the_past(app, upcoming)
    shown = page(client, f"/bookings/{upcoming}")
    assert "After the trip" in shown and "Review Camille" in shown and "Camille did not come?" in shown
    form = page(client, f"/bookings/{upcoming}/review")
    assert "Your rating" in form and "5 — very good" in form and "for 14 days" in form
    too_long = client.post(
        f"/bookings/{upcoming}/review",
        data={"rating": "5", "comment": "x" * 1001, "csrf_token": token_of(client, "/")},
    )
    assert too_long.status_code == 200 and 'aria-invalid="true"' in too_long.get_data(as_text=True)
    client.post(
        f"/bookings/{upcoming}/review",
        data={"rating": "5", "comment": "Great music", "csrf_token": token_of(client, "/")},
    )
    changing = page(client, f"/bookings/{upcoming}/review")
    assert "You can change your review until" in changing and "Great music</textarea>" in changing
    client.post(f"/bookings/{upcoming}/no-show", data={"note": "", "csrf_token": token_of(client, "/")})
    assert "The no-show is noted" in page(client, f"/bookings/{upcoming}")
    profile = page(client, f"/members/{camille}")
    assert "Rated 5.0/5 on average, from 1 review" in profile and "1 trip completed as a driver" in profile
    assert 'aria-label="5 stars out of 5"' in profile and "1 no-show reported" in profile
    assert "Great music" in profile and "Reviews received" in profile
    mine = page(client, "/my/trips")
    assert "Change my review" in mine and re.search(rf'href="/bookings/{upcoming}/review"', mine)
    assert "0 trips completed as a passenger" in profile
