"""Random YAML and Markdown shapes, hostile ones included: a site or ``path:line`` errors, in bounded time.

The normal run tries a bounded number of examples; ``INLOOP_LONG_PROPERTIES=1``
tries many more (about ten minutes), for a run before a release.
"""

from __future__ import annotations

import os
import re
import time
import xml.dom.minidom
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from inloop.read.content import parse_incident

LONG = os.environ.get("INLOOP_LONG_PROPERTIES") == "1"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = "2026-11-26 12:00 UTC"
PATH = "content/incidents/x.md"
#: How long one file may take to parse, and one site to build, at most.
PARSE_SECONDS = 3.0
BUILD_SECONDS = 30.0
PROBLEM = re.compile(r"^[^\n]+:\d+: [^\n]+$")
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

PARSER = settings(
    max_examples=2000 if LONG else 60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
SITES = settings(
    max_examples=300 if LONG else 6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

# -- text: ordinary, YAML's indicators, and what XML forbids --------------------------------------------------

HOSTILE_CHARS = st.sampled_from(["\x00", "\x07", "\x1b", "\x0b", "\x0c", "\ufffe", "\uffff", "\x7f", "\x85", "\u2028"])
SPECIAL = st.sampled_from([*":#*&!@`%|>[]{}'\",-?\\<", ": ", " #", "\t", "\n"])
PLAIN = st.text(st.characters(codec="utf-8"), max_size=8)
#: Mostly plain text, so that some sites build and their files are checked; hostile characters now and then.
TEXT = st.lists(st.one_of(PLAIN, PLAIN, PLAIN, SPECIAL, HOSTILE_CHARS), max_size=12).map("".join)
ESCAPES = st.sampled_from(["\\e", "\\0", "\\a", "\\x1b", "\\ud800", "\\uffff", "\\N", "\\t", "\\q"])


def repeated(pieces: list[str], counts: list[int]) -> st.SearchStrategy[str]:
    return st.builds(lambda piece, n: piece * n, st.sampled_from(pieces), st.sampled_from(counts))


# -- YAML shapes --------------------------------------------------------------------------------------------

SCALAR = st.one_of(
    TEXT,
    TEXT.map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.builds(lambda a, e, b: f'"{a}{e}{b}"', st.text(max_size=4), ESCAPES, st.text(max_size=4)),
    st.sampled_from(["&a x", "*a", "&a [*a]", "!!python/object/apply:os.system [ls]", "!tag x", "<<: *a", "|", ">"]),
    repeated(["[", "{a: ", "- ", "[a, "], [1, 19, 20, 21, 5000]),
    st.builds(lambda n: "y" * n, st.sampled_from([10, 64 * 1024, 64 * 1024 + 1])),
)
KEY = st.sampled_from(["title", "impact", "components", "cause", "estimate", "prevention", "check", "x", "a: b", "&k"])
VALUE_LINE = st.builds(lambda key, value: f"{key}: {value}", KEY, SCALAR)
NESTED = st.builds(
    lambda depth, leaf: "\n".join("  " * level + f"k{level}:" for level in range(depth)) + f" {leaf}",
    st.integers(1, 40),
    SCALAR,
)
LAUGHS = st.just(
    "\n".join(
        ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        + [f"l{n}: &l{n} [" + ",".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 9)]
    )
)
FRONT = st.lists(st.one_of(VALUE_LINE, NESTED, LAUGHS, TEXT), max_size=6).map("\n".join)

# -- Markdown shapes ------------------------------------------------------------------------------------------

MARKDOWN_BLOCK = st.one_of(
    TEXT,
    st.builds(
        lambda n, indent: "".join(indent * i + "- a\n" for i in range(n)),
        st.integers(1, 60),
        st.sampled_from(["  ", "    ", "\t"]),
    ),
    repeated(["- ", "> ", "1. ", "* "], [2, 20, 21, 300, 2000]),
    repeated(
        ["[", "![", "[ []() ", "[a](<", "[a](()", "[x [a] y](b) ", "](", "*_", "`", "<b>", "&amp;"], [10, 1000, 20_000]
    ),
    st.builds(lambda n: '<div markdown="1">\n' * n + "a\n" + "</div>\n" * n, st.sampled_from([1, 30, 1000])),
    st.sampled_from(["```\ncode\n```", "## not a date", "## 2026-11-20 14:02 UTC — Monitoring", "---", "| a |\n|---|"]),
)
BODY = st.lists(MARKDOWN_BLOCK, max_size=4).map("\n\n".join)
UPDATE_TIME = st.sampled_from(
    [
        "2026-11-20 14:02 UTC",
        "0001-01-01 00:00 +05:00",
        "9999-12-31 23:59 -05:00",
        "2026-11-20 14:02",
        "2026-02-30 10:00",
    ]
)


def incident_text(front: str, first: str, body: str, summary: str) -> str:
    return f"---\n{front}\n---\n{summary}\n## {first} — Investigating\n{body}\n"


@PARSER
@given(FRONT, UPDATE_TIME, BODY, TEXT)
def test_any_file_parses_to_an_item_or_to_path_line_problems_in_bounded_time(
    front: str, first: str, body: str, summary: str
) -> None:
    data = incident_text(front, first, body, summary).encode("utf-8", "surrogatepass")
    started = time.perf_counter()
    item, problems = parse_incident(data, "x", PATH, BERLIN, frozenset({"api"}))
    assert time.perf_counter() - started < PARSE_SECONDS
    assert (item is None) == bool(problems)
    for problem in problems:
        assert PROBLEM.match(str(problem)), problem
    if item is not None:
        for text in (item.title, item.summary_html, *(u.html for u in item.updates)):
            assert FORBIDDEN.search(text) is None


# -- whole sites: every file they publish is valid ------------------------------------------------------------

SITE_CONFIG = """\
title = {title}
base_url = "https://status.example.com/"
timezone = "Europe/Berlin"

[[components]]
id = "api"
name = {name}
"""


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string, every control character escaped as TOML allows."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda found: f"\\u{ord(found.group()):04x}", escaped)
    escaped = re.sub(r"[\ud800-\udfff]", "", escaped)  # TOML has no way to write these
    return f'"{escaped}"'


@SITES
@given(
    site_title=TEXT,
    name=TEXT,
    front=st.one_of(st.just(""), st.just("cause: A *cause*."), FRONT),
    body=st.one_of(TEXT, BODY),
    title=TEXT,
)
def test_any_site_builds_valid_files_or_fails_with_path_line_errors(
    site_title: str,
    name: str,
    front: str,
    body: str,
    title: str,
    make_site: Callable[..., Path],
    run_cli: Callable[..., Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    root = tmp_path_factory.mktemp("hostile")
    config = SITE_CONFIG.format(title=toml_string(site_title or "S"), name=toml_string(name or "API"))
    escaped_title = (title.strip() or "T").replace("\\", "\\\\").replace('"', '\\"')
    front_matter = f'title: "{escaped_title}"\nimpact: minor\ncomponents: [api]\n{front}'
    text = incident_text(front_matter, "2026-11-20 14:02 UTC", body, "")
    site = make_site(
        root, config=config, incidents={"x": text.encode("utf-8", "surrogatepass"), "plain": PLAIN_INCIDENT}
    )
    started = time.perf_counter()
    result = run_cli(["build", "--source", str(site), "--now", NOW])
    assert time.perf_counter() - started < BUILD_SECONDS
    assert "Traceback" not in result.stderr
    event("refused" if result.exit_code else "built")
    if result.exit_code != 0:
        assert result.exit_code == 1
        *lines, last = result.error_lines
        assert last.startswith("build failed: ") and lines
        for line in lines:
            assert PROBLEM.match(line), line
        return
    output = site / "site"
    for path in output.rglob("*"):
        if path.suffix in (".xml", ".svg"):
            xml.dom.minidom.parseString(path.read_bytes())
        if path.suffix in (".html", ".json", ".ics", ".xml", ".svg"):
            assert FORBIDDEN.search(path.read_text("utf-8")) is None, path


PLAIN_INCIDENT = (
    "---\ntitle: Slow API\nimpact: minor\ncomponents: [api]\n---\n"
    "## 2026-11-20 14:02 UTC — Investigating\nWe are looking into it.\n"
)
