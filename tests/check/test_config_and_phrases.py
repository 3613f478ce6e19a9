"""The ``[check]`` table: its errors with lines, phrase lists per language, phrases and regular expressions."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from check_texts import SITE_CONFIG, Checked

from inloop.check.phrases import BUILTIN, compile_entry, phrase_list

Site = Callable[..., Path]
Lint = Callable[..., Checked]

PATH = "content/incidents/2026-11-26-api-errors.md"

TEXT = """\
---
title: Elevated error rates on the API
impact: major
components:
  api: partial_outage
cause: A partner's network failed; we blame Contoso for it.
estimate: 2026-11-26 13:30 UTC
next_update: 2026-11-26 12:30 UTC
---
## 2026-11-26 11:40 UTC — Identified
Our provider's network failed. Upgrade your plan for a second region.
"""


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('disable = ["no-cuase"]', "inloop.toml:18: unknown rule 'no-cuase' in 'disable': did you mean 'no-cause'?"),
        ('disable = "todo"', "inloop.toml:18: 'disable' must be a list of rule codes, found a string"),
        (
            'since = "2026-01-01"',
            "inloop.toml:18: 'since' must be a TOML date such as 2026-01-31 (without quotes), found a string",
        ),
        (
            "since = 2026-01-01T10:00:00Z",
            "inloop.toml:18: 'since' must be a TOML date such as 2026-01-31, found a date and time",
        ),
        ("max_silence_minutes = 0", "inloop.toml:18: 'max_silence_minutes' must be at least 1, found 0"),
        ("prevention_days = 1.5", "inloop.toml:18: 'prevention_days' must be a whole number, found a number"),
        (
            "max_silense_minutes = 5",
            "inloop.toml:18: unknown key 'max_silense_minutes': did you mean 'max_silence_minutes'?",
        ),
        (
            "[check.phrases.en]\nfinger_poynting = []",
            "inloop.toml:19: unknown phrase list 'finger_poynting': did you mean 'finger_pointing'?",
        ),
        (
            "[check.phrases.en]\nsales_pitch = ['/upgrade (/']",
            "inloop.toml:19: 'sales_pitch': '/upgrade (/' is not a valid regular expression: "
            "missing ), unterminated subpattern at position 8",
        ),
        (
            "[check.phrases.en]\nsales_pitch = 'discount'",
            "inloop.toml:19: 'sales_pitch' must be a list of phrases or /regular expressions/, found a string",
        ),
    ],
)
def test_check_table_errors(site: Site, lint: Lint, extra: str, expected: str) -> None:
    site(incidents={"2026-11-26-api-errors": TEXT}, config_extra=f"\n[check]\n{extra}\n")
    result = lint()
    assert result.exit_code == 1
    assert result.lines == []
    assert result.errors[0] == expected


def test_configured_list_replaces_the_built_in_one(site: Site, lint: Lint) -> None:
    extra = """
