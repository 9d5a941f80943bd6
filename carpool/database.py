"""How every connection to a SQLite database is set up (PostgreSQL needs nothing).

SQLite's defaults suit one program on one file, not a site whose workers read while
one of them books a seat:

- ``journal_mode=WAL``: readers never wait for a writer, nor a writer for readers
  (with the default rollback journal, a search waits while a trip is published);
  every commit still reaches the disk before it returns (``synchronous`` stays FULL:
  a booking acknowledged is never lost).
- ``foreign_keys=ON``: SQLite checks references only when asked, on each connection;
  PostgreSQL always does, and both must refuse the same.
- ``cache_size``: the pages a connection keeps (2 MB by default), so that a busy
  search's index pages and trips stay in the worker instead of being read again
  from the operating system at every request.

An in-memory database (the tests' default) keeps its own journal mode.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.engine import Engine

__all__ = ["SQLITE_CACHE_KIB", "set_up_sqlite"]

#: Pages kept by each connection, in KiB (a negative ``cache_size`` counts KiB).
SQLITE_CACHE_KIB: Final = 32 * 1024


@event.listens_for(Engine, "connect")
def set_up_sqlite(connection: Any, _record: Any) -> None:
    """Give a new SQLite connection the site's settings (see the module's text)."""
    if not isinstance(connection, sqlite3.Connection):
        return
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    finally:
        cursor.close()
