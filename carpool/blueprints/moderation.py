"""Reports to the moderators, and the moderators' pages: the queue, a report and its
actions, the log, the dashboard, the lists of members, trips and bookings, and the
keys of the partners of the interop API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..forms import ActionForm, DecisionForm, PartnerKeyForm, ReportForm
from ..services import dashboard as dashboard_service
from ..services import moderation, partners
from ..services.moderation import Page, ReportTarget
from . import ID

bp = Blueprint("moderation", __name__)


def _report(target: ReportTarget, back: str) -> Response:
    """Send a report from a form, then back to the page it was made on."""
    form = ReportForm()
    try:
        moderation.report(current_user.id, target, form.category.data or "", form.reason.data or "")
    except moderation.ReportNotFound:
        abort(404)
    except moderation.CannotReport:
        abort(403)
    except moderation.ModerationError as refused:
        flash(str(refused.message), "error")
    else:
        flash(_("Thank you: a moderator of the association will look at your report."))
    return redirect(back)


@bp.post(f"/members/<{ID}:user_id>/report")
@login_required  # type: ignore[untyped-decorator]
def report_member(user_id: int) -> Response:
    return _report(ReportTarget("user", user_id), url_for("members.show", user_id=user_id))


@bp.post(f"/trips/<{ID}:trip_id>/report")
@login_required  # type: ignore[untyped-decorator]
def report_trip(trip_id: int) -> Response:
    return _report(ReportTarget("trip", trip_id), url_for("trips.show", trip_id=trip_id))


@bp.post(f"/conversations/<{ID}:conversation_id>/report")
@login_required  # type: ignore[untyped-decorator]
def report_conversation(conversation_id: int) -> Response:
    back = url_for("conversations.show", conversation_id=conversation_id)
    return _report(ReportTarget("conversation", conversation_id), back)


@bp.post(f"/conversations/<{ID}:conversation_id>/messages/<{ID}:message_id>/report")
@login_required  # type: ignore[untyped-decorator]
def report_message(conversation_id: int, message_id: int) -> Response:
    back = url_for("conversations.show", conversation_id=conversation_id)
    return _report(ReportTarget("message", message_id, conversation_id), back)


def _page() -> int:
    """The ``page`` asked for; anything but a number is the first page."""
    return request.args.get("page", 1, type=int) or 1


@bp.get("/moderation")
@login_required  # type: ignore[untyped-decorator]
def index() -> str:
    try:
        found = moderation.queue(current_user.id, _page())
    except moderation.NotAModerator:
        abort(403)
    return render_template("moderation/index.html", page=found)


@bp.get("/moderation/dashboard")
@login_required  # type: ignore[untyped-decorator]
def dashboard() -> str:
    try:
        figures = dashboard_service.dashboard(current_user.id)
    except moderation.NotAModerator:
        abort(403)
    return render_template("moderation/dashboard.html", board=figures)


@bp.get("/moderation/reports")
@login_required  # type: ignore[untyped-decorator]
def reports() -> Response:
    """The address of the first moderation page, which only listed conversations."""
    return redirect(url_for("moderation.index"))


@bp.get(f"/moderation/reports/<{ID}:report_id>")
@login_required  # type: ignore[untyped-decorator]
def show(report_id: int) -> str:
    try:
        detail = moderation.get_report(current_user.id, report_id)
    except moderation.NotAModerator:
        abort(403)
    except moderation.ReportNotFound:
        abort(404)
    return render_template("moderation/report.html", detail=detail, form=DecisionForm())


@bp.post(f"/moderation/reports/<{ID}:report_id>")
@login_required  # type: ignore[untyped-decorator]
def act(report_id: int) -> Response:
    form = DecisionForm()
    decision = moderation.Decision(
        action=request.form.get("action", ""), note=form.note.data or "", until=form.until.data
    )
    try:
        moderation.act(current_user.id, report_id, decision)
    except moderation.NotAModerator:
        abort(403)
    except moderation.ReportNotFound:
        abort(404)
    except moderation.ModerationError as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("moderation.show", report_id=report_id))
    flash(_("Done: the report is closed, and the people concerned are told by e-mail."))
    return redirect(url_for("moderation.index"))


@bp.get("/moderation/log")
@login_required  # type: ignore[untyped-decorator]
def log() -> str:
    try:
        found = moderation.log(current_user.id, _page())
    except moderation.NotAModerator:
        abort(403)
    return render_template("moderation/log.html", page=found)


def _searched_list(search: Callable[[int, str, int], Page[Any]], template: str) -> str:
    """A moderators' list, searched with the ``q`` of the address and paged.

    Parameters
    ----------
    search : callable
        The service that lists for a moderator: ``search(moderator_id, q, page)``.
    template : str
        The page that shows the list; it is given the page found and ``q``, so that
        the search box and the pager keep the search.

    Returns
    -------
    str
        The page; a member who is not a moderator gets a 403.
    """
    q = request.args.get("q", "")
    try:
        found = search(current_user.id, q, _page())
    except moderation.NotAModerator:
        abort(403)
    return render_template(template, page=found, q=q)


@bp.get("/moderation/users")
@login_required  # type: ignore[untyped-decorator]
def users() -> str:
    return _searched_list(moderation.users, "moderation/users.html")


@bp.get("/moderation/trips")
@login_required  # type: ignore[untyped-decorator]
def trips() -> str:
    return _searched_list(moderation.trips_list, "moderation/trips.html")


@bp.get("/moderation/bookings")
@login_required  # type: ignore[untyped-decorator]
def bookings() -> str:
    return _searched_list(moderation.bookings, "moderation/bookings.html")


def _partner_keys_page(form: PartnerKeyForm, secret: str | None = None, status: int = 200) -> tuple[str, int]:
    """The partner keys page; ``secret``: the key just made, shown this once."""
    page = render_template(
        "moderation/partners.html",
        keys=partners.list_keys(),
        form=form,
        secret=secret,
    )
    return page, status


def _require_administrator() -> None:
    try:
        moderation.require_moderator(current_user.id)
    except moderation.NotAModerator:
        abort(403)


@bp.get("/moderation/partners")
@login_required  # type: ignore[untyped-decorator]
def partner_keys() -> tuple[str, int]:
    _require_administrator()
    return _partner_keys_page(PartnerKeyForm())


@bp.post("/moderation/partners")
@login_required  # type: ignore[untyped-decorator]
def new_partner_key() -> tuple[str, int]:
    """Make a key and show its secret on the page itself: never in a redirect or a
    flashed message, which would keep it in the session cookie."""
    _require_administrator()
    form = PartnerKeyForm()
    if not form.validate_on_submit():
        return _partner_keys_page(form, status=400)
    try:
        _, secret = partners.create_key(form.name.data or "", form.rate_limit.data)
    except partners.PartnerError as refused:
        form.rate_limit.errors.append(refused.message)
        return _partner_keys_page(form, status=400)
    return _partner_keys_page(PartnerKeyForm(formdata=None), secret=secret)


@bp.post(f"/moderation/partners/<{ID}:key_id>/revoke")
@login_required  # type: ignore[untyped-decorator]
def revoke_partner_key(key_id: int) -> Response:
    _require_administrator()
    if not ActionForm().validate_on_submit():
        flash(_("This could not be done: please try again."), "error")
        return redirect(url_for("moderation.partner_keys"))
    try:
        partners.revoke(key_id)
    except partners.PartnerKeyNotFound:
        abort(404)
    flash(_("The key is revoked: the partner's requests are refused from now on."))
    return redirect(url_for("moderation.partner_keys"))
