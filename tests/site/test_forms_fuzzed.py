"""Every form of the site, filled by hypothesis with what people (and robots) type:
text of any length and script, control characters, numbers out of range, dates that
do not exist, choices that are not offered, fields left out, markup. No answer is a
server error, nothing typed comes back as markup, and a form refused says why on the
page.

The forms are found the way a browser finds them: by following the site's links from
its home page, as a moderator (who sees every page) with a trip, a booking after its
trip, reports and alerts on the site; then each form is sent with its CSRF token.
"""

from __future__ import annotations

import html
import os
import re
import string
from dataclasses import dataclass
from datetime import date, time
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.site.test_auth import sign_in
from tests.site.test_french_pages import pages
from tests.site.test_pages import PASSWORD, members_created, publish, signed_in  # noqa: F401  (fixture)
from tests.site.test_trips import TOMORROW

#: Examples per form: enough to reach each kind of refusal, few enough for CI; more
#: with CARPOOL_FUZZ_EXAMPLES=1000 (and CARPOOL_FUZZ_ONLY=/alerts for one address).
EXAMPLES = int(os.environ.get("CARPOOL_FUZZ_EXAMPLES", 12))
#: Forms that end the session being tested (signing out, deleting the account).
_LEAVING = ("/account/logout", "/account/delete")
#: Where the crawl does not go: files to download, and what is not the site's.
_NOT_PAGES = (".csv", ".json", ".geojson", "/static/", "/leaflet/", "/api/")
_ANSWERS = {200, 302, 303, 400, 403, 404, 409, 413}


@dataclass
class Field:
    name: str
    kind: str  # the input's type, or "select" / "textarea"
    value: str = ""
    options: tuple[str, ...] = ()


@dataclass
class Form:
    page: str
    action: str
    method: str
    fields: dict[str, Field]


class _Forms(HTMLParser):
    """The forms of a page, with their fields, and the page's links."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._select: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            self.forms.append(Form(self.page, action, a.get("method", "get").lower(), {}))
        elif not self.forms or "name" not in a:
            return
        elif tag == "input":
            kind = a.get("type", "text")
            fields = self.forms[-1].fields
            if kind in ("radio", "checkbox") and a["name"] in fields:
                fields[a["name"]].options += (a.get("value", "y"),)
            elif kind not in ("submit", "button"):
                options = (a.get("value", "y"),) if kind in ("radio", "checkbox") else ()
                fields[a["name"]] = Field(a["name"], kind, a.get("value", ""), options)
        elif tag in ("select", "textarea"):
            self.forms[-1].fields[a["name"]] = Field(a["name"], tag)
            self._select = self.forms[-1].fields[a["name"]] if tag == "select" else None
        if tag == "option" and self._select is not None:
            self._select.options += (a.get("value", ""),)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _crawl(client: FlaskClient, starts: list[str], limit: int = 150) -> list[Form]:
    """The forms of every page reachable from ``starts``, one page per address (its
    query aside), so that a trip's hundred results are not a hundred pages."""
    seen: set[str] = set()
    queue, forms = list(starts), []
    while queue and len(seen) < limit:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or parts.path in seen:
            continue
        if any(marker in parts.path for marker in _NOT_PAGES):
            continue
        seen.add(parts.path)
        response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
        if response.status_code != 200 or not response.content_type.startswith("text/html"):
            continue
        parser = _Forms("http://localhost" + parts.path + (f"?{parts.query}" if parts.query else ""))
        parser.feed(response.get_data(as_text=True))
        forms += parser.forms
        queue += parser.links
    return [f for f in forms if not urlsplit(f.action).path.endswith(_LEAVING)]


def _kind(app: Flask, form: Form) -> tuple[str, str, tuple[str, ...]]:
    """Which view a form goes to, and with which fields: one form of each kind is
    enough (every member's page has its own report form, all alike)."""
    endpoint, _ = app.url_map.bind("localhost").match(urlsplit(form.action).path, form.method.upper())
    return str(endpoint), form.method, tuple(sorted(form.fields))


def _requested_a_seat(client: FlaskClient, results: str) -> None:
    """The passenger asks for a seat as a browser would (the first result, its form),
    and writes to the driver about it."""
    found = re.search(r'href="(/trips/\d+\?[^"]+)"', client.get(results).get_data(as_text=True))
    assert found
    trip = html.unescape(found.group(1))
    page = _Forms("http://localhost" + trip)
    page.feed(client.get(trip).get_data(as_text=True))
    book = next(f for f in page.forms if f.action.endswith("/book"))
    booking = client.post(urlsplit(book.action).path, data=_defaults(book)).headers["Location"]
    page = _Forms("http://localhost" + booking)
    page.feed(client.get(booking).get_data(as_text=True))
    write = next(f for f in page.forms if f.action.endswith("/messages"))
    assert client.post(urlsplit(write.action).path, data=_defaults(write, body="Bonjour")).status_code == 302


def _defaults(form: Form, **values: str) -> dict[str, str]:
    """What a person sends who fills in only ``values``."""
    sent = {
        name: field.value or (field.options[0] if field.options else "1")
        for name, field in form.fields.items()
    }
    return sent | values


