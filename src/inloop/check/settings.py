"""The rule codes, and the ``[check]`` table of ``inloop.toml``: validated, then typed.

``config.py`` keeps ``[check]`` as raw ``(key, value)`` pairs and calls
:func:`check_table_problems` to validate it; :func:`settings_of` turns the
validated pairs into :class:`CheckSettings`.  Nothing here imports the rest
of the package at module level.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

#: Every rule code, in the order ``--explain`` lists them.
CODES = (
    "no-cause",
    "no-estimate",
    "estimate-passed",
    "next-update-passed",
    "silence",
    "no-prevention",
    "prevention-overdue",
    "finger-pointing",
    "sales-pitch",
    "todo",
    "empty-update",
    "still-investigating",
    "short-estimate",
    "imported-defaults",
    "template-text",
)

#: The phrase lists a language may configure, and the rule each one feeds.
PHRASE_LISTS = {"finger_pointing": "finger-pointing", "sales_pitch": "sales-pitch"}

DEFAULT_MAX_SILENCE_MINUTES = 60
DEFAULT_PREVENTION_DAYS = 30
#: How long a template's text may stay as it was filled in before ``--strict`` fails.
DEFAULT_TEMPLATE_TEXT_MINUTES = 30


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """``[check]``, with its defaults filled in."""

    disable: frozenset[str] = frozenset()
    since: date | None = None
    max_silence_minutes: int = DEFAULT_MAX_SILENCE_MINUTES
    prevention_days: int = DEFAULT_PREVENTION_DAYS
    template_text_minutes: int = DEFAULT_TEMPLATE_TEXT_MINUTES
    #: language -> list name -> entries, as configured (replacing the built-in list)
    phrases: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)


def unknown_code_message(code: str, where: str) -> str:
    from inloop.read.config import did_you_mean

    return f"unknown rule '{code}' {where}: {did_you_mean(code, CODES)}"


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, datetime):
        return "a date and time"
    return {
        str: "a string",
        int: "a whole number",
        float: "a number",
        list: "a list",
        dict: "a table",
        date: "a date",
    }.get(type(value), type(value).__name__)


def phrase_entry_problem(entry: str) -> str | None:
    """What is wrong with one phrase-list entry, or ``None``."""
    if not entry.strip():
        return "an empty phrase"
    if len(entry) >= 2 and entry.startswith("/") and entry.endswith("/"):
        try:
            re.compile(entry[1:-1])
        except re.error as exc:
            return f"'{entry}' is not a valid regular expression: {exc}"
    return None


def check_table_problems(raw: dict[str, Any]) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Every problem of a ``[check]`` table: (message, key path under ``check``).

    Unknown keys are reported by ``config.py`` itself.
    """
    if "disable" in raw:
        codes = raw["disable"]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            yield f"'disable' must be a list of rule codes, found {_type_name(codes)}", ("disable",)
        else:
            for code in codes:
                if code not in CODES:
                    yield unknown_code_message(code, "in 'disable'"), ("disable",)
    if "since" in raw:
        since = raw["since"]
        if isinstance(since, datetime) or not isinstance(since, date):
            hint = " (without quotes)" if isinstance(since, str) else ""
            yield f"'since' must be a TOML date such as 2026-01-31{hint}, found {_type_name(since)}", ("since",)
    for key in ("max_silence_minutes", "prevention_days", "template_text_minutes"):
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, int):
                yield f"'{key}' must be a whole number, found {_type_name(value)}", (key,)
            elif value < 1:
                yield f"'{key}' must be at least 1, found {value}", (key,)
    if "phrases" in raw:
        yield from _phrases_problems(raw["phrases"])


def _phrases_problems(phrases: object) -> Iterator[tuple[str, tuple[str, ...]]]:
    from inloop.read.config import did_you_mean

    if not isinstance(phrases, dict):
        yield f"'phrases' must be a table of languages ([check.phrases.en]), found {_type_name(phrases)}", ("phrases",)
        return
    for language, lists in phrases.items():
        where = ("phrases", language)
        if not isinstance(lists, dict):
            yield f"'phrases.{language}' must be a table ([check.phrases.{language}]), found {_type_name(lists)}", where
            continue
        for name, entries in lists.items():
            if name not in PHRASE_LISTS:
                yield f"unknown phrase list '{name}': {did_you_mean(name, tuple(PHRASE_LISTS))}", (*where, name)
                continue
            if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
                yield (
                    f"'{name}' must be a list of phrases or /regular expressions/, found {_type_name(entries)}",
                    (*where, name),
                )
                continue
            for entry in entries:
                problem = phrase_entry_problem(entry)
                if problem is not None:
                    yield f"'{name}': {problem}", (*where, name)


def settings_of(pairs: tuple[tuple[str, object], ...]) -> CheckSettings:
    """:class:`CheckSettings` from ``SiteConfig.check`` (already validated)."""
    raw = dict(pairs)
    disable = raw.get("disable")
    since = raw.get("since")
    silence = raw.get("max_silence_minutes", DEFAULT_MAX_SILENCE_MINUTES)
    prevention = raw.get("prevention_days", DEFAULT_PREVENTION_DAYS)
    template_minutes = raw.get("template_text_minutes", DEFAULT_TEMPLATE_TEXT_MINUTES)
    phrases: dict[str, dict[str, tuple[str, ...]]] = {}
    raw_phrases = raw.get("phrases")
    if isinstance(raw_phrases, dict):
        for language, lists in raw_phrases.items():
            if isinstance(lists, dict):
                phrases[str(language)] = {
                    str(name): tuple(str(e) for e in entries)
                    for name, entries in lists.items()
                    if name in PHRASE_LISTS and isinstance(entries, list)
                }
    return CheckSettings(
        disable=frozenset(str(c) for c in disable) if isinstance(disable, list) else frozenset(),
        since=since if isinstance(since, date) and not isinstance(since, datetime) else None,
        max_silence_minutes=silence if isinstance(silence, int) else DEFAULT_MAX_SILENCE_MINUTES,
        prevention_days=prevention if isinstance(prevention, int) else DEFAULT_PREVENTION_DAYS,
        template_text_minutes=(
            template_minutes if isinstance(template_minutes, int) else DEFAULT_TEMPLATE_TEXT_MINUTES
        ),
        phrases=phrases,
    )
