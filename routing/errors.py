"""Errors raised by the routing core.

Every error the library raises on bad input derives from :class:`RoutingError`, so
callers (the site, the command line) can turn them into a message for a person
instead of a crash.
"""

from __future__ import annotations

__all__ = [
    "EmptyGraphError",
    "GraphFileError",
    "InvalidPointError",
    "NoRouteError",
    "PointOutOfAreaError",
    "RouterUnavailable",
    "RoutingError",
]


class RoutingError(Exception):
    """Base class of every error raised by :mod:`routing`."""


class InvalidPointError(RoutingError, ValueError):
    """A coordinate pair is not a valid (latitude, longitude) in degrees."""


class PointOutOfAreaError(RoutingError):
    """A point lies too far from every road of the loaded region.

    Attributes
    ----------
    point : tuple of float
        The (lat, lon) that was asked for.
    distance_m : float
        Distance to the nearest routable node, in metres.
    """

    def __init__(self, point: tuple[float, float], distance_m: float, limit_m: float) -> None:
        self.point = point
        self.distance_m = distance_m
        self.limit_m = limit_m
        super().__init__(
            f"point {point[0]:.6f},{point[1]:.6f} is {distance_m:,.0f} m from the nearest road "
            f"of this region (limit {limit_m:,.0f} m)"
        )

    def __reduce__(self) -> tuple[type[PointOutOfAreaError], tuple[tuple[float, float], float, float]]:
        # Pickled as what it was made of (routing runs in worker processes too).
        return (type(self), (self.point, self.distance_m, self.limit_m))


class NoRouteError(RoutingError):
    """No road path joins two points."""


class GraphFileError(RoutingError):
    """A graph file is missing, unreadable or of another format version."""


class EmptyGraphError(RoutingError):
    """An OpenStreetMap extract holds no drivable road network."""


class RouterUnavailable(RoutingError):
    """A routing server (such as OSRM) cannot be reached or gives no usable answer.

    Attributes
    ----------
    url : str
        The server's base address.
    """

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"the routing server at {url} is unavailable: {reason}")

    def __reduce__(self) -> tuple[type[RouterUnavailable], tuple[str, str]]:
        return (type(self), (self.url, self.reason))
