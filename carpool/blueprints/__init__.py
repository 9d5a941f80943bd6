"""One blueprint per area of the site; views read input, call one service, render."""

from __future__ import annotations

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
    or drop-off), if it is one."""
    try:
        lat, lon = (float(part) for part in (text or "").split(","))
    except ValueError:
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None
