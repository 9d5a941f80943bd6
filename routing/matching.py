"""En-route matching: where a passenger's pickup and drop-off fit into many trips.

A router (:class:`routing.Router`, :class:`routing.OsrmRouter`) finds the times
between every trip's stops and the request's two points; this module then inserts
the pickup and the drop-off into every trip at once, with array operations, where
the detour is smallest (Geisberger et al., "Fast Detour Computation for Ride
Sharing", 2010). A search matches hundreds or thousands of trips: a Python step per
trip would cost more than the routing itself.

A trip is matched on its :class:`Legs` (its stops' road nodes and the time and
length between them). :func:`pack_legs` turns them into a few bytes that a database
can keep beside the trip; :meth:`LegsBatch.unpack` reads many such at once.

Examples
--------
>>> legs = Legs(stops=(4, 9, 2), leg_time_s=(300.0, 60.0), leg_length_m=(4200.0, 900.0))
>>> batch = LegsBatch.unpack([pack_legs(legs), pack_legs(legs)])
>>> len(batch), batch.legs(1) == legs
(2, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from numbers import Real
from typing import Final, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "BatchMatching",
    "Insertions",
    "LegTimes",
    "Legs",
    "LegsBatch",
    "Match",
    "check_detour_limits",
    "first_reaching",
    "insert_all",
    "pack_legs",
]

#: Packed legs: little-endian float64s, the stops' nodes, then the legs' times, then
#: their lengths (``3 × stops - 2`` numbers; nodes are exact below 2**53).
_PACKED: Final = np.dtype("<f8")


class _HasLegs(Protocol):
    @property
    def stops(self) -> tuple[int, ...]: ...
    @property
    def leg_time_s(self) -> tuple[float, ...]: ...
    @property
    def leg_length_m(self) -> tuple[float, ...]: ...


@dataclass(frozen=True)
class Legs:
    """What matching reads of a trip: its stops' nodes and the legs between them.

    A :class:`routing.Route` has these too; a site that keeps them when a trip is
    published matches it without routing it again, and without its geometry in memory.

    Attributes
    ----------
    stops : tuple of int
        Snapped nodes of the origin, the via points and the destination.
    leg_time_s, leg_length_m : tuple of float
        Time and length between consecutive stops.

    Raises
    ------
    ValueError
        Unless there is one leg fewer than stops, and at least one.

    Examples
    --------
    >>> Legs(stops=(4, 9), leg_time_s=(300.0,), leg_length_m=(4200.0,)).leg_time_s
    (300.0,)
    """

    stops: tuple[int, ...]
    leg_time_s: tuple[float, ...]
    leg_length_m: tuple[float, ...]

    def __post_init__(self) -> None:
        legs = len(self.stops) - 1
        if legs < 1 or len(self.leg_time_s) != legs or len(self.leg_length_m) != legs:
            raise ValueError(f"{len(self.stops)} stops need {max(legs, 1)} legs of time and length")

    @classmethod
    def of(cls, route: _HasLegs) -> Legs:
        """The legs of a route."""
        return cls(stops=route.stops, leg_time_s=route.leg_time_s, leg_length_m=route.leg_length_m)


@dataclass(frozen=True)
class Match:
    """How a trip can take a passenger from a pickup to a drop-off.

    Attributes
    ----------
    detour_s : float
        Extra driving time for the driver.
    pickup_offset_s, dropoff_offset_s : float
        Time from the driver's departure to the pickup and to the drop-off, on the
        route that includes them.
    shared_length_m : float
        Distance driven with the passenger on board.
    pickup_leg, dropoff_leg : int
        Legs of the trip (0 = origin to first stop) where the pickup and the drop-off
        are inserted.
    pickup_node, dropoff_node : int
        The snapped pickup and drop-off.
    """

    detour_s: float
    pickup_offset_s: float
    dropoff_offset_s: float
    shared_length_m: float
    pickup_leg: int
    dropoff_leg: int
    pickup_node: int
    dropoff_node: int


def pack_legs(legs: _HasLegs) -> bytes:
    """The legs of a trip (a :class:`Legs` or a :class:`routing.Route`) as bytes,
    for :meth:`LegsBatch.unpack`.

    Examples
    --------
    >>> len(pack_legs(Legs(stops=(4, 9), leg_time_s=(300.0,), leg_length_m=(4200.0,))))
    32
    """
    return np.array([*legs.stops, *legs.leg_time_s, *legs.leg_length_m], dtype=_PACKED).tobytes()


@dataclass(frozen=True, eq=False)
class LegsBatch:
    """Many trips' legs end to end, to be matched at once.

    Attributes
    ----------
    stops : ndarray of int64
        Every trip's stop nodes, trip after trip: trip ``k``'s are
        ``stops[first_stop[k]:first_stop[k + 1]]``.
    first_stop : ndarray of int64
        ``len(batch) + 1`` bounds.
    leg_time_s, leg_length_m : ndarray of float64
        Every trip's legs, trip after trip: trip ``k``'s are at
        ``first_stop[k] - k`` up to ``first_stop[k + 1] - k - 1``.
    """

    stops: NDArray[np.int64]
    first_stop: NDArray[np.int64]
    leg_time_s: NDArray[np.float64]
    leg_length_m: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.first_stop) - 1

    @classmethod
    def of(cls, routes: Sequence[_HasLegs]) -> LegsBatch:
        """The batch of ``routes`` (:class:`Legs` or :class:`routing.Route`), in order."""
        counts = np.fromiter((len(r.stops) for r in routes), dtype=np.int64, count=len(routes))
        first_stop = np.zeros(len(routes) + 1, dtype=np.int64)
        np.cumsum(counts, out=first_stop[1:])
        return cls(
            stops=np.fromiter(
                (s for r in routes for s in r.stops), dtype=np.int64, count=int(first_stop[-1])
            ),
            first_stop=first_stop,
            leg_time_s=np.fromiter((t for r in routes for t in r.leg_time_s), dtype=np.float64),
            leg_length_m=np.fromiter((m for r in routes for m in r.leg_length_m), dtype=np.float64),
        )

    @classmethod
    def unpack(cls, packed: Sequence[bytes]) -> LegsBatch:
        """The batch of trips packed by :func:`pack_legs`, in order, read at once.

        Raises
        ------
        ValueError
            For bytes that :func:`pack_legs` cannot have written.
        """
        sizes = np.fromiter((len(p) for p in packed), dtype=np.int64, count=len(packed))
        numbers, rest = np.divmod(sizes, _PACKED.itemsize)
        counts = (numbers + 2) // 3  # stops: 3 × stops - 2 numbers
        if rest.any() or (counts < 2).any() or (3 * counts - 2 != numbers).any():
            raise ValueError("these bytes are not packed legs")
        data = np.frombuffer(b"".join(packed), dtype=_PACKED)
        start = np.zeros(len(packed), dtype=np.int64)
        np.cumsum(numbers[:-1], out=start[1:])
        first_stop = np.zeros(len(packed) + 1, dtype=np.int64)
        np.cumsum(counts, out=first_stop[1:])
        nodes = data[_ranges(start, counts)]
        if not (np.isfinite(nodes).all() and (nodes >= 0).all() and (nodes == np.floor(nodes)).all()):
            raise ValueError("these bytes are not packed legs")
        return cls(
            stops=nodes.astype(np.int64),
            first_stop=first_stop,
            leg_time_s=data[_ranges(start + counts, counts - 1)].astype(np.float64),
            leg_length_m=data[_ranges(start + 2 * counts - 1, counts - 1)].astype(np.float64),
        )

    def legs(self, k: int) -> Legs:
        """Trip ``k``'s legs."""
        first, end = int(self.first_stop[k]), int(self.first_stop[k + 1])
        return Legs(
            stops=tuple(self.stops[first:end].tolist()),
            leg_time_s=tuple(self.leg_time_s[first - k : end - k - 1].tolist()),
            leg_length_m=tuple(self.leg_length_m[first - k : end - k - 1].tolist()),
        )

    def leg_starts(self) -> NDArray[np.int64]:
        """For every leg, the position in :attr:`stops` of the stop it starts from."""
        trip_of_leg = np.repeat(np.arange(len(self)), np.diff(self.first_stop) - 1)
        return np.arange(len(self.leg_time_s), dtype=np.int64) + trip_of_leg


