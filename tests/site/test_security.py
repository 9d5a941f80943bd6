"""Secure by default: the headers every answer carries, pages that need nothing inline
(so that the policy can forbid it), session cookies, request sizes, and the CSRF token
that every state-changing form needs. Each refusal is checked in the database too."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, text

from carpool.extensions import db
from carpool.models import User
from carpool.security import content_security_policy
from tests.site.test_auth import PASSWORD, sign_in, token_of
from tests.site.test_french_pages import pages
from tests.site.test_pages import publish, signed_in  # noqa: F401  (fixture)

# The API's prefixes: their clients send a token or a partner key, never the session
# cookie, so they need no CSRF token (tests/site/test_api.py checks that a cookie alone
# does not authenticate there).
_TOKEN_PREFIXES = ("/api/",)


def database_snapshot(app: Flask) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order: equal snapshots, nothing changed."""
    with app.app_context():
        snapshot = {}
        for table in inspect(db.engine).get_table_names():
            rows = db.session.execute(text(f'SELECT * FROM "{table}"')).all()
            snapshot[table] = sorted((tuple(row) for row in rows), key=repr)
        db.session.rollback()
        return snapshot


@pytest.mark.parametrize(
    "path",
    ["/", "/search", "/account/login", "/trips/999", "/api/v1/openapi.json", "/static/css/site.css"],
)
def test_every_answer_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "img-src 'self' https://tile.openstreetmap.org" in policy  # the map's tiles, only
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers  # plain HTTP: nothing to pin


def test_the_policy_follows_the_configured_tile_server() -> None:
    policy = content_security_policy("https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    assert "img-src 'self' https://*.tiles.example.org;" in policy
    assert "openstreetmap" not in policy


class _Inline(HTMLParser):
    """What a policy without 'unsafe-inline' would block: scripts and styles written in
    the page, and event handlers in attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names and dict(attrs).get("type") != "application/json":
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag} {name}=" for name in names if name == "style" or name.startswith("on")]
        self.found += [
            f"{tag} {name}=javascript:" for name, value in attrs if (value or "").startswith("javascript:")
        ]


def test_no_page_needs_anything_inline(
    app: Flask,
    signed_in: FlaskClient,  # noqa: F811
) -> None:
    rendered = pages(signed_in)
    assert len(rendered) > 30
    for name, page in rendered.items():
        parser = _Inline()
        parser.feed(page)
        assert parser.found == [], name


def test_the_session_cookie_is_http_only_and_same_site(app: Flask, client: FlaskClient) -> None:
    client.application.test_cli_runner().invoke(
        args=["users", "create", "camille@example.org", "Camille", "--password", PASSWORD]
    )
    response = sign_in(client, "camille@example.org", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the demo on http://127.0.0.1:5000 must keep its session


def test_over_https_the_cookie_is_secure_and_the_site_pinned(app: Flask) -> None:
    app.test_cli_runner().invoke(
        args=["users", "create", "camille@example.org", "Camille", "--password", PASSWORD]
    )
    client = app.test_client()
    page = client.get("/account/login", base_url="https://carpool.example.org").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    response = client.post(
        "/account/login",
        base_url="https://carpool.example.org",
        data={"email": "camille@example.org", "password": PASSWORD, "csrf_token": token.group(1)},
        headers={"Referer": "https://carpool.example.org/account/login"},  # over HTTPS, Flask-WTF asks
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_request_too_large_is_refused_before_it_is_read(app: Flask, client: FlaskClient) -> None:
    before = database_snapshot(app)
    huge = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(
        "/account/register",
        data={"email": "alix@example.org", "display_name": huge, "password": PASSWORD, "csrf_token": "x"},
    )
    assert response.status_code == 413
    assert "Ce que vous avez envoyé est trop volumineux." in response.get_data(as_text=True)
    api = client.post("/api/v1/tokens", data=huge, content_type="application/json")
    assert api.status_code == 413
    assert api.headers["Content-Type"] == "application/problem+json"
    assert database_snapshot(app) == before


def _state_changing_paths(app: Flask) -> list[str]:
    """Every address of the site that takes a POST (or another method that changes
    something) from a browser, its variable parts filled in."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if not rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            continue
        path = rule.rule
        if path.startswith(_TOKEN_PREFIXES):
            continue
        for argument in rule.arguments:
            converter = rule._converters[argument]  # which kind of value the part takes
            choices = sorted(getattr(converter, "items", ()))  # <any(a, b):name>
            value = choices[0] if choices else "1" if converter.regex.startswith(r"\d") else "x"
            path = re.sub(rf"<(?:[^:<>]+:)?{argument}>", value, path)
        paths.add(path)
    return sorted(paths)


def test_every_state_changing_form_needs_its_csrf_token(
    app: Flask,
    signed_in: FlaskClient,  # noqa: F811
) -> None:
    publish(signed_in)  # something to change, were the token not checked
    paths = _state_changing_paths(app)
    assert "/account/login" in paths and "/trips/1/cancel" in paths and len(paths) > 30
    before = database_snapshot(app)
    for path in paths:
        response = signed_in.post(path, data={"reason": "x", "body": "x", "seats": "1", "rating": "5"})
        assert response.status_code == 400, path
    assert database_snapshot(app) == before
    # A wrong token is no better than none.
    response = signed_in.post("/trips/1/cancel", data={"reason": "x", "csrf_token": "forged"})
    assert response.status_code == 400
    assert database_snapshot(app) == before
    # And the member is still signed in, with a token that works.
    assert (
        signed_in.post("/trips/1/cancel", data={"csrf_token": token_of(signed_in, "/trips/1")}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.query(User).count() == 1


def test_user_text_in_mails_is_text_and_never_a_header(app: Flask, driver: int) -> None:
    """Mails are plain text: a name with markup reads as typed (no HTML to escape it
    for), and line breaks meant to add a header (Bcc) never reach one."""
    from carpool.services import accounts, bookings
    from carpool.services.trips import publish
    from tests.site.test_auth import outbox
    from tests.site.test_bookings import ask
    from tests.site.test_trips import draft

    with app.app_context():
        sam = accounts.register(
            accounts.Registration(
                email="sam@example.org",
                display_name="<b>Sam</b>\r\nBcc: victim@example.org",
                password=PASSWORD,
            )
        )
        bookings.request_booking(sam, ask(publish(driver, draft(comment="<script>x</script>"))))
    asked = outbox(app)[-1]
    assert asked["To"] == "driver@example.org" and asked["Bcc"] is None
    assert asked.get_content_type() == "text/plain" and not asked.is_multipart()
    assert "<b>Sam</b> Bcc: victim@example.org demande une place" in asked.get_content()
    assert all("\n" not in str(value) for value in asked.values())
