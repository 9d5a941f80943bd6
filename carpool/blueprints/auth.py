"""Registration, sign-in and sign-out, e-mail confirmation."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from ..extensions import db
from ..forms import LoginForm, NewPasswordForm, RegisterForm, ResetRequestForm
from ..i18n import select_locale
from ..models import User
from ..services import accounts, mail
from . import limits, local_path

bp = Blueprint("auth", __name__, url_prefix="/account")


def _send_confirmation(user: User) -> None:
    token = accounts.confirmation_token(user.id)
    link = url_for("auth.confirm", token=token, _external=True)
    with force_locale(user.language):
        mail.send(
            user.email,
            _("Confirm your e-mail address"),
            render_template("email/confirm.txt", user=user, link=link),
        )


def _warn_owner(email: str) -> None:
    user = accounts.find_by_email(email)
    if user is not None:
        with force_locale(user.language):
            mail.send(
                user.email,
                _("Someone tried to register with your address"),
                render_template(
                    "email/already_registered.txt", user=user, login=url_for("auth.login", _external=True)
                ),
            )


@bp.route("/register", methods=["GET", "POST"])
@limits.registrations
def register() -> str | Response:
    form = RegisterForm()
    if form.validate_on_submit():
        registration = accounts.Registration(
            email=form.email.data,
            display_name=form.display_name.data,
            password=form.password.data,
            language=select_locale(),
        )
        try:
            user = db.session.get(User, accounts.register(registration))
            assert user is not None
            _send_confirmation(user)
        except accounts.EmailTaken:
            _warn_owner(registration.email)  # and answer as for a new account
        except accounts.AccountError as error:
            return render_template("auth/register.html", form=form, error=error.message)
        flash(_("Welcome! We have sent you an e-mail: follow its link to confirm your address."))
        return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form, error=None)


@bp.get("/confirm/<token>")
def confirm(token: str) -> Response:
    try:
        accounts.confirm_email(token)
    except accounts.AccountError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Your e-mail address is confirmed."))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@limits.sign_in_attempts
def login() -> str | Response:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user_id = accounts.authenticate(form.email.data, form.password.data)
        except accounts.AccountClosed as closed:
            return render_template("auth/login.html", form=form, error=closed.message)
        if user_id is not None:
            user = db.session.get(User, user_id)
            assert user is not None
            login_user(user)
            flash(_("Hello %(name)s!", name=user.display_name))
            return redirect(local_path(request.args.get("next")) or url_for("main.index"))
        error = _("This e-mail address and password do not match an account.")
    return render_template("auth/login.html", form=form, error=error)


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    return redirect(url_for("main.index"))


@bp.route("/reset", methods=["GET", "POST"])
@limits.password_resets
def reset_request() -> str | Response:
    form = ResetRequestForm()
    if form.validate_on_submit():
        found = accounts.reset_token(form.email.data)
        if found is not None:
            user = db.session.get(User, found[0])
            assert user is not None
            link = url_for("auth.reset", token=found[1], _external=True)
            with force_locale(user.language):
                mail.send(
                    user.email,
                    _("Choose a new password"),
                    render_template("email/reset.txt", user=user, link=link),
                )
        # The same answer whether or not the address has an account.
        flash(_("If this address has an account, we have sent it a link to choose a new password."))
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> str | Response:
    form = NewPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except accounts.AccountError as refused:
            error = refused.message
        else:
            flash(_("Your password is changed: you can sign in with it."))
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, error=error)
