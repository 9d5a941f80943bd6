"""Background jobs run by RQ workers (``rq worker mail`` with the site's environment)
when REDIS_URL is set."""

from __future__ import annotations

from flask import has_app_context

__all__ = ["deliver_mail"]


def deliver_mail() -> int:
    """Send the mails that are due; returns how many left."""
    from .services.mail import deliver_due

    if has_app_context():  # a worker run inside the app (the tests)
        return deliver_due()
    from . import create_app

    with create_app().app_context():
        return deliver_due()
