"""A real site for a real browser: the site set up as a maintainer does it (``flask``
commands on the Monaco extract), served by gunicorn with the project's own
``gunicorn.conf.py`` and ``wsgi.py``, and Debian's Chromium driven by Playwright.

The database is a SQLite file of the session's own, or, when DATABASE_URL names a
PostgreSQL server (CI's second pass), a database ``<name>_browser`` beside it. The
browser is ``chromium`` from the PATH (``apt-get install chromium``) or $CHROMIUM.
Without it the suite is skipped, saying so, unless CARPOOL_REQUIRE_BROWSER is set (CI
sets it: there the browser tests must run). Screenshots go to $CARPOOL_ARTIFACTS,
else ``var/browser`` in the checkout (ignored by git), one folder per test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, make_url, select, text

from carpool import ROOT, create_app
from carpool.extensions import db
from carpool.models import Booking, Trip, User

pytest.importorskip("playwright", reason="the browser tests need the test extras: pip install -e '.[test]'")

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    sync_playwright,
)

#: What Playwright asks of Debian's Chromium: no sandbox (CI runs as root), no GPU.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
#: A phone held upright (an ordinary Android phone's CSS pixels).
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Site:
    """The running site and what the tests look at behind it."""

    url: str
    database_url: str
    outbox: Path
    log: Path

    def into_the_past(self, booking_id: int, days: int) -> None:
        """Time passes: the booking's trip is moved ``days`` back, as if it had taken
        place (the pages read the real clock)."""
        with self._app().app_context():
            trip = db.session.get(Trip, db.session.get(Booking, booking_id).trip_id)  # type: ignore[union-attr]
            assert trip is not None
            trip.departure_at -= timedelta(days=days)
            db.session.commit()

    def member_id(self, display_name: str) -> int:
        with self._app().app_context():
            return int(db.session.scalars(select(User.id).where(User.display_name == display_name)).one())

    def _app(self) -> Flask:
        return create_app({"SQLALCHEMY_DATABASE_URI": self.database_url, "SECRET_KEY": "browser-tests"})


def _chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if path:
        return path
    reason = "Debian's chromium is not installed (apt-get install chromium)"
    if os.environ.get("CARPOOL_REQUIRE_BROWSER"):
        pytest.fail(f"{reason}, and CARPOOL_REQUIRE_BROWSER asks for the browser tests")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_url(folder: Path) -> str:
    """SQLite in ``folder``, or an empty PostgreSQL database beside DATABASE_URL's."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{folder / 'carpool.sqlite'}"
    own = make_url(url)
    name = f"{own.database}_browser"
    server = create_engine(own.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return own.set(database=name).render_as_string(hide_password=False)


def _flask(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "carpool", *args], cwd=ROOT, env=env, check=True)


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the site did not answer at {url}:\n{log.read_text()}")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, extracts: Path) -> Iterator[Site]:
    """The site, set up and served for the whole session."""
    _chromium()  # no browser: nothing to serve
    folder = tmp_path_factory.mktemp("site")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(folder),
        "ROAD_GRAPH": str(folder / "region.graph"),
        "MAIL_OUTBOX": str(folder / "outbox"),
        "SECRET_KEY": "browser-tests",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "CARPOOL_BIND": f"127.0.0.1:{port}",
        "CARPOOL_WORKERS": "2",
        "REDIS_URL": "",
        # Everyone in these tests registers from 127.0.0.1, faster than people do.
        "REGISTER_RATE_LIMIT": "100/minute",
    }
    # As docs/DEPLOY.md sets a site up.
    _flask(env, "translate", "compile")
    _flask(env, "db", "upgrade")
    _flask(env, "graph", "import", str(extracts / "monaco.osm.pbf"))
    _flask(env, "places", "load")
    log = folder / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(env["SITE_URL"] + "/", server, log)
        yield Site(env["SITE_URL"], env["DATABASE_URL"], Path(env["MAIL_OUTBOX"]), log)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """This test's folder of screenshots, emptied first."""
    root = Path(os.environ.get("CARPOOL_ARTIFACTS", ROOT / "var" / "browser"))
    folder = root / request.node.name.replace("/", "_")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


class Problems:
    """What the browser reported on the way: script errors, requests the content
    security policy blocked, and server errors. A page that works has none."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.contexts: list[BrowserContext] = []

    def watch(self, context: BrowserContext) -> None:
        self.contexts.append(context)
        context.on("weberror", lambda error: self.seen.append(f"script error: {error.error}"))
        context.on("console", self._console)
        context.on("response", self._response)

    def _response(self, response: Response) -> None:
        # A page that answers with an error, or anything the server failed to make.
        page = response.request.resource_type == "document"
        if response.status >= 500 or (page and response.status >= 400):
            self.seen.append(f"{response.status} {response.url}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":  # a blocked request is one (the policy says why)
            self.seen.append(f"console: {message.text} ({message.location.get('url')})")


@pytest.fixture
def problems() -> Iterator[Problems]:
    """What the test's browsers report; they are closed after it (a page left open
    would go on running its scripts through the rest of the suite)."""
    watched = Problems()
    yield watched
    for context in watched.contexts:
        context.close()


def new_context(browser: Browser, problems: Problems, **options: object) -> BrowserContext:
    """A browser of its own (cookies, storage), as a second person's would be."""
    context = browser.new_context(**options)  # type: ignore[arg-type]
    problems.watch(context)
    return context


def screenshot(page: Page, folder: Path, name: str) -> None:
    count = len(list(folder.glob("*.png")))
    page.screenshot(path=str(folder / f"{count + 1:02d}-{name}.png"), full_page=True)
