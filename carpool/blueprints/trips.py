"""Publishing a trip, changing or cancelling it, and the trip's page."""

from __future__ import annotations

from dataclasses import asdict
from datetime import time
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..forms import (
    BookingForm,
    CancelTripForm,
    EditTripForm,
    PeriodBookingForm,
    RegularTripForm,
    ReportForm,
    TripFieldsForm,
    TripForm,
)
from ..services import alerts, bookings, regular_trips, trips
from ..services.messages import FieldError
from . import ID, point_arg

bp = Blueprint("trips", __name__, url_prefix="/trips")


def _cents(amount: Decimal | None) -> int | None:
    return None if amount is None else trips.cents(amount)


def _field(form: TripFieldsForm, name: str):  # type: ignore[no-untyped-def]
    """The form field a service error names: "origin", or "stopovers-2"."""
    if name.startswith("stopovers-"):
        return form.stopovers[int(name.split("-")[1])]
    return form[name]


def _named(form: TripFieldsForm) -> trips.NamedTrip:
    """The trip a form holds; a regular trip's form has no date and time of its own
    (its schedule gives them), so its first date stands in."""
    dated = isinstance(form, EditTripForm)
    return trips.NamedTrip(
        origin=form.origin.data,
        destination=form.destination.data,
        stopovers=tuple(entry.data or "" for entry in form.stopovers),
        day=form.day.data if dated else form.start_on.data,
        hour=form.hour.data if dated else time(0, 0),
        seats=form.seats.data,
        max_detour_min=form.max_detour_min.data,
        contribution_cents=_cents(form.contribution.data),
        comment=form.comment.data or "",
        options=trips.TripOptions(
            luggage=form.luggage.data,
            pets=form.pets.data,
            smoking=form.smoking.data,
            max_two_back=form.max_two_back.data,
            instant_booking=form.instant_booking.data,
        ),
        return_day=form.return_day.data if isinstance(form, TripForm) else None,
        return_hour=form.return_hour.data if isinstance(form, TripForm) else None,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def new() -> str | Response:
    form = TripForm()
    error = None
    if form.validate_on_submit():
        try:
            trip_id = trips.publish_named(current_user.id, _named(form))
        except FieldError as refused:
            _field(form, refused.field).errors.append(refused.message)
        except trips.TripError as refused:
            error = refused.message
        else:
            flash(_("Your trip is published."))
            return redirect(url_for("trips.show", trip_id=trip_id))
    return render_template("trips/new.html", form=form, error=error)


def _weekly_times(form: RegularTripForm) -> tuple[time | None, ...]:
    """The departure time of each day of the week, Monday first."""
    return tuple(form[f"time_{day}"].data for day in range(7))


@bp.route("/regular/new", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def new_regular() -> str | Response:
    form = RegularTripForm()
    error = None
    if form.validate_on_submit():
        schedule = regular_trips.Schedule(
            times=_weekly_times(form),
            start_on=form.start_on.data,
            end_on=form.end_on.data,
        )
        try:
            regular_id = regular_trips.publish_regular_named(current_user.id, _named(form), schedule)
        except FieldError as refused:
            _field(form, refused.field).errors.append(refused.message)
        except trips.TripError as refused:
            error = refused.message
        else:
            flash(_("Your regular trip is published."))
            return redirect(url_for("trips.show_regular", regular_id=regular_id))
    return render_template("trips/new_regular.html", form=form, error=error)


@bp.get(f"/regular/<{ID}:regular_id>")
def show_regular(regular_id: int) -> str:
    try:
        series = regular_trips.get_regular(regular_id)
    except regular_trips.RegularTripNotFound:
        abort(404)
    return render_template("trips/regular.html", series=series, cancel_form=CancelTripForm())


@bp.post(f"/regular/<{ID}:regular_id>/cancel")
@login_required  # type: ignore[untyped-decorator]
def cancel_regular(regular_id: int) -> Response:
    form = CancelTripForm()
    if not form.validate_on_submit():
        flash(_("The trip could not be cancelled: please try again."), "error")
        return redirect(url_for("trips.show_regular", regular_id=regular_id))
    try:
        regular_trips.cancel_regular(regular_id, current_user.id, form.reason.data or "")
    except regular_trips.RegularTripNotFound:
        abort(404)
    except regular_trips.NotYourRegularTrip:
        abort(403)
    except trips.TripError as refused:
        flash(str(refused.message), "error")
    else:
        flash(_("Your regular trip is cancelled, with all its dates to come."))
    return redirect(url_for("trips.show_regular", regular_id=regular_id))


def _edit_form(trip_id: int) -> EditTripForm | None:
    """The edit form filled with the trip, or None (and a message) if it cannot change."""
    try:
        draft = trips.draft_of(trip_id, current_user.id)
    except trips.TripNotFound:
        abort(404)
    except trips.NotYourTrip:
        abort(403)
    except trips.TripError as refused:
        flash(str(refused.message), "error")
        return None
    data = asdict(draft)
    data.update(data.pop("options"))
    data["stopovers"] = list(draft.stopovers)
    if draft.contribution_cents is not None:
        data["contribution"] = Decimal(draft.contribution_cents) / 100
    return EditTripForm(data=data)


@bp.route(f"/<{ID}:trip_id>/edit", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def edit(trip_id: int) -> str | Response:
    form = _edit_form(trip_id)
    if form is None:
        return redirect(url_for("trips.show", trip_id=trip_id))
    error = None
    if form.validate_on_submit():
        try:
            trips.update_named(trip_id, current_user.id, _named(form))
        except FieldError as refused:
            _field(form, refused.field).errors.append(refused.message)
        except trips.TripError as refused:
            error = refused.message
        else:
            flash(_("Your trip is changed."))
            return redirect(url_for("trips.show", trip_id=trip_id))
    return render_template("trips/edit.html", form=form, error=error, trip_id=trip_id)


@bp.post(f"/<{ID}:trip_id>/cancel")
@login_required  # type: ignore[untyped-decorator]
def cancel(trip_id: int) -> Response:
    form = CancelTripForm()
    if not form.validate_on_submit():
        flash(_("The trip could not be cancelled: please try again."), "error")
        return redirect(url_for("trips.show", trip_id=trip_id))
    try:
        trips.cancel(trip_id, current_user.id, form.reason.data or "")
    except trips.TripNotFound:
        abort(404)
    except trips.NotYourTrip:
        abort(403)
    except trips.TripError as refused:
        flash(str(refused.message), "error")
    else:
        flash(_("Your trip is cancelled."))
    return redirect(url_for("trips.show", trip_id=trip_id))


@bp.get(f"/<{ID}:trip_id>")
def show(trip_id: int) -> str:
    try:
        trip = trips.get_trip(trip_id)
    except trips.TripNotFound:
        abort(404)
    pickup, dropoff = point_arg(request.args.get("pickup")), point_arg(request.args.get("dropoff"))
    map_data = {
        "path": trip.path,
        "stops": [{"name": s.name, "lat": s.lat, "lon": s.lon} for s in trip.stops],
        "pickup": pickup,
        "dropoff": dropoff,
    }
    is_driver = current_user.is_authenticated and current_user.id == trip.driver_id
    places = {
        "pickup": request.args.get("pickup", ""),
        "dropoff": request.args.get("dropoff", ""),
        "pickup_name": request.args.get("pickup_name", ""),
        "dropoff_name": request.args.get("dropoff_name", ""),
    }
    booking_form = BookingForm(data=places)
    period_form = PeriodBookingForm(data=places) if trip.regular_id else None
    return render_template(
        "trips/show.html",
        trip=trip,
        pickup=pickup,
        dropoff=dropoff,
        map_data=map_data,
        cancel_form=CancelTripForm(),
        booking_form=booking_form,
        period_form=period_form,
        report_form=ReportForm(),
        held=bookings.trip_bookings(trip.id, current_user.id) if is_driver else [],
        requests=alerts.requests_along(trip.id, current_user.id) if is_driver and not trip.departed else [],
    )
