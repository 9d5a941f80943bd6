"""E-mails: queued with the change they tell of, in the recipient's language, only
those wanted, grouped for messages; the queue survives a mail server that is down."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, time, timedelta

from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskCliRunner

from carpool.extensions import db
from carpool.models import MailJob, User
from carpool.services import bookings, conversations, mail
from carpool.services.trips import cancel, publish, update
from tests.site.test_auth import outbox
from tests.site.test_bookings import ask, member
from tests.site.test_trips import PARIS, draft


def speaks(app: Flask, user_id: int, language: str, mail_off: str = "") -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        user.language, user.mail_off = language, mail_off
        db.session.commit()


def test_each_side_hears_of_the_booking_in_their_language(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    speaks(app, alix, "en")
    with app.app_context():
        trip_id = publish(driver, draft())
        booking_id = bookings.request_booking(alix, ask(trip_id))
        (asked,) = outbox(app)
        assert asked["To"] == "driver@example.org" and asked["Subject"] == "Nouvelle demande de réservation"
        assert "Alix demande une place sur votre trajet." in asked.get_content()
        assert f"/bookings/{booking_id}" in asked.get_content()
        bookings.accept(booking_id, driver)
        accepted = outbox(app)[-1]
        assert accepted["To"] == "alix@example.org" and accepted["Subject"] == "Your booking is accepted"
        assert "paid" not in accepted["Subject"] and "directly to the driver" in accepted.get_content()
        cancel(trip_id, driver, "Panne")
        cancelled = outbox(app)[-1]
        assert cancelled["Subject"] == "The driver cancelled your trip" and "Panne" in cancelled.get_content()


def test_a_member_receives_only_the_mails_they_want(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    speaks(app, driver, "fr", mail_off="booking_requested")
    with app.app_context():
        bookings.request_booking(alix, ask(publish(driver, draft())))
        assert outbox(app) == []


def test_new_messages_make_one_mail_per_conversation(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        trip_id = publish(driver, draft())
        for line in ("Bonjour", "Il reste une place ?", "Merci"):
            conversations.write_to_driver(trip_id, alix, line)
        assert db.session.query(MailJob).count() == 1
        assert mail.deliver_due() == 0  # it waits for more lines
        assert mail.deliver_due(now=datetime.now(UTC) + timedelta(minutes=11)) == 1
        (message,) = outbox(app)
        assert message["Subject"] == "Nouveaux messages" and "Alix vous a écrit" in message.get_content()
        conversations.write_to_driver(trip_id, alix, "Encore moi")  # a new mail after the first left
        assert db.session.query(MailJob).filter(MailJob.sent_at.is_(None)).count() == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.received.append(envelope.content)
        return "250 OK"


def test_the_queue_survives_a_mail_server_that_is_down(app: Flask, runner: FlaskCliRunner) -> None:
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_DELIVERY="inline")
    with app.app_context():
        mail.send("alix@example.org", "Bonjour", "Un message.")  # nobody listens: kept, not lost
        (job,) = db.session.query(MailJob).all()
        assert job.sent_at is None and job.attempts == 1 and "ConnectionRefusedError" in job.last_error
    handler = Inbox()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        with app.app_context():
            assert mail.deliver_due() == 0  # the retry is not due yet
        result = runner.invoke(args=["mail", "deliver"])
        assert "mails sent: 0" in result.output
        with app.app_context():
            assert mail.deliver_due(now=datetime.now(UTC) + timedelta(minutes=2)) == 1
            (job,) = db.session.query(MailJob).all()
            assert job.sent_at is not None
    finally:
        server.stop()
    (received,) = handler.received
    assert b"Subject: Bonjour" in received and b"Un message." in received


def test_with_redis_an_rq_worker_delivers(app: Flask) -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker

    redis = Redis.from_url("redis://127.0.0.1:6379/15")
    redis.flushdb()
    app.config.update(REDIS_URL="redis://127.0.0.1:6379/15", MAIL_DELIVERY="")
    with app.app_context():
        mail.send("alix@example.org", "Bonjour", "Par la file d’attente.")
        assert outbox(app) == []  # queued in Redis, not sent by the request
        queue = Queue("mail", connection=redis)
        assert queue.count == 1
        SimpleWorker([queue], connection=redis).work(burst=True)
        (message,) = outbox(app)
        assert message["Subject"] == "Bonjour"
    redis.flushdb()


def test_a_changed_trip_and_the_reminder_the_day_before(
    app: Flask, driver: int, runner: FlaskCliRunner
) -> None:
    alix = member(app, "Alix")
    # Tomorrow as the command reads it: not TOMORROW, fixed when the suite was loaded,
    # which is today once the suite has run past midnight (CI did, at 00:00 in Paris).
    leaving = datetime.combine(datetime.now(PARIS).date() + timedelta(days=1), time(8, 0), PARIS)
    with app.app_context():
        trip_id = publish(driver, draft(seats=3, departure=leaving))
        bookings.accept(bookings.request_booking(alix, ask(trip_id)), driver)
        update(trip_id, driver, draft(seats=4, comment="Un siège enfant est libre", departure=leaving))
        changed = outbox(app)[-1]
        assert (
            changed["To"] == "alix@example.org"
            and changed["Subject"] == "Le conducteur a modifié votre trajet"
        )
        before = len(outbox(app))
    # The trip leaves tomorrow: both are reminded, once however often the command runs.
    for _ in range(2):
        assert "trips leaving tomorrow: 1" in runner.invoke(args=["mail", "reminders"]).output
    reminders = outbox(app)[before:]
    assert sorted(m["To"] for m in reminders) == ["alix@example.org", "driver@example.org"]
    assert all(m["Subject"] == "Votre trajet de demain" for m in reminders)
    to_driver = next(m for m in reminders if m["To"] == "driver@example.org").get_content()
    assert "Alix" in to_driver and "part demain" in to_driver
