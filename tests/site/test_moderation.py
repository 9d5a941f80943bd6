"""Moderation: the queue, the actions on a report (warn, hide a trip, suspend, ban,
lift, close), who is told by e-mail and in which language, the log of every action,
and that nobody but a moderator sees or does any of it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from carpool.extensions import db
from carpool.models import Booking, Conversation, Message, ModerationAction, Report, Trip, TripCell, User
from carpool.services import bookings, conversations, moderation
from carpool.services.bookings import BookingError
from carpool.services.conversations import ConversationError
from carpool.services.moderation import Decision, ModerationError, NotAModerator, ReportTarget
from carpool.services.search import SearchQuery, find
from carpool.services.trips import TripError, publish
from tests.site.test_auth import outbox, sign_in, token_of
from tests.site.test_bookings import ask, member
from tests.site.test_notifications import speaks
from tests.site.test_pages import PASSWORD, members_created
from tests.site.test_pages import publish as publish_page
from tests.site.test_reports import make_admin
from tests.site.test_search import on_the_way
from tests.site.test_trips import TOMORROW, draft

NEXT_WEEK = date.today() + timedelta(days=7)


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def snapshot() -> tuple[object, ...]:
    """What moderation can change, to check that a refusal changed nothing."""
    users = tuple(db.session.execute(select(User.id, User.suspended_until, User.banned_at)).all())
    trips_ = tuple(db.session.execute(select(Trip.id, Trip.status)).all())
    bookings_ = tuple(db.session.execute(select(Booking.id, Booking.status)).all())
    reports = tuple(db.session.execute(select(Report.id, Report.closed_at)).all())
    return users, trips_, bookings_, reports, count(ModerationAction), count(Message), count(TripCell)


def the_log() -> list[tuple[str, int | None, int | None, int | None, int | None]]:
    rows = db.session.scalars(select(ModerationAction).order_by(ModerationAction.id))
    return [(a.action, a.moderator_id, a.user_id, a.trip_id, a.report_id) for a in rows]


def mails_since(app: Flask, seen: int) -> list[tuple[str, str]]:
    return [(m["To"], m["Subject"]) for m in outbox(app)[seen:]]


@pytest.fixture
def cast(app: Flask, driver: int) -> dict[str, int]:
    """A driver (French) with a trip that Alix (French) and Sam (English) booked, and a
    moderator; Alix reported the driver."""
    alix, sam, modo = member(app, "Alix"), member(app, "Sam"), member(app, "Modo")
    speaks(app, sam, "en")
    make_admin(app, modo)
    with app.app_context():
        trip_id = publish(driver, draft())
        held = [bookings.request_booking(p, ask(trip_id)) for p in (alix, sam)]
        report_id = moderation.report(alix, ReportTarget("user", driver), "safety", "Conduite dangereuse")
        trip_report = moderation.report(sam, ReportTarget("trip", trip_id), "professional", "Taxi")
    return {
        "driver": driver,
        "alix": alix,
        "sam": sam,
        "modo": modo,
        "trip": trip_id,
        "report": report_id,
        "trip_report": trip_report,
        "booking": held[0],
    }


def test_a_warning_goes_to_the_member_in_their_language_and_is_logged(
    app: Flask, cast: dict[str, int]
) -> None:
    speaks(app, cast["driver"], "en")
    with app.app_context():
        before = snapshot()
        with pytest.raises(ModerationError):  # a warning needs its text
            moderation.act(cast["modo"], cast["report"], Decision("warn", note="  "))
        assert snapshot() == before
        seen = len(outbox(app))
        moderation.act(cast["modo"], cast["report"], Decision("warn", note="Roulez moins vite."))
        (warning,) = outbox(app)[seen:]
        assert warning["To"] == "driver@example.org" and warning["Subject"] == "A warning from the moderators"
        assert "Roulez moins vite." in warning.get_content()
        assert the_log() == [("warn", cast["modo"], cast["driver"], None, cast["report"])]
        report = db.session.get(Report, cast["report"])
        assert report is not None and report.closed_at is not None
        with pytest.raises(ModerationError):  # closed: nothing more is done with it
            moderation.act(cast["modo"], cast["report"], Decision("close"))
        assert len(the_log()) == 1


def test_a_suspended_driver_reads_but_cannot_act_and_their_passengers_are_told(
    app: Flask, cast: dict[str, int]
) -> None:
    driver = cast["driver"]
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        conversation_id = conversations.write_to_driver(cast["trip"], cast["alix"], "Bonjour")
        seen = len(outbox(app))
        for refused in (Decision("suspend"), Decision("suspend", until=date.today() - timedelta(days=1))):
            with pytest.raises(ModerationError):
                moderation.act(cast["modo"], cast["report"], refused)
        moderation.act(
            cast["modo"], cast["report"], Decision("suspend", note="Deux semaines.", until=NEXT_WEEK)
        )
        assert sorted(mails_since(app, seen)) == [
            ("alix@example.org", "Votre trajet est retiré par les modérateurs"),
            ("driver@example.org", "Votre compte est suspendu"),
            ("sam@example.org", "Your trip is withdrawn by the moderators"),
        ]
        user = db.session.get(User, driver)
        assert user is not None and user.suspended_until is not None and user.is_active
        trip = db.session.get(Trip, cast["trip"])
        assert trip is not None and trip.status == "hidden"
        assert {b.status for b in db.session.scalars(select(Booking))} == {"cancelled"}
        assert find(SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date())) == []
        (entry,) = db.session.scalars(select(ModerationAction))
        assert (entry.action, entry.until, entry.note) == ("suspend", user.suspended_until, "Deux semaines.")
        # Refused, each with its message, and nothing stored.
        other = publish(cast["alix"], draft())
        before = snapshot()
        with pytest.raises(TripError, match="suspendu jusqu’au"):
            publish(driver, draft())
        with pytest.raises(ConversationError):
            conversations.send(conversation_id, driver, "Allô ?")
        with pytest.raises(BookingError):
            bookings.request_booking(driver, ask(other))
        with pytest.raises(ModerationError):
            moderation.report(driver, ReportTarget("user", cast["alix"]), "other", "Vengeance")
        assert snapshot() == before
        # The moderators lift it: the driver publishes again (hidden trips stay hidden).
        lift = moderation.report(cast["sam"], ReportTarget("user", driver), "other", "Revu")
        moderation.act(cast["modo"], lift, Decision("lift", note="C’est bon."))
        publish(driver, draft())
        assert [a[0] for a in the_log()] == ["suspend", "lift"]
        assert db.session.get(Trip, cast["trip"]).status == "hidden"  # type: ignore[union-attr]


def test_a_banned_member_can_no_longer_sign_in(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    for email, name in (("camille@example.org", "Camille"), ("alix@example.org", "Alix")):
        assert runner.invoke(args=["users", "create", email, name, "--password", PASSWORD]).exit_code == 0
    assert runner.invoke(args=["users", "make-admin", "alix@example.org"]).exit_code == 0
    assert sign_in(client, "camille@example.org", PASSWORD).status_code == 302
    other = app.test_client()
    sign_in(other, "alix@example.org", PASSWORD)
    with app.app_context():
        report_id = moderation.report(2, ReportTarget("user", 1), "spam", "Faux compte")
        moderation.act(2, report_id, Decision("ban", note="Faux compte."))
        user = db.session.get(User, 1)
        assert user is not None and user.banned_at is not None and not user.is_active
        assert outbox(app)[-1]["Subject"] == "Votre compte est fermé"
        assert the_log() == [("ban", 2, 1, None, report_id)]
    # The open session no longer counts, and signing in is refused with the reason.
    assert "/account/login" in client.get("/my/trips").headers["Location"]
    refused = sign_in(client, "camille@example.org", PASSWORD)
    assert refused.status_code == 200 and "fermé par les modérateurs" in refused.get_data(as_text=True)
    wrong = sign_in(client, "camille@example.org", "not the password").get_data(as_text=True)
    assert "fermé" not in wrong  # a stranger learns nothing


def test_hiding_a_trip_cancels_its_bookings_and_tells_everyone(app: Flask, cast: dict[str, int]) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        assert [
            r.trip_id for r in find(SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date()))
        ] == [cast["trip"]]
        seen = len(outbox(app))
        moderation.act(cast["modo"], cast["trip_report"], Decision("hide_trip", note="Trajets commerciaux."))
        assert sorted(mails_since(app, seen)) == [
            ("alix@example.org", "Votre trajet est retiré par les modérateurs"),
            ("driver@example.org", "Votre trajet est retiré par les modérateurs"),
            ("sam@example.org", "Your trip is withdrawn by the moderators"),
        ]
        assert find(SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date())) == []
        assert count(TripCell) == 0
        assert the_log() == [("hide_trip", cast["modo"], cast["driver"], cast["trip"], cast["trip_report"])]
        # The driver can neither change it nor book it again.
        with pytest.raises(BookingError):
            bookings.request_booking(cast["alix"], ask(cast["trip"]))
        again = moderation.report(cast["alix"], ReportTarget("trip", cast["trip"]), "spam", "Encore")
        with pytest.raises(ModerationError):  # hidden already
            moderation.act(cast["modo"], again, Decision("hide_trip"))


def test_closing_without_action_is_logged_and_tells_nobody(app: Flask, cast: dict[str, int]) -> None:
    with app.app_context():
        seen = len(outbox(app))
        moderation.act(cast["modo"], cast["report"], Decision("close", note="Rien à redire."))
        assert mails_since(app, seen) == []
        assert the_log() == [("close", cast["modo"], cast["driver"], None, cast["report"])]
        for wrong in (Decision("explode"), Decision("close", note="x" * 2001)):
            with pytest.raises(ModerationError):
                moderation.act(cast["modo"], cast["trip_report"], wrong)
        own = moderation.report(cast["alix"], ReportTarget("user", cast["modo"]), "other", "Modo")
        with pytest.raises(ModerationError):  # a moderator does not judge their own case
            moderation.act(cast["modo"], own, Decision("suspend", until=NEXT_WEEK))
        with pytest.raises(ModerationError):  # a suspension of more than ten years is a ban
            moderation.act(cast["modo"], cast["trip_report"], Decision("suspend", until=date(9999, 12, 31)))
        assert len(the_log()) == 1


def test_the_queue_lists_open_reports_first_oldest_first(app: Flask, cast: dict[str, int]) -> None:
    with app.app_context():
        moderation.act(cast["modo"], cast["report"], Decision("close"))
        page = moderation.queue(cast["modo"])
        assert [r.id for r in page.items] == [cast["trip_report"], cast["report"]]
        assert (page.page, page.pages, page.total) == (1, 1, 2)
        assert moderation.open_count(cast["modo"]) == 1 and moderation.open_count(cast["alix"]) == 0
        for who in (cast["alix"], cast["driver"], 999):
            for call in (moderation.queue, moderation.log, moderation.users, moderation.bookings):
                with pytest.raises(NotAModerator):
                    call(who)
            with pytest.raises(NotAModerator):
                moderation.act(who, cast["trip_report"], Decision("close"))


MODERATION_PAGES = (
    "/moderation",
    "/moderation/log",
    "/moderation/users",
    "/moderation/trips",
    "/moderation/bookings",
    "/moderation/dashboard",
    "/moderation/partners",
)
ACTIONS = ("warn", "hide_trip", "suspend", "ban", "lift", "close")


def _site(app: Flask, client: FlaskClient, runner: FlaskCliRunner) -> dict[str, str]:
    """Camille drives, Alix books, writes and reports; Sam is a moderator."""
    assert runner.invoke(args=["places", "load"]).exit_code == 0
    members_created(runner, "Camille", "Alix", "Sam")
    assert runner.invoke(args=["users", "make-admin", "sam@example.org"]).exit_code == 0
    sign_in(client, "camille@example.org", PASSWORD)
    trip = publish_page(client).headers["Location"]
    with app.app_context():
        trip_id = int(trip.rsplit("/", 1)[1])
        booking_id = bookings.request_booking(2, ask(trip_id))
        conversation_id = conversations.write_about_booking(booking_id, 1, "Rendez-vous <b>8 h</b>")
        message_id = db.session.scalars(select(Message.id)).one()
        reported = moderation.report(2, ReportTarget("message", message_id), "behaviour", "Ton <script>")
        moderation.report(2, ReportTarget("trip", trip_id), "professional", "Taxi")
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    return {
        "trip": trip,
        "booking": f"/bookings/{booking_id}",
        "conversation": f"/conversations/{conversation_id}",
        "report": f"/moderation/reports/{reported}",
    }


def test_only_moderators_open_the_moderation_pages(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    site = _site(app, client, runner)
    for path in (*MODERATION_PAGES, site["report"]):  # visitors are sent to sign in
        assert "/account/login" in client.get(path).headers["Location"]
    sign_in(client, "alix@example.org", PASSWORD)
    assert "Modération" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        before = snapshot()
    for path in (*MODERATION_PAGES, site["report"]):
        assert client.get(path).status_code == 403, path
    token = token_of(client, "/")
    for action in ACTIONS:
        posted = client.post(
            site["report"],
            data={"action": action, "note": "x", "until": NEXT_WEEK.isoformat(), "csrf_token": token},
        )
        assert posted.status_code == 403, action
    with app.app_context():
        assert snapshot() == before


def test_moderating_through_the_pages(app: Flask, client: FlaskClient, runner: FlaskCliRunner) -> None:
    site = _site(app, client, runner)
    sign_in(client, "sam@example.org", PASSWORD)
    home = client.get("/").get_data(as_text=True)
    assert "Modération" in home and "2 signalements en cours" in home
    queue = client.get("/moderation").get_data(as_text=True)
    # The reported text and the reason are shown as text, never as markup.
    assert "Rendez-vous &lt;b&gt;8 h&lt;/b&gt;" in queue and "Ton &lt;script&gt;" in queue
    assert "<script>" not in queue.split("<main")[1]
    page = client.get(site["report"]).get_data(as_text=True)
    assert "Avertir le membre" in page and "Clore sans suite" in page
    assert "Masquer le trajet" in page  # the driver wrote it: their trip can go
    # The booking's page, read-only for a moderator; the conversation, while reported.
    booking = client.get(site["booking"]).get_data(as_text=True)
    assert "en tant que modérateur" in booking and "Annuler cette réservation" not in booking
    assert "en tant que modérateur" in client.get(site["conversation"]).get_data(as_text=True)
    refused = client.post(
        site["report"], data={"action": "warn", "note": "", "csrf_token": token_of(client, "/")}
    )
    assert "Écrivez l’avertissement" in client.get(refused.headers["Location"]).get_data(as_text=True)
    done = client.post(
        site["report"],
        data={
            "action": "suspend",
            "note": "Une semaine.",
            "until": NEXT_WEEK.isoformat(),
            "csrf_token": token_of(client, "/"),
        },
    )
    assert done.headers["Location"] == "/moderation"
    assert "C’est fait" in client.get("/moderation").get_data(as_text=True)
    log = client.get("/moderation/log").get_data(as_text=True)
    assert "Compte suspendu" in log and "Une semaine." in log and "Camille" in log
    assert client.get(site["conversation"]).status_code == 403  # closed: private again
    with app.app_context():
        assert db.session.get(Booking, 1).status == "cancelled"  # type: ignore[union-attr]
        assert db.session.get(Conversation, 1) is not None
    # Bad input never makes a 500.
    for path in (
        site["report"] + "?page=x",
        "/moderation?page=-3",
        "/moderation?page=99999999999999999999999",
        "/moderation/users?q=%00%25_&page=abc",
        "/moderation/trips?q=" + "x" * 5000,
        "/moderation/bookings?q=%C3%A9&page=0",
        "/moderation/reports/999",
    ):
        assert client.get(path).status_code in (200, 404), path
    posted = client.post(
        site["report"], data={"action": "suspend", "until": "31/02/2027", "csrf_token": token_of(client, "/")}
    )
    assert posted.status_code == 302


def test_moderation_pages_in_english(app: Flask, client: FlaskClient, runner: FlaskCliRunner) -> None:
    site = _site(app, client, runner)
    sign_in(client, "sam@example.org", PASSWORD)
    client.post("/language", data={"language": "en", "next": "/", "csrf_token": token_of(client, "/")})
    assert "2 open reports" in client.get("/").get_data(as_text=True)
    assert "Flagged by the site" not in client.get("/moderation").get_data(as_text=True)
    page = client.get(site["report"]).get_data(as_text=True)
    assert "Warn the member" in page and "Close without action" in page
    assert "Moderation log" in client.get("/moderation/log").get_data(as_text=True)


def flags() -> list[tuple[str | None, int | None, str, int | None, str | None]]:
    rows = db.session.scalars(select(Report).where(Report.reporter_id.is_(None)).order_by(Report.id))
    return [(r.flag, r.user_id, r.category, r.trip_id, r.closed_at and "closed") for r in rows]


def test_a_contribution_above_the_ceiling_is_refused_and_flagged_once(app: Flask, driver: int) -> None:
    modo = member(app, "Modo")
    make_admin(app, modo)
    with app.app_context():
        for _ in range(2):
            with pytest.raises(TripError, match="aucun bénéfice"):
                publish(driver, draft(contribution_cents=100_000))
        assert count(Trip) == 0  # refused, as before
        assert flags() == [("above_ceiling", driver, "professional", None, None)]
        (flag,) = moderation.queue(modo).items
        assert flag.reporter_name is None and "au-dessus du plafond" in flag.reason
        # Once the moderators closed it, a new attempt (here, changing a trip) is flagged again.
        moderation.act(modo, flag.id, Decision("close"))
        trip_id = publish(driver, draft())
        from carpool.services.trips import update

        with pytest.raises(TripError):
            update(trip_id, driver, draft(contribution_cents=100_000))
        db.session.remove()
        assert [f[0] for f in flags()] == ["above_ceiling", "above_ceiling"]
        assert db.session.get(Trip, trip_id).contribution_cents < 100_000  # type: ignore[union-attr]


def test_many_trips_in_a_week_or_many_seats_are_flagged(app: Flask, driver: int) -> None:
    with app.app_context():
        trip_ids = [publish(driver, draft(departure=TOMORROW + timedelta(hours=6 * i))) for i in range(20)]
        assert flags() == []  # twenty is the most without a flag
        trip_ids.append(publish(driver, draft(departure=TOMORROW + timedelta(days=5))))
        assert flags() == [("many_trips", driver, "professional", trip_ids[-1], None)]
        publish(driver, draft(departure=TOMORROW + timedelta(days=6)))
        assert len(flags()) == 1  # one open flag per driver and rule
        (flag,) = db.session.scalars(select(Report))
        assert "22 trajets" not in flag.reason and "21 trajets" in flag.reason
        seven = publish(driver, draft(seats=7))
        publish(driver, draft(seats=8))
        assert flags()[1:] == [("many_seats", driver, "professional", seven, None)]


def test_trips_spread_over_weeks_are_not_flagged(app: Flask, driver: int) -> None:
    app.config["FLAG_TRIPS_PER_WEEK"] = 3
    with app.app_context():
        for day in (0, 0, 8, 8, 16, 16):  # at most two in any seven days
            publish(driver, draft(departure=TOMORROW + timedelta(days=day)))
        assert flags() == []
        publish(driver, draft(departure=TOMORROW + timedelta(days=3)))
        publish(driver, draft(departure=TOMORROW + timedelta(days=5)))  # days 0, 0, 3, 5: four in a week
        assert [f[0] for f in flags()] == ["many_trips"]


def test_the_administrators_lists(app: Flask, cast: dict[str, int]) -> None:
    modo = cast["modo"]
    with app.app_context():
        for i in range(30):
            db.session.add(User(email=f"m{i}@example.org", display_name=f"Membre {i}", password_hash="-"))
        db.session.commit()
        everyone = moderation.users(modo)
        assert (everyone.total, everyone.pages, len(everyone.items)) == (34, 2, 25)
        assert len(moderation.users(modo, page=2).items) == 9
        assert moderation.users(modo, page=99).page == 2 and moderation.users(modo, page=-1).page == 1
        assert [u.display_name for u in moderation.users(modo, "ALIX").items] == ["Alix"]
        assert [u.email for u in moderation.users(modo, "m29@").items] == ["m29@example.org"]
        assert moderation.users(modo, "%").total == 0 and moderation.users(modo, "\x00_").total == 0
        (trip,) = moderation.trips_list(modo, "larvotto").items
        assert (trip.id, trip.driver_name, trip.status) == (cast["trip"], "Camille", "published")
        assert moderation.trips_list(modo, "Atlantis").items == ()
        assert [b.passenger_name for b in moderation.bookings(modo, "sam").items] == ["Sam"]
        assert len(moderation.bookings(modo, "camille").items) == 2  # the driver's name
        # A moderator reads a booking, without the phone numbers, and changes nothing.
        seen = bookings.get_booking(cast["booking"], modo)
        assert seen.moderating and seen.other_phone == "" and not seen.viewer_is_driver
        with pytest.raises(bookings.NotYourBooking):
            bookings.get_booking(cast["booking"], cast["sam"])
        with pytest.raises(bookings.NotYourBooking):
            bookings.cancel_booking(cast["booking"], modo)
