"""E-mail notifications: written in the recipient's language, queued in the caller's
transaction (see :mod:`carpool.services.mail`), and only those the member wants."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..models import NOTIFICATIONS, Alert, Booking, Review, Trip, User
from . import mail
from .search import Passing, leg_price_cents

__all__ = [
    "MESSAGE_GROUPING",
    "account_banned",
    "account_suspended",
    "alert_matched",
    "booking_changed",
    "new_message",
    "reminder",
    "review_received",
    "suspension_lifted",
    "trip_cancelled",
    "trip_changed",
    "trip_hidden",
    "trip_hidden_to_driver",
    "wants",
    "warned",
]

#: New messages wait this long, so that a conversation sends one mail, not one per line.
MESSAGE_GROUPING = timedelta(minutes=10)


def _link(endpoint: str, **values: Any) -> str:
    """An address of the site for a mail: the request's, or SITE_URL's outside one
    (commands, workers)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
        return url_for(endpoint, _external=True, **values)


def wants(user: User, kind: str | None) -> bool:
    """Whether the member receives this kind of e-mail (every kind unless turned off;
    ``None`` for the mails a member asked for one by one, as alerts)."""
    assert kind is None or kind in NOTIFICATIONS, kind
    return kind is None or kind not in user.mail_off.split(",")


def _queue(
    user: User,
    kind: str | None,
    subject: object,
    template: str,
    *,
    group: str | None = None,
    once: bool = False,
    delay: timedelta | None = None,
    **context: Any,
) -> None:
    if not wants(user, kind):
        return
    with force_locale(user.language):
        body = render_template(f"email/{template}.txt", user=user, **context)
        mail.queue(user.email, str(subject), body, group=group, once=once, delay=delay)


def _booking_context(booking: Booking, period: Sequence[Booking] = ()) -> dict[str, Any]:
    departure = booking.trip.departure_at
    return {
        "booking": booking,
        "trip": booking.trip,
        "pickup_at": departure + timedelta(seconds=booking.pickup_offset_s),
        "dropoff_at": departure + timedelta(seconds=booking.dropoff_offset_s),
        "link": _link("bookings.show", booking_id=booking.id),
        # The dates of bookings made together on a regular trip, told in one mail.
        "dates": [b.trip.departure_at + timedelta(seconds=b.pickup_offset_s) for b in period],
    }


def booking_changed(booking: Booking, status: str, *, period: Sequence[Booking] = ()) -> None:
    """Tell the other side of a booking what just happened to it: "requested",
    "instant" (requested and accepted at once), "accepted", "declined", "cancelled";
    with ``period``, to all the bookings asked for together (one mail for all)."""
    trip = booking.trip
    context = _booking_context(booking, period if len(period) > 1 else ())
    passenger, driver = booking.passenger, trip.driver
    if status == "requested":
        _queue(driver, "booking_requested", _l("New booking request"), "booking_requested", **context)
    elif status == "instant":
        _queue(driver, "booking_requested", _l("New booking"), "booking_instant", **context)
        _queue(passenger, "booking_answered", _l("Your booking is accepted"), "booking_accepted", **context)
    elif status == "accepted":
        _queue(passenger, "booking_answered", _l("Your booking is accepted"), "booking_accepted", **context)
    elif status == "declined":
        _queue(passenger, "booking_answered", _l("Your booking is declined"), "booking_declined", **context)
    elif status == "cancelled":
        by_driver = booking.events[-1].actor_id == trip.driver_id
        _queue(
            passenger if by_driver else driver,
            "booking_cancelled",
            _l("A booking is cancelled"),
            "booking_cancelled",
            **context,
        )


def trip_cancelled(booking: Booking) -> None:
    """Tell a passenger that the driver cancelled the trip they booked."""
    _queue(
        booking.passenger,
        "trip_changed",
        _l("The driver cancelled your trip"),
        "trip_cancelled",
        **_booking_context(booking),
    )


def trip_changed(booking: Booking) -> None:
    """Tell a passenger that the driver changed the trip they booked."""
    _queue(
        booking.passenger,
        "trip_changed",
        _l("The driver changed your trip"),
        "trip_changed",
        **_booking_context(booking),
    )


