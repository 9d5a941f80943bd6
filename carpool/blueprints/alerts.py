"""Alerts: kept from a search or set up on their own page, paused, deleted; and the
ride requests (public alerts) drivers can browse."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..forms import ActionForm, AlertForm
from ..services import alerts
from ..services.messages import FieldError
from . import ID

bp = Blueprint("alerts", __name__)


def _wish(form: AlertForm) -> alerts.AlertWish:
    return alerts.AlertWish(
        origin=form.origin.data,
        destination=form.destination.data,
        day=form.day.data,
        flex_days=form.flex_days.data or 0,
        weekdays=frozenset(int(day) for day in form.weekdays.data or ()),
        until=form.until.data,
        time_from=form.time_from.data,
        time_to=form.time_to.data,
        seats=form.seats.data or 1,
        public=form.public.data,
    )


@bp.route("/alerts", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def index() -> str | Response:
    """The member's alerts, and a form to set one up."""
    form = AlertForm()
    error = None
    if form.validate_on_submit():
        try:
            alerts.create_alert(current_user.id, _wish(form))
        except FieldError as refused:
            form[refused.field].errors.append(refused.message)
        except alerts.AlertError as refused:
            error = refused.message
        else:
            flash(_("Your alert is saved."))
            return redirect(url_for("alerts.index"))
    return render_template(
        "alerts/index.html", form=form, error=error, alerts=alerts.my_alerts(current_user.id)
    )


@bp.post("/alerts/from-search")
@login_required  # type: ignore[untyped-decorator]
def create() -> Response:
    """An alert kept from empty search results: back to them, with a message."""
    form = AlertForm()
    if not form.validate_on_submit():
        flash(_("This alert could not be saved: please search again."), "error")
        return redirect(url_for("main.index"))
    search = {
        "origin": form.origin.data,
        "destination": form.destination.data,
        "day": form.day.data.isoformat() if form.day.data else "",
        "flex_days": form.flex_days.data or 0,
        "time_from": form.time_from.data.strftime("%H:%M") if form.time_from.data else "",
        "time_to": form.time_to.data.strftime("%H:%M") if form.time_to.data else "",
    }
    try:
        alerts.create_alert(current_user.id, _wish(form))
    except (FieldError, alerts.AlertError) as refused:
        flash(str(refused.message), "error")
    else:
        flash(_("Your alert is saved."))
    return redirect(url_for("search.results", **{k: v for k, v in search.items() if v != ""}))


@bp.post(f"/alerts/<{ID}:alert_id>/<any(pause, resume, delete):change>")
@login_required  # type: ignore[untyped-decorator]
def change(alert_id: int, change: str) -> Response:
    """Pause, resume or delete one of the member's alerts."""
    if not ActionForm().validate_on_submit():
        flash(_("This could not be done: please try again."), "error")
        return redirect(url_for("alerts.index"))
    try:
        if change == "delete":
            alerts.delete_alert(alert_id, current_user.id)
        else:
            alerts.set_paused(alert_id, current_user.id, change == "pause")
    except alerts.AlertNotFound:
        abort(404)
    except alerts.NotYourAlert:
        abort(403)
    done = {
        "pause": _("Your alert is paused."),
        "resume": _("Your alert runs again."),
        "delete": _("Your alert is deleted."),
    }
    flash(done[change])
    return redirect(url_for("alerts.index"))


@bp.get("/requests")
def requests() -> str:
    """Passengers looking for a ride: their public alerts still to come."""
    return render_template("alerts/requests.html", requests=alerts.open_requests())
