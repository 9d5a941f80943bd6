"""Bookings: every transition, the refusals, seats per stretch of road, and no seat
ever sold twice, even when thirty passengers ask at the same moment."""

from __future__ import annotations

import html
import re
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from carpool.extensions import db
from carpool.models import Booking, User
from carpool.services import bookings
from carpool.services.bookings import BookingError, BookingRequest, NotYourBooking
from carpool.services.trips import TripError, TripOptions, cancel, get_trip, publish, update
from tests.site.test_auth import token_of
from tests.site.test_trips import CASINO, LARVOTTO, PALACE, TOMORROW, draft


def member(app: Flask, name: str, phone: str = "") -> int:
    with app.app_context():
        user = User(email=f"{name.lower()}@example.org", display_name=name, password_hash="-", phone=phone)
        db.session.add(user)
        db.session.commit()
        return user.id


def ask(trip_id: int, seats: int = 1, start=PALACE, end=LARVOTTO) -> BookingRequest:  # type: ignore[no-untyped-def]
    return BookingRequest(
        trip_id=trip_id,
        pickup=(start.lat, start.lon),
        dropoff=(end.lat, end.lon),
        pickup_name=start.name,
        dropoff_name=end.name,
        seats=seats,
        message="Bonjour, j’ai un petit sac.",
    )


def status(booking_id: int) -> str:
    booking = db.session.get(Booking, booking_id)
    assert booking is not None
    db.session.refresh(booking)
    return booking.status


def test_request_accept_then_cancel_keeps_the_history(app: Flask, driver: int) -> None:
    passenger = member(app, "Alix")
    with app.app_context():
        trip_id = publish(driver, draft(seats=3, stopovers=(CASINO,), contribution_cents=20))
        booking_id = bookings.request_booking(passenger, ask(trip_id, seats=2))
        assert status(booking_id) == "requested"
        bookings.accept(booking_id, driver)
        assert status(booking_id) == "accepted" and get_trip(trip_id).seats_left == 1
        # Two hours before the departure: always after now (TOMORROW is 8 h away at the
        # least), and within the late-cancellation delay whatever the hour of the run.
        bookings.cancel_booking(booking_id, passenger, "Plus besoin", now=TOMORROW - timedelta(hours=2))
        view = bookings.get_booking(booking_id, passenger)
        assert [e.status for e in view.events] == ["requested", "accepted", "cancelled"]
        assert view.events[-1].note == "Plus besoin" and view.late_cancellation
        assert get_trip(trip_id).seats_left == 3
        assert view.price_cents > 0 and view.message == "Bonjour, j’ai un petit sac."


def test_declined_and_instant_bookings(app: Flask, driver: int) -> None:
    alix, sam = member(app, "Alix"), member(app, "Sam")
    with app.app_context():
        asked = publish(driver, draft())
        booking_id = bookings.request_booking(alix, ask(asked))
        bookings.decline(booking_id, driver, "Complet")
        assert status(booking_id) == "declined"
        with pytest.raises(BookingError):
            bookings.accept(booking_id, driver)
        instant = publish(driver, draft(options=TripOptions(instant_booking=True)))
        assert status(bookings.request_booking(sam, ask(instant))) == "accepted"