def _ranges(starts: NDArray[np.int64], sizes: NDArray[np.int64]) -> NDArray[np.int64]:
    """``starts[k] + range(sizes[k])`` for every ``k``, end to end."""
    firsts = np.zeros(len(sizes), dtype=np.int64)
    np.cumsum(sizes[:-1], out=firsts[1:])
    return np.repeat(starts - firsts, sizes) + np.arange(int(sizes.sum()), dtype=np.int64)


@dataclass(frozen=True, eq=False)
class LegTimes:
    """For every leg of a :class:`LegsBatch`, the fastest times (and lengths) between
    its ends and the request's pickup ``a`` and drop-off ``b``: what a router finds.

    Attributes
    ----------
    to_a, to_b : ndarray of float64
        From the leg's start to ``a``, to ``b`` (infinite where no road joins them).
    from_a, from_b : ndarray of float64
        From ``a``, from ``b`` to the leg's end.
    to_b_length_m, from_a_length_m : ndarray of float64
        The lengths of the ``to_b`` and ``from_a`` paths.
    a_to_b : (float, float)
        Time and length from ``a`` to ``b``.
    """

    to_a: NDArray[np.float64]
    to_b: NDArray[np.float64]
    from_a: NDArray[np.float64]
    from_b: NDArray[np.float64]
    to_b_length_m: NDArray[np.float64]
    from_a_length_m: NDArray[np.float64]
    a_to_b: tuple[float, float]

    @classmethod
    def of_no_leg(cls) -> LegTimes:
        """The times of an empty batch's legs."""
        none = np.empty(0)
        return cls(none, none, none, none, none, none, (math.inf, 0.0))


