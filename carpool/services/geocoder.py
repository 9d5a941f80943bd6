"""Places missing from the offline gazetteer, asked of a Nominatim server.

Only when ``GEOCODER = "nominatim"``; otherwise nothing here ever touches the network.
The server is ``GEOCODER_SCHEME://GEOCODER_DOMAIN`` (the OpenStreetMap Foundation's by
default, or an association's own), asked with ``GEOCODER_USER_AGENT`` and given
``GEOCODER_TIMEOUT`` seconds to answer.

Nominatim's usage policy (https://operations.osmfoundation.org/policies/nominatim/) is
respected: at most one request a second from a process, an identifying user agent, and
answers are kept, found places in the gazetteer (by :mod:`.places`) and names it does
not know in memory for a day, so the same name is never asked twice. A server that
fails is left alone for a minute. A failure is logged and read as "no such place": it
never breaks a page.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from geopy.adapters import URLLibAdapter
from geopy.exc import GeopyError
from geopy.geocoders import Nominatim

from routing import OsrmRouter, Router, RoutingError

from .roads import get_router

__all__ = ["Found", "enabled", "lookup"]

_KEY = "carpool.geocoder"
#: Nominatim's policy: one request a second at most.
MIN_INTERVAL_S = 1.0
#: How long a name Nominatim does not know is remembered, and how many are.
MISS_TTL_S = 24 * 3600.0
MISS_CACHE_SIZE = 10_000
#: How long a server that failed is left alone.
BACKOFF_S = 60.0
#: Results asked for: the first one inside the region is taken.
_RESULTS = 5


@dataclass(frozen=True)
class Found:
    """A place Nominatim knows, inside the region.

    ``source_id`` is Nominatim's "osm_type/osm_id" (e.g. "node/42"), else
    "place/<place_id>".
    """

    name: str
    kind: str
    lat: float
    lon: float
    source_id: str


@dataclass
class _State:
    """What one app (one per process) remembers about its geocoder."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    next_request: float = 0.0  # time.monotonic() before which no request may start
    down_until: float = 0.0
    misses: OrderedDict[str, float] = field(default_factory=OrderedDict)
    client: Nominatim | None = None
    client_settings: tuple[object, ...] = ()


def enabled() -> bool:
    """Whether the app is configured to ask Nominatim (``GEOCODER = "nominatim"``)."""
    return str(current_app.config.get("GEOCODER", "")).strip().lower() == "nominatim"


def lookup(name: str, key: str) -> Found | None:
    """The place Nominatim finds for ``name`` inside the region, if any.

    Parameters
    ----------
    name : str
        The name as typed (sent to the server).
    key : str
        Its :func:`.places.search_key`, under which a miss is remembered.

    Returns
    -------
    Found or None
        None when the geocoder is not configured, when the name was not found (or only
        outside the region) within the last day, or when the server fails, is too slow
        or is too busy to be asked now: the failure is logged as a warning.

    Raises
    ------
    carpool.services.roads.RoadGraphMissing
        If no road graph has been imported (the region is not known).
    """
    if not enabled() or not key:
        return None
    state = _state()
    now = time.monotonic()
    with state.lock:
        if now < state.down_until:
            return None
        missed = state.misses.get(key)
        if missed is not None:
            if now - missed < MISS_TTL_S:
                return None
            del state.misses[key]
    router = get_router()
    network = router.graph.network
    south, north = float(network.lat.min()), float(network.lat.max())
    west, east = float(network.lon.min()), float(network.lon.max())
    try:
        client = _client(state)
        if not _wait_turn(state, timeout=float(current_app.config.get("GEOCODER_TIMEOUT", 5.0))):
            current_app.logger.warning("geocoder busy: %r not looked up", name[:80])
            return None
        locations = client.geocode(
            name.strip()[:200],
            exactly_one=False,
            limit=_RESULTS,
            viewbox=[(south, west), (north, east)],
            bounded=True,
        )
        found = next((f for f in map(_found, locations or []) if f is not None and _inside(router, f)), None)
    except (GeopyError, KeyError, TypeError, ValueError, AttributeError) as error:
        current_app.logger.warning("geocoder failed for %r: %s", name[:80], error)
        with state.lock:
            state.down_until = time.monotonic() + BACKOFF_S
        return None
    if found is None:
        with state.lock:
            state.misses[key] = time.monotonic()
            state.misses.move_to_end(key)
            while len(state.misses) > MISS_CACHE_SIZE:
                state.misses.popitem(last=False)
    return found


def _state() -> _State:
    state = current_app.extensions.get(_KEY)
    if state is None:
        state = current_app.extensions.setdefault(_KEY, _State())
    assert isinstance(state, _State)
    return state


def _client(state: _State) -> Nominatim:
    """The geocoder for the current settings (made again if they changed)."""
    config = current_app.config
    settings = (
        str(config.get("GEOCODER_DOMAIN") or "nominatim.openstreetmap.org"),
        str(config.get("GEOCODER_SCHEME") or "https"),
        str(config.get("GEOCODER_USER_AGENT") or "carpool"),
        float(config.get("GEOCODER_TIMEOUT", 5.0)),
    )
    with state.lock:
        if state.client is None or state.client_settings != settings:
            domain, scheme, user_agent, timeout = settings
            # urllib (the standard library) rather than requests, if installed: it makes no
            # retries, which would be further requests within the second, each as slow.
            state.client = Nominatim(
                domain=domain,
                scheme=scheme,
                user_agent=user_agent,
                timeout=timeout,
                adapter_factory=URLLibAdapter,
            )
            state.client_settings = settings
        return state.client


def _wait_turn(state: _State, *, timeout: float) -> bool:
    """Wait until this process may send a request (one a second); False, without
    waiting, if that would take longer than ``timeout`` seconds (too many waiting)."""
    with state.lock:
        now = time.monotonic()
        start = max(now, state.next_request)
        if start - now > timeout:
            return False
        state.next_request = start + MIN_INTERVAL_S
    time.sleep(max(0.0, start - time.monotonic()))
    return True


def _found(location: Any) -> Found | None:
    """A Nominatim result as a place, or None if it has no usable name or position."""
    raw: dict[str, Any] = dict(location.raw)
    lat, lon = float(raw["lat"]), float(raw["lon"])
    display = str(raw.get("display_name") or "")
    name = str(raw.get("name") or display.split(",")[0]).strip()[:200]
    if not name:
        return None
    kind = str(raw.get("type") or raw.get("addresstype") or "place")[:20]
    if raw.get("osm_type") and raw.get("osm_id") is not None:
        source_id = f"{raw['osm_type']}/{raw['osm_id']}"
    else:
        source_id = f"place/{raw['place_id']}"
    return Found(name=name, kind=kind, lat=lat, lon=lon, source_id=source_id[:40])


def _inside(router: Router | OsrmRouter, found: Found) -> bool:
    """Whether a road of the region is near enough (``MAX_SNAP_M``) to route to it."""
    try:
        router.snap((found.lat, found.lon))
    except RoutingError:
        return False
    return True
