"""A member's personal API tokens, from their profile: make one (shown once), revoke."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..forms import ApiTokenForm, RevokeTokenForm
from ..services import api_tokens
from . import ID

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


@bp.get("")
@login_required  # type: ignore[untyped-decorator]
def index() -> str:
    return render_template(
        "account/tokens.html",
        tokens=api_tokens.my_tokens(current_user.id),
        form=ApiTokenForm(prefix="token"),
        revoke_form=RevokeTokenForm(),
        error=None,
    )


@bp.post("")
@login_required  # type: ignore[untyped-decorator]
def create() -> str | Response:
    form = ApiTokenForm(prefix="token")
    if not form.validate_on_submit():
        return redirect(url_for("tokens.index"))
    try:
        made = api_tokens.create_token(current_user.id, form.name.data or "")
    except api_tokens.TokenError as refused:
        error = refused.message
        made = None
    else:
        error = None
    # The secret is shown in this answer only: never in a flashed message (the session
    # cookie would carry it) nor in an address.
    return render_template(
        "account/tokens.html",
        tokens=api_tokens.my_tokens(current_user.id),
        form=ApiTokenForm(formdata=None, prefix="token"),
        revoke_form=RevokeTokenForm(),
        made=made,
        error=error,
    )


@bp.post(f"/<{ID}:token_id>/revoke")
@login_required  # type: ignore[untyped-decorator]
def revoke(token_id: int) -> Response:
    if RevokeTokenForm().validate_on_submit():
        try:
            api_tokens.revoke(token_id, current_user.id)
        except api_tokens.TokenNotFound:
            flash(_("This token is not among yours."))
        else:
            flash(_("The token is revoked: it opens nothing any more."))
    return redirect(url_for("tokens.index"))
