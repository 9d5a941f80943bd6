"""Search along the route: a trip is found from points on its way, not only from its ends."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from carpool.extensions import db
from carpool.models import Trip
from carpool.services import roads, search
from carpool.services.roads import forget_route, get_router
from carpool.services.search import SearchError, SearchQuery, find, leg_price_cents
from carpool.services.trips import StopInput, TripError, contribution_ceiling_cents, publish
from routing import Legs, LegsBatch
from tests.site.test_trips import CASINO, LARVOTTO, PALACE, TOMORROW, draft

CAP_D_AIL = StopInput("Cap-d'Ail", 43.7223, 7.4063)
BEAUSOLEIL = StopInput("Beausoleil", 43.7435, 7.4225)


def on_the_way(app: Flask) -> tuple[tuple[float, float], tuple[float, float]]:
    """A pickup and a drop-off on the Palace -> Larvotto route, neither of its ends."""
    with app.app_context():
        route = get_router().route((PALACE.lat, PALACE.lon), (LARVOTTO.lat, LARVOTTO.lon))
    n = len(route.coords)
    return route.coords[n // 3], route.coords[2 * n // 3]


def random_place(rng: np.random.Generator) -> StopInput:
    """A node of the region's road graph, drawn with ``rng``."""
    graph = get_router().graph
    lat, lon = graph.node_latlon(int(rng.integers(graph.node_count)))
    return StopInput("p", lat, lon)


def publish_random_trips(driver: int, rng: np.random.Generator, count: int = 25, *, days: int = 0) -> int:
    """Publish ``count`` trips between random places, tomorrow between 8:00 and
    18:00, each with its own detour limit; returns ``count``. With ``days``: at any
    time from tomorrow's midnight over that many days, a third of them in the
    last quarter of an hour of a day, to pass after midnight."""
    published = 0
    while published < count:
        if not days:
            departure = TOMORROW + timedelta(minutes=int(rng.integers(0, 600)))
        elif published % 3:
            departure = (
                TOMORROW - timedelta(hours=8) + timedelta(minutes=int(rng.integers(0, days * 24 * 60)))
            )
        else:
            departure = TOMORROW + timedelta(
                days=int(rng.integers(0, days)), hours=15, minutes=int(rng.integers(45, 60))
            )
        try:
            publish(
                driver,
                draft(
                    origin=random_place(rng),
                    destination=random_place(rng),
                    departure=departure,
                    max_detour_min=int(rng.integers(0, 16)),
                ),
            )
            published += 1
        except TripError:  # the same place twice
            continue
    return published


def test_finds_a_trip_from_points_on_its_route(app: Flask, driver: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        trip_id = publish(driver, draft(max_detour_min=2, stopovers=(CASINO,)))
        results = find(SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date()))
        assert [r.trip_id for r in results] == [trip_id]
        result = results[0]
        # The trip's own ends, not its stopover.
        assert (result.trip_from, result.trip_to) == ("Monaco-Ville", "Larvotto")
        assert result.detour_s < 120
        assert TOMORROW <= result.pickup_at < result.dropoff_at < TOMORROW + timedelta(hours=1)
        assert result.driver_name == "Camille" and result.seats_left == 3
        # The passenger pays for their own leg only.
        assert 0 <= result.price_cents <= 200 and result.currency == "EUR"
        # Not in the other direction: the drop-off would come before the pickup,
        # and going back for it costs more than the 2 minutes this driver accepts.
        assert find(SearchQuery(pickup=dropoff, dropoff=pickup, day=TOMORROW.date())) == []


def test_a_trip_whose_detour_is_too_long_is_not_found(app: Flask, driver: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        strict = publish(driver, draft(origin=CAP_D_AIL, destination=BEAUSOLEIL, max_detour_min=0))
        generous = publish(driver, draft(origin=CAP_D_AIL, destination=BEAUSOLEIL, max_detour_min=30))
        found = [r.trip_id for r in find(SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date()))]
        assert generous in found and strict not in found


