"""Search along the route: a trip is found from points on its way, not only from its ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from carpool.services.roads import get_router
from carpool.services.search import SearchError, SearchQuery, find
from carpool.services.trips import StopInput, publish
from tests.site.test_trips import LARVOTTO, PALACE, TOMORROW, draft

CAP_D_AIL = StopInput("Cap-d'Ail", 43.7223, 7.4063)
BEAUSOLEIL = StopInput("Beausoleil", 43.7435, 7.4225)


def on_the_way(app: Flask) -> tuple[tuple[float, float], tuple[float, float]]:
    """A pickup and a drop-off on the Palace -> Larvotto route, neither of its ends."""
    with app.app_context():
        route = get_router().route((PALACE.lat, PALACE.lon), (LARVOTTO.lat, LARVOTTO.lon))
    n = len(route.coords)
    return route.coords[n // 3], route.coords[2 * n // 3]


def test_finds_a_trip_from_points_on_its_route(app: Flask, driver: int) -> None:
    pickup, dropoff = on_the_way(app)
    with app.app_context():
        trip_id = publish(driver, draft(max_detour_min=2))
        results = find(SearchQuery(pickup=pickup, dropoff=dropoff, day=TOMORROW.date()))
        assert [r.trip_id for r in results] == [trip_id]
        result = results[0]
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
        hour = TOMORROW.time().replace(second=0)
        later = (TOMORROW + timedelta(hours=2)).time()
        if later > hour:  # not across midnight
            assert find(SearchQuery(pickup=pickup, dropoff=dropoff, day=day, time_from=later)) == []
        with pytest.raises(SearchError):
            find(SearchQuery(pickup=pickup, dropoff=dropoff, day=day, flex_days=10))
        with pytest.raises(SearchError):
            find(SearchQuery(pickup=(48.85, 2.35), dropoff=dropoff, day=day))
