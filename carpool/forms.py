"""Web forms (Flask-WTF: CSRF on every form). Labels use ``_l``: they are defined at
import time and translated when shown. Field checks here are about the form; the
rules themselves live in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    FieldList,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)
from wtforms.widgets import CheckboxInput, ListWidget

from .i18n import LANGUAGE_NAMES

__all__ = [
    "ActionForm",
    "AlertForm",
    "AnswerForm",
    "BookingForm",
    "CancelTripForm",
    "DecisionForm",
    "DeleteAccountForm",
    "EditTripForm",
    "LoginForm",
    "MessageForm",
    "NewPasswordForm",
    "NoShowForm",
    "PartnerKeyForm",
    "PeriodBookingForm",
    "ProfileForm",
    "RegisterForm",
    "RegularTripForm",
    "ReportForm",
    "ResetRequestForm",
    "ReviewForm",
    "SearchForm",
    "TripFieldsForm",
    "TripForm",
]

_REQUIRED = _l("This field is required.")


def _finite(form: FlaskForm, field: DecimalField) -> None:
    """Refuses "NaN" and "Infinity", which Decimal reads as numbers."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_l("Not a possible amount."))


class RegisterForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_REQUIRED), Length(max=254)])
    display_name = StringField(
        _l("Name shown to other members"), validators=[DataRequired(_REQUIRED), Length(max=60)]
    )
    password = PasswordField(_l("Password (at least 10 characters)"), validators=[DataRequired(_REQUIRED)])


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_REQUIRED), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_REQUIRED)])


LUGGAGE_CHOICES = [
    SelectChoice("small", _l("Small bag (backpack)")),
    SelectChoice("medium", _l("Medium (a cabin suitcase)")),
    SelectChoice("large", _l("Large (a big suitcase)")),
]


