"""Front matter and YAML: lines kept, YAML's own errors and lines, no silent type guessing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
import yaml

from inloop.errors import Problem
from inloop.read.content import parse_incident
from inloop.read.frontmatter import YList, YMap, YScalar, parse_yaml_mapping, split_front_matter

BERLIN = ZoneInfo("Europe/Berlin")


def problems_of(text: str) -> list[str]:
    return [str(p) for p in split_front_matter(text, "p.md").problems]


def test_front_matter_and_body_are_split_with_lines() -> None:
    front = split_front_matter("---\ntitle: Hello\nimpact: minor\n---\nFirst body line\n", "p.md")
    assert front.problems == []
    assert front.data is not None
    assert front.data.entries["title"].key_line == 2
    assert front.data.entries["impact"].key_line == 3
    assert front.data.entries["title"].value == YScalar("Hello", 2)
    assert front.body == "First body line\n"
    assert front.body_line == 5


def test_front_matter_may_close_with_dots() -> None:
    front = split_front_matter("---\ntitle: x\n...\nbody\n", "p.md")
    assert front.problems == []
    assert front.data is not None and "title" in front.data.entries
    assert front.body == "body\n"


def test_empty_front_matter_is_an_empty_mapping() -> None:
    front = split_front_matter("---\n\n---\nbody\n", "p.md")
    assert front.problems == []
    assert front.data == YMap({}, 2)


def test_no_front_matter() -> None:
    assert problems_of("title: x\n\n## 2026-11-20 14:02 — Investigating\n") == [
        "p.md:1: no front matter: the file must start with a line '---'"
    ]
    assert problems_of("") == ["p.md:1: no front matter: the file must start with a line '---'"]
    assert problems_of("\n---\ntitle: x\n---\n") == ["p.md:1: no front matter: the file must start with a line '---'"]


def test_unclosed_front_matter() -> None:
    assert problems_of("---\ntitle: x\nimpact: minor\n\n## 2026-11-20 14:02 — Investigating\n") == [
        "p.md:1: unclosed front matter: no closing '---' line after the opening one"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "---\ntitle: [x\n---\n",
            "p.md:2: YAML syntax error: expected ',' or ']', but got '<stream end>'; a value that starts with '[' "
            "is read as a YAML list, which must end with ']': if it is text, put it in quotes: title: \"[x\"",
        ),
        (
            "---\ntitle: x\nimpact: 1\n  extra: 2\n---\n",
            "p.md:4: YAML syntax error: mapping values are not allowed here; this line is indented under 'impact', "
            "so YAML reads it as more of that value: start 'extra' in the same column as 'impact'",
        ),
        (
            "---\ntitle: x\nimpact: 'minor\n---\n",
            "p.md:3: YAML syntax error: found unexpected end of stream; "
            "the ' that opens the value is not closed: end the value with '",
        ),
        (
            "---\ntitle: x\n\timpact: minor\n---\n",
            "p.md:3: YAML syntax error: found character '\\t' that cannot start any token; "
            "indent with spaces: YAML does not allow tabs there",
        ),
        ("---\ntitle: x\n- minor\n---\n", "p.md:3: YAML syntax error: expected <block end>, but found '-'"),
        (
            "---\ntitle: a: b\n---\n",
            "p.md:2: YAML syntax error: mapping values are not allowed here; "
            "if the value contains ': ', put it in quotes: title: \"a: b\"",
        ),
        ("---\ntitle: x\nimpact: a\x00b\n---\n", "p.md:3: YAML syntax error: character #x0000 is not allowed in YAML"),
    ],
)
def test_yaml_syntax_errors_carry_yamls_own_line(text: str, expected: str) -> None:
    assert problems_of(text) == [expected]
    # the line is YAML's own mark, moved down by the opening '---'
    yaml_text = text.split("---\n")[1].removesuffix("\n")
    with pytest.raises(yaml.YAMLError) as caught:
        yaml.compose(yaml_text, Loader=yaml.SafeLoader)
    if isinstance(caught.value, yaml.MarkedYAMLError):
        mark = caught.value.problem_mark
        assert mark is not None
        assert expected.startswith(f"p.md:{mark.line + 2}:")


def test_yaml_errors_do_not_depend_on_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """With or without PyYAML's C extension, an author reads the same message."""
    import inloop.read.frontmatter

    text = "---\ntitle: [x\n---\n"
    fast = problems_of(text)
    monkeypatch.setattr(inloop.read.frontmatter, "_LOADER", yaml.SafeLoader, raising=False)
    assert problems_of(text) == fast
    assert fast[0].startswith("p.md:2: YAML syntax error: expected ',' or ']', but got '<stream end>'; ")


