"""Members' data: the copy holds theirs and nobody else's; a deleted account leaves no
personal field behind; past trips and messages are purged after the retention delay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_babel import force_locale
from sqlalchemy import String, Text, func, select
from werkzeug.security import generate_password_hash

from carpool.extensions import db
from carpool.models import Alert, Booking, Conversation, MailJob, Message, Review, Trip, User
from carpool.services import bookings, conversations, privacy, reviews
from carpool.services.alerts import AlertWish, create_alert
from carpool.services.trips import publish
from tests.site.test_alerts import point
from tests.site.test_auth import sign_in, token_of
from tests.site.test_bookings import ask
from tests.site.test_pages import PASSWORD
from tests.site.test_trips import LARVOTTO, PALACE, TOMORROW, draft

ARRIVED = TOMORROW + timedelta(hours=2)
#: What identifies Dominique, the member whose data is copied or deleted.
DOMINIQUE = {
    "email": "dominique@example.org",
    "name": "Dominique Lefèvre",
    "phone": "+33 6 12 34 56 78",
    "bio": "Musicienne, je vais à Nice le mardi.",
}


def make_member(app: Flask, email: str, name: str, **fields: str) -> int:
    with app.app_context():
        user = User(
            email=email,
            display_name=name,
            password_hash=generate_password_hash(PASSWORD),
            language="fr",
            confirmed_at=datetime.now(UTC),
            **fields,
        )
        db.session.add(user)
        db.session.commit()
        return user.id


@pytest.fixture
def travellers(app: Flask) -> dict[str, int]:
    """Camille drives Dominique (accepted, completed, reviewed both ways, messages
    both ways); Dominique also drives a trip to come that Sacha booked, and keeps an
    alert."""
    camille = make_member(app, "camille@example.org", "Camille Martin", phone="+33 7 00 00 00 01")
    dominique = make_member(
        app, DOMINIQUE["email"], DOMINIQUE["name"], phone=DOMINIQUE["phone"], bio=DOMINIQUE["bio"]
    )
    sacha = make_member(app, "sacha@example.org", "Sacha Petit")
    with app.app_context():
        ride = publish(camille, draft(comment="Coffre plein"))
        booking = bookings.request_booking(dominique, ask(ride))
        bookings.accept(booking, camille)
        conversation = conversations.write_about_booking(booking, dominique, "Je serai devant la poste.")
        conversations.write_about_booking(booking, camille, "Parfait, à demain Camille.")
        reviews.write_review(booking, dominique, 5, "Conduite très douce", now=ARRIVED)
        reviews.write_review(booking, camille, 4, "Passagère ponctuelle", now=ARRIVED)
        own = publish(
            dominique, draft(departure=TOMORROW + timedelta(days=3), origin=LARVOTTO, destination=PALACE)
        )
        sacha_booking = bookings.request_booking(sacha, ask(own, start=LARVOTTO, end=PALACE))
        pickup, dropoff = (PALACE.lat, PALACE.lon), (LARVOTTO.lat, LARVOTTO.lon)
        create_alert(
            dominique, AlertWish(point(pickup), point(dropoff), day=TOMORROW.date() + timedelta(days=5))
        )
    return {
        "camille": camille,
        "dominique": dominique,
        "sacha": sacha,
        "ride": ride,
        "booking": booking,
        "conversation": conversation,
        "own": own,
        "sacha_booking": sacha_booking,
    }


# -- the copy of one's data ---------------------------------------------------------------


def test_the_copy_holds_my_data_and_nobody_else(app: Flask, travellers: dict[str, int]) -> None:
    with app.app_context():
        data = privacy.export_data(travellers["dominique"])
    text = json.dumps(data, ensure_ascii=False)
    assert data["account"]["email"] == DOMINIQUE["email"] and data["account"]["phone"] == DOMINIQUE["phone"]
    assert [t["id"] for t in data["trips_driven"]] == [travellers["own"]]
    assert [b["id"] for b in data["bookings"]] == [travellers["booking"]]
    assert [m["body"] for m in data["messages_written"]] == ["Je serai devant la poste."]
    assert [r["comment"] for r in data["reviews_written"]] == ["Conduite très douce"]
    assert [r["rating"] for r in data["reviews_received"]] == [4]
    assert len(data["alerts"]) == 1 and data["trips_driven"][0]["seats_booked"] == 0
    # Nothing about Camille or Sacha: no name, address, phone or message of theirs.
    for theirs in ("Camille", "Martin", "camille@", "+33 7", "Sacha", "sacha@", "à demain", "Coffre plein"):
        assert theirs not in text, theirs


def test_the_copy_is_downloaded_from_the_profile(
    app: Flask, client: FlaskClient, travellers: dict[str, int]
) -> None:
    assert client.get("/account/data.json").status_code == 302  # to the sign-in page
    assert sign_in(client, DOMINIQUE["email"], PASSWORD).status_code == 302
    assert "/account/data.json" in client.get("/account/profile").get_data(as_text=True)
    response = client.get("/account/data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_json()["account"]["display_name"] == DOMINIQUE["name"]


# -- deleting an account ----------------------------------------------------------------


def personal_values_left(values: dict[str, str]) -> list[str]:
    """Every text column of every table that still holds one of ``values``."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text):
                continue
            for value in values.values():
                if db.session.scalar(select(func.count()).select_from(table).where(column.contains(value))):
                    found.append(f"{table.name}.{column.name}: {value}")
    return found


