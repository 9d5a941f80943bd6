"""A member's own data: the copy to download, and deleting the account."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response as BaseResponse

from ..forms import DeleteAccountForm
from ..services import privacy

bp = Blueprint("privacy", __name__, url_prefix="/account")


@bp.get("/data.json")
@login_required  # type: ignore[untyped-decorator]
def download() -> Response:
    """All the member's data, as a JSON file to keep."""
    body = json.dumps(privacy.export_data(current_user.id), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="carpool-my-data.json"'},
    )


@bp.route("/delete", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def delete() -> str | BaseResponse:
    form = DeleteAccountForm()
    error = None
    if form.validate_on_submit():
        try:
            privacy.delete_account(current_user.id, form.password.data)
        except privacy.AccountError as refused:
            error = refused.message
        else:
            logout_user()
            flash(_("Your account is deleted. Thank you for having shared the road."))
            return redirect(url_for("main.index"))
    return render_template("account/delete.html", form=form, error=error)
