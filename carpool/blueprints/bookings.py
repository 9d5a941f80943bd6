"""Booking seats from a trip's page, answering and cancelling, and "My trips"."""

from __future__ import annotations

from typing import TypedDict

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..forms import AnswerForm, BookingFieldsForm, BookingForm, PeriodBookingForm
from ..services import bookings
from ..services.trips import TripNotFound
from . import ID, point_arg

bp = Blueprint("bookings", __name__)


class _Places(TypedDict):
    """The passenger's pickup and drop-off, as both kinds of booking request take them."""

    pickup: tuple[float, float]
    dropoff: tuple[float, float]
    pickup_name: str
    dropoff_name: str


def _places(form: BookingFieldsForm) -> _Places | None:
    """The places a booking form carries, or None when one cannot be read (the
    passenger must then search for the ride again); a place without a name is
    named by its coordinates, as they were typed."""
    pickup, dropoff = point_arg(form.pickup.data), point_arg(form.dropoff.data)
    if pickup is None or dropoff is None:
        return None
    return _Places(
        pickup=pickup,
        dropoff=dropoff,
        pickup_name=form.pickup_name.data or form.pickup.data,
        dropoff_name=form.dropoff_name.data or form.dropoff.data,
    )


@bp.post(f"/trips/<{ID}:trip_id>/book")
@login_required  # type: ignore[untyped-decorator]
def book(trip_id: int) -> Response:
    form = BookingForm()
    places = _places(form)
    if not form.validate_on_submit() or places is None:
        flash(_("This booking could not be made: please search for the ride again."), "error")
        return redirect(url_for("trips.show", trip_id=trip_id))
    request = bookings.BookingRequest(
        trip_id=trip_id,
        **places,
        seats=form.seats.data,
        message=form.message.data or "",
    )
    try:
        booking_id = bookings.request_booking(current_user.id, request)
    except TripNotFound:
        abort(404)
    except bookings.BookingError as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("trips.show", trip_id=trip_id))
    flash(_("Your request is sent to the driver."))
    return redirect(url_for("bookings.show", booking_id=booking_id))


@bp.post(f"/trips/<{ID}:trip_id>/book-period")
@login_required  # type: ignore[untyped-decorator]
def book_period(trip_id: int) -> Response:
    form = PeriodBookingForm()
    places = _places(form)
    if not form.validate_on_submit() or places is None:
        for error in form.first_day.errors + form.last_day.errors + form.seats.errors:
            flash(str(error), "error")
        flash(_("This booking could not be made: please search for the ride again."), "error")
        return redirect(url_for("trips.show", trip_id=trip_id))
    request = bookings.PeriodRequest(
        trip_id=trip_id,
        first_day=form.first_day.data,
        last_day=form.last_day.data,
        **places,
        seats=form.seats.data,
        message=form.message.data or "",
    )
    try:
        booking_id = bookings.request_period(current_user.id, request)
    except TripNotFound:
        abort(404)
    except bookings.BookingError as refused:
        flash(str(refused.message), "error")
        return redirect(
            url_for(
                "trips.show",
                trip_id=trip_id,
                pickup=form.pickup.data,
                dropoff=form.dropoff.data,
                pickup_name=form.pickup_name.data,
                dropoff_name=form.dropoff_name.data,
            )
        )
    flash(_("Your request for every date of the period is sent to the driver."))
    return redirect(url_for("bookings.show", booking_id=booking_id))


@bp.get(f"/bookings/<{ID}:booking_id>")
@login_required  # type: ignore[untyped-decorator]
def show(booking_id: int) -> str:
    try:
        booking = bookings.get_booking(booking_id, current_user.id)
    except bookings.BookingNotFound:
        abort(404)
    except bookings.NotYourBooking:
        abort(403)
    return render_template("bookings/show.html", booking=booking, form=AnswerForm())


def _change(booking_id: int, done: str) -> Response:
    """Run one change of a booking, then back to its page with what happened."""
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(_("This could not be done: please try again."), "error")
        return redirect(url_for("bookings.show", booking_id=booking_id))
    reason = form.reason.data or ""
    try:
        if done == "accepted":
            bookings.accept(booking_id, current_user.id)
            flash(_("The booking is accepted: the passenger can now see your phone number."))
        elif done == "declined":
            bookings.decline(booking_id, current_user.id, reason)
            flash(_("The booking is declined."))
        elif done == "cancelled":
            bookings.cancel_booking(booking_id, current_user.id, reason)
            flash(_("The booking is cancelled."))
        elif done == "period accepted":
            bookings.answer_period(booking_id, current_user.id, accepted=True)
            flash(_("Every date of the period is accepted."))
        elif done == "period declined":
            bookings.answer_period(booking_id, current_user.id, accepted=False, reason=reason)
            flash(_("Every date of the period is declined."))
        else:
            bookings.cancel_period(booking_id, current_user.id, reason)
            flash(_("Every date of the period still to come is cancelled."))
    except bookings.BookingNotFound:
        abort(404)
    except bookings.NotYourBooking:
        abort(403)
    except bookings.BookingError as refused:
        flash(str(refused.message), "error")
    return redirect(url_for("bookings.show", booking_id=booking_id))


@bp.post(f"/bookings/<{ID}:booking_id>/accept")
@login_required  # type: ignore[untyped-decorator]
def accept(booking_id: int) -> Response:
    return _change(booking_id, "accepted")


@bp.post(f"/bookings/<{ID}:booking_id>/decline")
@login_required  # type: ignore[untyped-decorator]
def decline(booking_id: int) -> Response:
    return _change(booking_id, "declined")


@bp.post(f"/bookings/<{ID}:booking_id>/cancel")
@login_required  # type: ignore[untyped-decorator]
def cancel(booking_id: int) -> Response:
    return _change(booking_id, "cancelled")


@bp.post(f"/bookings/<{ID}:booking_id>/period/<any(accept, decline, cancel):change>")
@login_required  # type: ignore[untyped-decorator]
def change_period(booking_id: int, change: str) -> Response:
    done = {"accept": "period accepted", "decline": "period declined", "cancel": "period cancelled"}
    return _change(booking_id, done[change])


@bp.get("/my/trips")
@login_required  # type: ignore[untyped-decorator]
def mine() -> str:
    return render_template("bookings/mine.html", mine=bookings.my_trips(current_user.id))
