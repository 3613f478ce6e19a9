"""The pieces under the commands: text edits, values read from options, YAML written for authors."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from inloop.authoring.edit import Document, Edit, FrontMatterEditor
from inloop.authoring.values import parse_when, window_sentence, yaml_inline, yaml_text
from inloop.content import parse_incident
from inloop.errors import UsageError

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_document_maps_edits_onto_mixed_line_ends() -> None:
    data = b"a\r\nb\rc\nd"
    doc = Document(data)
    assert doc.text == "a\nb\nc\nd"
    assert doc.newline == "\r\n"
    assert doc.line_start(3) == 4
    # insert a line before line 3 ("c"), replace "d"
    assert doc.apply([Edit(4, 4, "new\n"), Edit(6, 7, "D")]) == b"a\r\nb\rnew\r\nc\nD"


def test_document_keeps_the_byte_order_mark() -> None:
    doc = Document("\ufeffx\ny".encode())
    assert doc.text == "x\ny"
    assert doc.apply([Edit(2, 3, "z")]) == "\ufeffx\nz".encode()


def _edited(text: str, plan: object) -> str:
    doc = Document(text.encode())
    editor = FrontMatterEditor(doc)
    plan(editor)  # type: ignore[operator]
    return doc.apply(editor.edits).decode()


def test_set_replaces_a_null_value_and_keeps_its_comment() -> None:
    text = "---\ncause:   # not known yet\nnext_update: ~\n---\n"

    def plan(editor: FrontMatterEditor) -> None:
        editor.set_text("cause", "Disk full.")
        editor.set_inline("next_update", "2026-11-26 12:30 UTC")

    assert _edited(text, plan) == "---\ncause: Disk full.   # not known yet\nnext_update: 2026-11-26 12:30 UTC\n---\n"


def test_set_multiline_text_after_a_comment() -> None:
    text = "---\ncause: short   # c\ntitle: T\n---\n"
    after = _edited(text, lambda e: e.set_text("cause", "one\ntwo"))
    assert after == "---\ncause: |   # c\n  one\n  two\ntitle: T\n---\n"
    assert yaml.safe_load(after.split("---\n")[1]) == {"cause": "one\ntwo\n", "title": "T"}


def test_a_prompt_inside_a_block_scalar_is_text() -> None:
    text = "---\nsummary: |\n  # cause: not a prompt\n---\n"
    after = _edited(text, lambda e: e.set_text("cause", "X"))
    assert after == "---\nsummary: |\n  # cause: not a prompt\ncause: X\n---\n"


def test_block_list_followed_by_comments() -> None:
    text = "---\nprevention:\n  - one\n# a comment about the next key\ntitle: T\n---\n"
    after = _edited(text, lambda e: e.append_item("prevention", "two: with a colon"))
    assert after == (
        '---\nprevention:\n  - one\n  - "two: with a colon"\n# a comment about the next key\ntitle: T\n---\n'
    )


def test_a_scalar_where_a_list_belongs_is_refused() -> None:
    with pytest.raises(UsageError, match="'prevention' is not a list"):
        _edited("---\nprevention: one\n---\n", lambda e: e.append_item("prevention", "two"))


@pytest.mark.parametrize(
    ("text", "forward", "expected", "seconds"),
    [
        ("2026-11-26 15:30", True, datetime(2026, 11, 26, 14, 30, tzinfo=UTC), False),
        ("2026-11-26T15:30:10Z", True, datetime(2026, 11, 26, 15, 30, 10, tzinfo=UTC), True),
        ("15:30", True, datetime(2026, 11, 26, 14, 30, tzinfo=UTC), False),
        ("12:30", True, datetime(2026, 11, 27, 11, 30, tzinfo=UTC), False),  # 12:30 CET has passed: tomorrow
        ("12:30 UTC", True, datetime(2026, 11, 26, 12, 30, tzinfo=UTC), False),
        ("45m", True, datetime(2026, 11, 26, 12, 45, tzinfo=UTC), False),
        ("+1h30m", True, datetime(2026, 11, 26, 13, 30, tzinfo=UTC), False),
        ("2 hours", True, datetime(2026, 11, 26, 14, 0, tzinfo=UTC), False),
        ("1d", True, datetime(2026, 11, 27, 12, 0, tzinfo=UTC), False),
        ("12:59:30", False, datetime(2026, 11, 26, 11, 59, 30, tzinfo=UTC), True),
        ("13:30", False, datetime(2026, 11, 25, 12, 30, tzinfo=UTC), False),  # later today: yesterday
    ],
)
def test_parse_when(text: str, forward: bool, expected: datetime, seconds: bool) -> None:
    when = parse_when(text, BERLIN, base=NOW, option="--x", forward=forward)
    assert when.moment == expected
    assert when.seconds == seconds


def test_parse_when_rejects_durations_for_at() -> None:
    with pytest.raises(UsageError, match=r"^--at: cannot read time '45m'"):
        parse_when("45m", BERLIN, base=NOW, option="--at", forward=False)


def test_window_sentence_names_the_zone_once_or_twice() -> None:
    start = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # 01:00 CEST on the 25th
    end = datetime(2026, 10, 25, 2, 0, tzinfo=UTC)  # 03:00 CET, after the clocks went back
    assert window_sentence(["Database"], start, end, BERLIN) == (
        "We will carry out maintenance on Database on Sunday 25 October 2026 from 01:00 CEST to 03:00 CET."
    )
    assert window_sentence(["A", "B", "C"], NOW, NOW.replace(hour=13), UTC) == (
        "We will carry out maintenance on A, B and C on Thursday 26 November 2026 from 12:00 to 13:00 UTC."
    )


@pytest.mark.parametrize(
    "value", ["plain", "a: b", "#x", "yes", "null", "- item", "2026-11-26", "'q'", '"dq"', "x #y", " lead", "tab\tx"]
)
def test_yaml_inline_reads_back(value: str) -> None:
    assert yaml.safe_load(f"k: {yaml_inline(value)}") == {"k": value}


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n\t"), min_size=1, max_size=300
).filter(lambda t: t.strip() != "")


@settings(max_examples=150, deadline=None)
@given(_TEXT)
def test_yaml_text_reads_back(value: str) -> None:
    lines = yaml_text(value, 2)
    loaded = yaml.safe_load("k: " + "\n".join(lines) + "\n")
    assert " ".join(str(loaded["k"]).split()) == " ".join(value.split())


@settings(max_examples=60, deadline=None)
@given(_TEXT)
def test_any_cause_gives_a_file_that_parses(value: str) -> None:
    text = (
        "---\ntitle: T\nimpact: minor\ncomponents: [api]\n# cause: prompt\n---\n"
        "## 2026-11-26 11:00 UTC — Update\nA\n"
    )
    doc = Document(text.encode())
    editor = FrontMatterEditor(doc)
    editor.set_text("cause", value)
    incident, problems = parse_incident(doc.apply(editor.edits), "t", "t.md", UTC, frozenset({"api"}))
    assert problems == []
    assert incident is not None and incident.cause is not None
    assert " ".join(incident.cause.split()) == " ".join(value.split())
