"""Any input gives a model or clean ``path:line`` problems, never an exception."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inloop.errors import Problem
from inloop.read.config import load_config
from inloop.read.content import parse_incident, parse_maintenance, problems_at
from inloop.times import parse_date_or_time, parse_now, parse_time

BERLIN = ZoneInfo("Europe/Berlin")
COMPONENTS = frozenset({"api", "dashboard"})
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PROPERTY = settings(
    max_examples=int(__import__("os").environ.get("INLOOP_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Pieces an author's file is made of, so that examples reach deep into the parser.
LINES = st.sampled_from(
    [
        "---",
        "...",
        "",
        "title: Errors",
        "title:",
        "title: [a, b",
        "impact: major",
        "impact: huge",
        "components: [api]",
        "components:",
        "  api: partial_outage",
        "  dashbord: down",
        "  - api",
        "  -",
        "components: {api: major_outage}",
        "cause: >",
        "  A cause.",
        "estimate: 2026-11-20 15:30 UTC",
        "estimate: 2026-11-20",
        "estimate: soon",
        "next_update: 2026-11-20 15:00",
        "started: 2026-11-20 14:00 +01:00",
        "start: 2026-11-20 14:00",
        "end: 2026-11-20 13:00",
        "end: 2026-11-20 16:00",
        "description: x",
        "cancelled: maybe",
        "prevention:",
        "  - A step.",
        "  - step: Another",
        "    done: 2026-11-27",
        "    done: never",
        "    id: Bad Id",
        "    id: alerts",
        "postmortem: nope",
        "title: again",
        "\ttabbed: 1",
        "key: 'unclosed",
        "<<: *x",
        "a: &x {b: 1}",
        "? [complex]",
        "## 2026-11-20 14:02 UTC — Investigating",
        "## 2026-11-20 14:40 — identified",
        "## 2026-11-20 14:40 — Update",
        "## 2026-11-20 15:12 Z | Resolved",
        "## 2026-11-20 02:00 — In progress",
        "## 2026-11-20 03:00 — Completed",
        "## 2026-11-31 14:02 UTC — Resolved",
        "## 2026-11-20 14:02 CET — Resolved",
        "## 2099-01-01 00:00 UTC — Monitoring",
        "## What happened",
        "##",
        "```",
        "~~~",
        "Some text.",
        "Heading",
        "-----",
        "    ## indented",
        "- a list item",
    ]
)
AUTHORISH = st.lists(st.one_of(LINES, st.text(max_size=30)), max_size=25).map("\n".join)


def check(problems: list[Problem], path: str, text_lines: int) -> None:
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.path == path
        assert isinstance(problem.line, int)
        assert 1 <= problem.line <= max(text_lines, 1) + 1, problem
        assert problem.message and "\n" not in problem.message
        assert "Traceback" not in problem.message


def count_lines(data: bytes) -> int:
    """Lines as an editor counts them: CRLF, CR and LF all end a line."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1


def parse_both(data: bytes) -> None:
    lines = count_lines(data)
    for parse, path in ((parse_incident, "content/incidents/x.md"), (parse_maintenance, "content/maintenance/x.md")):
        for components in (COMPONENTS, None):
            item, problems = parse(data, "x", path, BERLIN, components)
            check(problems, path, lines)
            if item is None:
                assert problems, "no model and no problem"
            else:
                assert problems == []
                check(problems_at(item, NOW), path, lines)


@PROPERTY
@given(st.binary(max_size=400))
def test_any_bytes(data: bytes) -> None:
    parse_both(data)


@PROPERTY
@given(st.text(max_size=400))
def test_any_text(text: str) -> None:
    parse_both(text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode("utf-8"))


@PROPERTY
@given(AUTHORISH)
def test_author_shaped_text(text: str) -> None:
    parse_both(text.encode("utf-8", "replace"))


@PROPERTY
@given(front=AUTHORISH, body=AUTHORISH)
def test_front_matter_and_body(front: str, body: str) -> None:
    parse_both(f"---\n{front}\n---\n{body}".encode("utf-8", "replace"))


@PROPERTY
@given(st.text(max_size=40))
def test_times_raise_only_value_errors(text: str) -> None:
    for parse in (lambda t: parse_time(t, BERLIN), lambda t: parse_date_or_time(t, BERLIN), parse_now):
        try:
            moment = parse(text)
        except ValueError as exc:
            assert str(exc)
        else:
            assert moment.tzinfo is not None


TOML_LINES = st.sampled_from(
    [
        'title = "T"',
        "title = 5",
        'base_url = "https://e.example/"',
        'base_url = "nope"',
        'timezone = "Europe/Berlin"',
        'timezone = "Berln"',
        "feed_items = 0",
        'feed_items = "x"',
        "history_page_size = 3",
        'language = "de"',
        "[[components]]",
        "[components]",
        'id = "api"',
        'id = "API"',
        "id = 3",
        'name = "API"',
        'group = "G"',
        'colour = "red"',
        "[check]",
        "disable = []",
        "[publish]",
        "s3.bucket = 'x'",
        'description = """',
        '"""',
        "components = []",
        "a.b.c = 1",
        "x = [1, 2",
        "",
        "# comment",
    ]
)


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("config")


def check_config(folder: Path, data: bytes) -> None:
    (folder / "inloop.toml").write_bytes(data)
    result = load_config(folder, "site/inloop.toml")
    check(result.problems, "site/inloop.toml", count_lines(data))
    if result.config is None:
        assert result.problems
    else:
        assert result.problems == []
        assert result.config.components


@PROPERTY
@given(data=st.binary(max_size=300))
def test_any_bytes_as_config(config_dir: Path, data: bytes) -> None:
    check_config(config_dir, data)


@PROPERTY
@given(lines=st.lists(st.one_of(TOML_LINES, st.text(max_size=20)), max_size=20))
def test_config_shaped_text(config_dir: Path, lines: list[str]) -> None:
    check_config(config_dir, "\n".join(lines).encode("utf-8", "replace"))
