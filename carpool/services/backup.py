"""Backups of the site's database, and putting one back (``flask backup``, ``flask
restore``), on SQLite as on PostgreSQL.

SQLite: the site's file is in WAL mode and written while the site runs. Copying the
file misses the transactions still in its ``-wal``, and copying both can catch a
transaction half-way. SQLite's online backup API (:meth:`sqlite3.Connection.backup`)
copies the database in one step, as one read transaction sees it: a consistent
copy, while the site's writers carry on (in WAL mode a reader never stops them). The
copy is switched to a rollback journal: one self-contained file, to keep or move.

Restoring replaces the site's file, and must leave the old database or the new one,
never half of each, whatever happens: the backup is copied beside the site's file,
synced, then renamed over it (a rename within a folder is atomic). The old file's
``-wal`` and ``-shm`` go first: SQLite would otherwise replay the old log onto the
restored file. The site must be stopped: a process that still had the old file open
would go on writing into it, lost. So the restore refuses while another connection
has the database open (leaving WAL mode needs the only connection), and holds the
file's exclusive lock while it renames.

PostgreSQL: ``pg_dump --format=custom``. Restoring replaces the whole ``public``
schema, not only the tables in the archive: a backup taken before a migration would
otherwise leave the tables and indexes that migration added, and the next ``flask db
upgrade`` would fail on them. ``psql`` runs, in one transaction, the schema dropped
and made again, then the SQL that ``pg_restore`` makes of the archive; the
transaction is committed only once pg_restore has read the whole archive, so a
failure anywhere leaves the database as it was. The tools read the database's libpq
address from DATABASE_URL, and its password from the environment, never from their
command line (which every user of the machine can read in the process list). The
site's role must own the database, as docs/DEPLOY.md makes it (see
:data:`_REPLACE_SCHEMA`).

What is restored is checked first, nothing being changed when it is refused: an
SQLite database, or a pg_dump archive, that holds the ``alembic_version`` table of
the site's migrations.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import URL, text

from ..extensions import db

__all__ = ["BackupError", "backup", "check", "describe", "libpq_address", "restore"]

#: Seconds a restore waits for another connection to let go of the SQLite file.
_BUSY_S = 2.0

#: The file names of backups: the database's kind, and the UTC time they were taken.
_SUFFIXES = {"sqlite": ".sqlite", "postgresql": ".dump"}


class BackupError(Exception):
    """A backup or a restore that cannot be made; nothing was changed."""


def describe() -> str:
    """The site's database, as a maintainer recognises it (no password)."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        return f"the SQLite database {url.database}"
    return f"the PostgreSQL database {url.render_as_string(hide_password=True)}"


def backup(destination: Path | None = None, *, now: datetime | None = None) -> Path:
    """Write a consistent copy of the site's database, while it runs; returns its path.

    ``destination`` is a file, or a folder to put a file named by the time in; by
    default, the instance folder's ``backups/``. The copy is written beside its
    place then renamed, so a backup that fails half-way never looks like a backup;
    it is readable by its owner only (it holds every member's personal data).

    Raises
    ------
    BackupError
        If the destination exists already (a backup is never overwritten), or the
        database cannot be read (pg_dump missing or failing, an in-memory SQLite).
    """
    kind = db.engine.url.get_backend_name()
    if kind not in _SUFFIXES:
        raise BackupError(f"backups of {kind} databases are not supported")
    target = _destination(destination, _SUFFIXES[kind], now or datetime.now(UTC))
    if target.exists():
        raise BackupError(f"{target} exists already: choose another name, or remove it first")
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    part = _part(target)
    part.unlink(missing_ok=True)  # what a backup that crashed left
    # Created here, empty, to give the file its mode before anything is written into it.
    os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        if kind == "sqlite":
            _backup_sqlite(_sqlite_file(), part)
        else:
            _backup_postgresql(part)
        _settle(part, target)
    finally:
        part.unlink(missing_ok=True)
    return target


