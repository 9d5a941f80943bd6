"""The search pre-filter of other carpooling platforms (Covoiturage-libre, Mobicoop) in
PostGIS, for bench/search.py: the trips whose road passes within a radius of the
passenger's pickup and then of the drop-off, departing in a time window. Each route is
one ``LineString`` in EPSG:3763 (Portugal TM06, metres) with a GiST index; a search is
one prepared query.

Plan (EXPLAIN ANALYZE, 2,000 Porto routes): ``Index Scan using <table>_geom_gist`` with
``Index Cond: ((geom && st_expand(pickup, r)) AND (geom && st_expand(dropoff, r)))``, a
``Filter`` re-checking the time window, both ``st_dwithin`` and the ``st_linelocatepoint``
order (about 100 rows read for 5 kept), then a ``Sort``. The btree on ``departure_at``
goes unused at a day's window. At 100,000 routes (``bench/search.py``), 54 of 60 random
searches AND the GiST's bitmap with the btree's (``BitmapAnd``), the 6 others scan the
GiST alone: the same plans with the site's planner settings as with
``random_page_cost = 1.1`` alone.

Needs PostgreSQL with PostGIS on the server (Debian: ``apt-get install
postgresql-15-postgis-3``); the extension is created if missing. Demo on porto.graph::

    python bench/postgis_prefilter.py [DATABASE_URL [GRAPH]]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

# Run as a script, this folder comes first on sys.path, where bench/routing.py would
# stand for the routing package that carpool imports.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from carpool.database import planner_options

SRID = sql.Literal(3763)  # ETRS89 / Portugal TM06: metres, so ST_DWithin on geometry is in metres


@dataclass(frozen=True)
class StoredRoute:
    trip_id: int
    departure_at: datetime  # aware UTC
    coords: Sequence[tuple[float, float]]  # (lat, lon) road geometry of the trip, in driving order


@dataclass(frozen=True)
class Request:
    pickup: tuple[float, float]  # (lat, lon)
    dropoff: tuple[float, float]
    earliest: datetime  # departures from this moment (aware UTC) ...
    latest: datetime  # ... to this one


def connect(database_url: str) -> psycopg.Connection:
    """A psycopg connection (autocommit) from a URL such as ``postgresql+psycopg://...``,
    with the planner settings the site's own connections have (``carpool.database``):
    the peer is measured on the same footing."""
    scheme, sep, rest = database_url.partition("://")
    # libpq takes no SQLAlchemy "+driver" suffix.
    return psycopg.connect(
        scheme.split("+")[0] + sep + rest,
        autocommit=True,
        options=planner_options(),
    )


def _wkt(coords: Sequence[tuple[float, float]]) -> str:
    # PostGIS points are (x=lon, y=lat): our (lat, lon) pairs are swapped here, and only here.
    return "LINESTRING(" + ",".join(f"{lon!r} {lat!r}" for lat, lon in coords) + ")"


def load_routes(database_url: str, routes: Iterable[StoredRoute], *, table: str = "bench_route") -> float:
    """(Re)create ``table`` (trip_id, departure_at, geom) with ``routes``, indexed and analysed.

    Parameters
    ----------
    database_url : str
        ``postgresql+psycopg://user@host:port/db`` (or a plain libpq URL).
    routes : iterable of StoredRoute
        Each with two coordinates or more.
    table : str, optional
        Dropped first if it exists.

    Returns
    -------
    float
        Seconds taken, PostGIS check, COPY, projection, indexes and ANALYZE included.
        Raises RuntimeError if PostGIS is not installed on the server.
    """
    start = time.perf_counter()
    name = sql.Identifier(table)
    with connect(database_url) as conn:
        # Checked first: CREATE EXTENSION alone fails with "could not open extension control file".
        if conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone() is None:
            raise RuntimeError(
                "PostGIS is not installed on this PostgreSQL server"
                " (Debian, PostgreSQL 15: apt-get install postgresql-15-postgis-3)"
            )
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        with conn.transaction():
            conn.execute(
                sql.SQL(
                    "DROP TABLE IF EXISTS {t}; CREATE TABLE {t} (trip_id bigint PRIMARY KEY,"
                    " departure_at timestamptz NOT NULL, geom geometry(LineString, {srid}) NOT NULL);"
                    " CREATE TEMP TABLE route_wkt (trip_id bigint, departure_at timestamptz, wkt text)"
                ).format(t=name, srid=SRID)
            )
            # COPY the WGS 84 text into a staging table, then project every row in one statement.
            with conn.cursor().copy("COPY route_wkt FROM STDIN") as copy:
                for route in routes:
                    if len(route.coords) < 2:
                        raise ValueError(f"trip {route.trip_id}: a route needs two points or more")
                    copy.write_row((route.trip_id, route.departure_at, _wkt(route.coords)))
            # The indexes after the rows: one bulk build beats growing them row by row.
            conn.execute(
                sql.SQL(
                    "INSERT INTO {t} SELECT trip_id, departure_at,"
                    " ST_Transform(ST_GeomFromText(wkt, 4326), {srid}) FROM route_wkt; DROP TABLE route_wkt;"
                    " CREATE INDEX {gist} ON {t} USING gist (geom); CREATE INDEX {time} ON {t} (departure_at)"
                ).format(
                    t=name,
                    srid=SRID,
                    gist=sql.Identifier(f"{table}_geom_gist"),
                    time=sql.Identifier(f"{table}_departure_at"),
                )
            )
        conn.execute(sql.SQL("ANALYZE {}").format(name))
    return time.perf_counter() - start


def _query(table: str) -> sql.Composed:
    # The FROM item names the projected points once; the planner inlines them, and
    # ST_DWithin's support function adds the index condition geom && ST_Expand(point, r).
    # Geometry in metres rather than geography: on the same 2,000 routes and 400 searches
    # both found the same ids in the same order, geometry in 3.6 ms median against 17.7 ms
    # (spheroidal distances on every candidate); TM06 distorts lengths by < 0.01 % here.
    #
    # Order: covoiturage-libre (repository covoiturage-libre/covoiturage-libre,
    # app/models/trip.rb, scope from_to) keeps per trip the pickup/drop-off pair of smallest
    # ST_Distance(pickup) + ST_Distance(drop-off), its "point_ab_distance", the pickup's rank
    # before the drop-off's; Mobicoop's pre-filter (Covivo/mobicoop, api/src/Carpool/Repository/
    # ProposalRepository.php, findMatchingProposals) orders nothing, ranking after routing.
    # So: that sum, nearest trips first; departure and id make equal sums come back stable.
    return sql.SQL(
        "SELECT r.trip_id FROM {table} AS r,"
        " (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%(plon)s, %(plat)s), 4326), {srid}) AS p,"
        "         ST_Transform(ST_SetSRID(ST_MakePoint(%(dlon)s, %(dlat)s), 4326), {srid}) AS d) AS q"
        " WHERE ST_DWithin(r.geom, q.p, %(radius)s) AND ST_DWithin(r.geom, q.d, %(radius)s)"
        " AND r.departure_at BETWEEN %(earliest)s AND %(latest)s"
        " AND ST_LineLocatePoint(r.geom, q.p) < ST_LineLocatePoint(r.geom, q.d)"
        " ORDER BY ST_Distance(r.geom, q.p) + ST_Distance(r.geom, q.d), r.departure_at, r.trip_id"
    ).format(table=sql.Identifier(table), srid=SRID)


def _params(request: Request, radius_m: float) -> dict[str, object]:
    (plat, plon), (dlat, dlon) = request.pickup, request.dropoff
    when = {"earliest": request.earliest, "latest": request.latest}
    return {"plat": plat, "plon": plon, "dlat": dlat, "dlon": dlon, "radius": float(radius_m), **when}


def prefilter(
    connection: psycopg.Connection, request: Request, *, radius_m: float, table: str = "bench_route"
) -> list[int]:
    """The trips that pass within ``radius_m`` of the pickup and, after it, of the drop-off.

    Parameters
    ----------
    connection : psycopg.Connection
        On the database :func:`load_routes` filled (see :func:`connect`).
    request : Request
    radius_m : float
        Largest distance, in metres, from the pickup and from the drop-off to the route.
    table : str, optional

    Returns
    -------
    list of int
        Ids of the trips departing in ``[earliest, latest]`` whose route's nearest point to
        the pickup comes before its nearest point to the drop-off (``ST_LineLocatePoint``),
        by pickup + drop-off distance to the route, then departure, then id.
    """
    # prepare=True: a server-side prepared statement from the first call on (psycopg keys it
    # by the query text, per connection), parsed once; planned for each request's values, as
    # the site's searches are (plan_cache_mode = force_custom_plan; ~0.2 ms of planning).
    rows = connection.execute(_query(table), _params(request, radius_m), prepare=True).fetchall()
    return [row[0] for row in rows]


def time_prefilter(
    database_url: str,
    requests: Sequence[Request],
    *,
    radius_m: float,
    warmup: int = 20,
    table: str = "bench_route",
) -> tuple[list[float], list[list[int]]]:
    """Time :func:`prefilter` for each request on one connection.

    Parameters
    ----------
    database_url, requests, radius_m, table
        As for :func:`load_routes` and :func:`prefilter`.
    warmup : int, optional
        Untimed requests first (cycling through ``requests``), so that the connection, the
        prepared statement and the table's pages are warm when timing starts.

    Returns
    -------
    seconds : list of float
        Wall-clock time of each request, rows fetched included.
    ids : list of list of int
        What :func:`prefilter` found for each request.
    """
    seconds: list[float] = []
    ids: list[list[int]] = []
    with connect(database_url) as conn:
        for i in range(warmup if requests else 0):
            prefilter(conn, requests[i % len(requests)], radius_m=radius_m, table=table)
        for request in requests:
            start = time.perf_counter()
            ids.append(prefilter(conn, request, radius_m=radius_m, table=table))
            seconds.append(time.perf_counter() - start)
    return seconds, ids


def demo(database_url: str, graph_path: str = "porto.graph", *, trips: int = 2_000, seed: int = 7) -> None:
    """Porto: ``trips`` routes between random nodes >= 5 km apart over 3 days; 400 searches,
    half along a route (its points at 20 % and 80 %, on its day), half between random nodes
    >= 3 km apart on a random day; timed at 1,000 m, then checked and EXPLAINed."""
    import numpy as np

    from routing import Router, RoutingError, load_graph
    from routing.distance import geodesic_m

    graph = load_graph(graph_path)
    router, net, rng = Router(graph), graph.network, np.random.default_rng(seed)
    first = datetime(2030, 6, 3, tzinfo=UTC)

    def far_nodes(min_m: float) -> tuple[tuple[float, float], tuple[float, float]]:
        while True:
            a, b = rng.integers(graph.node_count, size=2)
            if geodesic_m(net.lat[[a]], net.lon[[a]], net.lat[[b]], net.lon[[b]])[0] >= min_m:
                return graph.node_latlon(int(a)), graph.node_latlon(int(b))

    def day(moment: datetime) -> tuple[datetime, datetime]:
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1) - timedelta(microseconds=1)

    routes: list[StoredRoute] = []
    while len(routes) < trips:
        try:
            coords = router.route(*far_nodes(5_000)).coords
        except RoutingError:
            continue
        departure = first + timedelta(minutes=int(rng.integers(3 * 24 * 60)))
        routes.append(StoredRoute(len(routes) + 1, departure, coords))
    along = [routes[int(i)] for i in rng.integers(trips, size=200)]
    requests = [
        Request(r.coords[len(r.coords) // 5], r.coords[4 * len(r.coords) // 5], *day(r.departure_at))
        for r in along
    ]
    requests += [
        Request(*far_nodes(3_000), *day(first + timedelta(days=int(rng.integers(3))))) for _ in range(200)
    ]
    print(f"loaded {trips} routes in {load_routes(database_url, routes):.2f} s")

    seconds, ids = time_prefilter(database_url, requests, radius_m=1_000)
    ms, found = np.asarray(seconds) * 1e3, [len(i) for i in ids]
    print(
        f"prefilter at 1,000 m, {len(requests)} searches: median {np.median(ms):.2f} ms, p95 "
        f"{np.percentile(ms, 95):.2f} ms; ids found: mean {np.mean(found):.1f} (along a route "
        f"{np.mean(found[:200]):.1f}, random {np.mean(found[200:]):.1f})"
    )

    # Lat/lon not swapped, direction checked: each search along a route finds that route,
    # and the same search the other way round (drop-off first) does not.
    with connect(database_url) as conn:
        back = [
            prefilter(conn, Request(q.dropoff, q.pickup, q.earliest, q.latest), radius_m=1_000)
            for q in requests[:200]
        ]
        explain = sql.SQL("EXPLAIN (ANALYZE, COSTS OFF) ") + _query("bench_route")
        plan = conn.execute(explain, _params(requests[0], 1_000)).fetchall()
    missed = sum(r.trip_id not in i for r, i in zip(along, ids, strict=False))
    wrong_way = sum(r.trip_id in i for r, i in zip(along, back, strict=True))
    print(f"along-route searches missing their route: {missed}; reversed ones finding it: {wrong_way}")
    print("\n".join(row[0] for row in plan))
    if missed or wrong_way:
        raise SystemExit("the pre-filter is wrong")


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else "postgresql+psycopg://postgres@127.0.0.1:5432/test_postgis"
    demo(url, *sys.argv[2:3])
