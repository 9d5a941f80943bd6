"""Conversations between a passenger and a driver about one trip."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .trip import Trip
from .types import UTCDateTime
from .user import User, utcnow


class Conversation(db.Model):  # type: ignore[name-defined,misc]
    """One per trip and passenger: the driver is the trip's. It outlives bookings."""

    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("trip_id", "passenger_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("trip.id", ondelete="CASCADE"), index=True)
    passenger_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    trip: Mapped[Trip] = relationship()
    passenger: Mapped[User] = relationship()
    messages: Mapped[list[Message]] = relationship(order_by="Message.id", back_populates="conversation")


class Message(db.Model):  # type: ignore[name-defined,misc]
    """What one side wrote; ``read_at`` is when the other side first saw it."""

    __tablename__ = "message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    sender: Mapped[User] = relationship()
