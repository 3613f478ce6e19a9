"""Converting a file's fragments in one Markdown pass gives what converting each alone gives."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inloop.read import markup

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

pieces = st.sampled_from(
    [
        "word",
        "two words",
        "**bold**",
        "_em_",
        "`code`",
        "[link](https://x.example)",
        "- item",
        "1. first",
        "> quote",
        "# Head",
        "### Sub",
        "|a|b|\n|-|-|\n|1|2|",
        "line\nbreak",
        "",
        "  ",
        "\n",
        "Term\n: definition",
        "*",
        "_",
        "[",
        "]",
        "(",
        ")",
        "#",
        "-",
        "+",
        "1.",
        ":",
        "|",
        "\\",
        "&amp;",
        "&",
        "\u2019",
        "ü",
        "---",
        "***",
    ]
)
texts = st.lists(pieces, min_size=1, max_size=6).map(" ".join) | st.lists(pieces, min_size=1, max_size=6).map("\n".join)


@settings(max_examples=int(os.environ.get("INLOOP_HYPOTHESIS_EXAMPLES", "300")), deadline=None)
@given(st.lists(texts, min_size=1, max_size=8))
def test_batched_fragments_equal_single_conversions(fragments: list[str]) -> None:
    alone = [markup._convert(text) for text in fragments]
    markup._converted.clear()
    markup.prefetch(fragments)
    assert [markup.to_html(text) for text in fragments] == alone


def test_parsing_a_generated_site_is_the_same_with_and_without_batching(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC

    from generate import generate_site  # bench/generate.py

    from inloop.read.content import content_files, parse_incident

    generate_site(tmp_path, 150, seed=3)
    files = [(p, p.read_bytes()) for p in content_files(tmp_path, "incidents")]
    markup._converted.clear()
    batched = [parse_incident(data, p.stem, p.name, UTC, None) for p, data in files]
    monkeypatch.setattr(markup, "prefetch", lambda sources: None)
    monkeypatch.setattr(markup, "_remember", lambda memo, source, made: None)
    markup._converted.clear()
    single = [parse_incident(data, p.stem, p.name, UTC, None) for p, data in files]
    assert batched == single


def test_a_text_seen_before_is_not_converted_again(monkeypatch: pytest.MonkeyPatch) -> None:
    markup._converted.clear()
    converted: list[str] = []
    real = markup._convert

    def counting(source: str) -> str:
        converted.append(source)
        return real(source)

    monkeypatch.setattr(markup, "_convert", counting)
    update = "We are still working on a fix. We will post again within **30 minutes**."
    first = markup.to_html(update)
    markup.prefetch(["A new **summary**.", update, "A *new* cause.", "A plain sentence."])
    assert markup.to_html(update) == first == real(update)
    assert markup.to_html("A *new* cause.") == "<p>A <em>new</em> cause.</p>"
    assert markup.to_html("A plain sentence.") == "<p>A plain sentence.</p>"
    # one conversion of the update alone, one batch of the two texts not seen before that need Markdown
    assert len(converted) == 2
    assert update not in converted[1] and "A new **summary**." in converted[1]
    assert "A plain sentence." not in converted[1]


def test_long_texts_are_not_kept_and_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    markup._converted.clear()
    monkeypatch.setattr(markup, "MEMO_MAX_ENTRIES", 3)
    postmortem = "word " * (markup.MEMO_MAX_CHARS // 5 + 1)
    markup.to_html(postmortem)
    assert postmortem not in markup._converted
    for text in ("*one*", "*two*", "*three*", "*four*"):
        markup.to_html(text)
    assert list(markup._converted) == ["*four*"]


def test_plain_text_is_made_once_per_text_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    markup._plain.clear()
    monkeypatch.setattr(markup, "MEMO_MAX_ENTRIES", 3)
    made: list[str] = []
    real = markup._TextExtractor.feed

    def counting(self: markup._TextExtractor, data: str) -> None:
        made.append(data)
        real(self, data)

    monkeypatch.setattr(markup._TextExtractor, "feed", counting)
    step = "Pin `sysctl` defaults &amp; *review* them  monthly."
    assert markup.to_plain(step) == "Pin sysctl defaults & review them monthly."
    assert markup.to_plain(step) == "Pin sysctl defaults & review them monthly."
    assert len(made) == 1  # the second time from the memo
    postmortem = "word " * (markup.MEMO_MAX_CHARS // 5 + 1)
    markup.to_plain(postmortem)
    assert postmortem not in markup._plain
    for text in ("one", "two", "three"):
        markup.to_plain(text)
    assert list(markup._plain) == ["three"]


# -- plain paragraphs: no Markdown needed ---------------------------------------------------

#: Letters, digits and punctuation that prose uses, and every character the shortcut must refuse.
prose = st.text(
    alphabet=st.sampled_from(
        [
            *"abcxyzABCXYZ0189 .,;:!?'\"()/%@$^+=-",
            *"\u00fc\u00e9\u00d7\u2014\u2019\u00a0",
            *"\\`*_{}[]<>&|~#\t\n\r",
            *"\x02\x03\u2028\x85\u3000",
        ]
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=int(os.environ.get("INLOOP_HYPOTHESIS_EXAMPLES", "300")) * 3, deadline=None)
@given(st.sampled_from(["A", "z", "\u00dc", "\u0416", "1", " ", "-", "*", "#", ":", ">", "\u00a0"]), prose)
def test_a_plain_paragraph_is_what_markdown_makes_of_it(first: str, rest: str) -> None:
    text = first + rest
    shortcut = markup._plain_paragraph(text)
    if shortcut is not None:
        assert shortcut == markup._convert(text)


code_text = st.text(alphabet=st.sampled_from([*"ab <>&\"'*_[]#|~{}\\`:-1", "\u00e9", "\t"]), min_size=0, max_size=6)
link_text = st.text(alphabet=st.sampled_from([*"ab <>&\"'*_[]()!#|:1", "\u00e9", "\t"]), min_size=0, max_size=6)
address = st.builds(
    "{}://{}".format,
    st.sampled_from(["https", "http", "ftp"]),
    st.text(alphabet=st.sampled_from([*"ab./?#=&%:;@!$+,~_*()'\" <>-1"]), min_size=0, max_size=12),
)
words = st.one_of(
    st.sampled_from(["Requests", "to", "affected;", "(EU)", "3\u00d7", "x:", "-", "1.", "a*b", "\u00dcber", "!"]),
    code_text.map(lambda text: f"`{text}`"),
    st.builds("[{}]({})".format, link_text, address),
    st.builds("[{}]({} {})".format, link_text, address, st.sampled_from(['"t"', "'t'", "(t)"])),
)
lines = st.lists(words, min_size=1, max_size=6).map(" ".join)


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("INLOOP_HYPOTHESIS_EXAMPLES", "300")) * 3, deadline=None)
@given(st.lists(lines, min_size=1, max_size=3), st.sampled_from(["\n\n", "\n", "\n\n\n", "\n \n", " \n\n"]))
def test_plain_paragraphs_with_code_are_what_markdown_makes_of_them(paragraphs: list[str], between: str) -> None:
    text = between.join(paragraphs)
    shortcut = markup._plain_paragraph(text)
    if shortcut is not None:
        assert shortcut == markup._convert(text)


@pytest.mark.slow
def test_every_character_the_shortcut_lets_through_is_plain_to_markdown() -> None:
    """Each character of the Basic Multilingual Plane, between letters, at the end and in code, in one text each."""
    checked = 0
    for code in range(0x20, 0x3100):
        text = f"a{chr(code)}b a {chr(code)}\n\n`{chr(code)}` x `a{chr(code)}`"
        shortcut = markup._plain_paragraph(text)
        if shortcut is not None:
            assert shortcut == markup._convert(text), repr(chr(code))
            checked += 1
    assert checked > 12_000  # nearly every character is plain


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("We are investigating elevated error rates.", True),
        ("Z\u00fcrich: 3\u00d7 peak (EU-West) at 14:05, about 40% of calls!", True),
        ("\u00c9tude termin\u00e9e.", True),
        ("1. first", False),
        ("4.21.9 is out", False),  # starts with a digit: left to Markdown
        ("- item", False),
        ("snake_case", False),
        ("R&D", False),
        ("line\nbreak", False),
        ("trailing  ", False),
        (" leading", False),
        ("use `code`", True),
        ("`/v1` works; `a<b>&c` too.", True),
        ("a ` b ` c `  ` d", True),
        ("See [our status page](https://status.example/incidents/52?a=1&b=2) for details.", True),
        ("[It](http://x.example/a) is back; `/v1` [too](https://x.example/v1#top).", True),
        ("![an image](https://x.example/a.png)", False),
        ("a ![an image](https://x.example/a.png)", False),
        ("a [ spaced ](https://x.example)", False),
        ("a [link](https://x.example/a_b*c)", False),
        ('a [link](https://x.example "title")', False),
        ("a [link](ftp://x.example)", False),
        ("a [ref][1]", False),
        ("One.\n\nTwo `x`.", True),
        ("One.\n\n\nTwo.", False),
        ("One.\nTwo.", False),
        ("use `a\\b`", False),
        ("use ``a``", False),
        ("`1``1`", False),
        ("a `x``y` b", False),
        ("use `unclosed", False),
        ("", False),
    ],
)
def test_which_texts_skip_markdown(text: str, plain: bool) -> None:
    assert (markup._plain_paragraph(text) is not None) is plain
    assert markup.to_html(text) == markup._convert(text)