def test_the_refusals(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        trip_id = publish(driver, draft(seats=2, max_detour_min=0))
        with pytest.raises(BookingError):  # one's own trip
            bookings.request_booking(driver, ask(trip_id))
        with pytest.raises(BookingError):  # more seats than offered
            bookings.request_booking(alix, ask(trip_id, seats=3))
        with pytest.raises(BookingError):  # the pickup has passed
            bookings.request_booking(alix, ask(trip_id), now=TOMORROW + timedelta(hours=2))
        with pytest.raises(BookingError):  # backwards: beyond the driver's detour
            bookings.request_booking(alix, ask(trip_id, start=LARVOTTO, end=PALACE))
        bookings.request_booking(alix, ask(trip_id))
        with pytest.raises(BookingError):  # a second booking on the same trip
            bookings.request_booking(alix, ask(trip_id))
        cancelled = publish(driver, draft())
        cancel(cancelled, driver)
        with pytest.raises(BookingError):
            bookings.request_booking(alix, ask(cancelled))


def test_accepting_more_seats_than_are_left_is_refused(app: Flask, driver: int) -> None:
    alix, sam = member(app, "Alix"), member(app, "Sam")
    with app.app_context():
        trip_id = publish(driver, draft(seats=2))
        first = bookings.request_booking(alix, ask(trip_id, seats=2))
        second = bookings.request_booking(sam, ask(trip_id, seats=1))
        bookings.accept(first, driver)
        with pytest.raises(BookingError) as refused:
            bookings.accept(second, driver)
        assert "aucune place" in str(refused.value.message) or "No seat" in str(refused.value.message)
        assert status(second) == "requested"


def test_a_seat_freed_at_a_dropoff_is_booked_again_further_on(app: Flask, driver: int) -> None:
    first, second, whole = member(app, "Alix"), member(app, "Sam"), member(app, "Lou")
    with app.app_context():
        trip_id = publish(driver, draft(seats=1, stopovers=(CASINO,)))
        bookings.accept(bookings.request_booking(first, ask(trip_id, end=CASINO)), driver)
        later = bookings.request_booking(second, ask(trip_id, start=CASINO))
        bookings.accept(later, driver)
        assert status(later) == "accepted"
        with pytest.raises(BookingError):  # all the way: the seat is taken on both stretches
            bookings.request_booking(whole, ask(trip_id))


def test_a_cancelled_trip_cancels_its_bookings_and_bookings_keep_its_places(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        trip_id = publish(driver, draft(seats=3))
        booking_id = bookings.request_booking(alix, ask(trip_id, seats=2))
        bookings.accept(booking_id, driver)
        with pytest.raises(TripError):  # the places passengers booked stay
            update(trip_id, driver, draft(destination=CASINO))
        with pytest.raises(TripError):  # and so do their seats
            update(trip_id, driver, draft(seats=1))
        update(trip_id, driver, draft(seats=4, comment="Plus de place"))
        cancel(trip_id, driver, "Panne")
        view = bookings.get_booking(booking_id, alix)
        assert view.status == "cancelled" and view.events[-1].note == "Panne"


def test_only_the_passenger_and_the_driver_see_or_change_a_booking(app: Flask, driver: int) -> None:
    alix, other = member(app, "Alix", phone="06 11 22 33 44"), member(app, "Sam")
    with app.app_context():
        driver_user = db.session.get(User, driver)
        assert driver_user is not None
        driver_user.phone = "06 99 88 77 66"
        db.session.commit()
        booking_id = bookings.request_booking(alix, ask(publish(driver, draft())))
        assert bookings.get_booking(booking_id, alix).other_phone == ""  # not before acceptance
        for change in (
            lambda: bookings.get_booking(booking_id, other),
            lambda: bookings.accept(booking_id, other),
            lambda: bookings.accept(booking_id, alix),
            lambda: bookings.decline(booking_id, other),
            lambda: bookings.cancel_booking(booking_id, other),
        ):
            with pytest.raises(NotYourBooking):
                change()
        bookings.accept(booking_id, driver)
        assert bookings.get_booking(booking_id, alix).other_phone == "06 99 88 77 66"
        assert bookings.get_booking(booking_id, driver).other_phone == "06 11 22 33 44"


def test_thirty_passengers_at_once_on_a_three_seat_trip(app: Flask, driver: int) -> None:
    """Requests and acceptances race; the database lets exactly three through."""
    passengers = [member(app, f"P{i}") for i in range(30)]
    with app.app_context():
        trip_id = publish(driver, draft(seats=3))
    start = threading.Barrier(30)
    accepted: list[int] = []
    lock = threading.Lock()

    def race(passenger: int) -> None:
        with app.app_context():
            start.wait()
            try:
                booking_id = bookings.request_booking(passenger, ask(trip_id))
                bookings.accept(booking_id, driver)
            except BookingError:
                db.session.rollback()
                return
            with lock:
                accepted.append(booking_id)

    threads = [threading.Thread(target=race, args=(p,)) for p in passengers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        held = db.session.query(Booking).filter_by(trip_id=trip_id, status="accepted").count()
        assert len(accepted) == held == 3
        assert get_trip(trip_id).seats_left == 0


def test_booking_through_the_pages(app: Flask, client: FlaskClient, runner) -> None:  # type: ignore[no-untyped-def]
    from tests.site.test_auth import sign_in
    from tests.site.test_pages import PASSWORD
    from tests.site.test_pages import publish as publish_page

    assert runner.invoke(args=["places", "load"]).exit_code == 0
    for email, name in (("camille@example.org", "Camille"), ("alix@example.org", "Alix")):
        assert runner.invoke(args=["users", "create", email, name, "--password", PASSWORD]).exit_code == 0
    sign_in(client, "camille@example.org", PASSWORD)
    trip = publish_page(client).headers["Location"]
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    sign_in(client, "alix@example.org", PASSWORD)
    day = TOMORROW.date().isoformat()
    results = client.get(f"/search?origin=Cap-d'Ail&destination=Monaco&day={day}").get_data(as_text=True)
    found = re.search(r'href="(/trips/\d+\?[^"]+)"', results)
    assert found
    link = html.unescape(found.group(1))
    page = client.get(link).get_data(as_text=True)
    assert "Réserver une place" in page and "aucune commission" in page
    booked = client.post(
        trip + "/book",
        data={
            "seats": "1",
            "message": "Merci !",
            "pickup": parse_qs(urlsplit(link).query)["pickup"][0],
            "dropoff": parse_qs(urlsplit(link).query)["dropoff"][0],
            "pickup_name": "Cap-d'Ail",
            "dropoff_name": "Monaco",
            "csrf_token": token_of(client, link),
        },
    )
    assert booked.status_code == 302 and "/bookings/" in booked.headers["Location"]
    booking_page = client.get(booked.headers["Location"]).get_data(as_text=True)
    assert "En attente de la réponse du conducteur" in booking_page and "Merci !" in booking_page
    assert "Mes trajets" in client.get("/my/trips").get_data(as_text=True)
    assert "Cap-d&#39;Ail → Monaco" in client.get("/my/trips").get_data(as_text=True)
    # Nobody else reads it.
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    runner.invoke(args=["users", "create", "sam@example.org", "Sam", "--password", PASSWORD])
    sign_in(client, "sam@example.org", PASSWORD)
    assert client.get(booked.headers["Location"]).status_code == 403
    # The driver answers from the booking's page.
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    sign_in(client, "camille@example.org", PASSWORD)
    booking = booked.headers["Location"]
    answered = client.post(booking + "/accept", data={"csrf_token": token_of(client, booking)})
    assert "La réservation est acceptée" in client.get(answered.headers["Location"]).get_data(as_text=True)
    # The driver's "My trips" lists the booking under the trip.
    mine = client.get("/my/trips")
    assert mine.status_code == 200 and "Alix</a>" in mine.get_data(as_text=True)
    assert "Acceptée" in mine.get_data(as_text=True)
