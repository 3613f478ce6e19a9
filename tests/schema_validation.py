"""Validate inloop's output against the JSON Schemas in tests/schemas/.

    from schema_validation import assert_valid, load_validator

    load_validator("jsonfeed-1.1").validate(feed)        # raises ValidationError
    assert_valid("statuspage/summary", summary)           # lists every error at once

A name is a schema's path under tests/schemas/ without ``.schema.json``. Schemas refer
to each other (statuspage/defs) through a ``referencing`` registry that holds every
schema in that folder and nothing else: a reference to anything outside raises instead
of fetching from the network.

Formats are enforced. jsonschema's own ``uri`` check silently passes everything unless
rfc3987 or rfc3986-validator is installed, and its ``date-time`` check needs
rfc3339-validator; neither is a declared test dependency, so this module registers
standard-library checks for both, and they behave the same on every machine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.protocols import Validator
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SUFFIX = ".schema.json"

# RFC 3339, section 5.6: full-date "T" full-time; "T" and "Z" case-insensitive.
_RFC3339 = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})[Tt]"
    r"(?P<h>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<s>[0-9]{2})(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-](?P<oh>[0-9]{2}):(?P<om>[0-9]{2}))"
)
_FULL_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")

# RFC 3986, section 3: scheme ":" hier-part [ "?" query ] [ "#" fragment ], where every
# character is unreserved, a sub-delim, ":", "@", "/", "?" or a percent-encoding;
# "[" and "]" only around an IP literal in the authority (checked by urlsplit).
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})"
_URI = re.compile(rf"[A-Za-z][A-Za-z0-9+.\-]*:(?:{_PCHAR}|[\[\]])*(?:\#{_PCHAR}*)?")


def is_rfc3339_date_time(value: object) -> bool:
    """True for an RFC 3339 date-time with valid ranges (leap second 60 allowed)."""
    if not isinstance(value, str):
        return True  # formats apply to strings only
    m = _RFC3339.fullmatch(value)
    if not m:
        return False
    second = int(m["s"])
    try:
        datetime(
            int(m["y"]),
            int(m["mo"]),
            int(m["d"]),
            int(m["h"]),
            int(m["mi"]),
            59 if second == 60 else second,
            tzinfo=UTC,
        )
    except ValueError:
        return False
    return m["oh"] is None or (int(m["oh"]) <= 23 and int(m["om"]) <= 59)


def is_full_date(value: object) -> bool:
    """True for an RFC 3339 full-date (2021-08-11) that exists in the calendar."""
    if not isinstance(value, str):
        return True
    m = _FULL_DATE.fullmatch(value)
    if not m:
        return False
    try:
        date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return False
    return True


def is_uri(value: object) -> bool:
    """True for an absolute RFC 3986 URI; http(s) URIs must also name a host."""
    if not isinstance(value, str):
        return True
    if not _URI.fullmatch(value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    if ("[" in value or "]" in value) and not parts.netloc.startswith("["):
        return False
    if "[" in parts.path + parts.query + parts.fragment:
        return False
    if parts.scheme.lower() in {"http", "https"} and not parts.hostname:
        return False
    return True


def format_checker() -> FormatChecker:
    """jsonschema's FormatChecker with dependable uri, date-time and date checks."""
    checker = FormatChecker()  # a copy: registering here leaves the global one alone
    checker.checks("uri")(is_uri)
    checker.checks("date-time")(is_rfc3339_date_time)
    checker.checks("date")(is_full_date)
    return checker


def schema_names() -> list[str]:
    """Every schema under tests/schemas/, by the name load_validator takes."""
    return sorted(
        path.relative_to(SCHEMA_DIR).as_posix().removesuffix(SUFFIX) for path in SCHEMA_DIR.rglob("*" + SUFFIX)
    )


def load_schema(name: str) -> dict[str, Any]:
    path = SCHEMA_DIR / (name + SUFFIX)
    if not path.is_file():
        raise LookupError(f"no schema {name!r} ({path}); known: {', '.join(schema_names())}")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


@cache
def registry() -> Registry:
    """All schemas, each under its $id; nothing is ever retrieved from elsewhere."""
    resources = []
    for name in schema_names():
        schema = load_schema(name)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources).crawl()


@cache
def load_validator(name: str) -> Validator:
    """A draft 2020-12 validator for tests/schemas/<name>.schema.json, formats enforced.

    ``name`` is e.g. "jsonfeed-1.1" or "statuspage/summary".
    """
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    validator: Validator = Draft202012Validator(schema, registry=registry(), format_checker=format_checker())
    return validator


def errors(name: str, instance: object) -> Iterator[str]:
    """Every way ``instance`` breaks schema ``name``, one line each, with its JSON path."""
    found = load_validator(name).iter_errors(instance)
    for error in sorted(found, key=lambda e: [str(p) for p in e.absolute_path]):
        yield f"{error.json_path}: {error.message}"


def assert_valid(name: str, instance: object) -> None:
    """Fail with every error listed, not only the first one."""
    problems = list(errors(name, instance))
    if problems:
        shown = "\n  ".join(problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise AssertionError(f"not valid against {name}:\n  {shown}{more}")
