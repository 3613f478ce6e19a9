"""Message catalogs of the built-in theme, found by the site's ``language``."""

from __future__ import annotations

from functools import lru_cache
from gettext import NullTranslations
from pathlib import Path

from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "inloop"


@lru_cache(maxsize=16)
def translations(language: str) -> NullTranslations:
    """The catalog for ``language`` (``pt-BR`` tries ``pt_BR``, then ``pt``), else English."""
    tag = language.replace("-", "_")
    candidates = [tag, tag.split("_")[0]]
    found = Translations.load(str(LOCALE_DIR), candidates, DOMAIN)
    return found
