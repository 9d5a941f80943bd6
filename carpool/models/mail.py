"""The mail queue: every e-mail is stored before it is sent, and retried until it leaves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime
from .user import utcnow


class MailJob(db.Model):  # type: ignore[name-defined,misc]
    """One e-mail to send. ``group`` names mails that stand for each other (new
    messages in one conversation): while one is waiting, another is not queued."""

    __tablename__ = "mail_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    group: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
