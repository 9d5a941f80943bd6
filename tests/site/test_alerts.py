"""Alerts: kept from a search or set up on their page; one e-mail per matching trip,
found by the search's own rule; paused, deleted, expired; and ride requests drivers
see along their routes."""

from __future__ import annotations

import re
from datetime import time, timedelta

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_babel import force_locale
from sqlalchemy import select

from carpool.extensions import db
from carpool.models import Alert, AlertMatch, Conversation, MailJob, Message, TripCell, User
from carpool.services import alerts, conversations, search
from carpool.services.alerts import AlertError, AlertWish, create_alert
from carpool.services.search import SearchQuery, find
from carpool.services.trips import publish, update
from tests.site.test_auth import outbox, token_of
from tests.site.test_pages import signed_in  # noqa: F401  (fixture)
from tests.site.test_search import on_the_way, publish_random_trips, random_place
from tests.site.test_trips import LARVOTTO, PALACE, TOMORROW, draft

DAY = (TOMORROW + timedelta(days=10)).date().isoformat()
SEARCH = f"/search?origin=Monaco&destination=Cap-d'Ail&day={DAY}"


def ask(client: FlaskClient, **changes: str):  # type: ignore[no-untyped-def]
    data = {
        "origin": "Monaco",
        "destination": "Cap-d'Ail",
        "day": DAY,
        "flex_days": "1",
        "seats": "1",
        "csrf_token": token_of(client, SEARCH),
    }
    data.update(changes)
    return client.post("/alerts/from-search", data=data)


def point(latlon: tuple[float, float]) -> str:
    """A place as the map writes it in a field."""
    return f"{latlon[0]:.6f}, {latlon[1]:.6f}"


def alert_mails(app: Flask) -> list[MailJob]:
    with app.app_context():
        return list(db.session.scalars(select(MailJob).where(MailJob.group.like("alert:%"))))


# -- kept from a search ---------------------------------------------------------------


def test_an_empty_search_offers_an_alert_that_is_kept_once(app: Flask, signed_in: FlaskClient) -> None:  # noqa: F811
    page = signed_in.get(SEARCH).get_data(as_text=True)
    assert "Aucun trajet" in page and 'action="/alerts/from-search"' in page
    response = ask(signed_in)
    assert response.status_code == 302 and "/search?" in response.headers["Location"]
    assert "Votre alerte est enregistrée." in signed_in.get(response.headers["Location"]).get_data(
        as_text=True
    )
    ask(signed_in, public="y")  # asked twice: kept once, with the latest choice of visibility
    with app.app_context():
        (alert,) = db.session.query(Alert).all()
        assert (alert.origin, alert.destination, alert.flex_days) == ("Monaco", "Cap-d'Ail", 1)
        assert alert.day is not None and alert.day.isoformat() == DAY and 43.7 < alert.origin_lat < 43.8
        assert alert.expires_on == alert.day + timedelta(days=1) and alert.public
        assert alert.pickup_cell is not None and alert.dropoff_cell is not None


def test_a_wrong_alert_is_refused_with_a_message(app: Flask, signed_in: FlaskClient) -> None:  # noqa: F811
    past = (TOMORROW - timedelta(days=3)).date().isoformat()
    for changes, message in [
        ({"day": past}, "Cette date est passée."),
        ({"origin": "Nulle-Part"}, "Aucun lieu de la région ne s’appelle"),
        ({"day": "demain"}, "n’a pas pu être enregistrée"),
        ({"time_from": "18:00", "time_to": "08:00"}, "La plage horaire se termine avant de commencer."),
        ({"seats": "9"}, "n’a pas pu être enregistrée"),
    ]:
        response = ask(signed_in, **changes)
        assert response.status_code == 302
        assert message in signed_in.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Alert).count() == 0


def test_a_visitor_is_asked_to_sign_in_first(client: FlaskClient, runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["places", "load"]).exit_code == 0
    page = client.get(SEARCH).get_data(as_text=True)
    assert "Connectez-vous pour être alerté" in page and "/account/login?next=" in page
    assert client.post("/alerts/from-search", data={}).status_code in (302, 400)
    assert client.get("/alerts").status_code == 302  # to the sign-in page


# -- the rules of the service -----------------------------------------------------------


