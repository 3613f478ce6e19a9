"""Hostile front matter and bodies: refused with ``path:line`` before they cost anything, never a traceback."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inloop.build.builder import Builder
from inloop.dev.watch import Watcher
from inloop.read.content import parse_incident, parse_maintenance
from inloop.read.frontmatter import split_front_matter

BERLIN = ZoneInfo("Europe/Berlin")
PATH = "content/incidents/x.md"
NOW = "2026-11-26 12:00 UTC"
HEADING = "## 2026-11-20 14:02 UTC — Investigating"


def incident(front: str, body: str = "We are looking into it.") -> bytes:
    return f"---\n{front}\n---\n{HEADING}\n{body}\n".encode()


def errors(data: bytes) -> list[str]:
    item, problems = parse_incident(data, "x", PATH, BERLIN, frozenset({"api"}))
    assert item is None or not problems
    return [str(p) for p in problems]


def timed_errors(data: bytes, seconds: float = 2.0) -> list[str]:
    started = time.perf_counter()
    found = errors(data)
    assert time.perf_counter() - started < seconds
    return found


BASE = "impact: major\ncomponents: [api]"

# -- YAML: aliases, anchors, tags, nesting, sizes -------------------------------------------------------


def test_billion_laughs_is_refused_before_anything_is_expanded() -> None:
    laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        laughs.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    data = incident("title: x\n" + BASE + "\n" + "\n".join(laughs))
    assert timed_errors(data, 0.5) == [
        f"{PATH}:5: YAML anchors ('&a') are not allowed in front matter; "
        "if it is text, put it in quotes: a: '&a [" + ",".join(['"lol"'] * 9) + "]'"
    ]


def test_a_recursive_alias_is_refused() -> None:
    assert timed_errors(incident("title: &a [*a]\n" + BASE)) == [
        f"{PATH}:2: YAML anchors ('&a') are not allowed in front matter; "
        'if it is text, put it in quotes: title: "&a [*a]"'
    ]


def test_an_alias_alone_is_refused_with_the_quoting_hint() -> None:
    assert errors(incident("title: *Important update\n" + BASE)) == [
        f"{PATH}:2: YAML aliases ('*Important') are not allowed in front matter; "
        'if it is text, put it in quotes: title: "*Important update"'
    ]


def test_tags_are_refused_as_written() -> None:
    assert errors(incident("title: !!python/object/apply:os.system [echo hi]\n" + BASE)) == [
        f"{PATH}:2: YAML tags ('!!python/object/apply:os.system') are not allowed in front matter; "
        'if it is text, put it in quotes: title: "!!python/object/apply:os.system [echo hi]"'
    ]


@pytest.mark.parametrize("opening", ["[", "{a: "])
def test_five_thousand_nested_brackets_stop_at_the_limit(opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    data = incident("title: x\n" + BASE + "\ncheck: " + opening * 5000 + "1" + closing * 5000)
    assert timed_errors(data) == [f"{PATH}:5: front matter nested deeper than 20 levels of lists and mappings"]


def test_twenty_levels_are_allowed_and_twenty_one_are_not() -> None:
    def nested(levels: int) -> str:
        return "\n".join("  " * level + f"k{level}:" for level in range(levels)) + " x"

    assert split_front_matter(f"---\n{nested(20)}\n---\n", "p.md").problems == []
    assert [str(p) for p in split_front_matter(f"---\n{nested(21)}\n---\n", "p.md").problems] == [
        "p.md:22: front matter nested deeper than 20 levels of lists and mappings"
    ]


def test_a_field_over_64_kib_is_refused() -> None:
    data = incident("title: x\n" + BASE + "\ncause: " + "y" * (64 * 1024 + 1))
    assert timed_errors(data) == [
        f"{PATH}:5: a value of 65,537 bytes; at most 65,536 bytes are allowed "
        "(a long text belongs in the body below the front matter, or on a page of its own)"
    ]


def test_a_field_of_64_kib_is_allowed() -> None:
    assert errors(incident("title: x\n" + BASE + "\ncause: " + "y" * (64 * 1024))) == []


def test_front_matter_over_256_kib_is_refused_before_parsing() -> None:
    front = "title: x\n" + BASE + "\n" + "\n".join(f"k{n}: {'z' * 1000}" for n in range(300))
    assert timed_errors(incident(front)) == [
        f"{PATH}:2: the front matter is {len(front):,} bytes; at most 262,144 bytes are allowed"
    ]


def test_a_body_over_one_mib_is_refused() -> None:
    body = ("All is well again. ✓ " * 50 + "\n\n") * 950
    size = len(f"{HEADING}\n{body}\n".encode())
    assert size > 1024 * 1024 > len(f"{HEADING}\n{body}\n")  # bytes of UTF-8 count, not characters
    assert timed_errors(incident("title: x\n" + BASE, body)) == [
        f"{PATH}:6: the text below the front matter is {size:,} bytes; at most 1,048,576 bytes are allowed "
        "(link a long document instead)"
    ]


def test_a_body_of_almost_one_mib_builds_its_model() -> None:
    body = ("All is well again. " * 50 + "\n\n") * 1000
    item, problems = parse_incident(incident("title: x\n" + BASE, body), "x", PATH, BERLIN, frozenset({"api"}))
    assert problems == [] and item is not None


# -- Markdown: nesting and brackets -----------------------------------------------------------------------


def test_lists_nested_two_thousand_deep_are_refused_at_once() -> None:
    body = "".join("    " * level + "- a\n" for level in range(2000))
    assert timed_errors(incident("title: x\n" + BASE, body)) == [
        f"{PATH}:6: the text below the front matter is {len(HEADING.encode()) + len(body) + 2:,} bytes; "
        "at most 1,048,576 bytes are allowed (link a long document instead)"
    ]
    body = "".join("  " * level + "- a\n" for level in range(200))
    assert timed_errors(incident("title: x\n" + BASE, body)) == [
        f"{PATH}:47: Markdown nested 21 levels deep (lists, quotes and indentation); at most 20 levels are allowed"
    ]
    assert timed_errors(incident("title: x\n" + BASE, "- " * 2000 + "a")) == [
        f"{PATH}:7: Markdown nested 2000 levels deep (lists, quotes and indentation); at most 20 levels are allowed"
    ]


def test_nesting_in_a_field_is_refused_at_the_field() -> None:
    cause = "|\n" + "".join("  " + "    " * level + "- a\n" for level in range(25))
    assert errors(incident("title: x\n" + BASE + "\ncause: " + cause)) == [
        f"{PATH}:5: 'cause': Markdown nested 21 levels deep (lists, quotes and indentation); "
        "at most 20 levels are allowed"
    ]


def test_html_blocks_nested_past_the_recursion_limit_are_an_error_not_a_traceback() -> None:
    body = '<div markdown="1">\n' * 1000 + "a\n" + "</div>\n" * 1000
    assert timed_errors(incident("title: x\n" + BASE, body)) == [
        f"{PATH}:1: Markdown nested too deeply to render: at most 20 levels of lists, quotes and HTML blocks"
    ]


@pytest.mark.parametrize(
    "body",
    ["[" * 20_000, "![" * 10_000, "[ []() " * 3000, "[a](<" * 5000, "[a](()" * 5000, "[x [a] y](b) " * 3000],
    ids=["brackets", "images", "links-between", "angle-links", "open-parentheses", "nested-link-text"],
)
def test_brackets_by_the_thousand_render_quickly(body: str) -> None:
    started = time.perf_counter()
    item, problems = parse_incident(incident("title: x\n" + BASE, body), "x", PATH, BERLIN, frozenset({"api"}))
    assert time.perf_counter() - started < 3
    assert problems == [] and item is not None
    assert item.updates[0].html.startswith("<p>")


def test_bracket_scans_agree_with_markdown_on_ordinary_links() -> None:
    source = 'See [the [nested] docs](https://example.com/a_(b)) and ![logo](/l.png "Logo") and [ref][r].\n\n[r]: /x'
    item, _ = parse_incident(incident("title: x\n" + BASE, source), "x", PATH, BERLIN, frozenset({"api"}))
    assert item is not None
    assert item.updates[0].html == (
        '<p>See <a href="https://example.com/a_(b)">the [nested] docs</a> and '
        '<img alt="logo" src="/l.png" title="Logo"> and <a href="/x">ref</a>.</p>'
    )


# -- Times out of range ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stamp", ["0001-01-01 00:00 +05:00", "9999-12-31 23:59 -05:00"])
def test_years_one_and_9999_with_an_offset_are_errors(stamp: str) -> None:
    data = f"---\ntitle: x\n{BASE}\n---\n## {stamp} — Investigating\nx\n".encode()
    assert errors(data) == [
        f"{PATH}:6: bad time in update heading: cannot read time '{stamp}': out of range: "
        "write a time between 0002-01-01 and 9998-12-31"
    ]


def test_an_estimate_and_a_maintenance_end_out_of_range_are_errors() -> None:
    assert errors(incident("title: x\n" + BASE + "\nestimate: 9999-12-31T23:00:00-12:00")) == [
        f"{PATH}:5: 'estimate': cannot read time '9999-12-31T23:00:00-12:00': out of range: "
        "write a time between 0002-01-01 and 9998-12-31"
    ]
    window = b"---\ntitle: w\ncomponents: [api]\nstart: 2026-12-01 10:00\nend: 9999-12-31 23:30\n---\n"
    _, problems = parse_maintenance(window, "w", "content/maintenance/w.md", BERLIN, frozenset({"api"}))
    assert [str(p) for p in problems] == [
        "content/maintenance/w.md:5: 'end': cannot read time '9999-12-31 23:30': out of range: "
        "write a time between 0002-01-01 and 9998-12-31"
    ]


# -- The command line and the watcher ----------------------------------------------------------------------


def test_build_reports_hostile_front_matter_with_path_and_line(
    make_site: Callable[..., Path], run_inloop: Callable[..., Any], tmp_path: Path
) -> None:
    site = make_site(
        tmp_path / "site-src",
        incidents={
            "alias": incident("title: &a [*a]\n" + BASE).decode(),
            "brackets": incident("title: x\n" + BASE + "\ncause: " + "[" * 5000 + "]" * 5000).decode(),
            "year": f"---\ntitle: x\n{BASE}\n---\n## 0001-01-01 00:00 +05:00 — Investigating\nx\n",
        },
    )
    result = run_inloop(["build", "--source", ".", "--now", NOW], cwd=site)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "content/incidents/alias.md:2: YAML anchors ('&a') are not allowed in front matter; "
        'if it is text, put it in quotes: title: "&a [*a]"',
        "content/incidents/brackets.md:5: front matter nested deeper than 20 levels of lists and mappings",
        "content/incidents/year.md:6: bad time in update heading: cannot read time '0001-01-01 00:00 +05:00': "
        "out of range: write a time between 0002-01-01 and 9998-12-31",
        "build failed: 3 errors; the site was not changed",
    ]


def test_the_watcher_reports_a_recursive_alias_as_an_authors_mistake(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    site = make_site(tmp_path / "w", incidents={"loop": incident("title: &a [*a]\n" + BASE).decode()})
    outcomes: list[Any] = []
    now = datetime.fromisoformat("2026-11-26T12:00:00+00:00")
    watcher = Watcher(Builder(site, site / "site"), lambda: now, follow_clock=False, on_rebuild=outcomes.append)
    outcome = watcher.rebuild([])
    assert not outcome.ok
    assert [str(p) for p in outcome.problems] == [
        f"{site}/content/incidents/loop.md:2: YAML anchors ('&a') are not allowed in front matter; "
        'if it is text, put it in quotes: title: "&a [*a]"'
    ]
