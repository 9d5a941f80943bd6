"""After a trip: its driver and each passenger of an accepted booking rate each other
(reviews), and either may report that the other did not come (no-shows). What a
profile shows of both is read here too (:func:`trust`, :func:`received`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Booking, BookingEvent, NoShow, Review, Trip
from . import mail, notify, standing
from .messages import FieldError, ServiceError
from .text import clean_text
from .trips import label

__all__ = [
    "MAX_COMMENT",
    "MAX_NOTE",
    "AfterTrip",
    "NoShowError",
    "NotTravelling",
    "ReceivedReview",
    "ReviewError",
    "ReviewFieldError",
    "ReviewPage",
    "Trust",
    "UnknownBooking",
    "after_trip",
    "is_completed",
    "received",
    "report_no_show",
    "review_page",
    "trust",
    "write_review",
]

MAX_COMMENT = 1000
MAX_NOTE = 500
#: The reviews a profile lists, the newest first.
MAX_SHOWN = 100


class ReviewError(ServiceError):
    """A review that cannot be written or changed."""


class ReviewFieldError(ReviewError, FieldError):
    """A review refused for one of its fields: "rating" or "comment"."""


class NoShowError(ServiceError):
    """A no-show that cannot be reported."""


class UnknownBooking(LookupError):
    """No booking has this id."""


class NotTravelling(PermissionError):
    """Only the trip's driver and the booking's passenger review each other, or
    report that the other did not come."""


def _pickup_at(booking: Booking) -> datetime:
    return booking.trip.departure_at + timedelta(seconds=booking.pickup_offset_s)


def _dropoff_at(booking: Booking) -> datetime:
    return booking.trip.departure_at + timedelta(seconds=booking.dropoff_offset_s)


def is_completed(booking: Booking, now: datetime) -> bool:
    """Whether the trip took place for this booking: accepted, on a trip that was not
    cancelled, and the passenger's drop-off time has passed."""
    return booking.status == "accepted" and booking.trip.status == "published" and _dropoff_at(booking) <= now


def _edit_deadline(review: Review) -> datetime:
    return review.created_at + timedelta(days=current_app.config["REVIEW_EDIT_DAYS"])


def _no_show_deadline(booking: Booking) -> datetime:
    return _pickup_at(booking) + timedelta(days=current_app.config["NO_SHOW_DAYS"])