def check_detour_limits(max_detour_s: float | ArrayLike, trips: int) -> NDArray[np.float64]:
    """The detour limit of each of ``trips`` trips: one for all, or one each.

    Raises
    ------
    ValueError
        For a limit that is negative or not a number, or limits for another number
        of trips.
    """
    if isinstance(max_detour_s, np.ndarray):
        numbers = max_detour_s.dtype.kind in "iuf"
    elif isinstance(max_detour_s, list | tuple):
        numbers = all(isinstance(x, Real) and not isinstance(x, bool) for x in max_detour_s)
    else:
        numbers = isinstance(max_detour_s, Real) and not isinstance(max_detour_s, bool)
    if not numbers:
        raise ValueError(f"max_detour_s must be numbers of seconds, not {max_detour_s!r}")
    limits = np.asarray(max_detour_s, dtype=np.float64)
    if limits.ndim > 1 or (limits.ndim == 1 and len(limits) != trips):
        raise ValueError(f"max_detour_s must be one number, or one per trip ({trips})")
    if not (limits >= 0).all():  # NaN too
        raise ValueError(f"max_detour_s must be a non-negative number of seconds, not {max_detour_s!r}")
    return np.broadcast_to(limits, (trips,))


@cache
def _pairs(legs: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The (pickup leg, drop-off leg) pairs of a trip of ``legs`` legs, in the order
    a loop would try them: for each pickup leg, the same leg first, then the later."""
    pairs = [(i, j) for i in range(legs) for j in range(i, legs)]
    return np.array([i for i, _ in pairs], dtype=np.int64), np.array([j for _, j in pairs], dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Insertions:
    """Where a pickup then a drop-off fit best into every trip of a batch, as arrays
    (:func:`insert_all`): what a search ranks thousands of trips by, a
    :class:`Match` being made only for those it shows (:meth:`match`).

    Attributes
    ----------
    fits : ndarray of bool
        Whether each trip's smallest detour is within its limit.
    detour_s : ndarray of float64
        Each trip's smallest detour (zero at least; infinite where no road joins).
    pickup_offset_s : ndarray of float64
        Time from each trip's departure to the pickup, inserted there.
    """

    fits: NDArray[np.bool_]
    detour_s: NDArray[np.float64]
    pickup_offset_s: NDArray[np.float64]
    _batch: LegsBatch
    _times: LegTimes
    _legs: tuple[NDArray[np.int64], NDArray[np.int64]]  # batch legs of pickup, drop-off
    _nodes: tuple[int, int]

    def __len__(self) -> int:
        return len(self.fits)

    def match(self, k: int) -> Match | None:
        """Trip ``k``'s match, or None if it does not fit within its limit."""
        if not self.fits[k]:
            return None
        pickup_leg, dropoff_leg = self._legs
        return _match(
            self._batch,
            self._times,
            k,
            (int(pickup_leg[k]), int(dropoff_leg[k])),
            self._nodes,
            detour_s=float(self.detour_s[k]),
            pickup_offset_s=float(self.pickup_offset_s[k]),
        )

    def matches(self) -> list[Match | None]:
        """Every trip's :meth:`match`, in the batch's order."""
        found: list[Match | None] = [None] * len(self)
        for k in np.flatnonzero(self.fits).tolist():
            found[k] = self.match(k)
        return found


class BatchMatching:
    """What a router that inserts into batches of trips (:meth:`insert_batch`, its
    own) gives from that: matches for many trips at once."""

    def insert_batch(
        self,
        batch: LegsBatch,
        pickup: tuple[float, float],
        dropoff: tuple[float, float],
        *,
        max_detour_s: float | ArrayLike,
    ) -> Insertions:
        raise NotImplementedError

    def match_many(
        self,
        routes: Sequence[_HasLegs],
        pickup: tuple[float, float],
        dropoff: tuple[float, float],
        *,
        max_detour_s: float,
    ) -> list[Match | None]:
        """:meth:`match` for many trips at once, sharing the request's work (a trip
        may be given by its :class:`Legs` alone).

        Returns
        -------
        list of Match or None
            One entry per route, in the same order.

        Raises
        ------
        InvalidPointError, PointOutOfAreaError
            For a pickup or drop-off that cannot be placed on the road network.
        ValueError
            If ``max_detour_s`` is negative or not a number.
        RouterUnavailable
            From a routing server that cannot be reached or gives no usable answer
            (one started with a smaller ``--max-table-size`` than the request needs, too).
        """
        return self.match_batch(LegsBatch.of(routes), pickup, dropoff, max_detour_s=max_detour_s)

    def match_batch(
        self,
        batch: LegsBatch,
        pickup: tuple[float, float],
        dropoff: tuple[float, float],
        *,
        max_detour_s: float | ArrayLike,
    ) -> list[Match | None]:
        """:meth:`insert_batch`'s matches: one per trip of ``batch``, None for a trip
        that cannot take the passenger within its limit.

        Raises
        ------
        InvalidPointError, PointOutOfAreaError
            For a pickup or drop-off that cannot be placed on the road network.
        ValueError
            For a limit that is negative or not a number, or not one per trip.
        RouterUnavailable
            From a routing server that cannot be reached or gives no usable answer.
        """
        return self.insert_batch(batch, pickup, dropoff, max_detour_s=max_detour_s).matches()


def insert_all(
    batch: LegsBatch, times: LegTimes, a: int, b: int, *, max_detour_s: NDArray[np.float64]
) -> Insertions:
    """Insert pickup ``a`` then drop-off ``b`` into every trip of ``batch`` where the
    detour is smallest; the driver's stops keep their order.

    Through ``a`` and ``b`` on the same leg ``i`` (from stop ``s_i`` to ``s_i+1``)
    the detour is ``τ(s_i, a) + τ(a, b) + τ(b, s_i+1) − τ(s_i, s_i+1)``; through
    ``a`` on leg ``i`` and ``b`` on a later leg ``j``, the sum of each one's detour.
    Ties go to the earliest pickup leg, then the earliest drop-off leg.

    Parameters
    ----------
    batch : LegsBatch
    times : LegTimes
        For the legs of ``batch``.
    a, b : int
        The snapped pickup and drop-off.
    max_detour_s : ndarray
        Each trip's limit (:func:`check_detour_limits`).

    Returns
    -------
    Insertions
        One entry per trip, in the batch's order.
    """
    n = len(batch)
    if n == 0:
        no_legs = np.empty(0, dtype=np.int64)
        no_times = np.empty(0)
        return Insertions(no_times < 0, no_times, no_times, batch, times, (no_legs, no_legs), (a, b))
    leg_count = np.diff(batch.first_stop) - 1
    first_leg = batch.first_stop[:-1] - np.arange(n)
    pickup_leg, dropoff_leg, pair_start, pair_count = _all_pairs(leg_count, first_leg)
    legs = batch.leg_time_s
    # The same sums, in the same order, as a loop over the pairs: results to the bit.
    via_a = times.to_a + times.from_a - legs
    same_leg = times.to_a + times.a_to_b[0] + times.from_b - legs
    later = via_a[pickup_leg] + times.to_b[dropoff_leg] + times.from_b[dropoff_leg] - legs[dropoff_leg]
    detour = np.where(pickup_leg == dropoff_leg, same_leg[pickup_leg], later)
    best = np.minimum.reduceat(detour, pair_start)
    chosen = first_reaching(detour, best, pair_start, pair_count)
    best_pickup_leg, best_dropoff_leg = pickup_leg[chosen], dropoff_leg[chosen]
    before_pickup = _leg_offsets(leg_count, first_leg, legs)[best_pickup_leg]
    return Insertions(
        fits=best <= max_detour_s,
        detour_s=np.maximum(best, 0.0),
        pickup_offset_s=before_pickup + times.to_a[best_pickup_leg],
        _batch=batch,
        _times=times,
        _legs=(best_pickup_leg, best_dropoff_leg),
        _nodes=(a, b),
    )


def _leg_offsets(
    leg_count: NDArray[np.int64], first_leg: NDArray[np.int64], legs: NDArray[np.float64]
) -> NDArray[np.float64]:
    """For every leg of a batch, the time from its trip's departure to the leg's
    start: added leg after leg, as a loop along the trip would (one step per leg of
    the longest trip, for all trips at once)."""
    offsets = np.zeros(len(legs))
    for position in range(1, int(leg_count.max(initial=0))):
        at = first_leg[leg_count > position] + position
        offsets[at] = offsets[at - 1] + legs[at - 1]
    return offsets


def first_reaching(
    values: NDArray[np.float64],
    best: NDArray[np.float64],
    starts: NDArray[np.int64],
    sizes: NDArray[np.int64],
) -> NDArray[np.int64]:
    """For each group ``values[starts[k]:starts[k] + sizes[k]]`` (end to end, none
    empty), the first position where it reaches ``best[k]``, its minimum.

    Examples
    --------
    >>> values = np.array([3.0, 1.0, 1.0, 2.0, 2.0])
    >>> first_reaching(values, np.array([1.0, 2.0]), np.array([0, 3]), np.array([3, 2])).tolist()
    [1, 3]
    """
    hits = np.flatnonzero(values == np.repeat(best, sizes))
    return hits[np.searchsorted(hits, starts)]


def _all_pairs(
    leg_count: NDArray[np.int64], first_leg: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Every trip's (pickup leg, drop-off leg) pairs, as indices of the batch's legs,
    trip after trip, where each trip's pairs start, and how many it has."""
    pair_count = leg_count * (leg_count + 1) // 2
    pair_start = np.zeros(len(leg_count), dtype=np.int64)
    np.cumsum(pair_count[:-1], out=pair_start[1:])
    total = int(pair_count.sum())
    pickup_leg, dropoff_leg = np.empty(total, dtype=np.int64), np.empty(total, dtype=np.int64)
    # Trips with the same number of legs share one pattern of pairs, laid at their places.
    order = np.argsort(leg_count, kind="stable")
    for group in np.split(order, np.flatnonzero(np.diff(leg_count[order])) + 1):
        i, j = _pairs(int(leg_count[group[0]]))
        places = _ranges(pair_start[group], pair_count[group])
        pickup_leg[places] = (first_leg[group][:, None] + i).ravel()
        dropoff_leg[places] = (first_leg[group][:, None] + j).ravel()
    return pickup_leg, dropoff_leg, pair_start, pair_count


def _match(
    batch: LegsBatch,
    times: LegTimes,
    k: int,
    legs_ij: tuple[int, int],
    ab: tuple[int, int],
    *,
    detour_s: float,
    pickup_offset_s: float,
) -> Match:
    """Trip ``k``'s match with the pickup on (batch) leg ``i``, the drop-off on ``j``."""
    (i, j), (a, b) = legs_ij, ab
    first = int(batch.first_stop[k]) - k
    if i == j:
        on_board_time, shared = times.a_to_b
    else:
        between = batch.leg_time_s[i + 1 : j].tolist()
        on_board_time = float(times.from_a[i]) + math.fsum(between) + float(times.to_b[j])
        shared = (
            float(times.from_a_length_m[i])
            + math.fsum(batch.leg_length_m[i + 1 : j].tolist())
            + float(times.to_b_length_m[j])
        )
    return Match(
        detour_s=detour_s,
        pickup_offset_s=pickup_offset_s,
        dropoff_offset_s=pickup_offset_s + on_board_time,
        shared_length_m=shared,
        pickup_leg=i - first,
        dropoff_leg=j - first,
        pickup_node=a,
        dropoff_node=b,
    )