def test_dates_and_hours(app: Flask, driver: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        trip_id = publish(driver, draft())
        day = TOMORROW.date()
        assert find(SearchQuery(pickup=pickup, dropoff=dropoff, day=day + timedelta(days=2))) == []
        flexible = find(SearchQuery(pickup=pickup, dropoff=dropoff, day=day + timedelta(days=2), flex_days=2))
        assert [r.trip_id for r in flexible] == [trip_id]
        # Scored by the detour in minutes plus half the minutes from the asked day.
        (on_the_day,) = find(SearchQuery(pickup=pickup, dropoff=dropoff, day=day))
        assert on_the_day.score == pytest.approx(on_the_day.detour_s / 60)
        assert flexible[0].score == pytest.approx(flexible[0].detour_s / 60 + 2 * 24 * 60 / 2)
        assert find(SearchQuery(pickup=pickup, dropoff=dropoff, day=day, time_from=time(10, 0))) == []
        in_hours = find(
            SearchQuery(pickup=pickup, dropoff=dropoff, day=day, time_from=time(7), time_to=time(9))
        )
        assert [r.trip_id for r in in_hours] == [trip_id]
        with pytest.raises(SearchError):
            find(SearchQuery(pickup=pickup, dropoff=dropoff, day=day, time_from=time(9), time_to=time(7)))
        with pytest.raises(SearchError):
            find(SearchQuery(pickup=pickup, dropoff=dropoff, day=date.max, flex_days=1))
        with pytest.raises(SearchError):
            find(SearchQuery(pickup=pickup, dropoff=dropoff, day=day, flex_days=10))
        with pytest.raises(SearchError):
            find(SearchQuery(pickup=(48.85, 2.35), dropoff=dropoff, day=day))


def test_price_is_the_passengers_share_and_never_more(app: Flask, driver: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        route = get_router().route((PALACE.lat, PALACE.lon), (LARVOTTO.lat, LARVOTTO.lon))
        ceiling = contribution_ceiling_cents(route.length_m)
        trip_id = publish(driver, draft(contribution_cents=ceiling))
        part = find(SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date()))[0]
        whole = find(
            SearchQuery(
                pickup=(PALACE.lat, PALACE.lon), dropoff=(LARVOTTO.lat, LARVOTTO.lon), day=TOMORROW.date()
            )
        )[0]
        assert part.trip_id == whole.trip_id == trip_id
        assert whole.price_cents == leg_price_cents(ceiling, route.length_m, route.length_m) <= ceiling
        assert part.price_cents < whole.price_cents or ceiling < 20


def test_a_trip_that_has_just_left_is_still_found_ahead(app: Flask, driver: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        trip_id = publish(driver, draft())
        query = SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date())
        assert [r.trip_id for r in find(query, now=TOMORROW + timedelta(seconds=30))] == [trip_id]
        assert find(query, now=TOMORROW + timedelta(hours=1)) == []  # it has passed the pickup


def test_trips_of_a_former_region_are_skipped(app: Flask, driver: int, runner, extracts) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        publish(driver, draft())
    imported = runner.invoke(args=["graph", "import", str(extracts / "saint_barthelemy.osm.pbf")])
    assert imported.exit_code == 0
    # The import indexes the published trips again: Monaco's cannot be routed there.
    assert "trips indexed for search: 0, not routable in this region: 1" in imported.output
    with app.app_context():
        gustavia, colombier = (17.8962, -62.8498), (17.9060, -62.8700)
        assert find(SearchQuery(pickup=gustavia, dropoff=colombier, day=TOMORROW.date())) == []
        with pytest.raises(SearchError):  # Monaco is not in the region any more
            find(
                SearchQuery(
                    pickup=(PALACE.lat, PALACE.lon), dropoff=(LARVOTTO.lat, LARVOTTO.lon), day=TOMORROW.date()
                )
            )


def test_searches_match_trips_on_the_legs_they_keep(app: Flask, driver: int) -> None:
    """Publishing keeps the stops' nodes and legs: a search matches the trip on them,
    without routing it; legs of another graph are not trusted, the trip is routed."""
    pickup, dropoff = on_the_way(app)
    query = SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date())
    with app.app_context():
        trip_id = publish(driver, draft())
        trip = db.session.get(Trip, trip_id)
        assert trip is not None
        route = get_router().route((PALACE.lat, PALACE.lon), (LARVOTTO.lat, LARVOTTO.lon))
        assert trip.graph_key == get_router().graph.fingerprint
        assert trip.legs is not None
        assert LegsBatch.unpack([trip.legs]).legs(0) == Legs.of(route)
        routed = app.extensions[roads._ROUTES_KEY]

        forget_route(trip_id)
        assert [r.trip_id for r in find(query)] == [trip_id]
        assert trip_id not in routed  # matched on its legs

        trip.graph_key = "0" * 16  # as after a new import, before 'flask trips reindex'
        db.session.commit()
        assert [r.trip_id for r in find(query)] == [trip_id]
        assert trip_id in routed


