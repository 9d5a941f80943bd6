"""Language of each request: the person's choice (their profile's, or the switch's
in this browser), else their browser's, else French."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

__all__ = ["LANGUAGE_NAMES", "select_locale", "select_timezone", "site_zone"]

#: Each language in its own name, for the language switch.
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}

#: ``_l`` strings are translated when shown, so they can be defined at import time.
_ = _l


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # commands, background jobs
        return str(current_app.config["DEFAULT_LOCALE"])
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return str(current_user.language)
    chosen = session.get("language")
    if chosen in languages:
        return str(chosen)
    return request.accept_languages.best_match(languages) or current_app.config["DEFAULT_LOCALE"]


def select_timezone() -> str:
    return str(current_app.config["TIMEZONE"])


def site_zone() -> ZoneInfo:
    """The site's time zone (``TIMEZONE``): where a date or an hour is local."""
    return ZoneInfo(select_timezone())
