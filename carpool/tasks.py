"""Background jobs run by RQ workers (``rq worker mail alerts`` with the site's
environment) when REDIS_URL is set."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import has_app_context

__all__ = ["deliver_mail", "enqueue", "match_alerts"]

T = TypeVar("T")


def _in_app(work: Callable[[], T]) -> T:
    """Run ``work`` in the app: the worker's own (the tests), else one made here."""
    if has_app_context():
        return work()
    from . import create_app

    with create_app().app_context():
        return work()


def enqueue(queue: str, job: str, *args: object) -> None:
    """Queue ``job`` (a dotted name of this module's) for the RQ workers of ``queue``,
    in the Redis at REDIS_URL."""
    from flask import current_app
    from redis import Redis
    from rq import Queue

    Queue(queue, connection=Redis.from_url(current_app.config["REDIS_URL"])).enqueue(job, *args)


def deliver_mail() -> int:
    """Send the mails that are due; returns how many left."""
    from .services.mail import deliver_due

    return _in_app(deliver_due)


def match_alerts(trip_ids: list[int]) -> int:
    """Match trips just published against the alerts; returns how many members were told."""
    from .services.alerts import match_published

    return _in_app(lambda: match_published(trip_ids))