def test_deleting_an_account_leaves_no_personal_field_behind(app: Flask, travellers: dict[str, int]) -> None:
    dominique = travellers["dominique"]
    with app.app_context():
        with pytest.raises(privacy.AccountError):
            privacy.delete_account(dominique, "not my password")
        assert db.session.get(User, dominique).deleted_at is None  # type: ignore[union-attr]
        assert personal_values_left(DOMINIQUE)  # the check finds them while they are there

        privacy.delete_account(dominique, PASSWORD)
        db.session.expire_all()
        assert personal_values_left(DOMINIQUE) == []
        user = db.session.get(User, dominique)
        assert user is not None and user.deleted_at is not None and not user.is_active
        assert (user.name, user.phone, user.bio, user.password_hash) == ("", "", "", "!")
        assert db.session.query(Alert).count() == 0
        assert db.session.query(Review).filter(Review.subject_id == dominique).count() == 0
        # The trip to come is cancelled, and Sacha told; the review Dominique wrote stays.
        assert db.session.get(Trip, travellers["own"]).status == "cancelled"  # type: ignore[union-attr]
        assert db.session.get(Booking, travellers["sacha_booking"]).status == "cancelled"  # type: ignore[union-attr]
        told = db.session.scalars(
            select(MailJob.to).where(MailJob.subject == "Le conducteur a annulé votre trajet")
        )
        assert list(told) == ["sacha@example.org"]
        assert db.session.query(Review).filter(Review.author_id == dominique).count() == 1
        # Camille still reads the conversation, written by a deleted member.
        view = conversations.read(travellers["conversation"], travellers["camille"])
        assert "Je serai devant la poste." in [m.body for m in view.messages]
        with force_locale("fr"):
            assert user.display_name == "Membre supprimé"
        with force_locale("en"):
            assert user.display_name == "Deleted member"


