"""Conversations: a passenger writes to a driver, the driver answers; unread counts;
nobody else reads them; they outlive a cancelled booking."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from carpool.extensions import db
from carpool.models import Message
from carpool.services import bookings, conversations
from carpool.services.conversations import ConversationError, NotYourConversation
from carpool.services.trips import publish
from tests.site.test_auth import sign_in, token_of
from tests.site.test_bookings import ask, member
from tests.site.test_pages import PASSWORD
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
    for email, name in (
        ("camille@example.org", "Camille"),
        ("alix@example.org", "Alix"),
        ("sam@example.org", "Sam"),
    ):
        assert runner.invoke(args=["users", "create", email, name, "--password", PASSWORD]).exit_code == 0
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
