"""Background jobs run by RQ workers (``rq worker mail alerts routes`` with the
site's environment) when REDIS_URL is set.

A job run outside an app (a worker started by ``rq worker``) runs in an app made
once per worker process: with ``--worker-class rq.worker.SimpleWorker`` the road
graph is then loaded once, not for every job."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, TypeVar

from flask import Flask, has_app_context

if TYPE_CHECKING:
    from routing import RoutingError

    from .services.route_jobs import RoutedTrip, TripToRoute

__all__ = ["deliver_mail", "enqueue", "match_alerts", "route_trips"]

T = TypeVar("T")


def _in_app(work: Callable[[], T]) -> T:
    """Run ``work`` in the app: the worker's own (the tests), else one made here."""
    if has_app_context():
        return work()
    with _worker_app().app_context():
        return work()


@cache
def _worker_app() -> Flask:
    from . import create_app

    return create_app(migrations=False)  # a worker never migrates: no alembic (11 MB)


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


def route_trips(
    trips: list[TripToRoute], setup: tuple[str, float] | None = None
) -> list[RoutedTrip | RoutingError]:
    """Route a chunk of a bulk publishing or a reindex, for the road graph and cell
    size ``setup`` (see :mod:`carpool.services.route_jobs`)."""
    from .services.route_jobs import route_chunk

    return _in_app(lambda: route_chunk(trips, setup=setup))
