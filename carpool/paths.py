"""Where the project's files are: templates, translations and migrations live beside
the package, at the root of the checkout."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
