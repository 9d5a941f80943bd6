"""Benchmark of the site's search path on the Porto region, through the service layer:
publish N future trips over 30 days (origins and destinations spread like real
demand, some with stopovers) into SQLite and PostgreSQL, then time searches
in-process (``carpool.services.search.find_page``: index lookup for the pickup and the
drop-off, order check, exact detours with ``match_batch`` on the candidates, ranking,
the first page of results loaded and shown).

Run from the repository root::

    python bench/search.py                          # 1,000 then 10,000 trips
    python bench/search.py --sizes 1000 10000 100000 --graph porto.graph

The trips grow in one database per engine: 1,000 are published, searches timed,
then more up to the next size, and so on. At each size: publishing (in bulk with
``trips.publish_many``, routed by ``--workers`` RQ workers, then 300 one by one with
``trips.publish``, which is the time a driver waits), the search in-process (and the
CPU time a search takes there and in PostgreSQL's backend), again with the index's
cells alone, its sub-cells ignored (the same trips found, more candidates matched),
on PostgreSQL the pre-filter other platforms use (PostGIS
``ST_DWithin`` of the pickup and the drop-off to every stored route,
``bench/postgis_prefilter.py``) on the same queries, and the search over HTTP
through gunicorn driven by wrk at 1, 10 and 50 clients that search again as soon as
they have an answer, at 50 that read their results for half a second first, and at
50 that ask 100 searches a second in all at a fixed pace
(``bench/http_load.py``), with two workers per core, then with the site's own number
where it is another.
PostgreSQL is the one at ``--pg-url`` (its tables are dropped and made again by the
migrations; PostGIS must be installed on the server: ``apt-get install
postgresql-15-postgis-3``). Redis at ``--redis-url`` (emptied) holds the RQ queues.

Demand: trips start near the region's places, more often near the populous ones,
and half of them head for the most populous places (work, schools, the centre);
a fifth stop over at another place on the way. Searches: half along a published
trip (pickup and drop-off points of its road, on its day), half between two places
of the region as a passenger would ask them (on a random day of the 30).

The trips a run publishes stay in its database (SQLite: the file under the temporary
folder it prints; PostgreSQL: ``--pg-url``). ``--reuse DATABASE_URL`` measures the
searches again on them, with the code of now and the migrations applied, without
publishing (a 100,000-trip database takes most of an hour to fill)::

    python bench/search.py --graph porto.graph --reuse sqlite:////tmp/…/bench.sqlite
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import http_load  # noqa: E402
import postgis_prefilter  # noqa: E402
from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402

from carpool import create_app  # noqa: E402
from carpool.extensions import db  # noqa: E402
from carpool.models import Place, Trip, TripStop, User  # noqa: E402
from carpool.services import places, search, trips  # noqa: E402
from carpool.services.roads import get_router, trip_route  # noqa: E402
from routing import ALL_SUBCELLS, RoutingError, build_graph, load_graph, precompute_spaces, spaces_path  # noqa: E402

ZONE = ZoneInfo("Europe/Lisbon")
#: Local hours people drive at, commutes first.
HOURS = (7, 7, 7, 8, 8, 8, 9, 12, 13, 16, 17, 17, 18, 18, 19, 20)
DRIVERS = 5_000
#: Trips published one by one at each size, for the publish time; the others in bulk.
ONE_BY_ONE = 300
BATCH = 1_000


@dataclass(frozen=True)
class Demand:
    """The region's places, and how likely a trip starts or ends near each."""

    names: list[str]
    lat: np.ndarray
    lon: np.ndarray
    start_weight: np.ndarray
    end_weight: np.ndarray

    @classmethod
    def of_region(cls) -> Demand:
        rows = list(db.session.scalars(select(Place)))
        population = np.array([max(p.population or 0, 1) for p in rows], dtype=float)
        # Trips start everywhere people live (square root: villages count too) and end
        # more often where many people go.
        start = np.sqrt(population) + 30.0
        end = population + population.max() / 50
        return cls(
            names=[p.name for p in rows],
            lat=np.array([p.lat for p in rows]),
            lon=np.array([p.lon for p in rows]),
            start_weight=start / start.sum(),
            end_weight=end / end.sum(),
        )

    def near(self, rng: np.random.Generator, weights: np.ndarray) -> trips.StopInput:
        """A point within about 2 km of a place drawn by ``weights``."""
        i = int(rng.choice(len(self.names), p=weights))
        distance, bearing = rng.uniform(0, 2_000), rng.uniform(0, 2 * math.pi)
        lat = self.lat[i] + distance * math.cos(bearing) / 111_320
        lon = self.lon[i] + distance * math.sin(bearing) / (111_320 * math.cos(math.radians(self.lat[i])))
        return trips.StopInput(self.names[i], float(lat), float(lon))


