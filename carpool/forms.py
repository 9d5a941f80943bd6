"""Web forms (Flask-WTF: CSRF on every form). Labels use ``_l``: they are defined at
import time and translated when shown. Field checks here are about the form; the
rules themselves live in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    EmailField,
    FieldList,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

__all__ = ["LoginForm", "NewPasswordForm", "RegisterForm", "ResetRequestForm", "SearchForm", "TripForm"]

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


class TripForm(FlaskForm):  # type: ignore[misc]
    origin = StringField(_l("From"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    stopovers = FieldList(
        StringField(_l("Stopover"), validators=[Optional(), Length(max=200)]), min_entries=6
    )
    destination = StringField(_l("To"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter a date."))])
    hour = TimeField(_l("Departure time"), validators=[DataRequired(_l("Enter a time."))])
    seats = IntegerField(
        _l("Seats offered"),
        default=3,
        validators=[InputRequired(_REQUIRED), NumberRange(1, 8, _l("From 1 to 8."))],
    )
    max_detour_min = IntegerField(
        _l("Longest detour you accept, in minutes"),
        default=10,
        validators=[InputRequired(_REQUIRED), NumberRange(0, 60, _l("From 0 to 60 minutes."))],
    )
    contribution = DecimalField(
        _l("Contribution per passenger for the whole trip (empty: suggested)"),
        places=2,
        validators=[Optional(), NumberRange(0, 10_000, _l("Not a possible amount."))],
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class SearchForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False  # a search changes nothing and its address can be shared

    origin = StringField(_l("From"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    destination = StringField(_l("To"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter a date."))])
    flex_days = IntegerField(
        _l("Days before or after"),
        default=0,
        validators=[Optional(), NumberRange(0, 3, _l("From 0 to 3 days."))],
    )
    time_from = TimeField(_l("Not before"), validators=[Optional()])
    time_to = TimeField(_l("Not after"), validators=[Optional()])


class ResetRequestForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_REQUIRED), Length(max=254)])


class NewPasswordForm(FlaskForm):  # type: ignore[misc]
    password = PasswordField(
        _l("New password (at least 10 characters)"), validators=[DataRequired(_REQUIRED)]
    )
