"""Reports to the moderators: of a member, a trip, a conversation or a message; one
open report per reporter and thing; nobody reports what they cannot see, nor their
own things; the forms on the pages, for signed-in members only."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from carpool.extensions import db
from carpool.models import Message, Report, User
from carpool.services import conversations, moderation
from carpool.services.conversations import NotYourConversation
from carpool.services.moderation import CannotReport, Decision, ModerationError, ReportNotFound, ReportTarget
from carpool.services.trips import publish
from tests.site.test_auth import sign_in, token_of
from tests.site.test_bookings import member
from tests.site.test_pages import PASSWORD
from tests.site.test_pages import publish as publish_page
from tests.site.test_trips import draft


def reports() -> int:
    return db.session.scalar(select(func.count(Report.id))) or 0


def make_admin(app: Flask, user_id: int) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        user.is_admin = True
        db.session.commit()


def test_members_report_a_member_a_trip_a_conversation_and_a_message(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        trip_id = publish(driver, draft())
        conversation_id = conversations.write_to_driver(trip_id, alix, "Bonjour")
        answer = conversations.send(conversation_id, driver, "Payez-moi 50 € en liquide")
        mine = db.session.scalars(select(Message.id).where(Message.sender_id == alix)).one()
        made = [
            moderation.report(alix, ReportTarget("user", driver), "behaviour", "  Impoli\x00 "),
            moderation.report(alix, ReportTarget("trip", trip_id), "professional", "Il fait taxi"),
            moderation.report(alix, ReportTarget("conversation", conversation_id), "other", "À lire"),
            moderation.report(alix, ReportTarget("message", answer, conversation_id), "spam", "Arnaque"),
        ]
        rows = [db.session.get(Report, report_id) for report_id in made]
        assert [(r.kind, r.user_id, r.reporter_id) for r in rows if r] == [
            ("user", driver, alix),
            ("trip", driver, alix),
            ("conversation", driver, alix),
            ("message", driver, alix),
        ]
        assert rows[0] is not None and rows[0].reason == "Impoli"  # cleaned
        assert rows[3] is not None and rows[3].conversation_id == conversation_id
        refused = [
            (ReportTarget("user", alix), "behaviour", "Moi"),  # oneself
            (ReportTarget("message", mine, conversation_id), "spam", "Le mien"),  # one's own message
            (ReportTarget("user", driver), "behaviour", "Encore"),  # a second open report
            (ReportTarget("message", answer, conversation_id), "spam", "Encore"),
            (ReportTarget("trip", trip_id), "nonsense", "Catégorie inconnue"),
            (ReportTarget("conversation", conversation_id), "other", "  \x00 "),  # no reason
            (ReportTarget("conversation", conversation_id), "other", "x" * 1001),
        ]
        for target, category, reason in refused:
            with pytest.raises(ModerationError):
                moderation.report(alix, target, category, reason)
        with pytest.raises(ModerationError):  # the driver's own trip
            moderation.report(driver, ReportTarget("trip", trip_id), "other", "Mon trajet")
        for target in (
            ReportTarget("user", 999),
            ReportTarget("trip", 999),
            ReportTarget("message", 999),
            ReportTarget("message", answer, conversation_id + 1),  # not this conversation's
            ReportTarget("planet", 1),
        ):
            with pytest.raises(ReportNotFound):
                moderation.report(alix, target, "other", "Introuvable")
        assert reports() == 4  # nothing more was stored


def test_nobody_reports_a_message_they_cannot_see(app: Flask, driver: int) -> None:
    alix, sam = member(app, "Alix"), member(app, "Sam")
    with app.app_context():
        conversation_id = conversations.write_to_driver(publish(driver, draft()), alix, "Bonjour")
        message_id = db.session.scalars(select(Message.id)).one()
        with pytest.raises(CannotReport):
            moderation.report(sam, ReportTarget("message", message_id), "spam", "Curieux")
        with pytest.raises(CannotReport):
            moderation.report(sam, ReportTarget("conversation", conversation_id), "spam", "Curieux")
        assert reports() == 0


def test_a_reported_message_opens_its_conversation_to_moderators_until_closed(
    app: Flask, driver: int
) -> None:
    alix, modo = member(app, "Alix"), member(app, "Modo")
    make_admin(app, modo)
    with app.app_context():
        conversation_id = conversations.write_to_driver(publish(driver, draft()), alix, "Bonjour")
        answer = conversations.send(conversation_id, driver, "Message déplacé")
        with pytest.raises(NotYourConversation):
            conversations.read(conversation_id, modo)
        report_id = moderation.report(alix, ReportTarget("message", answer), "behaviour", "Déplacé")
        assert conversations.read(conversation_id, modo).moderating
        (row,) = moderation.queue(modo).items
        assert row.reported_text == "Message déplacé" and row.conversation_id == conversation_id
        moderation.act(modo, report_id, Decision("close"))
        with pytest.raises(NotYourConversation):  # closed: the conversation is private again
            conversations.read(conversation_id, modo)
        # Once closed, the same thing may be reported again.
        moderation.report(alix, ReportTarget("message", answer), "behaviour", "Encore déplacé")


def _members(runner: FlaskCliRunner, *names: str) -> None:
    assert runner.invoke(args=["places", "load"]).exit_code == 0
    for name in names:
        email = f"{name.lower()}@example.org"
        assert runner.invoke(args=["users", "create", email, name, "--password", PASSWORD]).exit_code == 0


def _switch(client: FlaskClient, email: str) -> None:
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    if email:
        assert sign_in(client, email, PASSWORD).status_code == 302


def test_reporting_through_the_pages(app: Flask, client: FlaskClient, runner: FlaskCliRunner) -> None:
    _members(runner, "Camille", "Alix", "Sam")
    sign_in(client, "camille@example.org", PASSWORD)
    trip = publish_page(client).headers["Location"]
    camille = "/members/1"
    assert "Signaler ce trajet" not in client.get(trip).get_data(as_text=True)  # one's own trip
    assert "Signaler ce membre" not in client.get(camille).get_data(as_text=True)  # oneself
    _switch(client, "alix@example.org")
    trip_page = client.get(trip).get_data(as_text=True)
    assert "Signaler ce trajet" in trip_page and "Chauffeur professionnel" not in trip_page
    assert "Un chauffeur professionnel, ou des trajets faits pour gagner de l’argent" in trip_page
    conversation = client.post(
        trip + "/messages", data={"body": "Bonjour", "csrf_token": token_of(client, trip)}
    ).headers["Location"]
    _switch(client, "camille@example.org")
    client.post(conversation, data={"body": "Venez avec 50 €", "csrf_token": token_of(client, conversation)})
    page = client.get(conversation).get_data(as_text=True)
    assert page.count("Signaler ce message") == 1  # Alix's message, not one's own
    _switch(client, "alix@example.org")
    page = client.get(conversation).get_data(as_text=True)
    (action,) = re.findall(r'action="(/conversations/\d+/messages/\d+/report)"', page)
    sent = client.post(
        action, data={"category": "spam", "reason": "Arnaque", "csrf_token": token_of(client, conversation)}
    )
    assert "va examiner votre signalement" in client.get(sent.headers["Location"]).get_data(as_text=True)
    again = client.post(
        action, data={"category": "spam", "reason": "Arnaque", "csrf_token": token_of(client, conversation)}
    )
    assert "Vous l’avez déjà signalé" in client.get(again.headers["Location"]).get_data(as_text=True)
    empty = client.post(
        camille + "/report",
        data={"category": "safety", "reason": "", "csrf_token": token_of(client, camille)},
    )
    assert "Dites ce qui ne va pas" in client.get(empty.headers["Location"]).get_data(as_text=True)
    client.post(
        trip + "/report",
        data={"category": "professional", "reason": "Taxi", "csrf_token": token_of(client, trip)},
    )
    # Someone outside the conversation cannot report its messages; unknown things are 404.
    _switch(client, "sam@example.org")
    token = token_of(client, "/")
    assert (
        client.post(action, data={"category": "spam", "reason": "x", "csrf_token": token}).status_code == 403
    )
    assert client.post("/members/999/report", data={"reason": "x", "csrf_token": token}).status_code == 404
    assert client.post("/trips/999/report", data={"reason": "x", "csrf_token": token}).status_code == 404
    # Visitors see no report form, and are sent to sign in.
    _switch(client, "")
    assert "Signaler" not in client.get(trip).get_data(as_text=True)
    visitor = client.post(camille + "/report", data={"reason": "x", "csrf_token": token_of(client, "/")})
    assert "/account/login" in visitor.headers["Location"]
    with app.app_context():
        assert [(r.kind, r.category) for r in db.session.scalars(select(Report).order_by(Report.id))] == [
            ("message", "spam"),
            ("trip", "professional"),
        ]


def test_report_forms_in_english(app: Flask, client: FlaskClient, runner: FlaskCliRunner) -> None:
    _members(runner, "Camille", "Alix")
    sign_in(client, "camille@example.org", PASSWORD)
    trip = publish_page(client).headers["Location"]
    _switch(client, "alix@example.org")
    client.post("/language", data={"language": "en", "next": trip, "csrf_token": token_of(client, "/")})
    page = client.get(trip).get_data(as_text=True)
    assert "Report this trip" in page and "What kind of problem?" in page
    sent = client.post(
        "/members/1/report", data={"category": "other", "reason": "Odd", "csrf_token": token_of(client, trip)}
    )
    assert "will look at your report" in client.get(sent.headers["Location"]).get_data(as_text=True)
