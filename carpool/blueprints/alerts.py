"""Alerts asked for from empty search results."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..forms import AlertForm
from ..services import alerts
from ..services.messages import FieldError

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


@bp.post("")
@login_required  # type: ignore[untyped-decorator]
def create() -> Response:
    form = AlertForm()
    if form.validate_on_submit():
        search = {
            "origin": form.origin.data,
            "destination": form.destination.data,
            "day": form.day.data.isoformat(),
            "flex_days": form.flex_days.data or 0,
        }
        try:
            alerts.create_alert(
                current_user.id,
                form.origin.data,
                form.destination.data,
                form.day.data,
                form.flex_days.data or 0,
            )
        except (FieldError, alerts.AlertError) as refused:
            flash(str(refused.message), "error")
        else:
            flash(_("Your alert is saved."))
        return redirect(url_for("search.results", **search))
    flash(_("This alert could not be saved: please search again."), "error")
    return redirect(url_for("main.index"))
