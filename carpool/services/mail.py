"""Sending e-mail through a queue: every mail is stored in the database first, then
delivered to a file outbox (the default: the demo and the tests read it) or to an SMTP
server when MAIL_SERVER is set, and retried with growing delays while it fails.

A page never waits for a mail server: with SMTP, delivery runs in a background thread
(or in an RQ worker when REDIS_URL is set); ``flask mail deliver`` retries what is
due, from cron or a timer.
"""

from __future__ import annotations

import smtplib
import threading
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select

from .. import tasks
from ..extensions import db
from ..models import MailJob

__all__ = ["MAX_ATTEMPTS", "deliver_due", "deliver_soon", "queue", "send"]

#: Delays before each retry; after the last one the mail is given up (and logged).
_RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(_RETRY_DELAYS) + 1


def queue(
    to: str,
    subject: str,
    body: str,
    *,
    group: str | None = None,
    once: bool = False,
    delay: timedelta | None = None,
) -> None:
    """Add a mail to the queue, in the caller's transaction: it is sent only if the
    change it tells of is committed. With ``group``, nothing is added while a mail
    of the same group still waits (one mail for several new messages), or, with
    ``once``, if one was ever queued (a reminder)."""
    if group is not None:
        same = select(MailJob.id).where(MailJob.group == group)
        if not once:
            same = same.where(MailJob.sent_at.is_(None))
        if db.session.scalar(same.limit(1)) is not None:
            return
    now = datetime.now(UTC)
    db.session.add(
        MailJob(
            to=to, subject=subject[:300], body=body, group=group, next_attempt_at=now + (delay or timedelta())
        )
    )


def send(to: str, subject: str, body: str) -> None:
    """Queue a mail, commit, and have it delivered soon."""
    queue(to, subject, body)
    db.session.commit()
    deliver_soon()


def _mode() -> str:
    config = current_app.config
    if config.get("MAIL_DELIVERY"):
        return str(config["MAIL_DELIVERY"])
    if config.get("REDIS_URL"):
        return "rq"
    return "thread" if config["MAIL_SERVER"] else "inline"


def deliver_soon() -> None:
    """Deliver what is due without making the caller wait for a mail server: inline
    for the file outbox, else in a thread, or through RQ when REDIS_URL is set."""
    mode = _mode()
    if mode == "inline":
        deliver_due()
    elif mode == "rq":
        tasks.enqueue("mail", "carpool.tasks.deliver_mail")
    else:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        threading.Thread(target=_deliver_in, args=(app,), daemon=True).start()


def _deliver_in(app: Flask) -> None:
    with app.app_context():
        deliver_due()


def _transmit(job: MailJob) -> None:
    message = EmailMessage()
    config = current_app.config
    message["From"] = config["MAIL_SENDER"]
    message["To"] = job.to
    message["Subject"] = job.subject
    message.set_content(job.body)
    if not config["MAIL_SERVER"]:
        outbox = Path(config["MAIL_OUTBOX"])
        outbox.mkdir(parents=True, exist_ok=True)
        (outbox / f"{uuid.uuid4().hex}.eml").write_bytes(bytes(message))
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def deliver_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Send the mails whose time has come; returns how many left. A failure is kept
    with its error and retried later (1 min, 5 min, 30 min, 2 h, 6 h, 24 h)."""
    now = now or datetime.now(UTC)
    due = select(MailJob).where(
        MailJob.sent_at.is_(None), MailJob.next_attempt_at <= now, MailJob.attempts < MAX_ATTEMPTS
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)  # two deliverers never send one mail twice
    sent = 0
    for job in db.session.scalars(due.order_by(MailJob.id).limit(limit)).all():
        try:
            _transmit(job)
        except (OSError, smtplib.SMTPException) as error:
            job.attempts += 1
            job.last_error = f"{type(error).__name__}: {error}"[:1000]
            if job.attempts < MAX_ATTEMPTS:
                job.next_attempt_at = now + _RETRY_DELAYS[job.attempts - 1]
            else:
                current_app.logger.error("mail %s to %s given up: %s", job.id, job.to, job.last_error)
        else:
            job.sent_at = now
            sent += 1
    db.session.commit()
    return sent
