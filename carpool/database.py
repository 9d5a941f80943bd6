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

PostgreSQL's planner is given the costs of the site's server (``_POSTGRESQL``):

- ``random_page_cost = 1.1`` instead of 4, which is for spinning disks: a search
  looks a thousand trips up by their key; with the default, once its statistics are
  up to date (autovacuum), the planner reads every trip of the site instead (a hash
  join over a scan of the table), and a search at 100,000 trips took 29 ms at the
  median instead of 20 (``bench/search.py``, ``docs/PERFORMANCE.md``). The site's database is on an SSD or in
  the memory of its server, where 1.1 is the usual setting.
- ``max_parallel_workers_per_gather = 0``: a search takes milliseconds, less than
  starting parallel workers costs, and the cores they would take are those of the
  other searches (gunicorn runs a worker or two a core), which are many at once when
  the site is busy: the planner spread the busiest searches over three processes.

A server set up otherwise by its administrator can be given its own in
``DATABASE_URL`` (``?options=-c%20random_page_cost%3D4``), which is then left as it
says.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

__all__ = ["set_up_postgresql", "set_up_sqlite"]


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
_POSTGRESQL = {"random_page_cost": "1.1", "max_parallel_workers_per_gather": "0"}


@event.listens_for(Engine, "connect")
def set_up_postgresql(connection: Any, _record: Any) -> None:
    """Give a new PostgreSQL connection the planner's settings of the site (see the
    module's text), those its own options do not set."""
    if type(connection).__module__.split(".")[0] != "psycopg":
        return
    options = connection.info.options or ""
    for name, value in _POSTGRESQL.items():
        if name not in options:
            connection.execute(f"SET {name} = {value}")
    connection.commit()
