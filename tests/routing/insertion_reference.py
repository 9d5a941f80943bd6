"""The insertion of a pickup and a drop-off into one trip, written as the plain loop
over its legs it stands for: the reference that :func:`routing.matching.insert_all`
(all trips at once, with array operations) must agree with to the bit."""

from __future__ import annotations

import math
from dataclasses import dataclass

from routing import Legs, Match, Route


@dataclass(frozen=True)
class Times:
    """Times (and lengths) between a set of stops and one request point."""

    time_s: dict[int, float]
    length_m: dict[int, float]


def best_insertion(
    route: Route | Legs,
    a: int,
    b: int,
    to_a: Times,
    to_b: Times,
    from_a: Times,
    from_b: Times,
    a_to_b: tuple[float, float, int],
    max_detour_s: float,
) -> Match | None:
    """Smallest-detour insertion of pickup ``a`` then drop-off ``b`` into a route."""
    stops, legs = route.stops, route.leg_time_s
    best: tuple[float, int, int] | None = None
    for i in range(len(legs)):
        # Cost of going through a on leg i, and through b on leg j > i.
        via_a = to_a.time_s[stops[i]] + from_a.time_s[stops[i + 1]] - legs[i]
        same_leg = to_a.time_s[stops[i]] + a_to_b[0] + from_b.time_s[stops[i + 1]] - legs[i]
        if best is None or same_leg < best[0]:
            best = (same_leg, i, i)
        for j in range(i + 1, len(legs)):
            detour = via_a + to_b.time_s[stops[j]] + from_b.time_s[stops[j + 1]] - legs[j]
            if detour < best[0]:
                best = (detour, i, j)
    if best is None or not best[0] <= max_detour_s:
        return None
    detour, i, j = best
    before_pickup = 0.0
    for leg in legs[:i]:  # leg after leg along the trip
        before_pickup += leg
    pickup_offset = before_pickup + to_a.time_s[stops[i]]
    if i == j:
        on_board_time, shared = a_to_b[0], a_to_b[1]
    else:
        on_board_time = from_a.time_s[stops[i + 1]] + math.fsum(legs[i + 1 : j]) + to_b.time_s[stops[j]]
        shared = (
            from_a.length_m[stops[i + 1]] + math.fsum(route.leg_length_m[i + 1 : j]) + to_b.length_m[stops[j]]
        )
    return Match(
        detour_s=max(0.0, detour),
        pickup_offset_s=pickup_offset,
        dropoff_offset_s=pickup_offset + on_board_time,
        shared_length_m=shared,
        pickup_leg=i,
        dropoff_leg=j,
        pickup_node=a,
        dropoff_node=b,
    )
