"""Slugs: the ASCII words of a text, lowercase, joined by hyphens (``Über uns`` → ``uber-uns``)."""

from __future__ import annotations

import re

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """Lowercase ``[a-z0-9]`` words joined by ``-``, none at either end; empty if the text has no such word.

    text-unidecode spells what is not ASCII in ASCII; its tables (3.6 MB in
    memory) are loaded only for a text that needs them.
    """
    if not text.isascii():
        from text_unidecode import unidecode

        text = unidecode(text)
    return _NOT_WORD.sub("-", text.lower()).strip("-")
