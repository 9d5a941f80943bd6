"""Publishing many trips at once: each checked as one, routed here or by RQ workers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, select

from carpool.extensions import db
from carpool.models import Report, Trip, TripCell
from carpool.services import route_jobs
from carpool.services.search import SearchQuery, find
from carpool.services.trips import AboveCeiling, StopInput, TripDraft, publish, publish_many
from tests.site.test_search import on_the_way
from tests.site.test_trips import CASINO, LARVOTTO, PALACE, TOMORROW, draft

LYON = StopInput("Lyon", 45.7640, 4.8357)
REDIS_URL = "redis://127.0.0.1:6379/13"


def mixed_batch(driver: int) -> list[tuple[int, TripDraft]]:
    """Good drafts between refused ones of every kind."""
    return [
        (driver, draft()),
        (driver, draft(departure=TOMORROW - timedelta(days=3))),  # in the past
        (driver, draft(stopovers=(CASINO,), departure=TOMORROW + timedelta(hours=2))),
        (driver, draft(destination=LYON)),  # not in the region
        (driver, draft(contribution_cents=10_000)),  # above the ceiling
        (driver, draft(destination=PALACE)),  # nowhere to go
        (driver + 1000, draft()),  # nobody
        (driver, draft(origin=LARVOTTO, destination=PALACE, departure=TOMORROW + timedelta(hours=9))),
    ]


def cells_of(trip_id: int) -> set[tuple[int, float, float]]:
    rows = db.session.execute(
        select(TripCell.cell, TripCell.earliest_s, TripCell.latest_s).where(TripCell.trip_id == trip_id)
    )
    return {tuple(row) for row in rows}  # type: ignore[misc]


def check_batch(driver: int) -> list[int]:
    """Publish the mixed batch, check it as one by one publishing would; the ids."""
    batch = mixed_batch(driver)
    result = publish_many(batch)
    published = [position for position, trip_id in enumerate(result.ids) if trip_id is not None]
    assert published == [0, 2, 7]
    assert sorted(result.refused) == [1, 3, 4, 5, 6]
    assert isinstance(result.refused[4], AboveCeiling)
    assert "même endroit" in str(result.refused[5].message)  # the site speaks French first

    ids = [trip_id for trip_id in result.ids if trip_id is not None]
    for trip_id, position in zip(ids, published, strict=True):
        alone = publish(driver, batch[position][1])
        one, other = db.session.get(Trip, trip_id), db.session.get(Trip, alone)
        assert one is not None and other is not None
        assert (one.time_s, one.length_m, one.contribution_cents) == (
            other.time_s,
            other.length_m,
            other.contribution_cents,
        )
        assert [s.offset_s for s in one.stops] == [s.offset_s for s in other.stops]
        assert one.legs == other.legs is not None
        assert one.graph_key == other.graph_key is not None
        assert cells_of(trip_id) == cells_of(alone) != set()
    flags = db.session.scalars(select(Report.flag).where(Report.user_id == driver)).all()
    assert flags == ["above_ceiling"]
    return ids


def test_a_batch_is_published_as_each_trip_would_be(app: Flask, driver: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        ids = check_batch(driver)
        found = [r.trip_id for r in find(SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date()))]
        assert ids[0] in found and ids[1] in found


def test_an_empty_or_wholly_refused_batch_publishes_nothing(app: Flask, driver: int) -> None:
    with app.app_context():
        assert publish_many([]).ids == ()
        result = publish_many([(driver, draft(destination=LYON)), (driver, draft(seats=0))])
        assert result.ids == (None, None) and sorted(result.refused) == [0, 1]
        assert db.session.scalars(select(Trip)).all() == []


@pytest.fixture
def routes_worker(app: Flask) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``rq worker`` process on the ``routes`` queue of a real Redis, with the
    site's configuration from the environment, as on an app server."""
    from redis import Redis
    from rq import Queue, Worker

    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    env = {
        **os.environ,
        "ROAD_GRAPH": app.config["ROAD_GRAPH"],
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test",
        "SEARCH_CELL_M": str(app.config["SEARCH_CELL_M"]),
    }
    rq = Path(sys.executable).with_name("rq")
    worker = subprocess.Popen(
        [str(rq), "worker", "--url", REDIS_URL, "--worker-class", "rq.worker.SimpleWorker", "routes"], env=env
    )
    try:
        deadline = time.monotonic() + 60
        while not Worker.count(queue=Queue("routes", connection=redis)):
            assert worker.poll() is None, "the rq worker stopped"
            assert time.monotonic() < deadline, "the rq worker did not start"
            time.sleep(0.2)
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # rq's warm shutdown has been seen to hang on a loaded machine after its
            # jobs were done; what the tests check is done by then.
            worker.kill()
            worker.wait()
        redis.flushdb()


