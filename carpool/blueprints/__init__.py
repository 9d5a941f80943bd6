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
