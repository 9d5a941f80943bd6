"""Conversations: a passenger writes to a driver, the driver answers; unread counts;
nobody else reads them; they outlive a cancelled booking."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from carpool.extensions import db
from carpool.models import Message
from carpool.services import bookings, conversations, moderation
from carpool.services.conversations import ConversationError, NotYourConversation
from carpool.services.moderation import ReportTarget
from carpool.services.trips import publish
from tests.site.test_auth import sign_in, token_of
from tests.site.test_bookings import ask, member
from tests.site.test_pages import PASSWORD, members_created
from tests.site.test_pages import publish as publish_page
from tests.site.test_trips import draft


def test_a_conversation_between_a_passenger_and_a_driver(app: Flask, driver: int) -> None:
    alix, sam = member(app, "Alix"), member(app, "Sam")
    with app.app_context():
        trip_id = publish(driver, draft())
        conversation_id = conversations.write_to_driver(trip_id, alix, "  Bonjour, il reste de la place ?  ")
        assert conversations.write_to_driver(trip_id, alix, "Pour deux ?") == conversation_id  # the same one
        assert conversations.unread_count(driver) == 2 and conversations.unread_count(alix) == 0
        (entry,) = conversations.inbox(driver)
        assert (entry.other_name, entry.unread) == ("Alix", 2)
        seen = conversations.read(conversation_id, driver)
        assert [m.body for m in seen.messages] == ["Bonjour, il reste de la place ?", "Pour deux ?"]
        assert conversations.unread_count(driver) == 0
        conversations.send(conversation_id, driver, "Oui, deux places.")
        assert conversations.unread_count(alix) == 1
        assert [m.mine for m in conversations.read(conversation_id, alix).messages] == [True, True, False]
        # Nobody else reads or writes.
        with pytest.raises(NotYourConversation):
            conversations.read(conversation_id, sam)
        with pytest.raises(NotYourConversation):
            conversations.send(conversation_id, sam, "Coucou")
        for bad in ("", "   \x00 ", "x" * 2001):
            with pytest.raises(ConversationError):
                conversations.send(conversation_id, alix, bad)
        with pytest.raises(ConversationError):
            conversations.write_to_driver(trip_id, driver, "À moi-même")


def test_messages_stay_when_a_booking_is_cancelled(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        trip_id = publish(driver, draft())
        booking_id = bookings.request_booking(alix, ask(trip_id))
        conversation_id = conversations.write_to_driver(trip_id, alix, "Je réserve une place.")
        bookings.cancel_booking(booking_id, alix)
        assert db.session.query(Message).count() == 1
        assert conversations.read(conversation_id, driver).messages[0].body == "Je réserve une place."


def test_conversations_through_the_pages(client: FlaskClient, runner) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(args=["places", "load"]).exit_code == 0
    members_created(runner, "Camille", "Alix", "Sam")
    sign_in(client, "camille@example.org", PASSWORD)
    trip = publish_page(client).headers["Location"]
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    sign_in(client, "alix@example.org", PASSWORD)
    written = client.post(
        trip + "/messages", data={"body": "Bonjour !", "csrf_token": token_of(client, trip)}
    )
    conversation = written.headers["Location"]
    assert "/conversations/" in conversation
    assert "Bonjour !" in client.get(conversation).get_data(as_text=True)
    empty = client.post(trip + "/messages", data={"body": "", "csrf_token": token_of(client, trip)})
    assert "Écrivez d’abord un message." in client.get(empty.headers["Location"]).get_data(as_text=True)
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    sign_in(client, "sam@example.org", PASSWORD)
    assert client.get(conversation).status_code == 403
    assert client.get("/conversations/999").status_code == 404
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    sign_in(client, "camille@example.org", PASSWORD)
    home = client.get("/").get_data(as_text=True)
    assert "1 non lu" in home
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "Alix" in inbox and "1 non lu" in inbox
    answered = client.post(
        conversation, data={"body": "Avec plaisir.", "csrf_token": token_of(client, conversation)}
    )
    assert answered.status_code == 302
    page = client.get(conversation).get_data(as_text=True)
    assert "Avec plaisir." in page and "non lu" not in page
    reported = client.post(
        conversation + "/report",
        data={"category": "spam", "reason": "Spam", "csrf_token": token_of(client, conversation)},
    )
    assert "un modérateur de l’association va examiner" in client.get(reported.headers["Location"]).get_data(
        as_text=True
    )
    assert client.get("/moderation").status_code == 403  # not a moderator
    assert runner.invoke(args=["users", "make-admin", "sam@example.org"]).exit_code == 0
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    sign_in(client, "sam@example.org", PASSWORD)
    assert client.get("/moderation/reports").headers["Location"] == "/moderation"  # the old address
    assert "Spam" in client.get("/moderation").get_data(as_text=True)
    as_moderator = client.get(conversation).get_data(as_text=True)
    assert "en tant que modérateur" in as_moderator and "Avec plaisir." in as_moderator


def test_a_reported_conversation_is_read_by_a_moderator_only(app: Flask, driver: int) -> None:
    alix, moderator, member_ = member(app, "Alix"), member(app, "Modo"), member(app, "Sam")
    with app.app_context():
        from carpool.models import User

        user = db.session.get(User, moderator)
        assert user is not None
        user.is_admin = True
        db.session.commit()
        trip_id = publish(driver, draft())
        conversation_id = conversations.write_to_driver(trip_id, alix, "Bonjour")
        conversations.send(conversation_id, driver, "Message déplacé")
        with pytest.raises(NotYourConversation):  # no report yet: moderators do not read
            conversations.read(conversation_id, moderator)
        about = ReportTarget("conversation", conversation_id)
        with pytest.raises(moderation.ModerationError):
            moderation.report(alix, about, "behaviour", "  ")
        with pytest.raises(moderation.CannotReport):
            moderation.report(member_, about, "behaviour", "Curieux")
        moderation.report(alix, about, "behaviour", "Propos insultants")
        seen = conversations.read(conversation_id, moderator)
        assert seen.moderating and [m.body for m in seen.messages] == ["Bonjour", "Message déplacé"]
        assert conversations.unread_count(alix) == 1  # a moderator's reading marks nothing read
        (open_report,) = moderation.queue(moderator).items
        assert (open_report.reason, open_report.user_name) == ("Propos insultants", "Camille")
        with pytest.raises(NotYourConversation):  # moderators read, they do not write
            conversations.send(conversation_id, moderator, "Bonjour")
        with pytest.raises(NotYourConversation):  # other members still cannot read
            conversations.read(conversation_id, member_)
        with pytest.raises(moderation.NotAModerator):
            moderation.queue(member_)


def test_writing_from_a_booking_joins_the_trips_conversation(app: Flask, driver: int) -> None:
    alix, sam = member(app, "Alix"), member(app, "Sam")
    with app.app_context():
        trip_id = publish(driver, draft())
        booking_id = bookings.request_booking(alix, ask(trip_id))
        from_driver = conversations.write_about_booking(booking_id, driver, "Je vous prends à 8 h.")
        assert conversations.write_to_driver(trip_id, alix, "Parfait") == from_driver
        with pytest.raises(NotYourConversation):
            conversations.write_about_booking(booking_id, sam, "Et moi ?")
        assert [m.body for m in conversations.read(from_driver, alix).messages] == [
            "Je vous prends à 8 h.",
            "Parfait",
        ]
