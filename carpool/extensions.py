"""Flask extensions, created unbound and bound to the app in :func:`create_app`."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from . import database  # noqa: F401  # SQLite connections set up as the site needs


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


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


def _client_address() -> str:
    """Who a request comes from, when a limit names no key of its own."""
    return request.remote_addr or "unknown"


#: No default limits: each limit is declared where it applies (the partner API counts
#: per key). Storage and headers come from the configuration (RATELIMIT_*).
limiter = Limiter(key_func=_client_address)