def test_the_index_leaves_out_trips_that_pass_nowhere_near(app: Flask, driver: int) -> None:
    """The search reads only the trips whose cells hold the pickup and the drop-off."""
    pickup, dropoff = on_the_way(app)
    far = (43.7745, 7.4970), (43.7790, 7.5050)  # Menton, about 7 km east
    with app.app_context():
        near_id = publish(driver, draft(max_detour_min=0))
        start = datetime.combine(TOMORROW.date(), time.min, TOMORROW.tzinfo)
        end = start + timedelta(days=1)

        def candidates(a: tuple[float, float], b: tuple[float, float]) -> list[int]:
            return search._candidates(search.Ends.of(a, b), start, end).ids.tolist()

        assert candidates(pickup, dropoff) == [near_id]
        assert candidates(*far) == []
        assert candidates(pickup, far[0]) == [] and candidates(far[0], dropoff) == []


def test_the_index_reads_the_trips_that_can_be_at_the_pickup_in_the_window(app: Flask, driver: int) -> None:
    """A cell's entries say when its driver can be at a pickup there: at the earliest
    by driving there straight from the start of the leg that reaches it, at the
    latest leaving in time to be at the leg's end within the whole detour. A trip
    whose driver is past the cell before the window, or reaches it after the window,
    is not read."""
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        morning = publish(driver, draft(max_detour_min=5))  # tomorrow 8:00
        earlier = publish(driver, draft(max_detour_min=5, departure=TOMORROW - timedelta(hours=1)))
        afternoon = publish(driver, draft(max_detour_min=5, departure=TOMORROW + timedelta(hours=7)))
        trip = db.session.get(Trip, morning)
        assert trip is not None
        late_by = timedelta(seconds=trip.time_s + trip.max_detour_s)  # the most a pickup can be after leaving
        ends = search.Ends.of(pickup, dropoff)

        def read(start: datetime, end: datetime) -> list[int]:
            return sorted(search._candidates(ends, start, end).ids.tolist())

        assert read(TOMORROW - timedelta(hours=2), TOMORROW + timedelta(hours=8)) == [
            morning,
            earlier,
            afternoon,
        ]
        assert read(TOMORROW - timedelta(minutes=59), TOMORROW + timedelta(hours=1)) == [morning, earlier]
        # The earlier trip's driver is past every pickup by then; the morning one is not.
        past = TOMORROW - timedelta(hours=1) + late_by + timedelta(seconds=1)
        assert read(past, TOMORROW + timedelta(hours=1)) == [morning]
        # Nobody is at a pickup before leaving.
        assert read(TOMORROW - timedelta(hours=3), TOMORROW - timedelta(hours=1, seconds=1)) == []
        # And the search still finds the morning trip from its way, in a morning window.
        query = SearchQuery(
            pickup=pickup, dropoff=dropoff, day=TOMORROW.date(), time_from=time(8), time_to=time(9)
        )
        assert [r.trip_id for r in find(query, now=TOMORROW - timedelta(hours=2))] == [morning]


@pytest.mark.parametrize("cell_m", [300.0, 5_000.0])
def test_the_index_finds_what_matching_every_trip_finds(
    app: Flask, driver: int, monkeypatch: pytest.MonkeyPatch, cell_m: float
) -> None:
    """On random trips over three days and a few hundred random searches on those
    days, the search (index by place, sub-cell and departure, kept legs, order, time
    window) gives exactly what ``match_many`` over every trip, each routed afresh,
    gives. Cells of 300 m, so that in a region as small as Monaco the cells really
    leave trips out, and the site's 5 km, where Monaco's few cells hold every trip
    and their sub-cells leave trips out; trips at any hour, so that some leave the
    evening before the day searched and pass after midnight."""
    app.config["SEARCH_CELL_M"] = cell_m
    rng = np.random.default_rng(7)
    now = TOMORROW - timedelta(hours=8)  # the first departures' midnight
    days = [TOMORROW.date() + timedelta(days=k) for k in range(3)]
    with app.app_context():
        published = publish_random_trips(driver, rng, count=60, days=len(days))
        queries = []
        for _ in range(300):
            a, b = random_place(rng), random_place(rng)
            day = days[int(rng.integers(len(days)))]
            queries.append(SearchQuery(pickup=(a.lat, a.lon), dropoff=(b.lat, b.lon), day=day))
        indexed = [[r.trip_id for r in find(q, now=now)] for q in queries]

        def day_of(query: SearchQuery) -> tuple[datetime, datetime]:
            start = datetime.combine(query.day, time.min, TOMORROW.tzinfo)
            return start, start + timedelta(days=1)

        read = [len(search._candidates(search.Ends.of(q.pickup, q.dropoff), *day_of(q))) for q in queries]
        assert min(read) < published  # the index left trips out of some searches
        # Some only because their drivers cannot be at the drop-off after the pickup.
        unbounded = [
            len(search._candidates(search.Ends.of(q.pickup, q.dropoff)._replace(fastest_s=-1e9), *day_of(q)))
            for q in queries
        ]
        assert sum(read) < sum(unbounded)

        router = get_router()
        every_trip = list(db.session.scalars(select(Trip).where(Trip.status == "published")))
        routes = [router.route(*_ends(trip), via=_ends(trip, via=True)) for trip in every_trip]
        for query, found in zip(queries, indexed, strict=True):
            matches = router.match_many(routes, query.pickup, query.dropoff, max_detour_s=3600)
            start, day_end = day_of(query)
            expected = {
                trip.id
                for trip, match in zip(every_trip, matches, strict=True)
                if match is not None
                and match.detour_s <= trip.max_detour_s
                and start <= trip.departure_at + timedelta(seconds=match.pickup_offset_s) < day_end
            }
            assert sorted(found) == sorted(expected), query

        # And in the same order as without the index.
        # (Every trip a candidate, routed afresh: no legs kept.)
        every_candidate = search.Candidates.of(
            [(trip.id, trip.departure_at.timestamp(), trip.max_detour_s, None, None) for trip in every_trip]
        )

        def all_trips(ends: search.Ends, start: datetime, end: datetime) -> search.Candidates:
            return every_candidate

        monkeypatch.setattr(search, "_candidates", all_trips)
        assert [[r.trip_id for r in find(q, now=now)] for q in queries] == indexed
        assert sum(map(len, indexed)) >= 300  # the searches do find trips


