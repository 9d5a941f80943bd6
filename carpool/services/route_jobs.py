"""Routing many trips at once, for bulk publishing (:func:`trips.publish_many`).

What publishing computes for a trip (its route and its search cells, tens of
milliseconds of Python) is the same on every machine that has the road graph, so a
batch is cut into chunks that RQ workers of the ``routes`` queue compute side by side,
on this machine's cores or on several app servers, when REDIS_URL is set and workers
listen on that queue; otherwise (a small VPS, the tests without a worker) the chunks
are computed here, one after the other. Either way the results are the same.

A job says which road graph and cell size it was queued with: a worker whose graph
is another (an import just made, that a worker loaded before it, or that another app
server has not received yet) loads the graph file again, and if it is still another,
fails the job, which is then routed here: no trip is indexed with another graph's nodes.

With REDIS_URL, what was computed is also kept in Redis for ``ROUTE_CACHE_DAYS``,
under the trip's stops, detour, cell size and road graph: drivers publish the same
commute week after week, and every app server finds it there.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from flask import current_app

from routing import LatLon, RouterUnavailable, RoutingError
from routing.cells import CellSpan, detour_cells

from .roads import forget_router, get_router

if TYPE_CHECKING:
    from redis import Redis
    from rq import Queue
    from rq.job import Job

__all__ = [
    "CHUNK",
    "OtherRoadGraph",
    "RoutedTrip",
    "TripToRoute",
    "route_all",
    "route_chunk",
    "routing_setup",
]

#: Trips per job: a few seconds of work, so that the workers share a batch evenly
#: and a job's answer stays small in Redis.
CHUNK = 100
#: How long a batch may wait for the workers before this process routes what is left.
_PATIENCE_S = 600.0
_QUEUE = "routes"


@dataclass(frozen=True)
class TripToRoute:
    """A trip to route: its stops' points, in order, and the detour its driver accepts."""

    points: tuple[LatLon, ...]
    max_detour_s: int


@dataclass(frozen=True)
class RoutedTrip:
    """What publishing keeps of a trip's route: the stops' nodes, the legs, the
    totals and the search cells; not the geometry, which the trip's page routes again."""

    stops: tuple[int, ...]
    leg_time_s: tuple[float, ...]
    leg_length_m: tuple[float, ...]
    time_s: float
    length_m: float
    spans: tuple[CellSpan, ...]


class OtherRoadGraph(RuntimeError):
    """A job was queued for another road graph or cell size than this worker's."""


def routing_setup() -> tuple[str, float]:
    """What a routed trip depends on besides its stops: the road graph (its
    fingerprint) and the search cells' size."""
    return get_router().graph.fingerprint, float(current_app.config["SEARCH_CELL_M"])


def route_one(trip: TripToRoute) -> RoutedTrip | RoutingError:
    """The trip's route and cells, or why it cannot be routed.

    Raises
    ------
    routing.RouterUnavailable
        When the routing server does not answer: no trip says anything then.
    """
    router = get_router()
    points = trip.points
    try:
        route = router.route(points[0], points[-1], via=points[1:-1])
    except RouterUnavailable:
        raise
    except RoutingError as error:
        return error
    spans = detour_cells(
        router.graph, route, max_detour_s=trip.max_detour_s, cell_m=current_app.config["SEARCH_CELL_M"]
    )
    return RoutedTrip(
        stops=route.stops,
        leg_time_s=route.leg_time_s,
        leg_length_m=route.leg_length_m,
        time_s=route.time_s,
        length_m=route.length_m,
        spans=tuple(spans),
    )


def route_chunk(
    trips: Sequence[TripToRoute], *, setup: tuple[str, float] | None = None
) -> list[RoutedTrip | RoutingError]:
    """:func:`route_one` for each trip, in order (one RQ job's work), reading and
    filling the cache in Redis when there is one.

    Raises
    ------
    OtherRoadGraph
        If ``setup`` (:func:`routing_setup` where the job was queued) is not this
        process's, even after loading the road graph file again.
    """
    if setup is not None and routing_setup() != setup:
        forget_router()  # the file may have been imported since this worker loaded it
        if routing_setup() != setup:
            raise OtherRoadGraph(f"queued for {setup}, this worker has {routing_setup()}")
    redis = _redis()
    if redis is None:
        return [route_one(trip) for trip in trips]
    keys = [_cache_key(trip) for trip in trips]
    kept = redis.mget(keys)
    routed = [
        pickle.loads(cast(bytes, hit)) if hit is not None else route_one(trip)
        for trip, hit in zip(trips, kept, strict=True)
    ]
    days = current_app.config["ROUTE_CACHE_DAYS"]
    with redis.pipeline(transaction=False) as pipe:
        for key, hit, result in zip(keys, kept, routed, strict=True):
            if hit is None and isinstance(result, RoutedTrip):
                pipe.set(key, pickle.dumps(result), ex=int(days * 86_400))
        pipe.execute()
    return routed


#: Changed whenever what a :class:`RoutedTrip` holds changes: older entries are not read.
_CACHE_FORMAT = 3  # 2: spans with their sub-cells; 3: and when the driver can be there


def _cache_key(trip: TripToRoute) -> str:
    graph, cell_m = get_router().graph.fingerprint, current_app.config["SEARCH_CELL_M"]
    what = repr((_CACHE_FORMAT, graph, cell_m, trip.points, trip.max_detour_s))
    return "carpool:routed:" + hashlib.blake2b(what.encode(), digest_size=16).hexdigest()


def _redis() -> Redis | None:
    url = current_app.config.get("REDIS_URL")
    if not url or not current_app.config["ROUTE_CACHE_DAYS"]:
        return None
    from redis import Redis

    return Redis.from_url(url)


def route_all(trips: Sequence[TripToRoute]) -> list[RoutedTrip | RoutingError]:
    """:func:`route_one` for each trip, in order: by the RQ workers of the ``routes``
    queue when there are some, else here."""
    chunks = [list(trips[i : i + CHUNK]) for i in range(0, len(trips), CHUNK)]
    queue = _listened_queue() if len(chunks) > 1 else None
    if queue is None:
        return [routed for chunk in chunks for routed in route_chunk(chunk)]
    setup = routing_setup()
    jobs = [
        queue.enqueue("carpool.tasks.route_trips", chunk, setup, result_ttl=_PATIENCE_S) for chunk in chunks
    ]
    return [routed for job, chunk in zip(jobs, chunks, strict=True) for routed in _result(job, chunk)]


def _listened_queue() -> Queue | None:
    """The ``routes`` queue, if REDIS_URL is set and a worker listens on it."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis
    from rq import Queue, Worker

    queue = Queue(_QUEUE, connection=Redis.from_url(url))
    return queue if Worker.count(queue=queue) else None


def _result(job: Job, chunk: list[TripToRoute]) -> list[RoutedTrip | RoutingError]:
    """The job's answer once it is there; the chunk routed here if the job failed or
    the workers are too slow (they may have stopped), so that no trip is lost."""
    deadline = time.monotonic() + _PATIENCE_S
    while time.monotonic() < deadline:
        status = job.get_status(refresh=True)
        if status == "finished":
            routed: list[RoutedTrip | RoutingError] | None = job.return_value()
            if routed is not None and len(routed) == len(chunk):
                return routed
            break
        if status in ("failed", "stopped", "canceled") or status is None:
            current_app.logger.warning("routing job %s %s: routing its trips here", job.id, status)
            break
        time.sleep(0.02)
    job.cancel()
    return route_chunk(chunk)
