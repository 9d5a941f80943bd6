"""gunicorn's settings for the site: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Each setting can be overridden on the command line or by GUNICORN_CMD_ARGS.
"""

import multiprocessing
import os
import urllib.parse

bind = os.environ.get("CARPOOL_BIND", "127.0.0.1:8000")


def workers_per_core(environment: dict[str, str]) -> int:
    """A search keeps a core busy, in the worker and in the database (and router) it
    asks. When they are all on this machine, one worker per core answers the most: on
    100,000 trips at 50 clients, about a tenth more searches a second than two per
    core, with SQLite as with PostgreSQL beside it, and sooner at 1 and 10 clients
    (docs/PERFORMANCE.md). A worker that waits for another machine (a database or
    OSRM server, the geocoder) leaves its core idle meanwhile: two per core."""
    osrm = environment.get("ROUTER_BACKEND", "builtin") == "osrm"
    waits = (
        _elsewhere(environment.get("DATABASE_URL", ""))
        or (osrm and _elsewhere(environment.get("OSRM_URL", "http://127.0.0.1:5001")))
        or bool(environment.get("GEOCODER"))
    )
    return 2 if waits else 1


def _elsewhere(url: str) -> bool:
    """Whether a server's URL names another machine (no host: a file or a socket here)."""
    return urllib.parse.urlsplit(url).hostname not in (None, "localhost", "127.0.0.1", "::1")


workers = int(
    os.environ.get("CARPOOL_WORKERS", workers_per_core(dict(os.environ)) * multiprocessing.cpu_count())
)
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