def test_refusals_of_the_service(app: Flask, passenger: int) -> None:
    pickup, dropoff = on_the_way(app)
    day = TOMORROW.date()
    with app.app_context(), force_locale("en"):
        for wish, message in [
            (AlertWish(point(pickup), point(dropoff)), "Choose a date or days of the week."),
            (
                AlertWish(point(pickup), point(dropoff), day=day, weekdays=frozenset({0})),
                "Choose one date or days of the week, not both.",
            ),
            (AlertWish(point(pickup), point(dropoff), weekdays=frozenset({7})), "Choose days of the week"),
            (AlertWish(point(pickup), point(dropoff), day=day, flex_days=4), "flexible by at most 3 days"),
            (AlertWish(point(pickup), point(dropoff), day=day + timedelta(days=400)), "one year ahead"),
            (AlertWish(point(pickup), point(dropoff), day=day, seats=0), "between 1 and 8 seats"),
        ]:
            with pytest.raises(AlertError, match=message):
                create_alert(passenger, wish)
        for n in range(alerts.MAX_ALERTS):
            create_alert(passenger, AlertWish(point(pickup), point(dropoff), day=day + timedelta(days=n)))
        with pytest.raises(AlertError, match="that is the most"):
            create_alert(passenger, AlertWish(point(pickup), point(dropoff), day=day + timedelta(days=30)))
        assert db.session.query(Alert).count() == alerts.MAX_ALERTS


