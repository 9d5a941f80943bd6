"""Car rules read from way tags."""

import pytest

from routing.tags import (
    HIGHWAY_SPEED_KMH,
    MAXSPEED_FACTOR,
    is_drivable,
    oneway_direction,
    parse_maxspeed,
    speed_kmh,
)


@pytest.mark.parametrize(
    ("tags", "drivable"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "motorway"}, True),
        ({"highway": "footway"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "service"}, False),
        ({"highway": "track"}, False),
        ({"highway": "pedestrian"}, False),
        ({"building": "yes"}, False),
        ({"highway": "residential", "access": "no"}, False),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "residential", "access": "destination"}, True),
        ({"highway": "residential", "access": "no", "motorcar": "yes"}, True),
        ({"highway": "primary", "motor_vehicle": "private"}, False),
        ({"highway": "primary", "area": "yes"}, False),
        ({"highway": "primary", "oneway": "reversible"}, False),
    ],
)
def test_drivable(tags: dict[str, str], drivable: bool) -> None:
    assert is_drivable(tags) is drivable


@pytest.mark.parametrize(
    ("tags", "direction"),
    [
        ({"highway": "residential"}, 0),
        ({"highway": "residential", "oneway": "yes"}, 1),
        ({"highway": "residential", "oneway": "1"}, 1),
        ({"highway": "residential", "oneway": "-1"}, -1),
        ({"highway": "residential", "junction": "roundabout"}, 1),
        ({"highway": "residential", "junction": "roundabout", "oneway": "no"}, 0),
        ({"highway": "motorway"}, 1),
        ({"highway": "motorway", "oneway": "no"}, 0),
        ({"highway": "trunk"}, 0),
    ],
)
def test_oneway(tags: dict[str, str], direction: int) -> None:
    assert oneway_direction(tags) == direction


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("20 mph", 32.18688),
        ("FR:urban", 50.0),
        ("FR:rural", 80.0),
        ("PT:rural", 90.0),
        ("FR:motorway", 130.0),
        ("walk", 7.0),
        ("50;30", 50.0),
        ("signals", None),
        ("", None),
        (None, None),
        ("0", None),
        ("fast", None),
    ],
)
def test_parse_maxspeed(value: str | None, kmh: float | None) -> None:
    assert parse_maxspeed(value) == (pytest.approx(kmh) if kmh is not None else None)


def test_speed_prefers_tagged_limit_and_direction() -> None:
    tags = {"highway": "primary", "maxspeed": "90", "maxspeed:backward": "50"}
    assert speed_kmh(tags, 1) == pytest.approx(90 * MAXSPEED_FACTOR)
    assert speed_kmh(tags, -1) == pytest.approx(50 * MAXSPEED_FACTOR)
    assert speed_kmh({"highway": "tertiary"}) == HIGHWAY_SPEED_KMH["tertiary"]
    assert speed_kmh({"highway": "motorway", "maxspeed": "none"}) == pytest.approx(130 * MAXSPEED_FACTOR)
