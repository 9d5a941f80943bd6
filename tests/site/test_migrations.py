"""Every migration upgrades and downgrades (on SQLite, and on PostgreSQL in CI)."""

from __future__ import annotations

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from carpool import ROOT
from carpool.extensions import db


def tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_downgrade_to_nothing_and_back(app: Flask) -> None:
    with app.app_context():
        assert tables() == set(db.metadata.tables)  # the migrations build the models' schema
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        assert tables() == set()
        upgrade(directory=str(ROOT / "migrations"))
        assert tables() == set(db.metadata.tables)


def test_models_need_no_migration_that_is_not_written(app: Flask) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), db.metadata) == []
