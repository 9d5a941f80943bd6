"""How every connection to a SQLite database is set up (PostgreSQL needs nothing).

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
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

__all__ = ["set_up_sqlite"]


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