def test_duplicate_keys_are_reported_at_the_second() -> None:
    text = "---\ntitle: first\nimpact: minor\ntitle: second\n---\n"
    front = split_front_matter(text, "p.md")
    assert [str(p) for p in front.problems] == ["p.md:4: duplicate key 'title' (first on line 2)"]
    # the first one is kept, not silently replaced
    assert front.data is not None
    assert front.data.entries["title"].value == YScalar("first", 2)


def test_duplicate_keys_in_nested_mappings() -> None:
    text = "---\ncomponents:\n  api: major_outage\n  dashboard: partial_outage\n  api: operational\n---\n"
    assert problems_of(text) == ["p.md:5: duplicate key 'api' (first on line 3)"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("---\n- a\n- b\n---\n", "a list"),
        ("---\njust some text\n---\n", "'just some text'"),
        ("---\n42\n---\n", "'42'"),
    ],
)
def test_front_matter_must_be_a_mapping(text: str, found: str) -> None:
    assert problems_of(text) == [f"p.md:2: front matter must be a mapping of keys, found {found}"]


def test_keys_must_be_text_and_merge_keys_are_refused() -> None:
    assert problems_of("---\n? [a, b]\n: c\n---\n") == ["p.md:2: a key must be plain text"]
    assert problems_of("---\nbase: {x: 1}\nother:\n  <<: {y: 2}\n---\n") == [
        "p.md:4: YAML merge keys ('<<') are not supported"
    ]


def test_scalars_stay_text_whatever_yaml_would_make_of_them() -> None:
    text = (
        "---\n"
        "estimate: 2026-11-20 14:02\n"
        "date: 2026-11-20\n"
        "flag: yes\n"
        "number: 1.50\n"
        "octal: 0755\n"
        "nothing: ~\n"
        "quoted: 'null'\n"
        "---\n"
    )
    front = split_front_matter(text, "p.md")
    assert front.problems == []
    assert front.data is not None
    values = {key: entry.value for key, entry in front.data.entries.items()}
    assert values["estimate"] == YScalar("2026-11-20 14:02", 2)
    assert values["date"] == YScalar("2026-11-20", 3)
    assert values["flag"] == YScalar("yes", 4)
    assert values["number"] == YScalar("1.50", 5)
    assert values["octal"] == YScalar("0755", 6)
    assert isinstance(values["nothing"], YScalar) and values["nothing"].is_null
    assert isinstance(values["quoted"], YScalar) and not values["quoted"].is_null
    assert values["quoted"].plain is False


def test_yaml_timestamps_are_read_in_the_site_zone_not_utc() -> None:
    # yaml.safe_load makes this a naive datetime, which Python reads as UTC or local time
    assert yaml.safe_load("estimate: 2026-11-20 16:30:00")["estimate"].tzinfo is None
    text = (
        "---\ntitle: T\nimpact: minor\ncomponents: [api]\n"
        "estimate: 2026-11-20 16:30:00\nnext_update: 2026-11-20T15:00\nstarted: 2026-11-20 13:55\n"
        "---\n## 2026-11-20 14:02 — Investigating\nLooking.\n"
    )
    incident, problems = parse_incident(text.encode(), "x", "x.md", BERLIN, frozenset({"api"}))
    assert problems == []
    assert incident is not None
    assert incident.estimate is not None and incident.estimate.isoformat() == "2026-11-20T15:30:00+00:00"
    assert incident.next_update is not None and incident.next_update.isoformat() == "2026-11-20T14:00:00+00:00"
    assert incident.started is not None and incident.started.isoformat() == "2026-11-20T12:55:00+00:00"
    assert incident.updates[0].time.isoformat() == "2026-11-20T13:02:00+00:00"


def test_lists_and_nested_lines() -> None:
    text = "---\nprevention:\n  - one\n  - step: two\n    done: 2026-11-21\n---\n"
    front = split_front_matter(text, "p.md")
    assert front.data is not None
    steps = front.data.entries["prevention"].value
    assert isinstance(steps, YList)
    assert steps.items[0] == YScalar("one", 3)
    second = steps.items[1]
    assert isinstance(second, YMap)
    assert second.line == 4
    assert second.entries["done"].key_line == 5


def test_parse_yaml_mapping_offsets_lines() -> None:
    data, problems = parse_yaml_mapping("a: 1\nb: [\n", "x.yml", first_line=10)
    assert data is None
    assert problems == [Problem("x.yml", 12, "YAML syntax error: expected the node content, but found '<stream end>'")]


