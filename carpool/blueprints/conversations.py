"""Conversations between a passenger and a driver, and the inbox."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..forms import MessageForm, ReportForm
from ..services import conversations
from ..services.trips import TripNotFound
from . import ID, limits

bp = Blueprint("conversations", __name__)


def _posted_message() -> str | None:
    """The message a form posted, or None once the reason it cannot be sent is shown."""
    form = MessageForm()
    if form.validate_on_submit():
        return str(form.body.data)
    for error in form.body.errors or [_("This could not be done: please try again.")]:
        flash(str(error), "error")
    return None


@bp.post(f"/trips/<{ID}:trip_id>/messages")
@login_required  # type: ignore[untyped-decorator]
@limits.messages
def write_to_driver(trip_id: int) -> Response:
    body = _posted_message()
    if body is None:
        return redirect(url_for("trips.show", trip_id=trip_id))
    try:
        conversation_id = conversations.write_to_driver(trip_id, current_user.id, body)
    except TripNotFound:
        abort(404)
    except conversations.ConversationError as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("trips.show", trip_id=trip_id))
    return redirect(url_for("conversations.show", conversation_id=conversation_id))


@bp.post(f"/trips/<{ID}:trip_id>/requests/<{ID}:alert_id>/messages")
@login_required  # type: ignore[untyped-decorator]
@limits.messages
def write_to_passenger(trip_id: int, alert_id: int) -> Response:
    body = _posted_message()
    if body is None:
        return redirect(url_for("trips.show", trip_id=trip_id))
    try:
        conversation_id = conversations.write_to_passenger(trip_id, current_user.id, alert_id, body)
    except TripNotFound:
        abort(404)
    except conversations.ConversationError as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("trips.show", trip_id=trip_id))
    return redirect(url_for("conversations.show", conversation_id=conversation_id))


@bp.post(f"/bookings/<{ID}:booking_id>/messages")
@login_required  # type: ignore[untyped-decorator]
@limits.messages
def write_about_booking(booking_id: int) -> Response:
    body = _posted_message()
    if body is None:
        return redirect(url_for("bookings.show", booking_id=booking_id))
    try:
        conversation_id = conversations.write_about_booking(booking_id, current_user.id, body)
    except conversations.ConversationNotFound:
        abort(404)
    except conversations.NotYourConversation:
        abort(403)
    except conversations.ConversationError as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("bookings.show", booking_id=booking_id))
    return redirect(url_for("conversations.show", conversation_id=conversation_id))


@bp.route(f"/conversations/<{ID}:conversation_id>", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
@limits.messages
def show(conversation_id: int) -> str | Response:
    form = MessageForm()
    error = None
    try:
        if form.validate_on_submit():
            try:
                conversations.send(conversation_id, current_user.id, form.body.data)
            except conversations.ConversationError as refused:
                error = refused.message
            else:
                return redirect(url_for("conversations.show", conversation_id=conversation_id))
        conversation = conversations.read(conversation_id, current_user.id)
    except conversations.ConversationNotFound:
        abort(404)
    except conversations.NotYourConversation:
        abort(403)
    return render_template(
        "conversations/show.html", conversation=conversation, form=form, error=error, report_form=ReportForm()
    )


@bp.get("/inbox")
@login_required  # type: ignore[untyped-decorator]
def inbox() -> str:
    return render_template("conversations/inbox.html", entries=conversations.inbox(current_user.id))