def make_app(
    database_url: str, graph_file: Path, instance: Path, redis_url: str = "", *, fresh: bool = True
) -> Flask:
    """The site on this database: emptied and made again by the migrations (``fresh``),
    or as an earlier run left it, brought up to date by the migrations."""
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "ROAD_GRAPH": str(graph_file),
            "TIMEZONE": "Europe/Lisbon",
            "MAIL_OUTBOX": str(instance / "outbox"),
            "REDIS_URL": redis_url,
        }
    )
    with app.app_context():
        if not fresh:
            upgrade()
            return app
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        places.load_gazetteer(get_router().graph)
        db.session.add_all(
            User(email=f"driver{i}@example.org", display_name=f"Driver {i}", password_hash="-", language="pt")
            for i in range(DRIVERS)
        )
        db.session.commit()
    return app


def draft(demand: Demand, rng: np.random.Generator, first_day: dt.date) -> trips.TripDraft:
    while True:
        origin = demand.near(rng, demand.start_weight)
        weights = demand.end_weight if rng.random() < 0.5 else demand.start_weight
        destination = demand.near(rng, weights)
        if math.dist((origin.lat, origin.lon), (destination.lat, destination.lon)) > 0.03:  # ~3 km
            break
    stopovers = (demand.near(rng, demand.start_weight),) if rng.random() < 0.2 else ()
    day = first_day + dt.timedelta(days=int(rng.integers(30)))
    departure = dt.datetime.combine(
        day, dt.time(int(rng.choice(HOURS)), int(rng.choice((0, 15, 30, 45)))), ZONE
    )
    return trips.TripDraft(
        origin=origin,
        destination=destination,
        stopovers=stopovers,
        departure=departure,
        seats=int(rng.integers(1, 5)),
        max_detour_min=int(rng.choice((5, 10, 15))),
    )


def publish(
    count: int, demand: Demand, rng: np.random.Generator, first_day: dt.date
) -> tuple[list[int], list[float]]:
    """Publish ``count`` trips through the service; their ids and publish times."""
    ids: list[int] = []
    seconds: list[float] = []
    while len(ids) < count:
        one = draft(demand, rng, first_day)
        start = time.perf_counter()
        try:
            ids.append(trips.publish(1 + len(ids) % DRIVERS, one))
        except trips.TripError:  # a point the roads do not reach, a route impossible
            db.session.rollback()
            continue
        seconds.append(time.perf_counter() - start)
    return ids, seconds


def publish_in_bulk(count: int, demand: Demand, rng: np.random.Generator, first_day: dt.date) -> list[int]:
    """Publish ``count`` trips with ``trips.publish_many``, by batches; their ids."""
    ids: list[int] = []
    while len(ids) < count:
        wanted = min(BATCH, count - len(ids))
        batch = [(1 + (len(ids) + k) % DRIVERS, draft(demand, rng, first_day)) for k in range(wanted)]
        ids += [trip_id for trip_id in trips.publish_many(batch).ids if trip_id is not None]
    return ids


