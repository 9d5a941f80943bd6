"""Trips drivers publish, and their stops."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime
from .user import User, utcnow


class Trip(db.Model):  # type: ignore[name-defined,misc]
    """A driver's journey: origin, stopovers, destination, departure.

    ``contribution_cents`` is what one passenger pays the driver for the whole trip;
    a passenger on part of it pays in proportion to the distance they share.
    """

    __tablename__ = "trip"
    __table_args__ = (
        CheckConstraint("seats BETWEEN 1 AND 8", name="seats"),
        CheckConstraint("max_detour_s BETWEEN 0 AND 3600", name="max_detour_s"),
        CheckConstraint("contribution_cents >= 0", name="contribution_cents"),
        CheckConstraint("luggage IN ('small', 'medium', 'large')", name="luggage"),
        CheckConstraint("status IN ('published', 'cancelled', 'hidden')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    driver_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    departure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    seats: Mapped[int] = mapped_column(Integer)
    max_detour_s: Mapped[int] = mapped_column(Integer)
    time_s: Mapped[float] = mapped_column(Float)
    length_m: Mapped[float] = mapped_column(Float)
    contribution_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default="published", index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    # What the driver accepts on board.
    luggage: Mapped[str] = mapped_column(String(6), default="medium", server_default="medium")
    pets: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    smoking: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    max_two_back: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    #: Bookings are accepted at once, without the driver's answer.
    instant_booking: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Raised by every change of seats: the update that raises it locks the trip's
    #: row until the change is committed, so seat changes happen one at a time.
    seats_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    #: For a return trip published with its outward trip: that trip.
    outward_id: Mapped[int | None] = mapped_column(
        ForeignKey("trip.id", ondelete="SET NULL"), default=None, index=True
    )

    #: For an occurrence of a regular trip: the series, and the day of the schedule it
    #: stands for (a moved occurrence keeps it, so the schedule shows what changed).
    regular_id: Mapped[int | None] = mapped_column(
        ForeignKey("regular_trip.id", ondelete="SET NULL"), default=None, index=True
    )
    occurrence_on: Mapped[date | None] = mapped_column(Date, default=None)
    #: The road graph (its :attr:`routing.RoadGraph.fingerprint`) that ``legs`` were
    #: computed on: a search matches the trip on them without routing it, as long as
    #: that graph is the one loaded.
    graph_key: Mapped[str | None] = mapped_column(String(16), default=None)
    #: The stops' road nodes and the time and length of each leg between them,
    #: packed (:func:`routing.pack_legs`, a few dozen bytes): a search reads them for
    #: thousands of candidate trips at once (:meth:`routing.LegsBatch.unpack`).
    legs: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    #: When its words were erased and its places made rough (the retention delay, or
    #: its driver's account deleted).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    driver: Mapped[User] = relationship()
    stops: Mapped[list[TripStop]] = relationship(
        order_by="TripStop.position", cascade="all, delete-orphan", back_populates="trip"
    )


class TripStop(db.Model):  # type: ignore[name-defined,misc]
    """Origin (position 0), stopovers, and destination (last) of a trip, with the
    time the driver is expected there, counted from departure."""

    __tablename__ = "trip_stop"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("trip.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    offset_s: Mapped[float] = mapped_column(Float)

    trip: Mapped[Trip] = relationship(back_populates="stops")


class TripCell(db.Model):  # type: ignore[name-defined,misc]
    """The search index: the grid cells a trip's corridor covers (see
    :mod:`routing.cells`), with the earliest and latest time along the route at
    which the driver passes near each. Built when the trip is published or changed,
    so a search reads only the trips that pass near both of the passenger's places.

    Each entry also says when the driver can pick a passenger up in its cell, as
    moments, which orders a cell's entries by time (``ix_trip_cell_window``): a
    search reads the trips that can reach the pickup in its own dates and hours, a
    few among the weeks of trips a busy cell holds, without visiting the others.
    The entries of a trip are written again whenever it changes.
    """

    __tablename__ = "trip_cell"
    __table_args__ = (
        # Covers the pickup's lookup: no row of the table is read for it.
        Index(
            "ix_trip_cell_window", "cell", "pickup_from", "pickup_until", "trip_id", "earliest_s", "subcells"
        ),
        # On PostgreSQL, the drop-off's lookup of a candidate by its key covered too, so
        # that it reads no row of the table (a third of a search's time there)…
        Index("ix_trip_cell_dropoff", "cell", "trip_id", postgresql_include=["latest_s", "subcells"]).ddl_if(
            dialect="postgresql"
        ),
        # …which SQLite gets from its rows kept in key order: the drop-off's lookup reads
        # one B-tree, not an index and then the table.
        {"sqlite_with_rowid": False},
    )

    cell: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    trip_id: Mapped[int] = mapped_column(
        ForeignKey("trip.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: When the driver can be at a pickup or a drop-off in the cell, at the earliest
    #: and at the latest, in seconds from the departure (:attr:`routing.CellSpan.earliest_s`):
    #: a search keeps a trip only if the drop-off's ``latest_s`` leaves time to drive
    #: from the pickup, at the pickup's ``earliest_s``, to the drop-off.
    earliest_s: Mapped[float] = mapped_column(Float)
    latest_s: Mapped[float] = mapped_column(Float)
    #: The same as moments, which order a cell's entries (the index above): the
    #: departure plus ``earliest_s`` and plus ``latest_s``.
    pickup_from: Mapped[datetime] = mapped_column(UTCDateTime)
    pickup_until: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The cell's 8 × 8 sub-cells where the driver can pick up or drop off within the
    #: detour, one bit each (:attr:`routing.CellSpan.subcells`); -1 claims them all.
    subcells: Mapped[int] = mapped_column(BigInteger, server_default=text("-1"))


class RegularTrip(db.Model):  # type: ignore[name-defined,misc]
    """One ad for a trip a driver makes every week: on some days, each at its own
    time, from ``start_on`` to ``end_on``. Each date is an occurrence, a :class:`Trip`
    of its own (searched, booked and changed as any trip): cancelling or moving one
    date is cancelling or changing that trip."""

    __tablename__ = "regular_trip"
    __table_args__ = (
        CheckConstraint("start_on <= end_on", name="dates"),
        CheckConstraint("status IN ('published', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    driver_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    #: The departure time of each day of the week, Monday first, "HH:MM" or "" for a
    #: day without the trip: "07:30,07:30,,,08:00,,".
    times: Mapped[str] = mapped_column(String(60))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="published")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    driver: Mapped[User] = relationship()