def test_with_redis_rq_workers_route_the_batch(
    app: Flask, driver: int, routes_worker: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis import Redis
    from rq import Queue
    from rq.registry import FinishedJobRegistry

    monkeypatch.setattr(route_jobs, "CHUNK", 2)  # several jobs from a small batch
    app.config["REDIS_URL"] = REDIS_URL
    with app.app_context():
        check_batch(driver)
    registry = FinishedJobRegistry(queue=Queue("routes", connection=Redis.from_url(REDIS_URL)))
    assert registry.count == 3  # the six drafts that pass the first checks, two by two


def test_with_redis_rq_workers_reindex_the_trips(
    app: Flask, driver: int, routes_worker: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``flask trips reindex`` shares the routing out to the workers as bulk
    publishing does, and indexes what publishing indexed."""
    from redis import Redis
    from rq import Queue
    from rq.registry import FinishedJobRegistry

    from carpool.services import trips
    from tests.site.test_trips import index_rows

    monkeypatch.setattr(route_jobs, "CHUNK", 2)
    app.config["REDIS_URL"] = REDIS_URL
    with app.app_context():
        ids = check_batch(driver)  # and as many published one by one
        published = index_rows()
        registry = FinishedJobRegistry(queue=Queue("routes", connection=Redis.from_url(REDIS_URL)))
        jobs_before = registry.count
        db.session.execute(delete(TripCell))
        db.session.commit()
        assert trips.reindex().indexed == 2 * len(ids) == 6
        assert index_rows() == published
    assert registry.count == jobs_before + 3  # the six trips, two by two


def test_a_worker_with_another_road_graph_routes_nothing(
    app: Flask,
    routes_worker: subprocess.Popen[bytes],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Jobs queued for another road graph than the worker's (an app server the new
    graph has not reached yet) fail there, and are routed here the same."""
    from redis import Redis
    from rq import Queue
    from rq.job import Job
    from rq.registry import CanceledJobRegistry, FinishedJobRegistry

    app.config["REDIS_URL"] = REDIS_URL
    with app.app_context():
        trips = [
            route_jobs.TripToRoute(((stop.lat, stop.lon), (other.lat, other.lon)), 600)
            for stop, other in ((CASINO, LARVOTTO), (LARVOTTO, PALACE), (PALACE, CASINO))
        ]
        here = route_jobs.route_all(trips)
        monkeypatch.setattr(route_jobs, "CHUNK", 1)
        _, cell_m = route_jobs.routing_setup()
        monkeypatch.setattr(route_jobs, "routing_setup", lambda: ("another graph", cell_m))
        assert route_jobs.route_all(trips) == here
        assert all(isinstance(routed, route_jobs.RoutedTrip) for routed in here)
    failed = [record for record in caplog.records if "routing its trips here" in record.getMessage()]
    assert len(failed) == 3 and all("failed" in record.getMessage().lower() for record in failed)
    queue = Queue("routes", connection=Redis.from_url(REDIS_URL))
    assert FinishedJobRegistry(queue=queue).count == 0
    why = [
        Job.fetch(job_id, connection=queue.connection).latest_result()
        for job_id in CanceledJobRegistry(queue=queue).get_job_ids()
    ]
    assert len(why) == 3 and all(
        result is not None and "OtherRoadGraph" in str(result.exc_string) for result in why
    )


def test_with_redis_routes_are_kept_for_the_same_trips_later(app: Flask, driver: int) -> None:
    """Without workers, the batch is routed here; what was computed is kept in a
    real Redis under the trips' stops, and the same trips published again read it."""
    import pickle
    from dataclasses import replace

    from redis import Redis

    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    app.config["REDIS_URL"] = REDIS_URL
    batch = [(driver, draft()), (driver, draft(stopovers=(CASINO,))), (driver, draft(destination=LYON))]
    with app.app_context():
        first = publish_many(batch)
        keys = sorted(redis.scan_iter("carpool:routed:*"))
        assert len(keys) == 2  # not the trip that cannot be routed
        assert 0 < redis.ttl(keys[0]) <= 14 * 86_400
        # A kept result is what the next publishing reads: change one and see it.
        for key in keys:
            routed = pickle.loads(redis.get(key))  # type: ignore[arg-type]
            redis.set(key, pickle.dumps(replace(routed, time_s=routed.time_s + 1)))
        again = publish_many(
            [(driver, replace(d, departure=d.departure + timedelta(days=7))) for _, d in batch]
        )
        for before, after in zip(first.ids[:2], again.ids[:2], strict=True):
            one, other = db.session.get(Trip, before), db.session.get(Trip, after)
            assert one is not None and other is not None
            assert other.time_s == one.time_s + 1
        assert again.ids[2] is None
    redis.flushdb()
