"""Structure that assistive technologies rely on, checked on every kind of page: a
language, one main heading, a main landmark, a label for every field, unique ids,
errors tied to their fields. (Contrast and keyboard use are checked in a real
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
    assert sum('aria-invalid="true"' in page for page in rendered.values()) >= 3  # refusals were shown