@contextlib.contextmanager
def routing_workers(count: int, redis_url: str, graph_file: Path) -> Iterator[None]:
    """``count`` RQ workers on the ``routes`` queue, as app servers would run them."""
    env = {**os.environ, "ROAD_GRAPH": str(graph_file), "SECRET_KEY": "bench", "REDIS_URL": redis_url}
    rq = Path(sys.executable).with_name("rq")
    command = [
        str(rq),
        "worker",
        "--quiet",
        "--url",
        redis_url,
        "--worker-class",
        "rq.worker.SimpleWorker",
        "routes",
    ]
    workers = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in range(count)]
    try:
        from redis import Redis
        from rq import Queue, Worker

        queue = Queue("routes", connection=Redis.from_url(redis_url))
        while Worker.count(queue=queue) < count:
            time.sleep(0.2)
        yield
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:  # seen once: rq stuck joining its pub/sub thread
                worker.kill()
                worker.wait()


def searches(
    trip_ids: Sequence[int], demand: Demand, rng: np.random.Generator, first_day: dt.date, count: int
) -> list[search.SearchQuery]:
    from carpool.models import Trip

    queries: list[search.SearchQuery] = []
    while len(queries) < count // 2:
        trip = db.session.get(Trip, int(rng.choice(trip_ids)))
        assert trip is not None
        try:
            coords = trip_route(trip).coords
        except RoutingError:
            continue
        pickup = coords[int(rng.uniform(0.1, 0.4) * len(coords))]
        dropoff = coords[int(rng.uniform(0.6, 0.9) * len(coords))]
        day = trip.departure_at.astimezone(ZONE).date()
        queries.append(search.SearchQuery(pickup=pickup, dropoff=dropoff, day=day))
    while len(queries) < count:
        a, b = demand.near(rng, demand.start_weight), demand.near(rng, demand.end_weight)
        day = first_day + dt.timedelta(days=int(rng.integers(30)))
        queries.append(search.SearchQuery(pickup=(a.lat, a.lon), dropoff=(b.lat, b.lon), day=day))
    return queries


def time_searches(queries: Sequence[search.SearchQuery]) -> tuple[list[float], int]:
    seconds: list[float] = []
    found = 0
    for query in queries:
        start = time.perf_counter()
        with contextlib.suppress(search.SearchError):  # a point outside the region's roads
            found += search.find_page(query).total  # the first page, as the site shows it
        seconds.append(time.perf_counter() - start)
    return seconds, found


def search_cpu(queries: Sequence[search.SearchQuery]) -> str:
    """The CPU time a search takes, the queries run once more: in this process (as in
    a site's worker), and on PostgreSQL in the server's backend that serves this
    session too (from /proc, where the server runs on this machine): over HTTP, the
    two share the cores."""
    backend = _backend_cpu_s()
    own, server = time.process_time(), backend()
    time_searches(queries)  # one transaction: the session keeps its connection, and backend
    line = f"CPU a search: this process {(time.process_time() - own) / len(queries) * 1000:.2f} ms"
    if server >= 0:
        line += f", PostgreSQL's backend {(backend() - server) / len(queries) * 1000:.2f} ms"
    return line


def _backend_cpu_s() -> Callable[[], float]:
    """A reading of the CPU seconds of the session's PostgreSQL backend (-1 where
    /proc does not show it: another machine's server, or SQLite)."""
    if db.engine.dialect.name != "postgresql":
        return lambda: -1.0
    stat = Path(f"/proc/{db.session.scalar(text('SELECT pg_backend_pid()'))}/stat")
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            return -1.0
        return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime

    return read


@contextlib.contextmanager
def cells_only() -> Iterator[None]:
    """The search as it was without sub-cells: every entry read as if its driver
    reached the whole of its cell (the same masks then let every trip of the cell by)."""
    located = search.spots_near

    def whole_cells(*points: tuple[float, float]) -> list[search.Spot]:
        return [spot._replace(subcell=ALL_SUBCELLS) for spot in located(*points)]

    search.spots_near = whole_cells  # type: ignore[assignment]
    try:
        yield
    finally:
        search.spots_near = located  # type: ignore[assignment]


