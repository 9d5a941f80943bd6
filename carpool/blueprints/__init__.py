"""One blueprint per area of the site; views read input, call one service, render."""

from __future__ import annotations

from ..services.places import parse_point

#: Ids in addresses: within a database integer, so a huge number is a 404, not a 500.
ID = "int(max=2147483647)"


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path of this site, else None: never an open redirect
    (browsers read ``/\\`` and ``//`` as another host)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(c in target for c in "\\\r\n\t") or any(ord(c) < 32 for c in target):
        return None
    return target


def point_arg(text: str | None) -> tuple[float, float] | None:
    """A "lat,lon" carried in an address or a hidden field (a search result's pickup
    or drop-off), if it is a point on Earth."""
    point = parse_point(text or "")
    if point is None or not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        return None
    return point