def _ends(trip: Trip, *, via: bool = False) -> list[tuple[float, float]]:
    points = [(stop.lat, stop.lon) for stop in trip.stops]
    return points[1:-1] if via else [points[0], points[-1]]


def publish_many_along(driver: int, count: int) -> list[int]:
    """``count`` trips from the Palace to Larvotto tomorrow, ten minutes apart."""
    return [publish(driver, draft(departure=TOMORROW + timedelta(minutes=10 * k))) for k in range(count)]


def test_results_come_a_page_at_a_time(app: Flask, driver: int) -> None:
    """Pages cut the ranked results in order; every trip found is counted on each."""
    pickup, dropoff = on_the_way(app)
    query = SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date(), time_from=time(8, 0))
    with app.app_context():
        published = publish_many_along(driver, 23)
        every = find(query)
        assert sorted(r.trip_id for r in every) == sorted(published)
        pages = [search.find_page(query, page=page, per_page=10) for page in (1, 2, 3)]
        assert [len(p.results) for p in pages] == [10, 10, 3]
        assert [r for p in pages for r in p.results] == every
        assert {(p.total, p.pages, p.per_page) for p in pages} == {(23, 3, 10)}
        past = search.find_page(query, page=4, per_page=10)
        assert (past.results, past.total, past.page) == ([], 23, 4)
        assert search.find_page(query).results == every[: search.PER_PAGE]
        for bad in ({"page": 0}, {"page": search.MAX_PAGE + 1}, {"per_page": 0}, {"per_page": 101}):
            with pytest.raises(SearchError):
                search.find_page(query, **bad)  # type: ignore[arg-type]


def test_the_search_page_shows_a_page_and_links_the_others(
    app: Flask, client: FlaskClient, driver: int
) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        publish_many_along(driver, search.PER_PAGE + 3)
    where = f"origin={pickup[0]:.6f},{pickup[1]:.6f}&destination={dropoff[0]:.6f},{dropoff[1]:.6f}"
    url = f"/search?{where}&day={TOMORROW.date().isoformat()}&time_from=08:00"

    def cards(page: str) -> list[str]:
        return re.findall(r'<h3><a href="/trips/(\d+)\?', page)

    first = client.get(url).get_data(as_text=True)
    assert len(cards(first)) == search.PER_PAGE and "23 trajets" in first and "Page 1 sur 2" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first and "page=2" in first
    second = client.get(f"{url}&page=2").get_data(as_text=True)
    assert len(cards(second)) == 3 and f'start="{search.PER_PAGE + 1}"' in second and 'rel="prev"' in second
    assert set(cards(first)).isdisjoint(cards(second))
    # A page number that is none, or too far, is no error.
    assert cards(client.get(f"{url}&page=abc").get_data(as_text=True)) == cards(first)
    far = client.get(f"{url}&page=999999")
    assert far.status_code == 200 and cards(far.get_data(as_text=True)) == []
    assert "23 trajets" in far.get_data(as_text=True)