class TripFieldsForm(FlaskForm):  # type: ignore[misc]
    """A trip's places, seats, contribution and options: all but its dates."""

    origin = StringField(_l("From"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    stopovers = FieldList(
        StringField(_l("Stopover"), validators=[Optional(), Length(max=200)]), min_entries=6, max_entries=6
    )
    destination = StringField(_l("To"), validators=[DataRequired(_REQUIRED), Length(max=200)])
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
        validators=[Optional(), _finite, NumberRange(0, 10_000, _l("Not a possible amount."))],
    )
    luggage = SelectField(_l("Luggage per passenger"), choices=LUGGAGE_CHOICES, default="medium")
    pets = BooleanField(_l("Pets welcome"))
    smoking = BooleanField(_l("Smoking allowed"))
    max_two_back = BooleanField(_l("At most two passengers in the back"))
    instant_booking = BooleanField(_l("Accept bookings at once, without answering each"))
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class EditTripForm(TripFieldsForm):
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter a date."))])
    hour = TimeField(_l("Departure time"), validators=[DataRequired(_l("Enter a time."))])


class RegularTripForm(TripFieldsForm):
    """A trip made every week: a departure time on each day it runs, and its dates."""

    # One field per day, not a FieldList: WTForms fills a FieldList's entries that
    # were not posted from the next ones.
    time_0 = TimeField(_l("Monday"), validators=[Optional()])
    time_1 = TimeField(_l("Tuesday"), validators=[Optional()])
    time_2 = TimeField(_l("Wednesday"), validators=[Optional()])
    time_3 = TimeField(_l("Thursday"), validators=[Optional()])
    time_4 = TimeField(_l("Friday"), validators=[Optional()])
    time_5 = TimeField(_l("Saturday"), validators=[Optional()])
    time_6 = TimeField(_l("Sunday"), validators=[Optional()])
    start_on = DateField(_l("First date"), validators=[DataRequired(_l("Enter a date."))])
    end_on = DateField(_l("Last date"), validators=[DataRequired(_l("Enter a date."))])


class TripForm(EditTripForm):
    """Publishing: the trip, and optionally its return the other way round."""

    return_day = DateField(_l("Return date"), validators=[Optional()])
    return_hour = TimeField(_l("Return departure time"), validators=[Optional()])


class CancelTripForm(FlaskForm):  # type: ignore[misc]
    reason = TextAreaField(_l("Reason (shown on the trip's page)"), validators=[Optional(), Length(max=500)])


def _preference(label: object, answers: list[tuple[str, object]]) -> RadioField:
    choices = [SelectChoice(value, text) for value, text in [("", _l("Not said")), *answers]]
    return RadioField(label, choices=choices, default="", validators=[Optional()])


class ProfileForm(FlaskForm):  # type: ignore[misc]
    display_name = StringField(
        _l("Name shown to other members"), validators=[DataRequired(_REQUIRED), Length(max=60)]
    )
    bio = TextAreaField(_l("A few words about you"), validators=[Optional(), Length(max=500)])
    phone = TelField(
        _l("Phone number (shown only to the people you travel with)"),
        validators=[
            Optional(),
            Length(max=30),
            Regexp(r"^\+?[0-9 .()-]{6,30}$", message=_l("Digits, spaces and a leading + only.")),
        ],
    )
    car_model = StringField(_l("Car model"), validators=[Optional(), Length(max=60)])
    car_colour = StringField(_l("Car colour"), validators=[Optional(), Length(max=30)])
    smoking = _preference(
        _l("Smoking"),
        [("no", _l("No smoking")), ("outside", _l("Breaks outside")), ("yes", _l("Smoking is fine"))],
    )
    pets = _preference(
        _l("Pets"),
        [("no", _l("No pets")), ("depends", _l("Depends on the pet")), ("yes", _l("Pets welcome"))],
    )
    music = _preference(
        _l("Music"), [("quiet", _l("Silence")), ("depends", _l("It depends")), ("music", _l("Music!"))]
    )
    chattiness = _preference(
        _l("Chatting"),
        [("quiet", _l("Rather quiet")), ("depends", _l("It depends")), ("chatty", _l("I like to chat"))],
    )
    mails = SelectMultipleField(
        _l("E-mails I receive"),
        choices=[
            SelectChoice("booking_requested", _l("A passenger books one of my trips")),
            SelectChoice("booking_answered", _l("A driver answers my booking")),
            SelectChoice("booking_cancelled", _l("A booking is cancelled")),
            SelectChoice("trip_changed", _l("A driver changes or cancels a trip I booked")),
            SelectChoice("reminder", _l("A reminder the day before a trip")),
            SelectChoice("new_message", _l("New messages (one e-mail for several)")),
            SelectChoice("review_received", _l("Someone I travelled with reviews me")),
        ],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        # No Optional(): it would clear the refusal of an e-mail kind that is not offered.
    )
    language = SelectField(
        _l("Language of the site and of e-mails"),
        choices=[SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items()],
        default="fr",
    )


class BookingFieldsForm(FlaskForm):  # type: ignore[misc]
    """What every booking asks: seats and a message, from the passenger's places
    (hidden: carried from the search result to the trip's page, then posted)."""

    seats = IntegerField(
        _l("Seats"), default=1, validators=[InputRequired(_REQUIRED), NumberRange(1, 8, _l("From 1 to 8."))]
    )
    message = TextAreaField(_l("Message to the driver"), validators=[Optional(), Length(max=1000)])
    pickup = HiddenField(validators=[DataRequired(), Length(max=60)])
    dropoff = HiddenField(validators=[DataRequired(), Length(max=60)])
    pickup_name = HiddenField(validators=[Optional(), Length(max=200)])
    dropoff_name = HiddenField(validators=[Optional(), Length(max=200)])


class BookingForm(BookingFieldsForm):
    """Seats on a trip, from the passenger's places (carried from the search result)."""


class PeriodBookingForm(BookingFieldsForm):
    """Seats on every date of a regular trip in a period, from the passenger's places."""

    first_day = DateField(_l("From"), validators=[DataRequired(_l("Enter a date."))])
    last_day = DateField(_l("Until"), validators=[DataRequired(_l("Enter a date."))])


class MessageForm(FlaskForm):  # type: ignore[misc]
    body = TextAreaField(
        _l("Your message"), validators=[DataRequired(_l("Write a message first.")), Length(max=2000)]
    )


REPORT_CATEGORY_CHOICES = [
    SelectChoice("behaviour", _l("Behaviour (rude, threatening, did not come…)")),
    SelectChoice("safety", _l("Safety (dangerous driving, a risk for others)")),
    SelectChoice("professional", _l("A professional driver, or trips made for profit")),
    SelectChoice("spam", _l("Spam or fraud")),
    SelectChoice("other", _l("Something else")),
]


class ReportForm(FlaskForm):  # type: ignore[misc]
    """A report to the moderators. The service checks the category and the reason
    (required, 1000 characters at most), and says what is wrong."""

    category = SelectField(_l("What kind of problem?"), choices=REPORT_CATEGORY_CHOICES, default="behaviour")
    reason = TextAreaField(_l("What is wrong?"))


class DecisionForm(FlaskForm):  # type: ignore[misc]
    """A moderator's action on a report; the buttons post ``action``."""

    note = TextAreaField(_l("Note to the member (needed for a warning; sent with a suspension or a ban)"))
    until = DateField(_l("Suspended until (included)"), validators=[Optional()])


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something: nothing to fill in but its CSRF token."""


class PartnerKeyForm(FlaskForm):  # type: ignore[misc]
    """A new key for a partner of the interop API; the service checks both fields."""

    name = StringField(_l("Partner (who the key is for)"), validators=[DataRequired(_REQUIRED)])
    rate_limit = StringField(_l("Requests allowed (empty: the site's default)"), validators=[Optional()])


class AnswerForm(FlaskForm):  # type: ignore[misc]
    """Accept, decline or cancel a booking, with an optional reason."""

    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=500)])


def _whole(value: object) -> int | None:
    """A whole number, or None: a rating that is not one is refused by the reviews
    service, with its own message."""
    try:
        return int(str(value))
    except ValueError:
        return None


class ReviewForm(FlaskForm):  # type: ignore[misc]
    rating = RadioField(
        _l("Your rating"),
        choices=[
            SelectChoice("1", _l("1 — very bad")),
            SelectChoice("2", _l("2 — disappointing")),
            SelectChoice("3", _l("3 — fair")),
            SelectChoice("4", _l("4 — good")),
            SelectChoice("5", _l("5 — very good")),
        ],
        coerce=_whole,
        validate_choice=False,
    )
    comment = TextAreaField(_l("Your review (optional)"), validators=[Optional(), Length(max=1000)])


class NoShowForm(FlaskForm):  # type: ignore[misc]
    note = TextAreaField(_l("What happened (optional)"), validators=[Optional(), Length(max=500)])


WEEKDAY_CHOICES = [
    SelectChoice(str(day), name)
    for day, name in enumerate(
        [
            _l("Monday"),
            _l("Tuesday"),
            _l("Wednesday"),
            _l("Thursday"),
            _l("Friday"),
            _l("Saturday"),
            _l("Sunday"),
        ]
    )
]


class AlertForm(FlaskForm):  # type: ignore[misc]
    """A search to be alerted about: from the alerts page, or carried in hidden
    fields from empty search results (with the same names)."""

    origin = StringField(_l("From"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    destination = StringField(_l("To"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    day = DateField(_l("Date"), validators=[Optional()])
    flex_days = IntegerField(
        _l("Days before or after"),
        default=0,
        validators=[Optional(), NumberRange(0, 3, _l("From 0 to 3 days."))],
    )
    weekdays = SelectMultipleField(
        _l("Or every week, on"),
        choices=WEEKDAY_CHOICES,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        # No Optional(): it would clear the refusal of a day that is not offered (an
        # empty or a made-up value), which would then reach the alert.
    )
    until = DateField(_l("Until (every week; empty: three months)"), validators=[Optional()])
    time_from = TimeField(_l("Not before"), validators=[Optional()])
    time_to = TimeField(_l("Not after"), validators=[Optional()])
    seats = IntegerField(
        _l("Seats"), default=1, validators=[Optional(), NumberRange(1, 8, _l("From 1 to 8."))]
    )
    public = BooleanField(_l("Show my request to drivers whose trips pass by, so they can write to me"))


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


class DeleteAccountForm(FlaskForm):  # type: ignore[misc]
    password = PasswordField(_l("Your password, to confirm"), validators=[DataRequired(_REQUIRED)])


class NewPasswordForm(FlaskForm):  # type: ignore[misc]
    password = PasswordField(
        _l("New password (at least 10 characters)"), validators=[DataRequired(_REQUIRED)]
    )


class ApiTokenForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("What it is for (a phone, an app…)"), validators=[Optional(), Length(max=80)])


class RevokeTokenForm(FlaskForm):  # type: ignore[misc]
    """Only the CSRF token: revoking is one button."""