def test_windows_line_endings_and_a_byte_order_mark() -> None:
    text = (
        "\ufeff---\r\ntitle: T\r\nimpact: minor\r\ncomponents: [api]\r\n---\r\n"
        "## 2026-11-20 14:02 UTC — Investigating\r\nx\r\n"
    )
    incident, problems = parse_incident(text.encode(), "x", "x.md", BERLIN, frozenset({"api"}))
    assert problems == []
    assert incident is not None
    assert incident.title == "T"
    assert incident.updates[0].line == 6
    assert incident.updates[0].body == "x"


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        (
            "title: Outage: API",
            "YAML syntax error: mapping values are not allowed here; "
            "if the value contains ': ', put it in quotes: title: \"Outage: API\"",
        ),
        (
            "title: *Important* outage",
            "YAML syntax error: expected alphabetic or numeric character, but found '*'; "
            "a value that starts with '*' is read as a YAML alias: if it is text, put it in quotes: "
            'title: "*Important* outage"',
        ),
        (
            "title: &more text",
            "YAML anchors ('&more') are not allowed in front matter; "
            'if it is text, put it in quotes: title: "&more text"',
        ),
        (
            "title: !important notice",
            "YAML tags ('!important') are not allowed in front matter; "
            'if it is text, put it in quotes: title: "!important notice"',
        ),
        (
            "title: @ops paged",
            "YAML syntax error: found character '@' that cannot start any token; "
            "YAML reserves '@' at the start of a value: if it is text, put it in quotes: title: \"@ops paged\"",
        ),
        (
            "title: `api` down",
            "YAML syntax error: found character '`' that cannot start any token; "
            "YAML reserves '`' at the start of a value: if it is text, put it in quotes: title: \"`api` down\"",
        ),
        (
            "title: %d errors",
            "YAML syntax error: found character '%' that cannot start any token; "
            "YAML reserves '%' at the start of a value: if it is text, put it in quotes: title: \"%d errors\"",
        ),
        (
            "title: [URGENT] API down",
            "YAML syntax error: expected <block end>, but found '<scalar>'; "
            "a value that starts with '[' is read as a YAML list, which must end with ']': "
            'if it is text, put it in quotes: title: "[URGENT] API down"',
        ),
        (
            "title: {draft} notes",
            "YAML syntax error: expected <block end>, but found '<scalar>'; "
            "a value that starts with '{' is read as a YAML mapping, which must end with '}': "
            'if it is text, put it in quotes: title: "{draft} notes"',
        ),
        (
            "title: 'It's down'",
            "YAML syntax error: expected <block end>, but found '<scalar>'; "
            "a value in quotes ends at the next ': put it in the other quotes: title: \"It's down\"",
        ),
        (
            "title: > 50% errors",
            "YAML syntax error: expected a comment or a line break, but found '5'; "
            "a value that starts with '>' is read as a YAML block of lines: if it is text, put it in quotes: "
            'title: "> 50% errors"',
        ),
        (
            "components: [api, #db]",
            "YAML syntax error: expected the node content, but found '<stream end>'; "
            "a ' #' starts a YAML comment, which hides the rest of the line: put the item with '#' in quotes",
        ),
        (
            "  - Fix: it now: ok",
            "YAML syntax error: mapping values are not allowed here; "
            "if the value contains ': ', put it in quotes: - Fix: \"it now: ok\"",
        ),
    ],
)
def test_yaml_errors_say_how_to_write_the_value(line: str, hint: str) -> None:
    text = f"---\nimpact: minor\n{'prevention:' + chr(10) if line.startswith('  -') else ''}{line}\n---\n"
    assert [p.message for p in split_front_matter(text, "p.md").problems] == [hint]


def test_a_text_cut_by_a_comment_is_an_error_that_says_to_quote_it() -> None:
    text = (
        "---\ntitle: Fix for issue #123\nimpact: minor\ncomponents: [api]\n"
        "cause: Power loss.  # inloop: ignore finger-pointing\n---\n## 2026-11-20 14:02 UTC — Investigating\nx\n"
    )
    _, problems = parse_incident(text.encode(), "x", "x.md", BERLIN, frozenset({"api"}))
    assert [str(p) for p in problems] == [
        "x.md:2: 'title' ends before '#123': YAML reads ' #' as the start of a comment; "
        'if it is part of the text, put the value in quotes: title: "Fix for issue #123"'
    ]
    text = text.replace("title: Fix for issue #123", "title: #1 priority")
    _, problems = parse_incident(text.encode(), "x", "x.md", BERLIN, frozenset({"api"}))
    assert [str(p) for p in problems] == [
        "x.md:2: required key 'title' has no value: YAML reads '#1 priority' as a comment; "
        'if it is the value, put it in quotes: title: "#1 priority"'
    ]
