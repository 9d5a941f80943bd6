"""gunicorn's settings for the site: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Each setting can be overridden on the command line or by GUNICORN_CMD_ARGS.
"""

import multiprocessing
import os

bind = os.environ.get("CARPOOL_BIND", "127.0.0.1:8000")
# Searches spend their time in Python (exact detours): one process per core, twice.
workers = int(os.environ.get("CARPOOL_WORKERS", 2 * multiprocessing.cpu_count()))
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
