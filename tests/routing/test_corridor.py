"""Corridors and linear referencing in metres."""

from __future__ import annotations

import pytest
from geopy.distance import geodesic
from shapely.geometry import Point

from routing import Route, Router, corridor, distance_to_route, position_along

PALACE, LARVOTTO = (43.7311, 7.4197), (43.7476, 7.4336)


@pytest.fixture(scope="module")
def route(monaco_router: Router) -> Route:
    return monaco_router.route(PALACE, LARVOTTO)


def test_points_on_the_route_are_inside_and_at_zero_distance(route: Route) -> None:
    area = corridor(route, 50)
    for lat, lon in route.coords[:: max(1, len(route.coords) // 20)]:
        assert area.contains(Point(lon, lat))
        assert distance_to_route(route, (lat, lon)) == pytest.approx(0, abs=0.01)


def test_width_is_in_metres_in_every_direction(route: Route) -> None:
    start_lat, start_lon = route.coords[len(route.coords) // 2]
    for bearing in (0, 90, 180, 270):
        # A point 1 km away; its distance to the route is at most 1 km.
        far = geodesic(meters=1_000).destination((start_lat, start_lon), bearing)
        d = distance_to_route(route, (far.latitude, far.longitude))
        assert d <= 1_000 * 1.001
        inside_wide = corridor(route, d + 5).contains(Point(far.longitude, far.latitude))
        inside_narrow = corridor(route, max(d - 5, 1)).contains(Point(far.longitude, far.latitude))
        assert inside_wide and not inside_narrow


def test_distance_agrees_with_geodesic_to_the_nearest_vertex(route: Route) -> None:
    point = (43.7400, 7.4100)
    nearest_vertex = min(geodesic(point, c).m for c in route.coords)
    assert distance_to_route(route, point) <= nearest_vertex * 1.001
    assert distance_to_route(route, point) > 0.5 * nearest_vertex


def test_position_along_grows_with_time_along(route: Route) -> None:
    positions = [position_along(route, c) for c in route.coords[:: max(1, len(route.coords) // 15)]]
    assert positions == sorted(positions)
    assert positions[0] == pytest.approx(0, abs=0.01)
    assert position_along(route, route.coords[-1]) == pytest.approx(route.length_m, rel=0.005)


@pytest.mark.parametrize("width", [0, -10, float("nan")])
def test_corridor_width_must_be_positive(route: Route, width: float) -> None:
    with pytest.raises(ValueError):
        corridor(route, width)
