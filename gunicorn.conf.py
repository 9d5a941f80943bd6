"""gunicorn's settings for the site: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Each setting can be overridden on the command line or by GUNICORN_CMD_ARGS.
"""

import ipaddress
import multiprocessing
import os
import urllib.parse
from collections.abc import Mapping

bind = os.environ.get("CARPOOL_BIND", "127.0.0.1:8000")


def workers_per_core(environment: Mapping[str, str]) -> int:
    """A search keeps a core busy, in the worker and in the database (and router) it
    asks. When they are all on this machine, one worker per core answers the most: on
    100,000 trips at 50 clients, about a tenth more searches a second than two per
    core, with SQLite as with PostgreSQL beside it, and sooner at 1 and 10 clients
    (docs/PERFORMANCE.md). A worker that waits for another machine (a database or
    OSRM server, the geocoder) leaves its core idle meanwhile: two per core.
    The settings are the site's (carpool/config.py), with its defaults."""
    database = environment.get("DATABASE_URL", "")
    libpq_host = environment.get("PGHOST", "") if database.startswith("postgresql") else ""
    osrm = environment.get("ROUTER_BACKEND", "builtin") == "osrm"
    geocoder = environment.get("GEOCODER", "").strip().lower() == "nominatim"
    waits = (
        _elsewhere(database, otherwise=libpq_host)
        or (osrm and _elsewhere(environment.get("OSRM_URL", "http://127.0.0.1:5001")))
        or geocoder
    )
    return 2 if waits else 1


def _elsewhere(url: str, *, otherwise: str = "") -> bool:
    """Whether a server's URL names another machine: in its host, else in its ``host``
    parameter (libpq's), else ``otherwise`` (PGHOST). No host, or a path (a socket),
    is this machine; an unreadable URL counts as another, the safe side for a worker
    that may wait."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ",".join(urllib.parse.parse_qs(parts.query).get("host", [])) or otherwise
    except ValueError:
        return True
    return any(h and not h.startswith("/") and _remote_host(h) for h in host.split(","))


def _remote_host(host: str) -> bool:
    """Whether a host (a name or an address) is another machine than this one."""
    if host.lower() == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a name: another machine's


_chosen = os.environ.get("CARPOOL_WORKERS")
workers = int(_chosen) if _chosen else workers_per_core(os.environ) * multiprocessing.cpu_count()
# The app (and the region's road graph, see wsgi.py) is loaded once, before the
# workers fork: its arrays are shared by them, page for page, instead of one copy each.
preload_app = True
timeout = 30
graceful_timeout = 20
# A worker that has answered this many requests is replaced (a guard against slow leaks).
max_requests = 5_000
max_requests_jitter = 500
accesslog = "-"
forwarded_allow_ips = os.environ.get("CARPOOL_FORWARDED_ALLOW_IPS", "127.0.0.1")