#: Text a member may type; no page may ever send it back as markup.
_SCRIPT = "<script>alert(1)</script>"
_NASTY = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "99999999999999999999",
        "1e400",
        "NaN",
        _SCRIPT,
        "' OR 1=1 --",
        "\x00",
        "a\x1b[31mb",
        "\u202eevil",
        "Saint-Jean-Cap-Ferrat",
        "x" * 100_000,
    ]
)
_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | _NASTY


def _value(field: Field) -> st.SearchStrategy[str | None]:
    """What a field may be sent with: its own kinds of values and anything else, or
    nothing at all."""
    if field.name == "csrf_token" or field.name.endswith("-csrf_token"):
        return st.just(field.value)
    own: st.SearchStrategy[str]
    if field.options:
        own = st.sampled_from(field.options)
    elif field.kind == "number":
        own = st.integers(-(10**12), 10**12).map(str)
    elif field.kind == "date":
        own = st.dates(date(1900, 1, 1), date(2200, 1, 1)).map(date.isoformat)
    elif field.kind == "time":
        own = st.times().map(time.isoformat) | st.sampled_from(["24:00", "7h", "08:60"])
    elif field.kind == "email":
        own = st.emails()
    elif field.kind == "hidden":
        own = st.just(field.value) | st.text(string.printable, max_size=40)
    else:
        own = _TEXT
    return st.one_of(own, own, _TEXT, st.none())


def _sent(form: Form) -> st.SearchStrategy[dict[str, str]]:
    values = st.fixed_dictionaries({name: _value(field) for name, field in form.fields.items()})
    return values.map(lambda chosen: {k: v for k, v in chosen.items() if v is not None})


#: Pages a POST answers in place when it succeeds, because what they show must not be
#: in an address or the session (a new token's or partner key's secret, shown once).
_MADE_IN_PLACE = ('id="new-token"', 'id="partner-secret"')


def _answered(page: str) -> bool:
    """Whether a form sent back says why it was refused (or is the page of a success
    that is shown in place)."""
    said = ('class="error"', 'role="alert"', 'aria-invalid="true"', *_MADE_IN_PLACE)
    return any(marker in page for marker in said)


def test_no_form_answers_a_server_error_and_refusals_say_why(
    app: Flask,
    signed_in: FlaskClient,  # noqa: F811
    runner: FlaskCliRunner,
) -> None:
    # Each form is sent far more often than a person would: the rate limits (tested on
    # their own) would answer most of the examples with a 429.
    app.config.update({key: "100000/minute" for key in app.config if key.endswith("RATE_LIMIT")})
    # A moderator who drives, with what the pages need: a trip, a booking after its
    # trip, reports, alerts, partner keys (then signed out) ...
    pages(signed_in)
    driver = signed_in
    assert sign_in(driver, "camille@example.org", PASSWORD).status_code == 302
    # ... a new trip, with a passenger asking for a seat on it ...
    publish(driver, **{"stopovers-0": "Monaco"})
    members_created(runner, "Dominique")
    passenger = app.test_client()
    assert sign_in(passenger, "dominique@example.org", PASSWORD).status_code == 302
    results = f"/search?origin=Cap-d'Ail&destination=Monaco&day={TOMORROW.date()}"
    _requested_a_seat(passenger, results)
    # ... and someone without an account.
    visitor = app.test_client()
    crawls = [
        (driver, ["/", "/my/trips", "/inbox", "/alerts", "/account/profile", "/moderation"]),
        (passenger, [results, "/my/trips", "/inbox", "/alerts", "/requests"]),
        (visitor, ["/", "/account/login", "/account/register", "/account/reset", results]),
    ]
    forms = {
        (_kind(app, f), id(client)): (client, f) for client, starts in crawls for f in _crawl(client, starts)
    }
    endpoints = {kind[0] for kind, _ in forms}
    assert {
        "bookings.accept",
        "bookings.book",
        "conversations.show",
        "auth.register",
        "search.results",
    } <= endpoints
    assert len(endpoints) >= 30
    only = os.environ.get("CARPOOL_FUZZ_ONLY")
    for client, form in forms.values():
        if only is None or urlsplit(form.action).path == only:
            _fuzz(client, form)


def _fuzz(client: FlaskClient, form: Form) -> None:
    path = urlsplit(form.action).path

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(sent=_sent(form))
    def one(sent: dict[str, str]) -> None:
        if form.method == "post":
            response = client.post(path, data=sent)
        else:
            response = client.get(path, query_string=sent)
        page = response.get_data(as_text=True)
        said = f"{form.method.upper()} {path} {sent!r} -> {response.status_code}"
        assert response.status_code in _ANSWERS, said
        assert _SCRIPT not in page, said  # escaped, always
        if form.method == "post" and response.status_code == 200:
            assert _answered(page), said

    one()


@settings(max_examples=EXAMPLES * 5, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(typed=_TEXT)
def test_place_suggestions_answer_a_list_whatever_is_typed(app: Flask, typed: str) -> None:
    """The one address a page calls that is no form: the suggestions while typing."""
    response = app.test_client().get("/places/suggest", query_string={"q": typed})
    assert response.status_code == 200 and isinstance(response.get_json(), list)
