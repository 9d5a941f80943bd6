"""Text people type, made safe to store and show: no control characters (PostgreSQL
refuses NUL, and invisible characters can disguise a name)."""

from __future__ import annotations

import unicodedata

__all__ = ["clean_name", "clean_text", "is_visible"]


def clean_name(name: str) -> str:
    """A one-line name: no control characters, single spaces between words (a line
    break or a tab between two words is a space, not nothing).

    Examples
    --------
    >>> clean_name("  Camille\\x00  M. ")
    'Camille M.'
    >>> clean_name("Camille\\r\\nMartin")
    'Camille Martin'
    """
    visible = "".join(c for c in name if c.isspace() or not unicodedata.category(c).startswith("C"))
    return " ".join(visible.split())


def clean_text(text: str, *, limit: int) -> str:
    """Free text (a comment, a bio): lines kept, control characters dropped, at most
    ``limit`` characters, no blank space around.

    Examples
    --------
    >>> clean_text("Bonjour\\r\\n\\x00à tous ", limit=100)
    'Bonjour\\nà tous'
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = "\n".join(
        "".join(c for c in line if c == "\t" or not unicodedata.category(c).startswith("C")) for line in lines
    )
    return kept.strip()[:limit].strip()


def is_visible(text: str) -> bool:
    """Whether ``text`` holds no control, format, surrogate or unassigned character
    (none of which an e-mail address or a key may hold; PostgreSQL refuses NUL, and
    a lone surrogate cannot even be encoded).

    Examples
    --------
    >>> is_visible("camille@example.org"), is_visible("camille\\x00@example.org")
    (True, False)
    """
    return not any(unicodedata.category(c).startswith("C") for c in text)
