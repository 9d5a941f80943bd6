"""Web forms (Flask-WTF: CSRF on every form). Labels use ``_l``: they are defined at
import time and translated when shown. Field checks here are about the form; the
rules themselves live in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

__all__ = ["LoginForm", "RegisterForm"]

_REQUIRED = _l("This field is required.")


class RegisterForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_REQUIRED), Length(max=254)])
    display_name = StringField(
        _l("Name shown to other members"), validators=[DataRequired(_REQUIRED), Length(max=60)]
    )
    password = PasswordField(_l("Password (at least 10 characters)"), validators=[DataRequired(_REQUIRED)])


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_REQUIRED), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_REQUIRED)])