def test_the_account_is_deleted_from_its_page(
    app: Flask, client: FlaskClient, travellers: dict[str, int]
) -> None:
    assert sign_in(client, DOMINIQUE["email"], PASSWORD).status_code == 302
    page = client.get("/account/delete").get_data(as_text=True)
    assert "Supprimer mon compte" in page and "ne peut pas être annulé" in page
    token = token_of(client, "/account/delete")
    wrong = client.post("/account/delete", data={"password": "nope", "csrf_token": token})
    assert "Ce n’est pas votre mot de passe" in wrong.get_data(as_text=True)
    response = client.post("/account/delete", data={"password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert "Votre compte est supprimé." in client.get("/").get_data(as_text=True)
    assert client.get("/account/profile").status_code == 302  # signed out
    assert sign_in(client, DOMINIQUE["email"], PASSWORD).status_code != 302  # and for good
    # Camille's conversation page names the author as a deleted member.
    assert sign_in(client, "camille@example.org", PASSWORD).status_code == 302
    page = client.get(f"/conversations/{travellers['conversation']}").get_data(as_text=True)
    assert "Membre supprimé" in page and "Je serai devant la poste." in page and "Dominique" not in page
    gone = client.get(f"/members/{travellers['dominique']}")
    assert gone.status_code == 410 and "a supprimé son compte" in gone.get_data(as_text=True)


# -- the retention delay ------------------------------------------------------------------


def test_past_trips_are_purged_after_the_delay(app: Flask, runner: FlaskCliRunner) -> None:
    driver = make_member(app, "camille@example.org", "Camille")
    passenger = make_member(app, "alix@example.org", "Alix")
    long_ago = datetime.now(UTC) - timedelta(days=800)
    with app.app_context():
        old = publish(
            driver, draft(departure=long_ago + timedelta(days=1), comment="Vieux trajet"), now=long_ago
        )
        booking = bookings.request_booking(passenger, ask(old), now=long_ago)
        conversations.write_to_driver(old, passenger, "Il y a longtemps", now=long_ago)
        recent = publish(driver, draft(comment="Demain"))
        conversations.write_to_driver(recent, passenger, "Bientôt")
        report = privacy.purge_past()
        assert (report.trips, report.messages) == (1, 1)
        assert [m.body for m in db.session.scalars(select(Message))] == ["Bientôt"]
        assert db.session.query(Conversation).count() == 1
        db.session.expire_all()
        assert db.session.get(Trip, old).comment == ""  # type: ignore[union-attr]
        assert db.session.get(Trip, recent).comment == "Demain"  # type: ignore[union-attr]
        kept = db.session.get(Booking, booking)
        assert kept is not None and kept.message == "" and kept.pickup_name == ""
        assert kept.pickup_lat == round(PALACE.lat, 2)
        assert kept.shared_m is not None and kept.shared_m > 1000  # the distance shared is kept
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0 and "trips made anonymous: 0, messages deleted: 0" in result.output


def test_the_deletion_page_in_english(client: FlaskClient, travellers: dict[str, int]) -> None:
    assert sign_in(client, "sacha@example.org", PASSWORD).status_code == 302
    client.post("/language", data={"language": "en", "csrf_token": token_of(client, "/")})
    page = client.get("/account/delete").get_data(as_text=True)
    assert "Delete my account" in page and "This cannot be undone." in page
    assert "Download all my data" in client.get("/account/profile").get_data(as_text=True)


def test_deleting_an_account_keeps_other_members_mails_and_erases_past_trips(app: Flask) -> None:
    jo = make_member(app, "jo@example.org", "Jo")
    josephine = make_member(app, "josephine@example.org", "Joséphine")
    long_ago = datetime.now(UTC) - timedelta(days=30)
    with app.app_context():
        past = publish(
            jo, draft(departure=long_ago + timedelta(days=1), comment="Appelez le 06 12"), now=long_ago
        )
        from carpool.services import mail

        mail.queue("josephine@example.org", "Bonjour", "Bonjour Joséphine, à Jonquières avec Jo ?")
        db.session.commit()
        privacy.delete_account(jo, PASSWORD)
        (kept,) = db.session.query(MailJob).filter(MailJob.to == "josephine@example.org").all()
        assert kept.body == "Bonjour Joséphine, à Jonquières avec Membre supprimé ?"
        trip = db.session.get(Trip, past)
        assert trip is not None and trip.comment == "" and trip.anonymised_at is not None
        assert all(stop.lat == round(stop.lat, 2) for stop in trip.stops)
        assert db.session.get(User, josephine).deleted_at is None  # type: ignore[union-attr]


def test_the_purge_keeps_what_moderators_still_read_and_forgets_old_mails(app: Flask) -> None:
    from carpool.models import Report
    from carpool.services import mail, moderation

    driver = make_member(app, "camille@example.org", "Camille")
    passenger = make_member(app, "alix@example.org", "Alix")
    long_ago = datetime.now(UTC) - timedelta(days=800)
    with app.app_context():
        old = publish(driver, draft(departure=long_ago + timedelta(days=1)), now=long_ago)
        conversation = conversations.write_to_driver(old, passenger, "Insulte", now=long_ago)
        moderation.report(
            driver, moderation.ReportTarget("conversation", conversation), "behaviour", "Grossier"
        )
        mail.queue("alix@example.org", "Vieux", "Jamais parti")
        db.session.commit()
        db.session.query(MailJob).update({MailJob.created_at: long_ago})
        db.session.commit()
        report = privacy.purge_past()
        assert report.messages == 0 and db.session.query(Conversation).count() == 1  # still reported
        assert report.mails >= 1 and db.session.query(MailJob).count() == 0
        (open_report,) = db.session.query(Report).all()
        open_report.closed_at = datetime.now(UTC)
        db.session.commit()
        assert privacy.purge_past().messages == 1 and db.session.query(Conversation).count() == 0