def test_a_matching_trip_is_mailed_once_and_others_not(app: Flask, driver: int, passenger: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        alert_id = create_alert(passenger, AlertWish(point(pickup), point(dropoff), day=TOMORROW.date()))
        trip_id = publish(driver, draft(max_detour_min=5))
        (job,) = alert_mails(app)
        assert job.to == "dominique@example.org" and job.subject == "Un trajet passe par chez vous"
        assert f"/trips/{trip_id}?pickup=" in job.body and "/alerts" in job.body
        assert "Camille" in job.body  # the driver
        # Changed, the same trip is not mailed again.
        update(trip_id, driver, draft(max_detour_min=6, comment="Bienvenue"))
        assert len(alert_mails(app)) == 1
        # Not mailed: the other way round, another day, the driver's own alert.
        publish(driver, draft(origin=LARVOTTO, destination=PALACE, max_detour_min=0))
        publish(driver, draft(departure=TOMORROW + timedelta(days=2)))
        create_alert(driver, AlertWish(point(pickup), point(dropoff), day=TOMORROW.date()))
        assert len(alert_mails(app)) == 1
        # Another trip that passes by: a second e-mail.
        second = publish(driver, draft(departure=TOMORROW + timedelta(hours=2)))
        assert len(alert_mails(app)) == 2
        found = db.session.scalars(select(AlertMatch.trip_id).where(AlertMatch.alert_id == alert_id))
        assert sorted(found) == [trip_id, second]
        assert len(outbox(app)) == 2  # delivered (the file outbox)


def test_paused_and_ended_alerts_are_silent(app: Flask, driver: int, passenger: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        alert_id = create_alert(passenger, AlertWish(point(pickup), point(dropoff), day=TOMORROW.date()))
        alerts.set_paused(alert_id, passenger, True)
        publish(driver, draft())
        assert alert_mails(app) == []
        alerts.set_paused(alert_id, passenger, False)
        publish(driver, draft(departure=TOMORROW + timedelta(hours=1)))
        assert len(alert_mails(app)) == 1
        with pytest.raises(alerts.NotYourAlert):
            alerts.set_paused(alert_id, driver, True)
        with pytest.raises(alerts.AlertNotFound):
            alerts.delete_alert(alert_id + 1, passenger)
        alerts.delete_alert(alert_id, passenger)
        assert db.session.query(Alert).count() == 0 and db.session.query(AlertMatch).count() == 0
        # Ended: an alert of tomorrow is over the day after.
        create_alert(passenger, AlertWish(point(pickup), point(dropoff), day=TOMORROW.date()))
        (view,) = alerts.my_alerts(passenger, now=TOMORROW + timedelta(days=2))
        assert view.expired


def test_every_week_on_its_days_until_its_end(app: Flask, driver: int, passenger: int) -> None:
    pickup, dropoff = on_the_way(app)
    weekday = TOMORROW.weekday()
    with app.app_context():
        create_alert(
            passenger,
            AlertWish(
                point(pickup),
                point(dropoff),
                weekdays=frozenset({weekday}),
                until=TOMORROW.date() + timedelta(days=10),
                time_from=time(7, 30),
                time_to=time(9, 0),
            ),
        )
        publish(driver, draft(departure=TOMORROW + timedelta(days=1)))  # another day of the week
        publish(driver, draft(departure=TOMORROW + timedelta(days=14)))  # after the end
        publish(driver, draft(departure=TOMORROW + timedelta(days=7, hours=3)))  # after 9:00
        assert alert_mails(app) == []
        publish(driver, draft(departure=TOMORROW + timedelta(days=7)))  # its day, next week, at 8:00
        assert len(alert_mails(app)) == 1


def test_alerts_find_what_the_search_finds(
    app: Flask, driver: int, passenger: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On random trips and alerts, the trips mailed for an alert are exactly those a
    search of the same places and date finds. Cells of 300 m, so that the index
    really leaves trips out in a region as small as Monaco. A trip is matched only
    against the alerts the index lets through as it does for a search (cells in
    order, sub-cells, the fastest drive between the places), fewer than by cells and
    order alone."""
    app.config["SEARCH_CELL_M"] = 300.0
    rng = np.random.default_rng(11)
    checked: list[tuple[int, int]] = []
    passing = alerts._passing

    def counted(trip, alert, now):  # type: ignore[no-untyped-def]
        checked.append((trip.id, alert.id))
        return passing(trip, alert, now)

    monkeypatch.setattr(alerts, "_passing", counted)
    with app.app_context():
        wishes = [(random_place(rng), random_place(rng)) for _ in range(30)]
        alert_ids = []
        for a, b in wishes:
            try:
                wish = AlertWish(point((a.lat, a.lon)), point((b.lat, b.lon)), day=TOMORROW.date())
                alert_ids.append((create_alert(passenger, wish), a, b))
            except AlertError:  # the same point twice is the same alert
                continue
        publish_random_trips(driver, rng)
        found_total = 0
        for alert_id, _a, _b in alert_ids:
            alert = db.session.get(Alert, alert_id)
            assert alert is not None
            query = SearchQuery(
                pickup=(alert.origin_lat, alert.origin_lon),
                dropoff=(alert.destination_lat, alert.destination_lon),
                day=TOMORROW.date(),
            )
            mailed = set(
                db.session.scalars(select(AlertMatch.trip_id).where(AlertMatch.alert_id == alert_id))
            )
            assert mailed == {r.trip_id for r in find(query)}
            found_total += len(mailed)
        assert found_total >= 5  # the alerts do find trips
        by_cells, by_search = index_pairs()
        assert sorted(checked) == sorted(by_search)
        assert len(by_search) < len(by_cells)


def index_pairs() -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The (trip, alert) pairs whose search cells hold the alert's places in order,
    and those that the sub-cells and the fastest drive let through too."""
    entries: dict[int, dict[int, TripCell]] = {}
    for entry in db.session.scalars(select(TripCell)):
        entries.setdefault(entry.trip_id, {})[entry.cell] = entry
    by_cells, by_search = [], []
    for alert in db.session.scalars(select(Alert)):
        for trip_id, cells in entries.items():
            near_a, near_b = cells.get(alert.pickup_cell or 0), cells.get(alert.dropoff_cell or 0)
            if near_a is None or near_b is None or near_a.earliest_s > near_b.latest_s:
                continue
            by_cells.append((trip_id, alert.id))
            assert alert.fastest_s is not None and alert.pickup_subcell and alert.dropoff_subcell
            if (
                near_a.earliest_s + alert.fastest_s <= near_b.latest_s
                and near_a.subcells & alert.pickup_subcell
                and near_b.subcells & alert.dropoff_subcell
            ):
                by_search.append((trip_id, alert.id))
    return by_cells, by_search


def test_the_alert_mail_is_in_the_owner_language(app: Flask, driver: int, passenger: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        user = db.session.get(User, passenger)
        assert user is not None
        user.language = "en"
        db.session.commit()
        create_alert(passenger, AlertWish(point(pickup), point(dropoff), day=TOMORROW.date()))
        publish(driver, draft())
        (job,) = alert_mails(app)
        assert job.subject == "A ride passes your way" and "See the ride and book a seat:" in job.body


def test_reindex_places_alerts_in_new_cells(app: Flask, passenger: int, runner: FlaskCliRunner) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        alert_id = create_alert(passenger, AlertWish(point(pickup), point(dropoff), day=TOMORROW.date()))
        app.config["SEARCH_CELL_M"] = 300.0
        result = runner.invoke(args=["trips", "reindex"])
        assert result.exit_code == 0 and "alerts placed in the region: 1" in result.output
        db.session.expire_all()
        alert = db.session.get(Alert, alert_id)
        assert alert is not None and alert.pickup_cell == search.cell_near(pickup)


# -- the alerts page --------------------------------------------------------------------


def test_the_alerts_page_sets_up_lists_pauses_and_deletes(app: Flask, signed_in: FlaskClient) -> None:  # noqa: F811
    token = token_of(signed_in, "/alerts")
    response = signed_in.post(
        "/alerts",
        data={
            "origin": "Cap-d'Ail",
            "destination": "Beausoleil",
            "weekdays": ["0", "4"],
            "time_from": "07:00",
            "time_to": "09:00",
            "seats": "2",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    page = signed_in.get("/alerts").get_data(as_text=True)
    assert "Votre alerte est enregistrée." in page
    assert "Cap-d&#39;Ail → Beausoleil" in page
    assert "Chaque lundi, vendredi" in page and "entre 07:00 et 09:00" in page and "2 places" in page
    with app.app_context():
        (alert,) = db.session.query(Alert).all()
        assert alert.weekdays == 0b10001 and alert.day is None and alert.seats == 2
        alert_id = alert.id
    signed_in.post(f"/alerts/{alert_id}/pause", data={"csrf_token": token})
    assert "En pause" in signed_in.get("/alerts").get_data(as_text=True)
    signed_in.post(f"/alerts/{alert_id}/resume", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(Alert, alert_id).paused is False  # type: ignore[union-attr]
    assert signed_in.post(f"/alerts/{alert_id}/pause", data={}).status_code == 400  # no token: refused
    with app.app_context():
        assert db.session.get(Alert, alert_id).paused is False  # type: ignore[union-attr]
    assert signed_in.post(f"/alerts/{alert_id + 1}/delete", data={"csrf_token": token}).status_code == 404
    signed_in.post(f"/alerts/{alert_id}/delete", data={"csrf_token": token})
    with app.app_context():
        assert db.session.query(Alert).count() == 0


def test_the_alerts_page_shows_refusals_and_keeps_what_was_typed(signed_in: FlaskClient) -> None:  # noqa: F811
    token = token_of(signed_in, "/alerts")
    page = signed_in.post(
        "/alerts",
        data={"origin": "Cap-d'Ail", "destination": "Nulle-Part", "seats": "1", "csrf_token": token},
    ).get_data(as_text=True)
    assert "Aucun lieu de la région ne s’appelle" in page and 'value="Nulle-Part"' in page
    page = signed_in.post(
        "/alerts",
        data={"origin": "Cap-d'Ail", "destination": "Beausoleil", "seats": "1", "csrf_token": token},
    ).get_data(as_text=True)
    assert "Choisissez une date ou des jours de la semaine." in page and 'value="Beausoleil"' in page


def test_nobody_changes_another_member_alert(app: Flask, signed_in: FlaskClient, passenger: int) -> None:  # noqa: F811
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        alert_id = create_alert(passenger, AlertWish(point(pickup), point(dropoff), day=TOMORROW.date()))
    token = token_of(signed_in, "/alerts")
    for change in ("pause", "delete"):
        assert signed_in.post(f"/alerts/{alert_id}/{change}", data={"csrf_token": token}).status_code == 403
    assert "Dominique" not in signed_in.get("/alerts").get_data(as_text=True)
    with app.app_context():
        alert = db.session.get(Alert, alert_id)
        assert alert is not None and not alert.paused


def test_the_alerts_page_in_english(signed_in: FlaskClient) -> None:  # noqa: F811
    token = token_of(signed_in, "/alerts")
    signed_in.post("/language", data={"language": "en", "csrf_token": token})
    page = signed_in.get("/alerts").get_data(as_text=True)
    assert "My alerts" in page and "You have no alert yet." in page and "Or every week, on" in page


# -- ride requests ----------------------------------------------------------------------


def test_drivers_see_public_requests_along_their_route_and_write(
    app: Flask, driver: int, passenger: int
) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        public = create_alert(
            passenger, AlertWish(point(pickup), point(dropoff), day=TOMORROW.date(), seats=2, public=True)
        )
        trip_id = publish(driver, draft(max_detour_min=5))
        elsewhere = publish(driver, draft(origin=LARVOTTO, destination=PALACE, max_detour_min=0))
        (request,) = alerts.requests_along(trip_id, driver)
        assert (request.alert_id, request.passenger_name, request.seats) == (public, "Dominique", 2)
        assert request.pickup_at is not None and request.pickup_at >= TOMORROW
        assert alerts.requests_along(trip_id, passenger) == []  # not their trip
        assert alerts.requests_along(elsewhere, driver) == []
        assert [r.alert_id for r in alerts.open_requests()] == [public]

        conversation_id = conversations.write_to_passenger(trip_id, driver, public, "Je passe par là !")
        conversation = db.session.get(Conversation, conversation_id)
        assert conversation is not None and conversation.passenger_id == passenger
        with pytest.raises(conversations.ConversationError):
            conversations.write_to_passenger(elsewhere, driver, public, "Et par ici ?")
        assert db.session.query(Message).count() == 1
        # A private alert is not shown to drivers.
        alerts.delete_alert(public, passenger)
        create_alert(passenger, AlertWish(point(pickup), point(dropoff), day=TOMORROW.date()))
        assert alerts.requests_along(trip_id, driver) == [] and alerts.open_requests() == []


def test_the_requests_pages(app: Flask, client: FlaskClient, runner: FlaskCliRunner, passenger: int) -> None:
    assert runner.invoke(args=["places", "load"]).exit_code == 0
    with app.app_context():
        create_alert(
            passenger,
            AlertWish("Cap-d'Ail", "Beausoleil", weekdays=frozenset({0, 1, 2, 3, 4}), public=True),
        )
    page = client.get("/requests").get_data(as_text=True)
    assert "Passagers qui cherchent un trajet" in page and "Dominique" in page
    assert re.search(r"Chaque lundi, mardi, mercredi, jeudi, vendredi", page)


def test_suspended_members_keep_no_alert_and_show_no_request(app: Flask, driver: int, passenger: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        create_alert(passenger, AlertWish(point(pickup), point(dropoff), day=TOMORROW.date(), public=True))
        trip_id = publish(driver, draft(max_detour_min=5))
        assert len(alerts.requests_along(trip_id, driver)) == 1
        user = db.session.get(User, passenger)
        assert user is not None
        user.suspended_until = TOMORROW + timedelta(days=30)
        db.session.commit()
        assert alerts.requests_along(trip_id, driver) == [] and alerts.open_requests() == []
        with force_locale("en"), pytest.raises(AlertError, match="suspended"):
            create_alert(
                passenger, AlertWish(point(pickup), point(dropoff), day=TOMORROW.date() + timedelta(1))
            )
        assert db.session.query(Alert).count() == 1


# -- matched in the background ----------------------------------------------------------


def test_with_redis_alerts_are_matched_by_an_rq_worker(app: Flask, driver: int, passenger: int) -> None:
    """Publishing does not wait for the alerts: a job on the ``alerts`` queue of a
    real Redis matches them, and queues the mail in turn."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    redis = Redis.from_url("redis://127.0.0.1:6379/14")
    redis.flushdb()
    app.config.update(REDIS_URL="redis://127.0.0.1:6379/14", MAIL_DELIVERY="")
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        alert_id = create_alert(
            passenger, AlertWish(origin=point(pickup), destination=point(dropoff), day=TOMORROW.date())
        )
        trip_id = publish(driver, draft())
        queue = Queue("alerts", connection=redis)
        assert queue.count == 1  # the request only queued the job
        assert db.session.scalars(select(AlertMatch)).all() == [] and alert_mails(app) == []

        SimpleWorker([queue, Queue("mail", connection=redis)], connection=redis).work(burst=True)
        db.session.expire_all()
        (match,) = db.session.scalars(select(AlertMatch)).all()
        assert (match.alert_id, match.trip_id) == (alert_id, trip_id)
        (job,) = alert_mails(app)
        assert job.to == "dominique@example.org" and job.sent_at is not None
    redis.flushdb()
