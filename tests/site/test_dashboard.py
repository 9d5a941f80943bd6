"""The administrators' dashboard: exact figures from real members, trips, bookings and
reports, months counted in local time, the charts and their tables, in French and in
English, and that nobody but an administrator sees it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert

from carpool.extensions import db
from carpool.models import Booking, Report, Trip, User
from carpool.services import bookings, moderation, stats
from carpool.services.dashboard import Standing, dashboard
from carpool.services.moderation import NotAModerator, ReportTarget
from carpool.services.regular_trips import cancel_regular, publish_regular
from carpool.services.trips import TripOptions, cancel, publish
from tests.site.test_auth import sign_in, token_of
from tests.site.test_bookings import ask, member
from tests.site.test_pages import PASSWORD
from tests.site.test_regular_trips import SCHEDULE
from tests.site.test_reports import make_admin
from tests.site.test_trips import PARIS, draft

SVG = "{http://www.w3.org/2000/svg}"


def _set(model: type[db.Model], row_id: int, **values: object) -> None:  # type: ignore[name-defined]
    row = db.session.get(model, row_id)
    assert row is not None
    for name, value in values.items():
        setattr(row, name, value)
    db.session.commit()


def _last_evening_of_month_before(first: date) -> datetime:
    """23:30 UTC on the last day of the month before ``first``: already ``first``'s
    month in Paris (00:30 or 01:30 local)."""
    return datetime.combine(first - timedelta(days=1), time(23, 30), UTC)


def test_the_figures_now_and_per_month(app: Flask, driver: int) -> None:
    alix, sam, dom, modo = (member(app, name) for name in ("Alix", "Sam", "Dom", "Modo"))
    make_admin(app, modo)
    now = datetime.now(UTC)
    with app.app_context():
        months = stats.last_months(now, 12, PARIS)
        for user_id in (driver, alix, sam):
            _set(User, user_id, confirmed_at=now)
        _set(User, dom, suspended_until=now + timedelta(days=3))
        banned = member(app, "Old")
        _set(User, banned, banned_at=now, suspended_until=now + timedelta(days=3))
        # Counted in the previous month in UTC, in this one at Paris; another a year ago.
        _set(User, member(app, "Late"), created_at=_last_evening_of_month_before(months[-3]))
        _set(User, member(app, "Ancient"), created_at=now - timedelta(days=400))

        trip = publish(driver, draft(seats=7))  # many seats: the site flags the driver
        waiting = bookings.request_booking(alix, ask(trip))
        bookings.accept(bookings.request_booking(sam, ask(trip)), driver)
        bookings.decline(bookings.request_booking(modo, ask(trip)), driver)
        instant = publish(driver, draft(options=TripOptions(instant_booking=True)))
        bookings.request_booking(alix, ask(instant))  # accepted at once
        cancelled = publish(driver, draft())
        bookings.accept(bookings.request_booking(sam, ask(cancelled)), driver)
        cancel(cancelled, driver, "Panne")  # its booking is cancelled, its acceptance happened
        left = publish(driver, draft())
        bookings.accept(bookings.request_booking(alix, ask(left)), driver)
        _set(Trip, left, departure_at=now - timedelta(hours=1))  # it has left: not to come
        _set(Booking, waiting, created_at=_last_evening_of_month_before(months[-3]))
        running = publish_regular(driver, draft(), SCHEDULE)  # six dates, each a trip
        cancel_regular(publish_regular(driver, draft(), SCHEDULE), driver)

        report = moderation.report(alix, ReportTarget("user", driver), "safety", "Conduite dangereuse")
        moderation.report(sam, ReportTarget("trip", trip), "professional", "Taxi")
        moderation.act(modo, report, moderation.Decision("close"))
        _set(Report, report, created_at=_last_evening_of_month_before(months[-3]))

        board = dashboard(modo, now=now)
    assert board.now == Standing(
        members=8,
        confirmed=3,
        suspended=1,  # Dom; Old is banned, counted apart
        banned=1,
        trips_to_come=2 + 6,  # the seven-seat trip, the instant one and the regular trip's dates
        bookings_requested=1,  # Alix's, made in an older month, waits for an answer
        bookings_accepted=2,  # Sam's and Alix's instant one; not the trip that has left
        open_reports=2,  # Sam's report and the site's flag
        open_flags=1,
        regular_trips=1,  # not the cancelled one
    )
    assert running and board.months == months and board.timezone == "Europe/Paris"
    assert len(board.new_members) == 12 == len(board.reports_opened)
    before = [0] * 11
    assert list(board.new_members) == [0] * 9 + [1, 0, 6]  # Late in its Paris month, not Ancient
    assert list(board.trips_published) == [*before, 4 + 12]  # cancelled ones included
    assert list(board.bookings_made) == [0] * 9 + [1, 0, 5]
    assert list(board.bookings_accepted) == [*before, 4]  # Sam twice, Alix instantly and on the left trip
    assert list(board.reports_opened) == [0] * 9 + [1, 0, 2]  # the closed report, Sam's and the flag


def test_monthly_counts_bucket_in_local_time(app: Flask, driver: int) -> None:
    with app.app_context():
        months = stats.last_months(datetime.now(UTC), 12, PARIS)
        first = months[-1]
        for moment in (
            _last_evening_of_month_before(first),  # this month in Paris
            # The last second of the month before, and one too old to count.
            datetime.combine(first, time.min, PARIS) - timedelta(seconds=1),
            datetime.combine(months[0], time.min, PARIS) - timedelta(seconds=1),
        ):
            _set(User, member(app, f"M{moment.timestamp():.0f}"), created_at=moment)
        assert stats.monthly_counts(User.created_at, months)[-2:] == (1, 2)
        assert sum(stats.monthly_counts(User.created_at, months)) == 3  # with the driver; not the one too old
        confirmed = stats.monthly_counts(User.created_at, months, where=(User.confirmed_at.is_not(None),))
        assert confirmed == (0,) * 12


def test_only_administrators_see_it(app: Flask, driver: int) -> None:
    with app.app_context():
        for who in (driver, 999):
            with pytest.raises(NotAModerator):
                dashboard(who)


def _site(app: Flask, client: FlaskClient) -> None:
    """Camille (an administrator) drives; Alix books and reports; 1,234 members more."""
    runner = app.test_cli_runner()
    for email, name in (("camille@example.org", "Camille"), ("alix@example.org", "Alix")):
        assert runner.invoke(args=["users", "create", email, name, "--password", PASSWORD]).exit_code == 0
    assert runner.invoke(args=["users", "make-admin", "camille@example.org"]).exit_code == 0
    with app.app_context():
        trip = publish(1, draft())
        bookings.request_booking(2, ask(trip))
        moderation.report(2, ReportTarget("trip", trip), "professional", "Taxi")
        rows = [
            {"email": f"m{i}@example.org", "display_name": f"M{i}", "password_hash": "-"} for i in range(1234)
        ]
        db.session.execute(insert(User), rows)
        db.session.commit()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_page_shows_each_series_as_a_chart_and_a_table(
    app: Flask, client: FlaskClient, language: str
) -> None:
    _site(app, client)
    sign_in(client, "camille@example.org", PASSWORD)
    client.post("/language", data={"language": language, "next": "/", "csrf_token": token_of(client, "/")})
    assert "/moderation/dashboard" in client.get("/moderation").get_data(as_text=True)  # linked
    response = client.get("/moderation/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    charts = re.findall(r"<svg\b.*?</svg>", page, re.S)
    assert len(charts) == 5
    this_month = []
    for chart in charts:
        svg = ET.fromstring(chart)
        assert svg.get("role") == "img" and svg.find(f"{SVG}title") is not None
        bars = [float(r.get("width", "-1")) for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"]
        assert len(bars) == 12 and bars[0] == 0
        this_month.append(bars[-1] > 0)
    assert this_month == [True, True, True, False, True]  # nothing accepted yet
    assert page.count("<table") == 5 == page.count("<caption>")
    assert page.count('<th scope="row">') == 60 and page.count('<th scope="col">') == 10
    if language == "fr":
        assert "Membres : 1\u202f236 en tout, dont 2 à l’adresse e-mail confirmée" in page
        assert "<td>1\u202f236</td>" in page  # new members this month, written the French way
        assert "1 signalement en cours" in page and "1 trajet publié à venir" in page
        assert "1 en attente de réponse" in page and "Europe/Paris" in page
        assert "Nouveaux membres" in page and "annulés ou masqués compris" in page
    else:
        assert "<td>1,236</td>" in page and "Members: 1,236 in all, 2 of them" in page
        assert "1 open report" in page and "1 published trip to come" in page
        assert "1 waiting for an answer" in page and "New members" in page


def test_others_get_403_and_learn_nothing(app: Flask, client: FlaskClient) -> None:
    _site(app, client)
    assert "/account/login" in client.get("/moderation/dashboard").headers["Location"]
    sign_in(client, "alix@example.org", PASSWORD)
    response = client.get("/moderation/dashboard")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "<svg" not in page and "1\u202f236" not in page and "Tableau de bord" not in page
    assert "/moderation/dashboard" not in client.get("/").get_data(as_text=True)