[check.phrases.en]
finger_pointing = ["a partner's", "/\\\\bblame[sd]? \\\\w+/"]
"""
    site(incidents={"2026-11-26-api-errors": TEXT}, config_extra=extra)
    assert lint().lines == [
        f"{PATH}:6: finger-pointing 'A partner's' blames someone else: say what you are doing about it instead",
        f"{PATH}:11: sales-pitch 'Upgrade your plan' is a sales pitch: leave it out of incident updates",
    ]


def test_an_empty_list_switches_the_phrases_off(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": TEXT}, config_extra="\n[check.phrases.en]\nsales_pitch = []\n")
    assert [line.split(" '")[0] for line in lint().lines] == [f"{PATH}:11: finger-pointing"]


def _language(code: str) -> str:
    return SITE_CONFIG.replace('timezone = "UTC"', f'timezone = "UTC"\nlanguage = "{code}"')


def test_a_language_with_no_list_skips_the_rule_with_a_note(site: Site, lint: Lint) -> None:
    extra = '\n[check.phrases.de]\nsales_pitch = ["Upgrade your plan", "Sonderangebot"]\n'
    site(incidents={"2026-11-26-api-errors": TEXT}, config=_language("de-AT"), config_extra=extra)
    result = lint()
    assert result.lines == [
        f"{PATH}:11: sales-pitch 'Upgrade your plan' is a sales pitch: leave it out of incident updates"
    ]
    assert (
        "note: finger-pointing is skipped: there is no 'finger_pointing' phrase list for language 'de-AT' "
        "(add finger_pointing = [...] under [check.phrases.de-AT] in inloop.toml)"
    ) in result.errors


def test_no_note_for_a_disabled_rule(site: Site, lint: Lint) -> None:
    site(incidents={}, config=_language("fr"), config_extra='\n[check]\ndisable = ["finger-pointing"]\n')
    result = lint()
    assert result.exit_code == 0
    assert result.errors == [
        "note: sales-pitch is skipped: there is no 'sales_pitch' phrase list for language 'fr' "
        "(add sales_pitch = [...] under [check.phrases.fr] in inloop.toml)",
        "checked 0 incidents and 0 maintenance windows: no problems",
    ]


@pytest.mark.parametrize(
    ("entry", "text", "found"),
    [
        ("our provider", "due to our provider's outage", "our provider"),
        ("our provider", "Our\n   provider failed", "Our\n   provider"),
        ("third party", "a third-party library", None),
        ("third-party", "a third-party library", "third-party"),
        ("upgrade to our", "We will upgrade to our new database servers", "upgrade to our"),
        ("premium plan", "our premium planning", None),
        ("not our fault", "It\u2019s not our fault", "not our fault"),
        ("customer's fault", "the customer\u2019s fault", "customer\u2019s fault"),
        ("/due to \\w+'s/", "Due to Contoso's outage", "Due to Contoso's"),
    ],
)
def test_phrase_entries(entry: str, text: str, found: str | None) -> None:
    match = compile_entry(entry).search(text)
    assert (match.group() if match else None) == found


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("We are upgrading the database.", False),
        ("a database upgrade", False),
        ("We will upgrade to PostgreSQL 17.", False),
        ("Upgrade to Premium to get a second region.", True),
        ("Upgrade to our Business plan.", True),
        ("Check out our new status emails.", True),
        ("As a thank-you, 20% off your next invoice.", True),
        ("We discounted this month's invoice.", True),
        ("This was not a special case.", False),
    ],
)
def test_built_in_sales_phrases(text: str, flagged: bool) -> None:
    patterns = [compile_entry(e) for e in BUILTIN["en"]["sales_pitch"]]
    assert any(p.search(text) for p in patterns) == flagged


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("The outage was due to AWS's networking problems.", True),
        ("This happened due to Amazon Web Services' maintenance.", True),
        ("due to the database's full disk", False),
        ("Due to our own configuration change.", False),
        ("Our cloud provider had an outage.", True),
        ("The cause was beyond our control.", True),
        ("A third party library failed.", True),
    ],
)
def test_built_in_blame_phrases(text: str, flagged: bool) -> None:
    patterns = [compile_entry(e) for e in BUILTIN["en"]["finger_pointing"]]
    assert any(p.search(text) for p in patterns) == flagged


def test_required_built_in_phrases_are_there() -> None:
    english = BUILTIN["en"]
    for phrase in ("our provider", "our cloud provider", "third-party", "third party", "not our fault"):
        assert phrase in english["finger_pointing"]
    for phrase in ("upgrade your plan", "upgrade to our", "premium plan", "special offer", "check out our"):
        assert phrase in english["sales_pitch"]
    assert any(p.search("discount") for p in (compile_entry(e) for e in english["sales_pitch"]))
    assert any(re.search("due to", e) for e in english["finger_pointing"])


def test_language_fallback() -> None:
    found = phrase_list("sales_pitch", "en-GB", {})
    assert found is not None and found.language == "en" and not found.configured
    assert phrase_list("sales_pitch", "ja", {}) is None
    configured = phrase_list("sales_pitch", "pt-BR", {"pt": {"sales_pitch": ("oferta especial",)}})
    assert configured is not None and configured.entries == ("oferta especial",) and configured.configured