def _destination(given: Path | None, suffix: str, now: datetime) -> Path:
    """The backup's path: as given, or a name with the UTC time in the folder given
    (by default the instance folder's ``backups/``), which sorts by date."""
    name = f"carpool-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}{suffix}"
    if given is None:
        return Path(current_app.instance_path) / "backups" / name
    return given / name if given.is_dir() else given


def _part(target: Path) -> Path:
    """Where a file is written before it is renamed to ``target``: beside it, on the
    same file system, for the rename to be atomic."""
    return target.with_name(target.name + ".part")


def _settle(part: Path, target: Path) -> None:
    """Rename a fully written file to its name, both on the disk: a crash leaves
    either no file or the whole one."""
    with part.open("rb") as written:
        os.fsync(written.fileno())
    os.replace(part, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself
    finally:
        os.close(folder)


def _sqlite_file() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("the database is in memory: there is no file to back up or to replace")
    return Path(database)


def _backup_sqlite(database: Path, part: Path) -> None:
    """Copy ``database`` into ``part`` with SQLite's online backup, in one step: one
    read transaction, so a consistent copy (copying in several steps would start
    again after every write of the site, and might never end)."""
    if not database.is_file():  # connecting would create an empty one
        raise BackupError(f"there is no database at {database}")
    with (
        closing(sqlite3.connect(database, timeout=_BUSY_S)) as source,
        closing(sqlite3.connect(part)) as copy,
    ):
        source.backup(copy)
        # The copy is a file of its own, without a -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")


def _backup_postgresql(part: Path) -> None:
    address, environment = libpq_address(db.engine.url)
    _run(_pg_tool("pg_dump"), "--format=custom", f"--file={part}", f"--dbname={address}", env=environment)


def libpq_address(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq connection URI of a SQLAlchemy URL (``postgresql+psycopg://`` is
    SQLAlchemy's alone), without its password; and the environment the PostgreSQL
    tools run in, with the password as ``PGPASSWORD`` when the URL has one."""
    address = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    ).render_as_string()  # no password to hide: it is not in it
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    return address, environment


def _pg_tool(name: str) -> str:
    """The path of a PostgreSQL client program, or a refusal that says what to install."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client programs of the server's "
            "version (Debian: apt-get install postgresql-client)"
        )
    return found


def _run(*command: str, env: dict[str, str]) -> str:
    """Run a PostgreSQL program; its output, or its own error message as a refusal."""
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    problem = _failure(command[0], done.returncode, done.stderr)
    if problem:
        raise BackupError(problem)
    return done.stdout


def check(source: Path) -> str:
    """Whether ``source`` is a backup of the site that can replace its database,
    without changing anything; returns its migrations' revision.

    Raises
    ------
    BackupError
        If it is not a carpool backup of the site's kind of database (SQLite, or
        a pg_dump archive), or it is damaged.
    """
    if db.engine.url.get_backend_name() == "sqlite":
        return _sqlite_revision(source)
    return _archive_revision(source)


def _not_a_backup(source: Path, why: str) -> BackupError:
    return BackupError(f"{source} is not a carpool backup: {why}")


def _sqlite_revision(source: Path) -> str:
    """The revision of an SQLite backup, read-only (a read-write connection would
    roll back a journal left beside the file, changing it)."""
    try:
        with closing(_read_only(source)) as backup:
            damage = backup.execute("PRAGMA quick_check").fetchone()[0]
            if damage != "ok":
                raise _not_a_backup(source, f"the database is damaged ({damage})")
            rows = backup.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as error:  # not a database, or no alembic_version
        raise _not_a_backup(source, f"SQLite says “{error}”") from error
    return _one_revision(source, [row[0] for row in rows])


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _one_revision(source: Path, revisions: list[str]) -> str:
    if len(revisions) != 1:
        raise _not_a_backup(source, f"it has {len(revisions)} migration revisions instead of one")
    return revisions[0]


def _archive_revision(source: Path) -> str:
    """The revision of a pg_dump archive, read from the archive itself."""
    pg_restore = _pg_tool("pg_restore")
    environment = dict(os.environ)
    try:
        contents = _run(pg_restore, "--list", str(source), env=environment)
    except BackupError as error:
        raise _not_a_backup(source, str(error)) from error
    if not re.search(r"^\d+; \d+ \d+ TABLE DATA \S+ alembic_version(?: |$)", contents, re.MULTILINE):
        raise _not_a_backup(source, "the archive has no alembic_version table")
    # The table's data, as the COPY statement pg_restore would run: one line per row.
    script = _run(
        pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(source), env=environment
    )
    rows = re.search(r"^COPY \S+ \(version_num\) FROM stdin;\n(.*?)^\\\.$", script, re.MULTILINE | re.DOTALL)
    return _one_revision(source, rows.group(1).splitlines() if rows else [])


def restore(source: Path) -> str:
    """Replace the site's database with the backup ``source``; returns the revision
    of the migrations the database is now at. Stop the site and its workers first.

    Raises
    ------
    BackupError
        If ``source`` is not a backup of the site (see :func:`check`), the SQLite
        database is in use, or pg_restore or psql fails; the database is left as it was.
    """
    check(source)
    # The site's own connections, this process's, would keep the old database busy.
    db.session.remove()
    db.engine.dispose()
    if db.engine.url.get_backend_name() == "sqlite":
        _restore_sqlite(source, _sqlite_file())
    else:
        _restore_postgresql(source)
    revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.remove()
    return str(revision)


def _restore_sqlite(source: Path, database: Path) -> None:
    part = _part(database)
    try:
        # Through SQLite, not as bytes: the copy is whole even if the backup has a log.
        with closing(_read_only(source)) as backup, closing(sqlite3.connect(part)) as copy:
            backup.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        if database.exists():
            shutil.copymode(database, part)
        with _held_alone(database):
            for stale in ("-wal", "-shm"):
                Path(f"{database}{stale}").unlink(missing_ok=True)
            _settle(part, database)
    finally:
        part.unlink(missing_ok=True)


@contextmanager
def _held_alone(database: Path) -> Iterator[None]:
    """The SQLite database locked for this connection alone, while the file is
    replaced; a refusal if any other connection has it open (the site running).

    Leaving WAL mode (which also writes the log into the file and removes it) needs
    the only connection to the database: SQLite's own way to tell that nobody else
    has it open. A file that is no database any more (what a restore may be for)
    cannot be locked: it is replaced as it is.
    """
    if not database.exists():
        yield
        return
    with closing(sqlite3.connect(database, timeout=_BUSY_S, isolation_level=None)) as alone:
        try:
            mode = alone.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            alone.execute("PRAGMA locking_mode=EXCLUSIVE")
            alone.execute("BEGIN EXCLUSIVE")
        except sqlite3.DatabaseError as error:
            if error.sqlite_errorcode in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
                mode = "damaged"
            elif error.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                mode = "busy"
            else:
                raise BackupError(f"{database} cannot be replaced: SQLite says “{error}”") from error
        if mode not in ("delete", "damaged"):
            raise BackupError(
                f"{database} is in use: stop the site, its workers and its timers first "
                "(systemctl stop carpool …), then restore"
            )
        yield


#: The start of a PostgreSQL restore, in its transaction: the ``public`` schema
#: dropped with everything in it, the tables and indexes of migrations newer than the
#: backup too, and made again as it was (its owner, its privileges, its comment), for
#: the site's role to keep creating tables in it. Dropping it needs its owner (on
#: PostgreSQL 15, ``pg_database_owner``: the owner of the database, as docs/DEPLOY.md
#: makes the site's role) or a superuser; anyone else is refused here, nothing changed.
_REPLACE_SCHEMA = """\
BEGIN;
SET client_min_messages = warning;
DO $replace$
DECLARE
    was pg_catalog.pg_namespace;
    remark text;
    privilege record;
BEGIN
    SELECT * INTO was FROM pg_catalog.pg_namespace WHERE nspname = 'public';
    remark := pg_catalog.obj_description(was.oid, 'pg_namespace');
    DROP SCHEMA IF EXISTS public CASCADE;
    EXECUTE format(
        'CREATE SCHEMA public AUTHORIZATION %s', coalesce(was.nspowner::regrole::text, 'CURRENT_USER')
    );
    EXECUTE format('COMMENT ON SCHEMA public IS %L', remark);
    FOR privilege IN SELECT * FROM pg_catalog.aclexplode(was.nspacl) LOOP
        EXECUTE format(
            'GRANT %s ON SCHEMA public TO %s%s',
            privilege.privilege_type,
            CASE WHEN privilege.grantee = 0 THEN 'PUBLIC' ELSE privilege.grantee::regrole::text END,
            CASE WHEN privilege.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END
        );
    END LOOP;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE EXCEPTION USING ERRCODE = SQLSTATE, MESSAGE = SQLERRM, HINT = 'A restore replaces the schema '
        'public: restore as the owner of the database (the site''s role) or as a superuser.';
END
$replace$;
"""


def _restore_postgresql(source: Path) -> None:
    """Replace the site's schema with the archive's, all or nothing.

    pg_restore's SQL goes straight into psql, after :data:`_REPLACE_SCHEMA`, and the
    ``COMMIT`` only once pg_restore has read the whole archive. psql stops at the
    first error (``ON_ERROR_STOP``), and an archive that fails half-way ends psql's
    input without a commit: either way the server rolls the transaction back. (psql's
    ``--single-transaction`` would commit whatever it had read when its input ended.)
    Both run as the site's role, the one DATABASE_URL names: the tables are its own.
    """
    address, environment = libpq_address(db.engine.url)
    pg_restore, psql = _pg_tool("pg_restore"), _pg_tool("psql")
    read_end, write_end = os.pipe()
    with (
        tempfile.TemporaryFile() as psql_errors,
        open(read_end, "rb", buffering=0) as psql_input,
        open(write_end, "wb", buffering=0) as script,
    ):
        applying = subprocess.Popen(
            [psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--file=-", f"--dbname={address}"],
            stdin=psql_input,
            stdout=subprocess.DEVNULL,
            stderr=psql_errors,  # a file: psql never waits for its errors to be read
            env=environment,
        )
        psql_input.close()  # psql's copy only: once psql stops, writing to it fails at once
        reading = _feed_psql(script, pg_restore, source, environment)
        script.close()  # the end of psql's input: committed, or rolled back
        applying.wait()
        psql_errors.seek(0)
        failures = [
            # pg_restore first: when psql failed too, it was on the SQL pg_restore cut
            # short. Killed by SIGPIPE, pg_restore only wrote after psql had stopped.
            _failure(pg_restore, reading.returncode, reading.stderr)
            if reading and reading.returncode != -signal.SIGPIPE
            else None,
            _failure(psql, applying.returncode, psql_errors.read().decode(errors="replace")),
        ]
    problem = "; ".join(failure for failure in failures if failure)
    if problem:
        raise BackupError(f"{source} could not be restored, the database is as it was: {problem}")


def _feed_psql(
    script: io.FileIO, pg_restore: str, source: Path, environment: dict[str, str]
) -> subprocess.CompletedProcess[str] | None:
    """Write into ``script`` (psql's input) the schema's replacement, the archive's
    SQL, and the ``COMMIT`` if pg_restore succeeded; pg_restore's run, or None if
    psql stopped before it began (psql's own error then says why)."""
    if not _write(script, _REPLACE_SCHEMA.encode()):
        return None
    reading = subprocess.run(
        [pg_restore, "--no-owner", "--file=-", str(source)],
        stdout=script,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        check=False,
    )
    if reading.returncode == 0:
        _write(script, b"COMMIT;\n")
    return reading


def _write(script: io.FileIO, sql: bytes) -> bool:
    """Write ``sql`` whole into psql's input; False if psql has stopped reading."""
    try:
        while sql:
            sql = sql[script.write(sql) :]
    except BrokenPipeError:
        return False
    return True


def _failure(command: str, returncode: int, errors: str) -> str | None:
    """What a PostgreSQL program that failed said, as :func:`_run` puts it; None if
    it succeeded."""
    if returncode == 0:
        return None
    return f"{Path(command).name} failed: {errors.strip() or f'exit status {returncode}'}"
