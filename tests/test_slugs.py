"""One slug for file names, imported ids and the API's group ids; the transliteration tables only when needed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from inloop.slugs import slug


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Database outage", "database-outage"),
        ("  API -- 5xx errors!  ", "api-5xx-errors"),
        ("Über uns", "uber-uns"),
        ("Störung im Rechenzentrum Köln", "storung-im-rechenzentrum-koln"),
        ("数据库", "shu-ju-ku"),
        ("!!!", ""),
        ("", ""),
    ],
)
def test_a_slug_is_lowercase_ascii_words_joined_by_hyphens(text: str, expected: str) -> None:
    assert slug(text) == expected


def test_ascii_text_needs_no_transliteration_tables() -> None:
    """A build of a site whose names are ASCII never loads text-unidecode's tables (3.6 MB in the parent)."""
    program = (
        "import sys; from inloop.slugs import slug; "
        "assert slug('Platform & Data') == 'platform-data'; print('text_unidecode' in sys.modules); "
        "slug('Köln'); print('text_unidecode' in sys.modules)"
    )
    found = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert found.stdout.split() == ["False", "True"]