def reminder(user: User, trip: Trip, held: list[Booking]) -> None:
    """Remind the driver (with the bookings accepted) or a passenger (with theirs) of
    a trip that leaves tomorrow; once per trip and member."""
    _queue(
        user,
        "reminder",
        _l("Your trip tomorrow"),
        "reminder",
        group=f"reminder:{trip.id}:{user.id}",
        once=True,
        trip=trip,
        held=[_booking_context(b) for b in held],
        link=_link("trips.show", trip_id=trip.id),
    )


def new_message(recipient: User, sender: User, conversation_id: int) -> None:
    """Tell a member they have new messages: one mail per conversation for all that
    arrive within ten minutes."""
    _queue(
        recipient,
        "new_message",
        _l("New messages"),
        "new_message",
        group=f"messages:{recipient.id}:{conversation_id}",
        delay=MESSAGE_GROUPING,
        sender=sender,
        link=_link("conversations.show", conversation_id=conversation_id),
    )


def alert_matched(alert: Alert, passing: Passing[Trip]) -> None:
    """Tell a member that a trip passing their way was published: once per alert
    and trip, or once per alert and regular trip for all its dates (the mail's group
    is the pair's)."""
    trip = passing.trip
    group = f"alert:{alert.id}:" + (f"regular:{trip.regular_id}" if trip.regular_id else str(trip.id))
    pickup = f"{alert.origin_lat:.5f},{alert.origin_lon:.5f}"
    dropoff = f"{alert.destination_lat:.5f},{alert.destination_lon:.5f}"
    _queue(
        alert.user,
        None,
        _l("A ride passes your way"),
        "alert_matched",
        group=group,
        once=True,
        alert=alert,
        trip=trip,
        passing=passing,
        price_cents=leg_price_cents(trip.contribution_cents, passing.match.shared_length_m, trip.length_m),
        link=_link(
            "trips.show",
            trip_id=trip.id,
            pickup=pickup,
            dropoff=dropoff,
            pickup_name=alert.origin,
            dropoff_name=alert.destination,
        ),
        alerts_link=_link("alerts.index"),
    )


def review_received(review: Review) -> None:
    """Tell a member that someone they travelled with reviewed them (once: a changed
    review sends nothing)."""
    _queue(
        review.subject,
        "review_received",
        _l("New review"),
        "review_received",
        review=review,
        author=review.author,
        link=_link("members.show", user_id=review.subject_id),
    )


# Moderation: these mails go whatever the member turned off (kind None), because
# they change what the member may do or a trip they counted on.


def trip_hidden(booking: Booking) -> None:
    """Tell a passenger that the moderators withdrew the trip they booked."""
    _queue(
        booking.passenger,
        None,
        _l("Your trip is withdrawn by the moderators"),
        "trip_hidden",
        **_booking_context(booking),
    )


def trip_hidden_to_driver(trip: Trip, note: str) -> None:
    """Tell a driver that the moderators withdrew their trip."""
    _queue(
        trip.driver,
        None,
        _l("Your trip is withdrawn by the moderators"),
        "trip_hidden_driver",
        trip=trip,
        note=note,
    )


def warned(user: User, note: str) -> None:
    """Give a member the moderators' warning."""
    _queue(user, None, _l("A warning from the moderators"), "moderation_warned", note=note)


def account_suspended(user: User, until: datetime, note: str) -> None:
    """Tell a member their account is suspended until ``until``."""
    _queue(user, None, _l("Your account is suspended"), "moderation_suspended", until=until, note=note)


def account_banned(user: User, note: str) -> None:
    """Tell a member their account is closed."""
    _queue(user, None, _l("Your account is closed"), "moderation_banned", note=note)


def suspension_lifted(user: User, note: str) -> None:
    """Tell a member they may publish, book and write again."""
    _queue(
        user,
        None,
        _l("Your account is open again"),
        "moderation_lifted",
        note=note,
        link=_link("main.index"),
    )
