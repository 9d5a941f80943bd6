"""Regular trips: one ad, a date per day of the schedule; each date searched, changed
and cancelled as any trip; bookings of one date or of a whole period."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_babel import force_locale
from sqlalchemy import func, select

from carpool.extensions import db
from carpool.models import AlertMatch, Booking, MailJob, RegularTrip, Trip, TripCell, User
from carpool.services import bookings, regular_trips
from carpool.services.alerts import AlertWish, create_alert
from carpool.services.bookings import BookingError, PeriodRequest
from carpool.services.messages import DateText
from carpool.services.regular_trips import Schedule, cancel_regular, get_regular, publish_regular
from carpool.services.search import SearchQuery, find
from carpool.services.trips import TripError, cancel, publish, update
from tests.site.test_alerts import point
from tests.site.test_auth import sign_in, token_of
from tests.site.test_pages import PASSWORD, signed_in  # noqa: F401  (fixture)
from tests.site.test_search import on_the_way
from tests.site.test_trips import draft

PARIS = ZoneInfo("Europe/Paris")
TODAY = datetime.now(PARIS).date()
#: The first Monday after tomorrow: the schedules below start then.
MONDAY = TODAY + timedelta(days=2 + (7 - (TODAY + timedelta(days=2)).weekday()) % 7)
#: Mondays at 7:30 and Fridays at 8:00, for three weeks.
SCHEDULE = Schedule(
    times=(time(7, 30), None, None, None, time(8, 0), None, None),
    start_on=MONDAY,
    end_on=MONDAY + timedelta(days=20),
)


def local(day: date, hour: time) -> datetime:
    return datetime.combine(day, hour, PARIS)


def dates_of(regular_id: int) -> list[Trip]:
    return list(
        db.session.scalars(select(Trip).where(Trip.regular_id == regular_id).order_by(Trip.departure_at))
    )


def test_the_schedule_gives_the_dates_still_to_come(app: Flask) -> None:
    with app.app_context():
        days = regular_trips.occurrence_days(SCHEDULE, now=datetime.now(UTC))
        assert [d for d, _ in days] == [MONDAY + timedelta(days=n) for n in (0, 4, 7, 11, 14, 18)]
        assert days[0][1] == local(MONDAY, time(7, 30)) and days[1][1] == local(
            MONDAY + timedelta(4), time(8)
        )
        # Seen on the Monday at noon: that date has left.
        later = regular_trips.occurrence_days(SCHEDULE, now=local(MONDAY, time(12)))
        assert later[0][0] == MONDAY + timedelta(days=4)
        with force_locale("en"):
            for schedule, message in [
                (Schedule((None,) * 7, MONDAY, MONDAY), "at least one day"),
                (Schedule(SCHEDULE.times, MONDAY, MONDAY - timedelta(days=1)), "comes before the first"),
                (Schedule(SCHEDULE.times, MONDAY, MONDAY + timedelta(days=400)), "one year at most"),
                (Schedule(SCHEDULE.times[:3], MONDAY, MONDAY), "one time per day"),
                (Schedule(SCHEDULE.times, MONDAY + timedelta(1), MONDAY + timedelta(2)), "No date"),
            ]:
                with pytest.raises(TripError, match=message):
                    regular_trips.occurrence_days(schedule, now=datetime.now(UTC))


def test_publishing_makes_one_indexed_trip_per_date(app: Flask, driver: int) -> None:
    with app.app_context():
        regular_id = publish_regular(driver, draft(max_detour_min=5), SCHEDULE)
        dates = dates_of(regular_id)
        assert len(dates) == 6 and db.session.query(RegularTrip).count() == 1
        assert [t.departure_at.astimezone(PARIS).time() for t in dates] == [time(7, 30), time(8)] * 3
        assert all(t.occurrence_on == t.departure_at.astimezone(PARIS).date() for t in dates)
        cells = [db.session.scalar(select(func.count()).where(TripCell.trip_id == t.id)) for t in dates]
        assert cells[0] > 0 and len(set(cells)) == 1  # indexed once, the same cells for each date
        # A refused schedule publishes nothing.
        with pytest.raises(TripError):
            publish_regular(driver, draft(seats=9), SCHEDULE)
        assert db.session.query(RegularTrip).count() == 1 and db.session.query(Trip).count() == 6


def test_search_finds_each_date_and_not_a_cancelled_one(app: Flask, driver: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        regular_id = publish_regular(driver, draft(max_detour_min=5), SCHEDULE)
        friday = MONDAY + timedelta(days=4)
        (found,) = find(SearchQuery(pickup=pickup, dropoff=dropoff, day=friday))
        occurrence = next(t for t in dates_of(regular_id) if t.occurrence_on == friday)
        assert found.trip_id == occurrence.id
        # An exception: that Friday is cancelled, the next is moved to 9:00.
        cancel(occurrence.id, driver, "Congé")
        assert find(SearchQuery(pickup=pickup, dropoff=dropoff, day=friday)) == []
        next_friday = next(t for t in dates_of(regular_id) if t.occurrence_on == friday + timedelta(days=7))
        update(
            next_friday.id, driver, draft(max_detour_min=5, departure=local(friday + timedelta(7), time(9)))
        )
        view = get_regular(regular_id)
        states = {o.day: (o.status, o.moved) for o in view.occurrences}
        assert states[friday] == ("cancelled", False)
        assert states[friday + timedelta(days=7)] == ("published", True)
        assert states[MONDAY] == ("published", False)
        (moved,) = find(
            SearchQuery(pickup=pickup, dropoff=dropoff, day=friday + timedelta(days=7), time_from=time(8, 45))
        )
        assert moved.trip_id == next_friday.id


def test_cancelling_the_regular_trip_cancels_its_dates_to_come(
    app: Flask, driver: int, passenger: int
) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        regular_id = publish_regular(driver, draft(max_detour_min=5), SCHEDULE)
        first = dates_of(regular_id)[0]
        bookings.request_booking(
            passenger, bookings.BookingRequest(first.id, pickup, dropoff, "A", "B", seats=1)
        )
        with pytest.raises(regular_trips.NotYourRegularTrip):
            cancel_regular(regular_id, passenger)
        assert cancel_regular(regular_id, driver, "Déménagement") == 6
        assert {t.status for t in dates_of(regular_id)} == {"cancelled"}
        (booking,) = db.session.query(Booking).all()
        assert booking.status == "cancelled"
        told = db.session.scalars(
            select(MailJob.to).where(MailJob.subject == "Le conducteur a annulé votre trajet")
        )
        assert list(told) == ["dominique@example.org"]
        with pytest.raises(TripError):
            cancel_regular(regular_id, driver)


def period(
    trip_id: int, pickup: tuple[float, float], dropoff: tuple[float, float], **changes: object
) -> PeriodRequest:
    values: dict[str, object] = {
        "trip_id": trip_id,
        "first_day": MONDAY,
        "last_day": MONDAY + timedelta(days=13),
        "pickup": pickup,
        "dropoff": dropoff,
        "pickup_name": "Ici",
        "dropoff_name": "Là",
        "seats": 1,
    }
    values.update(changes)
    return PeriodRequest(**values)  # type: ignore[arg-type]


def test_a_period_is_booked_answered_and_cancelled_together(app: Flask, driver: int, passenger: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        regular_id = publish_regular(driver, draft(max_detour_min=5), SCHEDULE)
        first_id = bookings.request_period(passenger, period(dates_of(regular_id)[2].id, pickup, dropoff))
        booked = db.session.scalars(select(Booking).order_by(Booking.id)).all()
        assert len(booked) == 4 and len({b.period_key for b in booked}) == 1  # two weeks: 4 dates
        assert {b.status for b in booked} == {"requested"} and first_id == booked[0].id
        (asked,) = db.session.scalars(select(MailJob).where(MailJob.to == "driver@example.org"))
        assert "4 dates" in asked.body
        assert bookings.answer_period(first_id, driver, accepted=True) == 4
        db.session.expire_all()
        assert {b.status for b in db.session.query(Booking)} == {"accepted"}
        assert db.session.query(MailJob).filter(MailJob.to == "dominique@example.org").count() == 1
        view = bookings.get_booking(first_id, passenger)
        assert len(view.period) == 4
        with pytest.raises(bookings.NotYourBooking):
            bookings.cancel_period(first_id, driver + passenger + 1)
        assert bookings.cancel_period(booked[1].id, passenger, "Plus besoin") == 4
        db.session.expire_all()
        assert {b.status for b in db.session.query(Booking)} == {"cancelled"}


def test_a_period_is_all_or_nothing(app: Flask, driver: int, passenger: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        regular_id = publish_regular(driver, draft(max_detour_min=5, seats=1), SCHEDULE)
        dates = dates_of(regular_id)
        other = User(email="sacha@example.org", display_name="Sacha", password_hash="-", language="fr")
        db.session.add(other)
        db.session.commit()
        taken = bookings.request_booking(
            other.id, bookings.BookingRequest(dates[1].id, pickup, dropoff, "A", "B", seats=1)
        )
        bookings.accept(taken, driver)
        with force_locale("en"), pytest.raises(BookingError) as refused:
            bookings.request_period(passenger, period(dates[0].id, pickup, dropoff))
        with force_locale("en"):
            assert str(refused.value.message).startswith(
                str(DateText(dates[1].occurrence_on))  # type: ignore[arg-type]
            )
        assert db.session.query(Booking).filter(Booking.passenger_id == passenger).count() == 0
        # Not a regular trip; a period without a date; one's own trip.
        single = publish(driver, draft())
        with pytest.raises(BookingError):
            bookings.request_period(passenger, period(single, pickup, dropoff))
        with pytest.raises(BookingError):
            bookings.request_period(
                passenger,
                period(
                    dates[0].id,
                    pickup,
                    dropoff,
                    first_day=MONDAY + timedelta(1),
                    last_day=MONDAY + timedelta(2),
                ),
            )
        with pytest.raises(BookingError):
            bookings.request_period(driver, period(dates[0].id, pickup, dropoff))
        assert db.session.query(Booking).filter(Booking.passenger_id != other.id).count() == 0


def test_an_alert_is_told_once_of_a_regular_trip(app: Flask, driver: int, passenger: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        alert_id = create_alert(
            passenger,
            AlertWish(
                point(pickup), point(dropoff), weekdays=frozenset({0, 4}), until=MONDAY + timedelta(30)
            ),
        )
        publish_regular(driver, draft(max_detour_min=5), SCHEDULE)
        assert db.session.query(AlertMatch).filter(AlertMatch.alert_id == alert_id).count() == 6
        assert db.session.query(MailJob).filter(MailJob.group.like("alert:%")).count() == 1


def test_the_pages_of_a_regular_trip(app: Flask, signed_in: FlaskClient, runner: FlaskCliRunner) -> None:  # noqa: F811
    page = signed_in.get("/trips/regular/new").get_data(as_text=True)
    assert "Proposer un trajet régulier" in page and "lundi" in page
    data = {
        "origin": "Cap-d'Ail",
        "destination": "Roquebrune-Cap-Martin",
        "seats": "3",
        "max_detour_min": "15",
        "time_0": "07:30",
        "time_4": "08:00",
        "start_on": MONDAY.isoformat(),
        "end_on": (MONDAY + timedelta(days=20)).isoformat(),
        "luggage": "medium",
        "csrf_token": token_of(signed_in, "/trips/regular/new"),
    }
    refused = signed_in.post("/trips/regular/new", data={**data, "time_0": "", "time_4": ""})
    assert "Choisissez au moins un jour de la semaine" in refused.get_data(as_text=True)
    response = signed_in.post("/trips/regular/new", data=data)
    assert response.status_code == 302 and "/trips/regular/" in response.headers["Location"]
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Votre trajet régulier est publié." in page and page.count('href="/trips/') >= 6
    assert "lundi à 07:30" in page and "vendredi à 08:00" in page
    with app.app_context():
        first = db.session.scalars(select(Trip).order_by(Trip.departure_at)).first()
        assert first is not None
        stops = first.stops
        first_id = first.id
        pickup = f"{stops[0].lat},{stops[0].lon}"
        dropoff = f"{stops[-1].lat},{stops[-1].lon}"
    trip_page = signed_in.get(f"/trips/{first_id}").get_data(as_text=True)
    assert "Un trajet régulier : voir toutes ses dates" in trip_page
    # Another member books two weeks of it from the trip's page.
    signed_in.post("/account/logout", data={"csrf_token": token_of(signed_in, "/")})
    created = runner.invoke(args=["users", "create", "sacha@example.org", "Sacha", "--password", PASSWORD])
    assert created.exit_code == 0
    assert sign_in(signed_in, "sacha@example.org", PASSWORD).status_code == 302
    shown = f"/trips/{first_id}?pickup={pickup}&dropoff={dropoff}&pickup_name=Ici&dropoff_name=L%C3%A0"
    page = signed_in.get(shown).get_data(as_text=True)
    assert "Ou réserver toutes les dates d’une période" in page
    response = signed_in.post(
        f"/trips/{first_id}/book-period",
        data={
            "first_day": MONDAY.isoformat(),
            "last_day": (MONDAY + timedelta(days=13)).isoformat(),
            "seats": "1",
            "pickup": pickup,
            "dropoff": dropoff,
            "pickup_name": "Ici",
            "dropoff_name": "Là",
            "csrf_token": token_of(signed_in, shown),
        },
    )
    assert response.status_code == 302
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Réservé avec 4 dates d’un trajet régulier" in page and "Annuler toutes les dates à venir" in page


def test_the_regular_trip_form_in_english(signed_in: FlaskClient) -> None:  # noqa: F811
    signed_in.post("/language", data={"language": "en", "csrf_token": token_of(signed_in, "/")})
    page = signed_in.get("/trips/regular/new").get_data(as_text=True)
    assert "Offer a regular ride" in page and "Monday" in page and "First date" in page
    refused = signed_in.post(
        "/trips/regular/new",
        data={
            "origin": "Cap-d'Ail",
            "destination": "Monaco",
            "seats": "2",
            "max_detour_min": "10",
            "luggage": "medium",
            "start_on": MONDAY.isoformat(),
            "end_on": MONDAY.isoformat(),
            "csrf_token": token_of(signed_in, "/trips/regular/new"),
        },
    ).get_data(as_text=True)
    assert "Choose at least one day of the week, with its time." in refused
