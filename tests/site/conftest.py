"""Fixtures for the site, in the flaskr style: ``app``, ``client``, ``runner``.

The database is SQLite in a temporary folder, or the one DATABASE_URL names (CI runs
the suite a second time on PostgreSQL). Its schema is made by the migrations, so they
are tested too: once for the whole session (running them costs a second, and the
site's tests are many), then every test starts from it empty. On SQLite each test
copies the migrated file; on PostgreSQL each test empties the tables first (and
makes the schema again if a test of the migrations left it at another revision).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from carpool import ROOT, create_app
from carpool.extensions import db
from routing import RoadGraph, precompute_spaces, spaces_path


@pytest.fixture(scope="session")
def translations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalogues compiled from the .po files as they are now (never a stale .mo)."""
    target = tmp_path_factory.mktemp("translations")
    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        language = po.parent.parent.name
        out = target / language / "LC_MESSAGES"
        out.mkdir(parents=True)
        with po.open("rb") as source:
            catalog = read_po(source, locale=language)
        with (out / "messages.mo").open("wb") as mo:
            write_mo(mo, catalog)
    return target


@pytest.fixture(scope="session")
def road_graph_file(monaco: RoadGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("graph") / "monaco.graph"
    monaco.save(path)
    precompute_spaces(monaco).save(spaces_path(path))  # as 'flask graph import' does
    return path


@dataclass(frozen=True)
class MigratedDatabase:
    """The database the migrations made once for the session (see the module's text)."""

    #: DATABASE_URL, or None for SQLite files copied from ``template``.
    url: str | None
    template: Path
    revision: str

    def for_test(self, instance: Path) -> str:
        """The URL of an empty database at the head revision, for one test."""
        if self.url is None:
            copy = instance / "test.sqlite"
            shutil.copy(self.template, copy)
            return f"sqlite:///{copy}"
        return self.url

    def empty(self) -> None:
        """On PostgreSQL, in the test's app context: what an earlier test left, gone."""
        if self.url is None:
            return
        revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        if revision != self.revision:  # a migration test that failed half-way
            db.session.rollback()
            _drop_everything()
            upgrade()
            return
        names = inspect(db.engine).get_table_names()
        tables = ", ".join(f'"{name}"' for name in names if name != "alembic_version")
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()


@pytest.fixture(scope="session")
def migrated_database(
    tmp_path_factory: pytest.TempPathFactory, translations: Path, road_graph_file: Path
) -> Iterator[MigratedDatabase]:
    """The migrations run once, from nothing, on a SQLite file or on DATABASE_URL."""
    url = os.environ.get("DATABASE_URL")
    template = tmp_path_factory.mktemp("schema") / "migrated.sqlite"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{template}",
            "ROAD_GRAPH": str(road_graph_file),
            "BABEL_TRANSLATION_DIRECTORIES": str(translations),
        }
    )
    with app.app_context():
        _drop_everything()
        upgrade()
        revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.remove()
        db.engine.dispose()  # SQLite: the write-ahead log checkpointed into the file
    assert isinstance(revision, str)
    yield MigratedDatabase(url=url, template=template, revision=revision)
    if url is not None:
        with app.app_context():
            _drop_everything()
            db.engine.dispose()


@pytest.fixture
def app(
    tmp_path: Path, translations: Path, road_graph_file: Path, migrated_database: MigratedDatabase
) -> Iterator[Flask]:
    instance = tmp_path / "instance"
    instance.mkdir()
    graph = instance / "region.graph"
    shutil.copy(road_graph_file, graph)
    shutil.copytree(spaces_path(road_graph_file), spaces_path(graph))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": migrated_database.for_test(instance),
            "ROAD_GRAPH": str(graph),
            "MAIL_OUTBOX": str(instance / "outbox"),
            "BABEL_TRANSLATION_DIRECTORIES": str(translations),
        }
    )
    with app.app_context():
        migrated_database.empty()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _drop_everything() -> None:
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def _account(app: Flask, email: str, name: str) -> int:
    """An account made directly (accounts come with their own service); its id."""
    from carpool.models import User

    with app.app_context():
        user = User(email=email, display_name=name, password_hash="-", language="fr")
        db.session.add(user)
        db.session.commit()
        return user.id


@pytest.fixture
def driver(app: Flask) -> int:
    """A driver's account."""
    return _account(app, "driver@example.org", "Camille")


@pytest.fixture
def passenger(app: Flask) -> int:
    """A passenger's account."""
    return _account(app, "dominique@example.org", "Dominique")
