"""How every connection to the database is set up: SQLite's, and PostgreSQL's planner.

SQLite's defaults suit one program on one file, not a site whose workers read while
one of them books a seat:

- ``journal_mode=WAL``: readers never wait for a writer, nor a writer for readers
  (with the default rollback journal, a search waits while a trip is published);
  every commit still reaches the disk before it returns (``synchronous`` stays FULL:
  a booking acknowledged is never lost).
- ``foreign_keys=ON``: SQLite checks references only when asked, on each connection;
  PostgreSQL always does, and both must refuse the same.

The page cache of each connection stays SQLite's 2 MB: the operating system's cache
holds the file once for every worker, and a larger one (32 MB was tried on 100,000
trips) added its size to every worker's memory for no measurable speed.

An in-memory database keeps its own journal mode (WAL needs a file).

PostgreSQL's planner is given the costs of the site's server (``PLANNER_SETTINGS``):

- ``seq_page_cost = 0.1`` and ``random_page_cost = 0.11`` instead of 1 and 4, which
  are for a database read from spinning disks: the search index of a region is read
  from memory (the operating system's cache or PostgreSQL's), where PostgreSQL's
  documentation suggests such costs. With 4, once its statistics were up to date
  (autovacuum), the planner read every trip of the site rather than look a search's
  candidates up by key: a search at 100,000 trips took 29 ms at the median instead
  of 20. With 1.1 (an SSD), planned for their own values, 93 of the 200 one-day
  searches of ``bench/search.py`` at 100,000 trips still read the whole of a busy
  drop-off cell (tens of thousands of entries) rather than look their candidates up
  in it: the candidates' query of the 200 took 6.7 ms on average, 94 ms at the
  slowest, against 5.7 and 15 with these costs (38 such plans). A search over a week of
  dates, whose pickup cell holds many more entries, still reads the drop-off's
  cell, which is then the faster plan (``docs/PERFORMANCE.md``).
- ``plan_cache_mode = force_custom_plan``: psycopg prepares a statement the fifth time
  a connection runs it, and PostgreSQL may then plan it once for any values. A
  search's best plan depends on its dates (a day or a week: see above), and a plan
  made for the first searches of a connection would serve every later one. Planned
  each time, the same 200 searches over a week of dates took 22 ms of the database's
  time each instead of 30, those over a day as long as before; planning a search
  takes a third of a millisecond.
- ``max_parallel_workers_per_gather = 0``: a search takes milliseconds, less than
  starting parallel workers costs, and the cores they would take are those of the
  other searches (gunicorn runs a worker or two a core), which are many at once when
  the site is busy: the planner spread the busiest searches over three processes.

A server set up otherwise by its administrator can be given its own in
``DATABASE_URL`` (``?options=-c%20random_page_cost%3D4``), which is then left as it
says (the other settings are still given).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

__all__ = ["PLANNER_SETTINGS", "planner_options", "set_up_postgresql", "set_up_sqlite"]


@event.listens_for(Engine, "connect")
def set_up_sqlite(connection: Any, _record: Any) -> None:
    """Give a new SQLite connection the site's settings (see the module's text)."""
    if not isinstance(connection, sqlite3.Connection):
        return
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


#: The planner's settings of the site's PostgreSQL connections (see the module's text).
PLANNER_SETTINGS = {
    "seq_page_cost": "0.1",
    "random_page_cost": "0.11",
    "plan_cache_mode": "force_custom_plan",
    "max_parallel_workers_per_gather": "0",
}


def planner_options() -> str:
    """:data:`PLANNER_SETTINGS` as libpq's ``options``, for a connection made without
    the site's engine (the benchmark's PostGIS peer, measured on the same footing).

    Examples
    --------
    >>> planner_options().split()[:2]
    ['-c', 'seq_page_cost=0.1']
    """
    return " ".join(f"-c {name}={value}" for name, value in PLANNER_SETTINGS.items())


@event.listens_for(Engine, "connect")
def set_up_postgresql(connection: Any, _record: Any) -> None:
    """Give a new PostgreSQL connection the planner's settings of the site (see the
    module's text), those its own options do not set."""
    if type(connection).__module__.split(".")[0] != "psycopg":
        return
    options = connection.info.options or ""
    for name, value in PLANNER_SETTINGS.items():
        if name not in options:
            connection.execute(f"SET {name} = {value}")
    connection.commit()
