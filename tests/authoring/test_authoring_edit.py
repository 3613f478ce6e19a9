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
from inloop.errors import UsageError
from inloop.read.content import parse_incident

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_document_maps_edits_onto_mixed_line_ends() -> None:
    data = b"a\r\nb\rc\nd"
    doc = Document(data)
    assert doc.text == "a\nb\nc\nd"
    assert doc.newline == "\r\n"
    assert doc.line_start(3) == 4
    # insert a line before line 3 ("c"), then replace "d" in the text that leaves
    inserted = doc.apply(Edit(4, 4, "new\n"))
    assert inserted == b"a\r\nb\rnew\r\nc\nd"
    again = Document(inserted)
    assert again.apply(Edit(again.text.index("d"), len(again.text), "D")) == b"a\r\nb\rnew\r\nc\nD"


def test_document_keeps_the_byte_order_mark() -> None:
    doc = Document("\ufeffx\ny".encode())
    assert doc.text == "x\ny"
    assert doc.apply(Edit(2, 3, "z")) == "\ufeffx\nz".encode()


def _edited(text: str, plan: object) -> str:
    doc = Document(text.encode())
    editor = FrontMatterEditor(doc)
    plan(editor)  # type: ignore[operator]
    return editor.data.decode()


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


def test_one_item_written_alone_becomes_a_list() -> None:
    after = _edited("---\nprevention: one  # c\n---\n", lambda e: e.append_item("prevention", "two: 2"))
    assert after == '---\nprevention: [one, "two: 2"]  # c\n---\n'


def test_a_mapping_where_a_list_belongs_is_refused() -> None:
    with pytest.raises(UsageError, match="'prevention' is not a list"):
        _edited("---\nprevention: {a: b}\n---\n", lambda e: e.append_item("prevention", "two"))


def test_a_written_null_gives_way_to_the_list() -> None:
    after = _edited("---\nprevention: ~   # none yet\ntitle: T\n---\n", lambda e: e.append_item("prevention", "x"))
    assert after == "---\nprevention:    # none yet\n  - x\ntitle: T\n---\n"
    assert yaml.safe_load(after.split("---\n")[1]) == {"prevention": ["x"], "title": "T"}


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
        ("12:59", False, datetime(2026, 11, 26, 11, 59, tzinfo=UTC), False),  # today, in the site's zone
        ("12:00 UTC", False, datetime(2026, 11, 26, 12, 0, tzinfo=UTC), False),  # now itself is not the future
        ("13:00", True, datetime(2026, 11, 27, 12, 0, tzinfo=UTC), False),  # now itself: the next one is tomorrow
    ],
)
def test_parse_when(text: str, forward: bool, expected: datetime, seconds: bool) -> None:
    when = parse_when(text, BERLIN, base=NOW, option="--x", forward=forward)
    assert when.moment == expected
    assert when.seconds == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("13:30", '13:30 CET today is in the future; for yesterday write --at "2026-11-25 13:30"'),
        ("12:00:01 UTC", '12:00:01 UTC today is in the future; for yesterday write --at "2026-11-25 12:00:01 UTC"'),
        ("23:59", '23:59 CET today is in the future; for yesterday write --at "2026-11-25 23:59"'),
    ],
)
def test_a_clock_time_later_today_is_an_error(text: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_when(text, BERLIN, base=NOW, option="--at", forward=False)
    assert str(raised.value) == message


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
        "---\ntitle: T\nimpact: minor\ncomponents: [api]\n# cause: prompt\n---\n## 2026-11-26 11:00 UTC — Update\nA\n"
    )
    doc = Document(text.encode())
    editor = FrontMatterEditor(doc)
    editor.set_text("cause", value)
    incident, problems = parse_incident(editor.data, "t", "t.md", UTC, frozenset({"api"}))
    assert problems == []
    assert incident is not None and incident.cause is not None
    assert " ".join(incident.cause.split()) == " ".join(value.split())


# -- edits made one at a time: no two can overlap (issue 16, item 2) ----------------------

_FRONTS = [
    "---\ntitle: T\nimpact: minor\ncomponents: [api]\n# cause: prompt\n# estimate: prompt\n# prevention:\n"
    "#   - prompt\n---\n",
    "---\ntitle: T\ncomponents:\n  - api\nprevention:\n  - one   # c\nestimate: 2026-11-26 13:00 UTC\n---\n",
    "---\ntitle: T\ncomponents: {api: major_outage}\nprevention: [one, {step: two}]\ncause: x\n---\n",
    "---\ntitle: T\ncomponents: api\nprevention: one\nprevious_estimates: []\nestimate: ~\n---\n",
    "---\ntitle: T\ncomponents:\n  api: partial_outage\nprevention:\n- step: a\n  done: 2026-11-20\n- b\n---\n",
]
_WORD = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda t: t.strip() != ""
)
_OPERATION = st.one_of(
    st.tuples(st.just("cause"), _TEXT),
    st.tuples(st.just("estimate"), st.sampled_from(["2026-11-26 14:00 UTC", "2026-11-26 15:00 UTC"])),
    st.tuples(st.just("prevention"), _WORD),
    st.tuples(
        st.just("component"), st.sampled_from(["api", "email"]), st.sampled_from(["major_outage", "operational"])
    ),
    st.tuples(st.just("done"), st.integers(0, 5)),
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_FRONTS), st.lists(_OPERATION, max_size=6))
def test_any_sequence_of_edits_reads_back(front: str, operations: list[tuple[object, ...]]) -> None:
    """Each edit is planned on the text the last one left: any sequence gives YAML that says what was asked."""
    doc = Document(front.encode())
    editor = FrontMatterEditor(doc)
    expected: dict[str, object] = {}
    steps = len(editor.items("prevention"))
    for operation in operations:
        match operation:
            case ("cause", str(text)):
                editor.set_text("cause", text)
                expected["cause"] = " ".join(text.split())
            case ("estimate", str(when)):
                old = editor.scalar_value("estimate")
                editor.set_inline("estimate", when)
                if old is not None:
                    editor.append_item("previous_estimates", old, after="estimate")
                expected["estimate"] = when
            case ("prevention", str(step)):
                editor.append_item("prevention", step)
                steps += 1
            case ("component", str(name), str(status)):
                editor.set_mapping_values("components", [(name, status)], "partial_outage")
                expected[f"component {name}"] = status
            case ("done", int(index)) if index < steps:
                editor.set_item_key("prevention", index, "done", "2026-11-27", text_key="step")
    loaded = yaml.safe_load(editor.data.decode().split("---\n")[1])
    found = loaded.get("prevention")
    assert (1 if isinstance(found, str) else len(found or [])) == steps
    for key, value in expected.items():
        if key.startswith("component "):
            assert loaded["components"][key.removeprefix("component ")] == value
        elif key == "cause":
            assert " ".join(str(loaded["cause"]).split()) == value
        else:
            assert str(loaded[key]) == value
