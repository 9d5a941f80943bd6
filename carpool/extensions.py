"""Flask extensions, created unbound and bound to the app in :func:`create_app`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Flask, current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from . import database  # noqa: F401  # SQLite connections set up as the site needs
from .paths import ROOT

if TYPE_CHECKING:
    from sqlalchemy.schema import SchemaItem


class Base(DeclarativeBase):
    """Declarative base: constraint names follow one convention so migrations can
    name (and later drop) every constraint on SQLite and PostgreSQL alike."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def in_this_database(
    item: SchemaItem, _name: str | None, _kind: str, _reflected: bool, _other: object
) -> bool:
    """Alembic's ``include_object``: whether the schema holds ``item`` on the site's
    database, so that migrations are compared with the models each on its own (an
    index made on PostgreSQL only, ``Index(...).ddl_if(dialect="postgresql")``, is not
    looked for on SQLite)."""
    wanted = getattr(item, "_ddl_if", None)  # what ddl_if() set: SQLAlchemy keeps it there
    dialect = getattr(wanted, "dialect", None)
    if dialect is None:
        return True
    name = db.engine.dialect.name
    return name == dialect if isinstance(dialect, str) else name in dialect


db = SQLAlchemy(model_class=Base)
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


def bind_migrations(app: Flask) -> None:
    """Flask-Migrate (``flask db``) on ``app``, imported here only: it brings alembic,
    11 MB of every process that loads it, and the web and RQ workers never migrate."""
    from flask_migrate import Migrate

    Migrate(app, db, directory=str(ROOT / "migrations"), include_object=in_this_database)


#: Peers whose X-Forwarded-For is believed: a proxy on this machine (nginx in front of
#: gunicorn, as docs/DEPLOY.md sets them up).
_LOCAL_PROXIES = frozenset({"127.0.0.1", "::1"})


def _client_address() -> str:
    """Who a request comes from, when a limit names no key of its own.

    Behind the site's own proxy every request comes from 127.0.0.1: the client is then
    the last address the proxy added to X-Forwarded-For (those before it are whatever
    the client sent, so never read). Without it, limits per client address would be
    one limit for everybody. A request from elsewhere is its own peer: a client that
    reaches gunicorn directly cannot choose its address with the header.
    """
    peer = request.remote_addr or "unknown"
    if peer not in _LOCAL_PROXIES:
        return peer
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
    return forwarded or peer


#: No default limits: each limit is declared where it applies (the partner API counts
#: per key). Storage and headers come from the configuration (RATELIMIT_*).
limiter = Limiter(key_func=_client_address)


def configured_rate(setting: str) -> Callable[[], str]:
    """A limit's rate as the setting ``setting`` gives it, read at each request (a
    test, or an administrator between restarts, may change it)."""
    return lambda: str(current_app.config[setting])


#: The scope of the messages' limit, which the pages and ``/api/v1`` share.
MESSAGES_SCOPE = "messages"


def member_bucket(member_id: int) -> str:
    """A member's key in the limits counted per member: the same for the pages (the
    signed-in member) and the API (the token's), so that they share a count."""
    return f"member:{member_id}"