def against_cells_alone(queries: Sequence[search.SearchQuery], found: int) -> str:
    """The search with sub-cells and with cells alone, query by query in turn, one
    or the other first (the second finds the pages the first read), as a line of
    the report."""
    fine: list[float] = []
    coarse: list[float] = []
    for k, query in enumerate(queries):
        for whole_cells in (k % 2 == 0, k % 2 == 1):
            with cells_only() if whole_cells else contextlib.nullcontext():
                seconds, query_found = time_searches([query])
            if whole_cells:
                coarse += seconds
                found -= query_found
            else:
                fine += seconds
    assert found == 0, "sub-cells must leave out no trip the cells let by"
    with cells_only():
        coarse_read = candidates_read(queries)
    with order_only():
        unbounded_read = candidates_read(queries)
    return (
        f"candidates matched per search {candidates_read(queries):.1f}, {unbounded_read:.1f} without "
        f"the times in the cells, {coarse_read:.1f} with cells alone (no sub-cells) | "
        f"in turn: with sub-cells p50 {ms(fine, 50):6.1f} ms p95 "
        f"{ms(fine, 95):6.1f}, cells alone p50 {ms(coarse, 50):6.1f} ms p95 {ms(coarse, 95):6.1f} "
        f"({ms(coarse, 50) / ms(fine, 50):.2f}× / {ms(coarse, 95) / ms(fine, 95):.2f}×)"
    )


def candidates_read(queries: Sequence[search.SearchQuery]) -> float:
    """How many trips the index proposes for exact matching, on average a search."""
    read = 0
    for query in queries:
        with contextlib.suppress(RoutingError):
            start, end = search._window(query, ZONE)
            read += len(search._candidates(search.Ends.of(query.pickup, query.dropoff), start, end))
    return read / len(queries)


@contextlib.contextmanager
def order_only() -> Iterator[None]:
    """The index read as before it knew when each driver is in a cell: only that the
    pickup's cell comes before the drop-off's (a fastest time far below zero)."""
    fastest = search.fastest_between
    search.fastest_between = lambda pickup, dropoff: -1e9  # type: ignore[assignment]
    try:
        yield
    finally:
        search.fastest_between = fastest  # type: ignore[assignment]


def stored_routes(trip_ids: Sequence[int]) -> Iterator[postgis_prefilter.StoredRoute]:
    """Every trip's road geometry, as the other platforms store it, routed again here
    (the site keeps no geometry), read by batches so that memory stays flat."""
    router = get_router()
    for start in range(0, len(trip_ids), 2_000):
        chunk = sorted(trip_ids[start : start + 2_000])
        rows = db.session.execute(
            select(Trip.id, Trip.departure_at, TripStop.lat, TripStop.lon)
            .join(TripStop, TripStop.trip_id == Trip.id)
            .where(Trip.id.in_(chunk))
            .order_by(Trip.id, TripStop.position)
        )
        for (trip_id, departure_at), stops in itertools.groupby(rows, key=lambda r: r[:2]):
            points = [(lat, lon) for *_, lat, lon in stops]
            route = router.route(points[0], points[-1], via=points[1:-1])
            yield postgis_prefilter.StoredRoute(trip_id, departure_at, route.coords)


def time_postgis(
    url: str, trip_ids: Sequence[int], queries: Sequence[search.SearchQuery], radius_m: float
) -> tuple[str, list[float]]:
    """The PostGIS pre-filter on the same trips and queries: a line of the report, the times."""
    loading_s = postgis_prefilter.load_routes(url, stored_routes(trip_ids))
    zone = ZONE
    requests = []
    for query in queries:
        start = dt.datetime.combine(query.day, dt.time.min, zone)
        # The same departures the search reads: trips that may reach the pickup that day.
        requests.append(
            postgis_prefilter.Request(
                query.pickup, query.dropoff, start - search.LONGEST_TRIP, start + dt.timedelta(days=1)
            )
        )
    # Warmed as our search is: every request once.
    seconds, found = postgis_prefilter.time_prefilter(url, requests, radius_m=radius_m, warmup=len(requests))
    return (
        f"PostGIS ST_DWithin {radius_m:,.0f} m pre-filter alone: p50 {ms(seconds, 50):6.1f} ms "
        f"p95 {ms(seconds, 95):6.1f} p99 {ms(seconds, 99):6.1f} | "
        f"{sum(map(len, found)) / len(found):.1f} trips per search | routes stored in {loading_s:.0f} s"
    ), seconds


