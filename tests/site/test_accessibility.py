"""Structure that assistive technologies rely on, checked on every kind of page: a
language, one main heading, a main landmark, a label for every field, unique ids,
errors tied to their fields, charts named and described, tables with a caption and
headers that say what they head. (Contrast and keyboard use are checked in a real
browser; this runs without one.)"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient

from tests.site.test_french_pages import pages
from tests.site.test_pages import signed_in  # noqa: F401  (fixture)

_NOT_FIELDS = {"hidden", "submit", "button"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.labelled: set[str] = set()
        self.fields: list[dict[str, str | None]] = []
        self.tags: Counter[str] = Counter()
        self.html_lang: str | None = None
        self.described: list[str] = []
        self.charts: list[dict[str, str | None]] = []
        self.headers_without_scope = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags[tag] += 1
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "label" and a.get("for"):
            self.labelled.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and a.get("type") not in _NOT_FIELDS:
            self.fields.append(a)
        if a.get("aria-describedby"):
            self.described.append(str(a["aria-describedby"]))
        if tag == "svg":
            self.charts.append(a)
        if tag == "th" and a.get("scope") not in ("col", "row"):
            self.headers_without_scope += 1


def test_every_page_is_structured_for_assistive_technologies(
    app: Flask,
    signed_in: FlaskClient,  # noqa: F811
) -> None:
    rendered = pages(signed_in)
    for name, page in rendered.items():
        parsed = _Page()
        parsed.feed(page)
        assert parsed.html_lang in ("fr", "en"), name
        assert parsed.tags["h1"] == 1 and parsed.tags["main"] == 1, name
        duplicates = [i for i, n in Counter(parsed.ids).items() if n > 1]
        assert not duplicates, (name, duplicates)
        unlabelled = [
            f.get("name")
            for f in parsed.fields
            if f.get("id") not in parsed.labelled and not f.get("aria-label")
        ]
        assert not unlabelled, (name, unlabelled)
        assert set(parsed.described) <= set(parsed.ids), name  # every error it points to exists
        if 'aria-invalid="true"' in page:
            assert parsed.described, name
        for chart in parsed.charts:  # an image named by its <title>, described by its <desc>
            assert chart.get("role") == "img", name
            assert set(str(chart.get("aria-labelledby")).split()) <= set(parsed.ids), name
        assert parsed.tags["title"] == 1 + len(parsed.charts) == 1 + parsed.tags["desc"], name
        assert parsed.tags["caption"] == parsed.tags["table"] and not parsed.headers_without_scope, name
    assert sum('aria-invalid="true"' in page for page in rendered.values()) >= 3  # refusals were shown
    assert rendered["transparency"].count("<table") == 4  # the charts' tables were checked
    assert rendered["moderation dashboard"].count("<table") == 5
