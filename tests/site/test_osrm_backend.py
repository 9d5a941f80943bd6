"""The site on an OSRM server (ROUTER_BACKEND = "osrm"), the real osrm-routed of tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from carpool.extensions import db
from carpool.models import Trip
from carpool.services.roads import forget_router, get_router
from carpool.services.search import SearchError, SearchQuery, find
from carpool.services.trips import TripError, publish
from routing import OsrmRouter, Router, RouterUnavailable
from tests.osrm_server import free_port
from tests.site.test_trips import LARVOTTO, PALACE, TOMORROW, draft


@pytest.fixture
def osrm_app(app: Flask, osrm_url: str) -> Iterator[Flask]:
    # A small table size: the site's searches ask their tables in parts, as a busy
    # search does from a server with osrm-routed's default.
    app.config.update(ROUTER_BACKEND="osrm", OSRM_URL=osrm_url, OSRM_TIMEOUT=5.0, OSRM_MAX_TABLE_SIZE=3)
    with app.app_context():
        forget_router()
    yield app


def test_the_osrm_backend_is_chosen_by_configuration(osrm_app: Flask, osrm_url: str) -> None:
    with osrm_app.app_context():
        router = get_router()
        assert isinstance(router, OsrmRouter) and router.url == osrm_url and router.timeout_s == 5.0
        assert router.max_table_size == 3
        osrm_app.config["ROUTER_BACKEND"] = "builtin"
        forget_router()
        assert isinstance(get_router(), Router)
        osrm_app.config["ROUTER_BACKEND"] = "valhalla"
        forget_router()
        with pytest.raises(ValueError, match="ROUTER_BACKEND"):
            get_router()


def test_a_trip_published_with_osrm_is_found_from_points_on_its_route(osrm_app: Flask, driver: int) -> None:
    with osrm_app.app_context():
        route = get_router().route((PALACE.lat, PALACE.lon), (LARVOTTO.lat, LARVOTTO.lon))
        builtin = Router(get_router().graph).route((PALACE.lat, PALACE.lon), (LARVOTTO.lat, LARVOTTO.lon))
        trip_id = publish(driver, draft(max_detour_min=2))
        trip = db.session.get(Trip, trip_id)
        assert trip is not None
        # The stored trip has OSRM's time (not the built-in router's) and OSRM's length.
        assert trip.time_s == pytest.approx(route.time_s) and trip.time_s != pytest.approx(builtin.time_s)
        assert trip.length_m == pytest.approx(route.length_m)
        n = len(route.coords)
        pickup, dropoff = route.coords[n // 3], route.coords[2 * n // 3]
        results = find(SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date()))
        assert [r.trip_id for r in results] == [trip_id]
        assert results[0].detour_s < 120 and results[0].pickup_at < results[0].dropoff_at
        # The other way round costs the driver more than the 2 minutes they accept.
        assert find(SearchQuery(pickup=dropoff, dropoff=pickup, day=TOMORROW.date())) == []


def test_publishing_while_the_server_is_down_is_refused_with_a_message(osrm_app: Flask, driver: int) -> None:
    osrm_app.config["OSRM_URL"] = f"http://127.0.0.1:{free_port()}"
    with osrm_app.app_context():
        forget_router()
        with pytest.raises(TripError) as refused:
            publish(driver, draft())
        # The person reads "this route cannot be computed"; the log keeps why.
        assert isinstance(refused.value.__cause__, RouterUnavailable) and str(refused.value)
        assert db.session.query(Trip).count() == 0


def test_searching_while_the_server_is_down_is_an_error_not_an_empty_result(
    osrm_app: Flask, driver: int
) -> None:
    with osrm_app.app_context():
        route = get_router().route((PALACE.lat, PALACE.lon), (LARVOTTO.lat, LARVOTTO.lon))
        publish(driver, draft(max_detour_min=2))
        n = len(route.coords)
        query = SearchQuery(
            pickup=route.coords[n // 3], dropoff=route.coords[2 * n // 3], day=TOMORROW.date()
        )
        assert len(find(query)) == 1
        osrm_app.config["OSRM_URL"] = f"http://127.0.0.1:{free_port()}"
        forget_router()  # and the routes it computed
        with pytest.raises(SearchError) as refused:
            find(query)
        assert isinstance(refused.value.__cause__, RouterUnavailable)
