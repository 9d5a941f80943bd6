"""Members' pages: one's own profile to edit, and the page others see."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..forms import ApiTokenForm, ProfileForm, ReportForm
from ..services import members
from . import ID

bp = Blueprint("members", __name__)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def edit_profile() -> str | Response:
    form = ProfileForm(data=asdict(members.get_profile(current_user.id)))
    error = None
    if form.validate_on_submit():
        texts = {
            name: form[name].data or "" for name in members.Profile.__dataclass_fields__ if name != "mails"
        }
        profile = members.Profile(**texts, mails=tuple(form.mails.data or ()))
        try:
            members.update_profile(current_user.id, profile)
        except members.ProfileError as refused:
            error = refused.message
        else:
            flash(_("Your profile is saved."))
            return redirect(url_for("members.show", user_id=current_user.id))
    return render_template(
        "members/edit.html", form=form, error=error, token_form=ApiTokenForm(prefix="token")
    )


@bp.get(f"/members/<{ID}:user_id>")
def show(user_id: int) -> str | tuple[str, int]:
    try:
        member = members.public_profile(user_id)
    except members.MemberDeleted:
        # Links to a deleted member stay on others' pages: they lead here, not to a 404.
        return render_template("members/deleted.html"), 410
    except members.MemberNotFound:
        abort(404)
    return render_template("members/show.html", member=member, report_form=ReportForm())
