"""Publishing a trip and the trip's page."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..forms import TripForm
from ..services import trips
from ..services.messages import FieldError

bp = Blueprint("trips", __name__, url_prefix="/trips")


def _cents(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 100).to_integral_value())


def _field(form: TripForm, name: str):  # type: ignore[no-untyped-def]
    """The form field a service error names: "origin", or "stopovers-2"."""
    if name.startswith("stopovers-"):
        return form.stopovers[int(name.split("-")[1])]
    return form[name]


@bp.route("/new", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def new() -> str | Response:
    form = TripForm()
    error = None
    if form.validate_on_submit():
        named = trips.NamedTrip(
            origin=form.origin.data,
            destination=form.destination.data,
            stopovers=tuple(entry.data or "" for entry in form.stopovers),
            day=form.day.data,
            hour=form.hour.data,
            seats=form.seats.data,
            max_detour_min=form.max_detour_min.data,
            contribution_cents=_cents(form.contribution.data),
            comment=form.comment.data or "",
        )
        try:
            trip_id = trips.publish_named(current_user.id, named)
        except FieldError as refused:
            _field(form, refused.field).errors.append(refused.message)
        except trips.TripError as refused:
            error = refused.message
        else:
            flash(_("Your trip is published."))
            return redirect(url_for("trips.show", trip_id=trip_id))
    return render_template("trips/new.html", form=form, error=error)


@bp.get("/<int:trip_id>")
def show(trip_id: int) -> str:
    try:
        trip = trips.get_trip(trip_id)
    except trips.TripNotFound:
        abort(404)
    return render_template("trips/show.html", trip=trip)