def time_http(
    url: str, graph_file: Path, instance: Path, queries: Sequence[search.SearchQuery], duration_s: float
) -> str:
    """The search over HTTP (the JSON API) through gunicorn, as tables: with two
    workers per core (issue 7's setting), then, where it runs another number, with the
    site's own (``gunicorn.conf.py``: one per core with the database on this machine)."""
    paths = http_load.search_paths(queries)
    env = {
        "DATABASE_URL": url,
        "ROAD_GRAPH": str(graph_file.resolve()),
        "TIMEZONE": "Europe/Lisbon",
        "SECRET_KEY": "bench",
        "MAIL_OUTBOX": str(instance / "outbox"),
        **http_load.NO_LIMITS,
    }
    tables = []
    for workers in dict.fromkeys([2 * http_load.CORES, http_load.site_workers(env)]):
        with http_load.serve(env, workers=workers) as server:
            tables.append(http_load.table(http_load.run(server, paths, duration_s=duration_s)))
    return "\n\n".join(tables)


def ms(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def run_engine(name: str, url: str, graph_file: Path, sizes: Sequence[int], args: argparse.Namespace) -> None:
    instance = Path(tempfile.mkdtemp())
    app = make_app(url, graph_file, instance, args.redis_url)
    rng = np.random.default_rng(args.seed)
    first_day = dt.date.today() + dt.timedelta(days=1)
    with app.app_context(), routing_workers(args.workers, args.redis_url, graph_file):
        demand = Demand.of_region()
        all_ids: list[int] = []
        for size in sizes:
            start = time.perf_counter()
            bulk = publish_in_bulk(size - len(all_ids) - ONE_BY_ONE, demand, rng, first_day)
            bulk_s = time.perf_counter() - start
            ids, publish_s = publish(ONE_BY_ONE, demand, rng, first_day)
            all_ids += bulk + ids
            published = (
                f"in bulk {len(bulk) / bulk_s:5.0f} trips/s | "
                f"publish median {ms(publish_s, 50):6.1f} ms p95 {ms(publish_s, 95):6.1f}"
            )
            measure(name, url, all_ids, published, demand, rng, first_day, graph_file, instance, args)


def measure(
    name: str,
    url: str,
    trip_ids: list[int],
    published: str,
    demand: Demand,
    rng: np.random.Generator,
    first_day: dt.date,
    graph_file: Path,
    instance: Path,
    args: argparse.Namespace,
) -> None:
    """Every search measurement at one size: in-process, against cells alone, the
    PostGIS peer (PostgreSQL), over HTTP."""
    if name == "postgresql":
        # The statistics and visibility map that autovacuum keeps on a live site, made
        # now: the planner chooses by them (the PostGIS peer's table is analysed too).
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    queries = searches(trip_ids, demand, rng, first_day, args.searches)
    # Warm, as a live site is: every query once (the pages of the search spaces, the
    # database's cache; PostgreSQL reads its index pages into its buffers).
    time_searches(queries)
    seconds, found = time_searches(queries)
    print(
        f"{name:<10} {len(trip_ids):>7,} trips | {published} | "
        f"search p50 {ms(seconds, 50):6.1f} ms p95 {ms(seconds, 95):6.1f} "
        f"p99 {ms(seconds, 99):6.1f} | "
        f"{found / len(queries):.1f} trips found per search",
        flush=True,
    )
    print(f"{'':<10} {search_cpu(queries)}", flush=True)
    print(f"{'':<10} {against_cells_alone(queries, found)}", flush=True)
    if name == "postgresql" and args.postgis_radius_m:
        line, peer = time_postgis(url, trip_ids, queries, args.postgis_radius_m)
        print(f"{'':<10} {line}", flush=True)
        p50, p95 = ms(peer, 50) / ms(seconds, 50), ms(peer, 95) / ms(seconds, 95)
        print(f"{'':<10} PostGIS pre-filter / our whole search: p50 {p50:.2f}× p95 {p95:.2f}×", flush=True)
    if args.http_s:
        db.session.commit()  # nothing open while the server reads
        if name == "postgresql":
            # What the PostGIS peer wrote goes to disk now, not in a checkpoint that
            # stalls the HTTP levels (one stalled a 1-client level for seconds).
            try:
                with db.engine.connect() as connection:
                    connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("CHECKPOINT")
            except DBAPIError as error:  # a role without pg_checkpoint's right
                print(f"{'':<10} no CHECKPOINT before HTTP ({error.orig})", flush=True)
        print(time_http(url, graph_file, instance, queries, args.http_s), flush=True)


def reuse(url: str, graph_file: Path, args: argparse.Namespace) -> None:
    """:func:`measure` on the trips an earlier run published (brought up to date by
    the migrations): the code of now on the same data, without publishing again."""
    instance = Path(tempfile.mkdtemp())
    app = make_app(url, graph_file, instance, fresh=False)
    with app.app_context():
        trip_ids = list(db.session.scalars(select(Trip.id).order_by(Trip.id)))
        first = db.session.scalar(select(Trip.departure_at).order_by(Trip.departure_at).limit(1))
        assert first is not None, "no trip to search: this database was not made by this benchmark"
        name = db.engine.dialect.name
        rng = np.random.default_rng(args.seed)
        first_day = first.astimezone(ZONE).date()
        measure(name, url, trip_ids, "reused", Demand.of_region(), rng, first_day, graph_file, instance, args)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extract", default=str(REPO_ROOT.parent / "shared/data/porto_portugal.osm.pbf"))
    parser.add_argument("--graph", help="reuse this graph file instead of building it")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test_bench")
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12", help="emptied first")
    parser.add_argument(
        "--keep-route-cache",
        action="store_true",
        help="do not empty Redis first: the trips an earlier run with the same seed published are "
        "routed from its cache (publishing figures are then not those of a first publishing)",
    )
    parser.add_argument("--workers", type=int, default=2, help="RQ workers routing the bulk publishing")
    parser.add_argument("--postgis-radius-m", type=float, default=1_000.0, help="0: no PostGIS peer")
    parser.add_argument("--http-s", type=float, default=20.0, help="seconds per HTTP level; 0: no HTTP")
    parser.add_argument(
        "--reuse",
        metavar="DATABASE_URL",
        help="measure the searches on the trips an earlier run left there (no publishing, one size)",
    )
    args = parser.parse_args(argv)

    print(f"run of {dt.datetime.now():%Y-%m-%d %H:%M}, load average", *(f"{x:.2f}" for x in os.getloadavg()))
    graph_file = Path(args.graph) if args.graph else Path(tempfile.mkdtemp()) / "porto.graph"
    if not args.graph:
        build_graph(args.extract).save(graph_file)
    graph = load_graph(graph_file)
    print(f"graph: {graph.node_count:,} nodes")
    if not spaces_path(graph_file).exists():  # as 'flask graph import' makes them
        start = time.perf_counter()
        precompute_spaces(graph).save(spaces_path(graph_file))
        print(f"search spaces of every node computed in {time.perf_counter() - start:.0f} s")
    if args.reuse:
        reuse(args.reuse, graph_file, args)
        return
    urls = {"sqlite": f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite'}", "postgresql": args.pg_url}
    print("databases:", ", ".join(urls[engine] for engine in args.engines))
    from redis import Redis

    # Emptied once: the engines after the first publish the same trips (the same seed),
    # whose routes bulk publishing then reads from the cache in Redis, as a site does
    # for the same commute the next week.
    if not args.keep_route_cache:
        Redis.from_url(args.redis_url).flushdb()
    for engine in args.engines:
        run_engine(engine, urls[engine], graph_file, sorted(args.sizes), args)


if __name__ == "__main__":
    main()
