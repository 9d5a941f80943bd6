"""Reviewing the other side of a completed trip, and reporting that they did not come."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..forms import NoShowForm, ReviewForm
from ..services import reviews
from . import ID

bp = Blueprint("reviews", __name__)


def _back(booking_id: int) -> Response:
    return redirect(url_for("bookings.show", booking_id=booking_id))


@bp.route(f"/bookings/<{ID}:booking_id>/review", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def write(booking_id: int) -> str | Response:
    try:
        page = reviews.review_page(booking_id, current_user.id)
    except reviews.UnknownBooking:
        abort(404)
    except reviews.NotTravelling:
        abort(403)
    except reviews.ReviewError as refused:  # not over yet, declined, too late to change…
        flash(str(refused.message), "error")
        return _back(booking_id)
    # Filled with the review so far; what is posted takes its place.
    form = ReviewForm(data={"rating": page.rating, "comment": page.comment})
    error = None
    if form.validate_on_submit():
        try:
            reviews.write_review(booking_id, current_user.id, form.rating.data or 0, form.comment.data or "")
        except reviews.ReviewFieldError as refused:
            form[refused.field].errors.append(refused.message)
        except reviews.ReviewError as refused:
            error = refused.message
        else:
            flash(_("Your review is saved."))
            return _back(booking_id)
    return render_template("reviews/write.html", page=page, form=form, error=error)


@bp.post(f"/bookings/<{ID}:booking_id>/no-show")
@login_required  # type: ignore[untyped-decorator]
def no_show(booking_id: int) -> Response:
    form = NoShowForm()
    if not form.validate_on_submit():
        flash(_("This could not be done: please try again."), "error")
        return _back(booking_id)
    try:
        reviews.report_no_show(booking_id, current_user.id, form.note.data or "")
    except reviews.UnknownBooking:
        abort(404)
    except reviews.NotTravelling:
        abort(403)
    except reviews.NoShowError as refused:
        flash(str(refused.message), "error")
    else:
        flash(_("The no-show is noted: it counts on their profile."))
    return _back(booking_id)