def _travelling(booking_id: int, user_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise UnknownBooking(booking_id)
    if user_id not in (booking.passenger_id, booking.trip.driver_id):
        raise NotTravelling(booking_id)
    return booking


def _other(booking: Booking, user_id: int) -> int:
    """The other side of the booking: the driver for its passenger, and back."""
    return booking.trip.driver_id if user_id == booking.passenger_id else booking.passenger_id


def _review_of(booking_id: int, author_id: int) -> Review | None:
    found: Review | None = db.session.scalar(
        select(Review).where(Review.booking_id == booking_id, Review.author_id == author_id)
    )
    return found


def _reviewable(booking_id: int, author_id: int, now: datetime) -> tuple[Booking, Review | None]:
    """The booking and the author's review of it so far, if the author may write or
    change one now."""
    booking = _travelling(booking_id, author_id)
    refused = standing.refusal(author_id, now)
    if refused is not None:
        raise ReviewError(refused)
    if booking.status != "accepted":
        raise ReviewError(_l("Only the trip of an accepted booking can be reviewed."))
    if booking.trip.status != "published":
        raise ReviewError(_l("This trip was cancelled: there is nothing to review."))
    if _dropoff_at(booking) > now:
        raise ReviewError(_l("You can review this trip once it is over."))
    review = _review_of(booking.id, author_id)
    if review is not None and now >= _edit_deadline(review):
        raise ReviewError(
            lazy_ngettext(
                "A review can be changed for %(num)d day after it is written: this one no longer can.",
                "A review can be changed for %(num)d days after it is written: this one no longer can.",
                current_app.config["REVIEW_EDIT_DAYS"],
            )
        )
    return booking, review


@dataclass(frozen=True)
class ReviewPage:
    """What the review form shows: whom and which trip it is about, and the review
    written so far (``rating`` None before the first)."""

    booking_id: int
    other_id: int
    other_name: str
    trip_label: str
    dropoff_at: datetime
    rating: int | None
    comment: str
    editable_until: datetime | None


def review_page(booking_id: int, author_id: int, *, now: datetime | None = None) -> ReviewPage:
    """The review form of a completed trip, for its driver or the booking's passenger.

    Raises
    ------
    UnknownBooking, NotTravelling
        For an unknown booking, or someone who is neither its passenger nor its driver.
    ReviewError
        As :func:`write_review`, for a trip that cannot be reviewed (or a review that
        can no longer change).
    """
    booking, review = _reviewable(booking_id, author_id, now or datetime.now(UTC))
    other = booking.trip.driver if author_id == booking.passenger_id else booking.passenger
    return ReviewPage(
        booking_id=booking.id,
        other_id=other.id,
        other_name=other.display_name,
        trip_label=label(booking.trip),
        dropoff_at=_dropoff_at(booking),
        rating=review.rating if review else None,
        comment=review.comment if review else "",
        editable_until=_edit_deadline(review) if review else None,
    )


def _comment(text: str) -> str:
    comment = clean_text(text, limit=MAX_COMMENT + 1)
    if len(comment) > MAX_COMMENT:
        raise ReviewFieldError(
            _l("A review has at most %(most)d characters.", most=MAX_COMMENT), field="comment"
        )
    return comment


def write_review(
    booking_id: int, author_id: int, rating: int, comment: str = "", *, now: datetime | None = None
) -> int:
    """The driver reviews the booking's passenger, or the passenger the driver: a
    rating from 1 to 5 and an optional comment, once the trip is completed. Written
    again within ``REVIEW_EDIT_DAYS`` of the first time, it changes the same review.
    The member reviewed hears of a new review by e-mail (not of a change). Returns
    the review's id.

    Raises
    ------
    UnknownBooking, NotTravelling
        For an unknown booking, or someone who is neither its passenger nor its driver.
    ReviewFieldError
        For a rating that is not a whole number from 1 to 5, or a comment too long.
    ReviewError
        For a booking not accepted (requested, declined, cancelled), a cancelled trip,
        a trip not over yet at the passenger's drop-off, or a review written more
        than ``REVIEW_EDIT_DAYS`` ago.
    """
    now = now or datetime.now(UTC)
    booking, review = _reviewable(booking_id, author_id, now)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ReviewFieldError(_l("Choose a rating from 1 to 5 stars."), field="rating")
    text = _comment(comment)
    if review is not None:
        review.rating, review.comment, review.updated_at = rating, text, now
        db.session.commit()
        return review.id
    return _first_review(booking, author_id, rating, text, now)


def _first_review(booking: Booking, author_id: int, rating: int, text: str, now: datetime) -> int:
    review = Review(
        booking_id=booking.id,
        author_id=author_id,
        subject_id=_other(booking, author_id),
        rating=rating,
        comment=text,
        created_at=now,
    )
    db.session.add(review)
    try:
        db.session.flush()
    except IntegrityError as error:
        # The same author's first review sent twice at once: the other one is kept.
        db.session.rollback()
        raise ReviewError(_l("You have already reviewed this trip.")) from error
    notify.review_received(review)
    db.session.commit()
    mail.deliver_soon()
    return review.id


@dataclass(frozen=True)
class AfterTrip:
    """What the viewer of a booking may do once the trip is done, or should have
    been: review the other side, report that they did not come."""

    completed: bool = False
    rating: int | None = None  # the viewer's review of the other side, if written
    review_open: bool = False  # may write their review now, or change it
    no_show_open: bool = False  # may report that the other side did not come
    no_show_reported: bool = False  # has reported it


def after_trip(booking: Booking, viewer_id: int, now: datetime) -> AfterTrip:
    """For a booking's page and "My trips": reads nothing before the pickup time."""
    if booking.status != "accepted" or booking.trip.status != "published" or _pickup_at(booking) > now:
        return AfterTrip()
    completed = is_completed(booking, now)
    review = _review_of(booking.id, viewer_id)
    reported = db.session.scalar(
        select(NoShow.id).where(NoShow.booking_id == booking.id, NoShow.reporter_id == viewer_id)
    )
    return AfterTrip(
        completed=completed,
        rating=review.rating if review else None,
        review_open=completed and (review is None or now < _edit_deadline(review)),
        no_show_open=reported is None and now < _no_show_deadline(booking),
        no_show_reported=reported is not None,
    )


def report_no_show(booking_id: int, reporter_id: int, note: str = "", *, now: datetime | None = None) -> None:
    """The driver reports that the booking's passenger did not come, or the passenger
    that the driver did not: from the pickup time of an accepted booking, for
    ``NO_SHOW_DAYS``, once per booking and reporter. It counts on the other's profile.

    Raises
    ------
    UnknownBooking, NotTravelling
        For an unknown booking, or someone who is neither its passenger nor its driver.
    NoShowError
        For a booking not accepted or a cancelled trip, before the pickup time or
        more than ``NO_SHOW_DAYS`` after it, or a second report by the same member.
    """
    now = now or datetime.now(UTC)
    booking = _travelling(booking_id, reporter_id)
    refused = standing.refusal(reporter_id, now)
    if refused is not None:
        raise NoShowError(refused)
    if booking.status != "accepted" or booking.trip.status != "published":
        raise NoShowError(_l("A no-show can be reported only for an accepted booking."))
    if _pickup_at(booking) > now:
        raise NoShowError(_l("A no-show can be reported once the pickup time has passed."))
    if now >= _no_show_deadline(booking):
        raise NoShowError(
            lazy_ngettext(
                "A no-show can be reported for %(num)d day after the pickup time.",
                "A no-show can be reported for %(num)d days after the pickup time.",
                current_app.config["NO_SHOW_DAYS"],
            )
        )
    refused = NoShowError(_l("You have already reported this no-show."))
    mine = select(NoShow.id).where(NoShow.booking_id == booking.id, NoShow.reporter_id == reporter_id)
    if db.session.scalar(mine) is not None:
        raise refused
    db.session.add(
        NoShow(
            booking_id=booking.id,
            reporter_id=reporter_id,
            reported_id=_other(booking, reporter_id),
            created_at=now,
            note=clean_text(note, limit=MAX_NOTE),
        )
    )
    try:
        db.session.commit()
    except IntegrityError as error:  # the same report sent twice at once
        db.session.rollback()
        raise refused from error


@dataclass(frozen=True)
class ReceivedReview:
    """A review as a profile lists it."""

    author_id: int
    author_name: str
    rating: int
    comment: str
    written_at: datetime


def received(user_id: int) -> tuple[ReceivedReview, ...]:
    """The reviews a member received, the newest first (the latest ``MAX_SHOWN``)."""
    rows = db.session.scalars(
        select(Review)
        .options(joinedload(Review.author))
        .where(Review.subject_id == user_id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(MAX_SHOWN)
    )
    return tuple(
        ReceivedReview(r.author_id, r.author.display_name, r.rating, r.comment, r.created_at) for r in rows
    )


@dataclass(frozen=True)
class Trust:
    """The figures a profile shows, so that members can choose whom to travel with.

    ``average_rating`` is to one decimal, None without any review; ``driven`` counts
    trips driven on which at least one passenger's booking was completed (an empty
    trip proves nothing), ``ridden`` completed bookings as a passenger;
    ``late_cancellations`` counts bookings the member cancelled late, as passenger or
    driver; ``no_shows`` the no-shows reported against them.
    """

    average_rating: Decimal | None
    reviews: int
    driven: int
    ridden: int
    late_cancellations: int
    no_shows: int


def _average(total: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def average_ratings(user_ids: Iterable[int]) -> dict[int, Decimal]:
    """The average rating each of these members received, for those with reviews
    (one query for all, as :func:`trust` rounds it).

    Parameters
    ----------
    user_ids : iterable of int
        The members.

    Returns
    -------
    dict
        Member id to average rating, to one decimal; members without reviews are absent.
    """
    rows = db.session.execute(
        select(Review.subject_id, func.sum(Review.rating), func.count(Review.id))
        .where(Review.subject_id.in_(set(user_ids)))
        .group_by(Review.subject_id)
    ).all()
    averages = {int(subject): _average(int(total), int(count)) for subject, total, count in rows}
    return {subject: average for subject, average in averages.items() if average is not None}


def _completed_trips(user_id: int, now: datetime) -> tuple[int, int]:
    """(trips driven, bookings ridden) completed. The drop-off time is worked out
    here rather than in SQL, where adding seconds to a moment differs between
    SQLite and PostgreSQL; departed trips only are read."""
    rows = db.session.execute(
        select(Booking.trip_id, Booking.passenger_id, Trip.departure_at, Booking.dropoff_offset_s)
        .join(Trip, Trip.id == Booking.trip_id)
        .where(
            Booking.status == "accepted",
            Trip.status == "published",
            Trip.departure_at <= now,
            or_(Trip.driver_id == user_id, Booking.passenger_id == user_id),
        )
    ).all()
    done = [row for row in rows if row.departure_at + timedelta(seconds=row.dropoff_offset_s) <= now]
    driven = {row.trip_id for row in done if row.passenger_id != user_id}
    return len(driven), sum(1 for row in done if row.passenger_id == user_id)


def trust(user_id: int, *, now: datetime | None = None) -> Trust:
    """A member's trust figures (see :class:`Trust`), as of ``now``."""
    now = now or datetime.now(UTC)
    total, count = db.session.execute(
        select(func.coalesce(func.sum(Review.rating), 0), func.count(Review.id)).where(
            Review.subject_id == user_id
        )
    ).one()
    driven, ridden = _completed_trips(user_id, now)
    late = db.session.scalar(
        select(func.count(func.distinct(Booking.id)))
        .join(BookingEvent, BookingEvent.booking_id == Booking.id)
        .where(
            Booking.late_cancellation,
            BookingEvent.status == "cancelled",
            BookingEvent.actor_id == user_id,
        )
    )
    no_shows = db.session.scalar(select(func.count(NoShow.id)).where(NoShow.reported_id == user_id))
    return Trust(
        average_rating=_average(int(total), int(count)),
        reviews=int(count),
        driven=driven,
        ridden=ridden,
        late_cancellations=late or 0,
        no_shows=no_shows or 0,
    )
