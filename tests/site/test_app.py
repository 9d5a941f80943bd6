"""The app factory, languages and error pages."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys

import pytest
from flask import Flask
from flask.testing import FlaskClient

from carpool import create_app
from carpool.paths import ROOT


def csrf_token(client: FlaskClient) -> str:
    page = client.get("/").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "every page carries a CSRF token for its forms"
    return found.group(1)


def test_config_defaults(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["DEFAULT_LOCALE"] == "fr"
    assert app.config["TIMEZONE"] == "Europe/Paris"
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert len(app.config["SECRET_KEY"]) >= 32
    # The generated key is kept: a restart does not log everybody out.
    assert create_app({"TESTING": True}).config["SECRET_KEY"] == app.config["SECRET_KEY"]
    assert not create_app().testing


def test_config_from_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DEFAULT_LOCALE", "en")
    monkeypatch.setenv("CONTRIBUTION_PER_KM", "0.08")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["DEFAULT_LOCALE"] == "en"
    assert app.config["CONTRIBUTION_PER_KM"] == 0.08


def test_home_is_in_french_by_default(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Le covoiturage sans commission" in page
    assert "participation aux frais directement au conducteur" in page
    assert "OpenStreetMap" in page


def test_browser_language_then_choice(client: FlaskClient) -> None:
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Carpooling without commission" in english
    # Unknown languages fall back to French.
    assert '<html lang="fr">' in client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    token = csrf_token(client)
    response = client.post("/language", data={"language": "en", "next": "/", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    # The choice wins over the browser's language.
    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_language_switch_refuses_bad_input(client: FlaskClient) -> None:
    token = csrf_token(client)
    bad = client.post("/language", data={"language": "xx", "csrf_token": token})
    assert bad.status_code == 400
    assert "La demande n’a pas pu être comprise" in bad.get_data(as_text=True)
    away = client.post("/language", data={"language": "fr", "next": "//evil.example/", "csrf_token": token})
    assert away.headers["Location"] == "/"
    assert client.post("/language", data={"language": "fr"}).status_code == 400  # no CSRF token


def test_error_pages_are_translated(client: FlaskClient) -> None:
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "Cette page n’existe pas, ou plus." in missing.get_data(as_text=True)
    english = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert "This page does not exist" in english.get_data(as_text=True)
    assert client.put("/").status_code == 405


def test_unexpected_errors_give_a_page_not_a_trace(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Un problème est survenu de notre côté" in page and "RuntimeError" not in page


def test_the_web_server_serves_without_the_migrations_library(app: Flask) -> None:
    """wsgi.py's app (what gunicorn's workers run) and the RQ workers' leave alembic
    out: 11 MB of every worker's memory that they never use. The command line keeps
    ``flask db``."""
    environment = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "ROAD_GRAPH": app.config["ROAD_GRAPH"],
        "SECRET_KEY": "test",
    }
    probe = (
        "import sys, wsgi, carpool.tasks\n"
        "worker = carpool.tasks._worker_app()\n"
        "print(sorted({'alembic', 'flask_migrate'} & set(sys.modules)),"
        " 'migrate' in wsgi.app.extensions, 'migrate' in worker.extensions)"
    )
    served = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    assert served.stdout.splitlines()[-1] == "[] False False"
    command = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "carpool", "db", "current"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert command.returncode == 0, command.stderr
    assert "(head)" in command.stdout


def test_gunicorn_runs_one_worker_a_core_unless_workers_wait_for_another_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("CARPOOL_WORKERS", "DATABASE_URL", "ROUTER_BACKEND", "OSRM_URL", "GEOCODER"):
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    per_core = conf["workers_per_core"]
    assert conf["workers"] == os.cpu_count()  # SQLite, the built-in router: the default
    # Everything on this machine: one a core.
    assert per_core({"DATABASE_URL": "sqlite:////srv/carpool/carpool.sqlite"}) == 1
    assert per_core({"DATABASE_URL": "postgresql+psycopg://carpool@127.0.0.1:5432/carpool"}) == 1
    assert per_core({"DATABASE_URL": "postgresql+psycopg:///carpool?host=/run/postgresql"}) == 1
    assert per_core({"ROUTER_BACKEND": "osrm"}) == 1  # osrm-routed at its default, here
    # A worker that waits for another machine: two a core.
    assert per_core({"DATABASE_URL": "postgresql+psycopg://carpool@db.example.org/carpool"}) == 2
    assert per_core({"ROUTER_BACKEND": "osrm", "OSRM_URL": "http://10.0.0.5:5001"}) == 2
    assert per_core({"OSRM_URL": "http://10.0.0.5:5001"}) == 1  # not asked: the built-in router
    assert per_core({"GEOCODER": "nominatim"}) == 2
    assert per_core({"GEOCODER": "off"}) == 1  # the site asks no geocoder then
    assert per_core({"DATABASE_URL": "postgresql+psycopg://carpool@127.0.0.2/carpool"}) == 1
    assert per_core({"DATABASE_URL": "postgresql+psycopg://carpool@[::1]:5432/carpool"}) == 1
    assert per_core({"DATABASE_URL": "postgresql+psycopg:///carpool?host=db.example.org"}) == 2
    assert per_core({"DATABASE_URL": "postgresql+psycopg:///carpool", "PGHOST": "db.example.org"}) == 2
    assert per_core({"DATABASE_URL": "postgresql+psycopg://u@[::1/carpool"}) == 2  # unreadable
    # A number of one's own is taken as it is, whatever the rest says.
    monkeypatch.setenv("CARPOOL_WORKERS", "3")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@[::1/carpool")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"] == 3
