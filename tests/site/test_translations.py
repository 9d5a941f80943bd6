"""French and English are complete: every UI string is translated, none is fuzzy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from carpool import ROOT


@pytest.fixture(scope="module")
def ui_strings(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_ngettext:1,2",
            "--ignore-dirs=.venv build tests",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as source:
        return {m.id for m in read_po(source) if m.id}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_catalogue_is_complete(language: str, ui_strings: set[str]) -> None:
    path = Path(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po")
    with path.open("rb") as source:
        catalogue = read_po(source, locale=language)
    entries = {m.id: m for m in catalogue if m.id}
    assert ui_strings, "the extraction found the UI strings"
    missing = ui_strings - entries.keys()
    assert not missing, f"run 'flask translate update' and translate: {sorted(missing)}"
    untranslated = [
        m.id for m in entries.values() if not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    fuzzy = [m.id for m in entries.values() if m.fuzzy]
    assert not untranslated and not fuzzy


def test_french_is_not_english() -> None:
    path = ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        catalogue = read_po(source, locale="fr")
    same = [m.id for m in catalogue if m.id and m.string == m.id and not str(m.id).startswith("%(")]
    # Only strings that read the same in both languages may be identical.
    assert set(same) <= {"carpool", "Date"}
