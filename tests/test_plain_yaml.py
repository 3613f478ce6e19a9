"""The front matter read without the YAML parser is what the parser reads, and the rest is left to it.

:func:`inloop.read.plain_yaml.plain_mapping` answers for the common front
matter only; for every text, its answer is either None (ask the parser) or
exactly what :func:`inloop.read.frontmatter.parse_yaml_mapping` makes of
the text with the parser alone, with no problems.  Random texts from
fragments YAML reads in many ways (``INLOOP_HYPOTHESIS_EXAMPLES``, default
300) and every front matter of the fixtures check it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench_support import load_generator
from hypothesis import given, settings
from hypothesis import strategies as st

from inloop.read import plain_yaml
from inloop.read.frontmatter import YMap, parse_yaml_mapping, split_front_matter
from inloop.read.plain_yaml import plain_mapping

EXAMPLES = int(os.environ.get("INLOOP_HYPOTHESIS_EXAMPLES", "300"))
TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


@contextlib.contextmanager
def parser_alone() -> Iterator[None]:
    """Front matter read by the YAML parser only, as before the plain reader."""
    plain_yaml.plain_mapping = lambda text, first_line: None
    try:
        yield
    finally:
        plain_yaml.plain_mapping = plain_mapping


def parsed(text: str) -> tuple[YMap | None, list[object]]:
    """What the YAML parser alone makes of ``text``."""
    with parser_alone():
        found, problems = parse_yaml_mapping(text, "p.md", 2)
    return found, list(problems)


def agrees(text: str) -> bool:
    """Whether the plain reader answered (True) or left the text to the parser (False); fails on a wrong answer."""
    fast = plain_mapping(text, 2)
    if fast is None:
        return False
    assert (fast, []) == parsed(text), text
    return True


KEYS = ["title", "impact", "components", "cause", "api", "web-app", "a.b", "x_1", "2026", "<<", "a b", "on", "~"]
VALUES = [
    "Search fails",
    "major_outage",
    "2026-11-20 14:02 UTC",
    "Fix #123",
    "Fix#123",
    "a # comment",
    "http://x.example/#top",
    "a: b",
    "a:",
    ":a",
    "-5",
    "- item",
    "? x",
    '"quoted"',
    '"with \\" escape"',
    '"with \\n escape"',
    '"unclosed',
    '"a" b',
    '"a" # c',
    "'single'",
    "'it''s'",
    "'a'b",
    "[api, web]",
    "[api,web-app]  # two",
    "[]",
    "[a b]",
    "[a, [b]]",
    "{a: b}",
    "&anchor x",
    "*alias",
    "!tag x",
    "!!str x",
    "|",
    ">",
    ">-",
    "|+",
    "> # folded",
    "@at",
    "`tick",
    "%pct",
    "Zürich 3\u00d7 — ok",
    "tab\there",
    "nul\x00",
    "nel\x85x",
    "ls\u2028x",
    "bom\ufeffx",
    "null",
    "~",
    "",
    " ",
    "trailing   ",
]
INDENTS = ["", " ", "  ", "    ", "      "]
#: Values the plain reader takes, more often than the rest, so that it is tested where it answers.
PLAIN = [
    "Search fails",
    "major_outage",
    "2026-11-20 14:02 UTC",
    "Fix #123",
    "a:b, c{d}[e]",
    "we're fine",
    'He said "hi"',
    '"quoted: yes"',
    '"with \\\\ and \\" escapes"',
    "'single # not a comment'",
    "[api, web]",
    "[]",
    "Zürich 3\u00d7 — ok",
    "null",
]
ANY_VALUE = PLAIN * 3 + VALUES


@st.composite
def fragments(draw: st.DrawFn) -> str:
    """A front matter of random lines: keys and values, list items, paragraphs, blanks and comments."""
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        indent = draw(st.sampled_from(INDENTS))
        kind = draw(st.sampled_from(["key", "key", "key", "item", "item-key", "text", "blank", "comment"]))
        key, value = draw(st.sampled_from(KEYS)), draw(st.sampled_from(VALUES))
        colon = draw(st.sampled_from([": ", ":  ", ":", " : "]))
        if kind == "key":
            lines.append(f"{indent}{key}{colon}{value}".rstrip(" ") if colon != ":" else f"{indent}{key}:{value}")
        elif kind == "item":
            lines.append(f"{indent}- {value}")
        elif kind == "item-key":
            lines.append(f"{indent}- {key}: {value}")
        elif kind == "text":
            lines.append(f"{indent}{value}")
        elif kind == "blank":
            lines.append(indent)
        else:
            lines.append(f"{indent}# {value}")
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n"]))


PARAGRAPH_LINES = ["The disk filled up,", "and writes stopped.", "# not a comment", "a: b", "  indented", "", "end  "]
PARAGRAPH_LINES = PARAGRAPH_LINES[:4] * 3 + PARAGRAPH_LINES


@st.composite
def value_lines(draw: st.DrawFn, indent: int, depth: int) -> list[str]:
    """The lines of a value under a key at ``indent``: a nested mapping or list, or a paragraph."""
    inner = indent + draw(st.sampled_from([1, 2, 2, 4]))
    kind = draw(st.sampled_from(["mapping", "list", "paragraph"] if depth < 3 else ["paragraph"]))
    if kind == "mapping":
        return draw(mapping_lines(inner, depth + 1))
    if kind == "paragraph":
        chosen = draw(st.lists(st.sampled_from(PARAGRAPH_LINES), min_size=1, max_size=3))
        return [" " * inner + line if line else "" for line in chosen]
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            lines.append(" " * inner + "- " + draw(st.sampled_from(ANY_VALUE)))
        else:
            item = draw(mapping_lines(inner + 2, depth + 1))
            lines.append(" " * inner + "- " + item[0][inner + 2 :])
            lines += item[1:]
    return lines


@st.composite
def mapping_lines(draw: st.DrawFn, indent: int = 0, depth: int = 0) -> list[str]:
    """A mapping whose keys are at ``indent``, most values on the key's line, some in lines under it."""
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(KEYS[:8] * 3 + KEYS))
        if draw(st.integers(0, 3)) == 0:
            header = draw(st.sampled_from(["", ">", "|", " # note"]))
            lines.append(" " * indent + key + ":" + (" " + header if header else ""))
            lines += draw(value_lines(indent, depth))
        else:
            lines.append(" " * indent + key + ": " + draw(st.sampled_from(ANY_VALUE)))
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", "# comment", "  # indented comment", "   "])))
    return lines


