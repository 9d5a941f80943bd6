"""How often the site's pages may be used (Flask-Limiter), each rate a setting of
:mod:`carpool.config`: signing in per client address and per e-mail address tried
(so that a password cannot be guessed from many addresses), registering and asking
for a password reset per client address, the mails those two send per e-mail
address, messages per member, and the search per client address.

A form counts only when it is posted: reading it costs nothing. Over a limit: 429,
and the error page says how long to wait (``Retry-After`` says it to programs). The
JSON API has its own limits (:mod:`carpool.api.v1.limits`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import current_app, request
from flask_babel import ngettext
from flask_login import current_user

from ..extensions import MESSAGES_SCOPE, configured_rate, limiter, member_bucket
from ..services.accounts import normalise_email

__all__ = ["messages", "password_resets", "registrations", "searches", "sign_in_attempts", "wait_message"]

P = ParamSpec("P")
R = TypeVar("R")

#: Only a form's submission counts.
_POSTED = ["POST"]


def wait_message() -> str:
    """What the error page says over a limit: how long until the limit that was hit
    lets the person try again, in whole minutes (as ``Retry-After`` counts it)."""
    hit = limiter.current_limit
    seconds = int(hit.reset_at - time.time()) if hit is not None else 60
    minutes = max(1, math.ceil(seconds / 60))
    told: str = ngettext(
        "You did this too many times in a short while. Please wait %(num)d minute, then try again.",
        "You did this too many times in a short while. Please wait %(num)d minutes, then try again.",
        minutes,
    )
    return told


def _email_tried() -> str:
    """The e-mail address the form was posted with, as accounts are looked up, keyed
    with the site's secret: the limits' storage (Redis) never holds an address."""
    typed = normalise_email(request.form.get("email", ""))[:254]
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return "email:" + hmac.new(secret, typed.encode(), hashlib.sha256).hexdigest()


def _member() -> str:
    return member_bucket(current_user.id)


def sign_in_attempts(view: Callable[P, R]) -> Callable[P, R]:
    """Count a sign-in against the client address and against the e-mail address
    tried: the right password is refused too while either is over its rate."""
    per_address = limiter.limit(
        configured_rate("LOGIN_RATE_LIMIT"), methods=_POSTED, error_message=wait_message
    )
    per_email = limiter.limit(
        configured_rate("LOGIN_EMAIL_RATE_LIMIT"),
        key_func=_email_tried,
        scope="email",
        methods=_POSTED,
        error_message=wait_message,
    )
    limited: Callable[P, R] = per_address(per_email(view))
    return limited


def _mails_to_address(view: Callable[P, R]) -> Callable[P, R]:
    """Count a form that mails the address it names, whichever form it is."""
    limited: Callable[P, R] = limiter.shared_limit(
        configured_rate("MAIL_PER_ADDRESS_RATE_LIMIT"),
        scope="mail-to-address",
        key_func=_email_tried,
        methods=_POSTED,
        error_message=wait_message,
    )(view)
    return limited


def registrations(view: Callable[P, R]) -> Callable[P, R]:
    """Count a registration against the client address and the address it mails."""
    per_address = limiter.limit(
        configured_rate("REGISTER_RATE_LIMIT"), methods=_POSTED, error_message=wait_message
    )
    limited: Callable[P, R] = per_address(_mails_to_address(view))
    return limited


def password_resets(view: Callable[P, R]) -> Callable[P, R]:
    """Count a reset request against the client address and the address it mails."""
    per_address = limiter.limit(
        configured_rate("RESET_RATE_LIMIT"), methods=_POSTED, error_message=wait_message
    )
    limited: Callable[P, R] = per_address(_mails_to_address(view))
    return limited


def messages(view: Callable[P, R]) -> Callable[P, R]:
    """Count a message against the member's share, over every page that sends one
    (put it under ``login_required``: the member must be known)."""
    limited: Callable[P, R] = limiter.shared_limit(
        configured_rate("MESSAGE_RATE_LIMIT"),
        scope=MESSAGES_SCOPE,
        key_func=_member,
        methods=_POSTED,
        error_message=wait_message,
    )(view)
    return limited


def searches(view: Callable[P, R]) -> Callable[P, R]:
    """Count a search against the client address."""
    limited: Callable[P, R] = limiter.limit(configured_rate("SEARCH_RATE_LIMIT"), error_message=wait_message)(
        view
    )
    return limited
