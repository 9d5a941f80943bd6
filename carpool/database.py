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

- ``seq_page_cost = 0.1`` and ``random_page_cost = 0.11``: the search index of a
  region is read from memory (the operating system's cache or PostgreSQL's), where
  PostgreSQL's documentation suggests such costs. PostgreSQL's defaults, 1 and 4, are
  for pages read from spinning disks: with them, once its statistics were up to date
  (autovacuum), the planner read every trip of the site rather than look a search's
  candidates up by key (a search at 100,000 trips took 29 ms at the median instead
  of 20). With 1 and 1.1 (an SSD), planned for their own values, 93 of the 200
  one-day searches of ``bench/search.py`` at 100,000 trips read the whole of a busy
  drop-off cell (tens of thousands of entries) rather than look their candidates up
  in it: the candidates' queries of the 200 took 6.2–6.8 ms on average, and up to
  94 ms, against 5.3–5.7 and 16 ms with these costs (38 such plans are left). Searches over
  a week of dates mostly read the drop-off's cell with either costs, which is then
  the faster plan (forbidding it doubles their time); their slowest are a few per
  cent slower with these costs (``docs/PERFORMANCE.md``).
- ``plan_cache_mode = force_custom_plan``: psycopg prepares a statement the fifth time
  a connection runs it, and PostgreSQL may then plan it once for any values. A
  search's best plan depends on its dates (a day or a week: see above), and a plan
  made for the first searches of a connection would serve every later one. Planned
  each time, the same 200 searches over a week of dates took 22 ms of the database's
  time each instead of 30; those over a day as long as with their generic plan.
  Planning a search takes a third of a millisecond, the site's other statements less
  (a trip by its key 0.03 ms, a page of results' trips 0.14). The two settings go
  together: planned each time with the costs of an SSD, searches over a day took
  8.3 ms of the database's time instead of 6.6–7.1.
- ``max_parallel_workers_per_gather = 0``: a search takes milliseconds, less than
  starting parallel workers costs, and the cores they would take are those of the
  other searches (gunicorn runs a worker or two a core), which are many at once when
  the site is busy: the planner spread the busiest searches over three processes.

A server set up otherwise by its administrator, whose database is not held in
memory say, can be given its own settings in ``DATABASE_URL``
(``?options=-c%20random_page_cost%3D4``), which are then left as they say; the two
page costs go together, so that naming either leaves both to the server (the other
settings are still given).
"""

from __future__ import annotations

import re
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


#: Settings that make sense only together: where a connection's own options give one,
#: the others keep PostgreSQL's values too (0.1 against an administrator's 4 would
#: be a ratio that nobody chose).
_TOGETHER = ({"seq_page_cost", "random_page_cost"},)


def _given(options: str) -> set[str]:
    """The settings that libpq's ``options`` give, each as PostgreSQL names it (it
    reads ``-c name=value``, ``-cname=value`` and ``--name=value``, dashes in a name
    as underscores), with those that go with them (``_TOGETHER``).

    Examples
    --------
    >>> sorted(_given("-c random-page-cost=4 --work_mem=64MB"))
    ['random_page_cost', 'seq_page_cost', 'work_mem']
    """
    given = {name.replace("-", "_").lower() for name in re.findall(r"(?:-c\s*|--)([\w.-]+)=", options)}
    for group in _TOGETHER:
        if given & group:
            given |= group
    return given


@event.listens_for(Engine, "connect")
def set_up_postgresql(connection: Any, _record: Any) -> None:
    """Give a new PostgreSQL connection the planner's settings of the site (see the
    module's text), those its own options do not give (:func:`_given`)."""
    if type(connection).__module__.split(".")[0] != "psycopg":
        return
    given = _given(connection.info.options or "")
    for name, value in PLANNER_SETTINGS.items():
        if name not in given:
            connection.execute(f"SET {name} = {value}")
    connection.commit()