@given(mapping_lines(), st.sampled_from(["", "\n"]))
@settings(max_examples=EXAMPLES, deadline=None)
def test_a_random_mapping_reads_as_the_parser_reads_it_or_goes_to_it(lines: list[str], end: str) -> None:
    agrees("\n".join(lines) + end)


@given(fragments())
@settings(max_examples=EXAMPLES, deadline=None)
def test_a_random_front_matter_reads_as_the_parser_reads_it_or_goes_to_it(text: str) -> None:
    agrees(text)


COMMON = [
    "title: Search fails\nimpact: major\ncomponents:\n  api: partial_outage\n  web: major_outage\n",
    "title: 'A: b'\ncomponents: [api, web]  # both\nstarted: 2026-11-20 14:02 +01:00",
    'cause: "Rate limits: \\"429\\" now"\nprevention:\n  - step: One.\n    done: 2026-11-21\n  - Two # not yet\n',
    "cause: >\n  The disk filled up,\n  and writes stopped.\n\nestimate: 2026-11-20 16:00 UTC",
    "cause: |\n  Line one\n  # not a comment\n  Line two\ntitle: x",
    "description: >\n  Ends the text",
    "# a comment\ntitle: x\n\n# another\ncomponents:\n# inside\n  - api\n",
    "prevention:\n- compact\n",  # a list at its key's indentation: left to the parser
    "cause: >\n  One\n\n  Two\n",  # a blank line inside the paragraph: left to the parser
    "title: x\ntitle: y\n",  # a duplicate: left to the parser, which reports it
]


@pytest.mark.parametrize("text", COMMON)
def test_the_common_shapes(text: str) -> None:
    agrees(text)


def test_the_common_shapes_take_the_plain_path() -> None:
    """Every shape the generated sites and the theme's examples use, so that the speed cannot silently go."""
    assert [agrees(text) for text in COMMON] == [True] * 7 + [False] * 3


def front_matters(folder: Path) -> list[tuple[Path, str]]:
    found = []
    for path in sorted(folder.rglob("*.md")):
        try:
            text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        except (UnicodeDecodeError, OSError):
            continue
        lines = text.split("\n")
        if lines[0].rstrip() != "---":
            continue
        end = next((n for n in range(1, len(lines)) if lines[n].rstrip() in ("---", "...")), None)
        if end is not None:
            found.append((path, "\n".join(lines[1:end])))
    return found


def test_every_fixture_front_matter() -> None:
    files = front_matters(TESTS) + front_matters(REPO / "content")
    assert len(files) > 30
    plain = sum(agrees(text) for _, text in files)
    assert plain > len(files) // 2


def test_a_generated_site_takes_the_plain_path(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    site = tmp_path / "site"
    load_generator().generate_site(site, 300, seed=3, now=datetime(2026, 11, 26, 12, tzinfo=UTC))
    files = front_matters(site / "content")
    assert len(files) == 330
    assert all(agrees(text) for _, text in files)


def test_split_front_matter_gives_the_same_with_either_reader() -> None:
    text = (REPO / "content" / "incidents" / "2026-03-18-service-outage.md").read_text(encoding="utf-8")
    fast = split_front_matter(text, "p.md")
    with parser_alone():
        slow = split_front_matter(text, "p.md")
    assert (fast.data, fast.body, fast.body_line) == (slow.data, slow.body, slow.body_line)
    assert fast.problems == slow.problems == []
