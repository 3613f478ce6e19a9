"""HTML of imported updates becomes Markdown that says the same thing."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inloop.importer.html2md import (
    demote_level2_headings,
    html_to_markdown,
    markdown_from_feed_text,
)

LEVEL2 = re.compile(r"^ {0,3}##(?:[ \t]|$)", re.MULTILINE)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def rendered_text(md: str) -> str:
    """The text a reader sees once Python-Markdown (inloop's renderer) renders ``md``."""
    parser = _Text()
    parser.feed(markdown.markdown(md).replace("\u200b", ""))  # the tag breaker is invisible
    parser.close()
    return " ".join("".join(parser.parts).split())


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>Hello</p><p>world</p>", "Hello\n\nworld"),
        ("one<br>two", "one  \ntwo"),
        ("one<br /><br />two", "one\n\ntwo"),
        ("<strong>bold</strong> and <b>also</b>", "**bold** and **also**"),
        ("<em>it</em> and <i>also</i>", "*it* and *also*"),
        ("a<strong> spaced </strong>b", "a **spaced** b"),
        ("<b><b>twice</b></b>", "**twice**"),
        ('<a href="https://example.com/x">the docs</a>', "[the docs](https://example.com/x)"),
        ('<a href="https://e.com/a b(c)">x</a>', "[x](https://e.com/a%20b%28c%29)"),
        ('<a href="javascript:alert(1)">click</a>', "click"),
        ('<a href="https://e.com/"></a>', "[https://e.com/](https://e.com/)"),
        ("<ul><li>one</li><li>two</li></ul>", "- one\n- two"),
        ('<ol start="3"><li>three</li><li>four</li></ol>', "3. three\n4. four"),
        ("<ul><li>a<ul><li>b</li></ul></li></ul>", "- a\n    - b"),
        ("<p>use <code>a`b</code></p>", "use ``a`b``"),
        # a zero-width space after "<" keeps plain-text outputs from holding a tag
        # first in an update, whose text is read stripped: an invisible paragraph keeps the indent
        ("<pre>line 1\n  line 2 &lt;x&gt;</pre>", "&#8203;\n\n    line 1\n      line 2 <\u200bx>"),
        ("<h1>Title</h1>", "# Title"),
        ("<h2>Impact</h2>", "### Impact"),
        ("<h3>Three</h3><h6>Six</h6>", "### Three\n\n###### Six"),
        ("<h1>C#</h1>", "# C\\#"),
        ("<blockquote><p>a</p><p>b</p></blockquote>", "> a\n>\n> b"),
        # as a browser reads it: the open <b> goes on into the next paragraph
        ("<p>unclosed <b>bold<p>next", "unclosed **bold**\n\n**next**"),
        ("<script>alert(1)</script>text", "text"),
        ("", ""),
    ],
)
def test_tags(source: str, expected: str) -> None:
    assert html_to_markdown(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("2 * 3 = 6", "2 \\* 3 = 6"),
        ("snake_case stays, _emphasis_ does not", "snake_case stays, \\_emphasis\\_ does not"),
        ("[not a link](x)", "\\[not a link\\](x)"),
        ("&lt;b&gt;not bold&lt;/b&gt;", "&lt;\u200bb>not bold&lt;\u200b/b>"),
        ("&amp;copy; is text", "&amp;copy; is text"),
        ("- not a list", "\\- not a list"),
        ("# not a heading", "\\# not a heading"),
        ("1. not a list", "1\\. not a list"),
        ("&gt; not a quote", "\\> not a quote"),
        ("text<br>---<br>more", "text  \n\\---  \nmore"),
    ],
)
def test_text_that_looks_like_markdown_is_escaped(source: str, expected: str) -> None:
    assert html_to_markdown(source) == expected


def test_escaped_text_renders_as_written() -> None:
    source = "Errors on *all* [regions] for user_id <5> &amp; 1. - # > `x` \\ done"
    assert rendered_text(html_to_markdown(html.escape(source))) == source


def test_level2_headings_are_demoted() -> None:
    md = "\n".join(
        [
            "## Impact",
            "   ## indented",
            "Summary",
            "-------",
            "",
            "```",
            "## in a fence",
            "```",
            "### three",
            "",
            "---",
        ]
    )
    assert demote_level2_headings(md) == "\n".join(
        [
            "### Impact",
            "   ### indented",
            "### Summary",
            "",
            "```",
            "## in a fence",
            "```",
            "### three",
            "",
            "---",
        ]
    )


def test_statuspage_markdown_is_rendered_sanitized_and_written_back() -> None:
    fragment = (
        "# Summary\n<br />\n<br />We apologise &amp; fix [it](https://e.com/a_b).\n<br />\n"
        "<br />## What happened\n<br />\n<br />* one\n<br />* two"
    )
    assert markdown_from_feed_text(fragment) == (
        "# Summary\n\nWe apologise & fix [it](https://e.com/a_b).\n\n### What happened\n\n- one\n- two"
    )


def test_statuspage_text_with_html_markup_is_converted() -> None:
    assert markdown_from_feed_text("<p>We <strong>fixed</strong> it.</p>") == "We **fixed** it."


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    md = html_to_markdown(text)
    assert isinstance(md, str)
    assert not LEVEL2.search(md)
    assert not LEVEL2.search(markdown_from_feed_text(text))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))),
            st.sampled_from(
                [
                    "<p>",
                    "</p>",
                    "<b>",
                    "</b>",
                    "<br>",
                    "<h2>",
                    "</h2>",
                    "<ul><li>",
                    "</li>",
                    "<a href='https://e.com/'>",
                    "</a>",
                    "<pre>",
                    "</pre>",
                    "<!--",
                    "-->",
                    "<![",
                    "<?x",
                    "&",
                    "&#",
                    "&#x110000;",
                    "<code>",
                    "</ul>",
                    "<blockquote>",
                    "<",
                ]
            ),
        ),
        max_size=30,
    )
)
def test_never_raises_on_tag_soup(parts: list[str]) -> None:
    md = html_to_markdown("".join(parts))
    assert not LEVEL2.search(md)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp", "Co", "Cn"))))
def test_plain_text_survives_rendering(text: str) -> None:
    """Whatever text an update holds, the rendered page shows that text."""
    expected = " ".join(text.replace("\u200b", "").split())  # rendered_text drops every zero-width space
    assert rendered_text(html_to_markdown(html.escape(text))) == expected


def _source_text(fragment: str) -> str:
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.parts)


_TRICKY_TEXT = st.text(alphabet=st.sampled_from(list("ab 1.-#>*_`[]()<>&;!\\=+|~\n\t:xé")), max_size=12).map(
    html.escape
)
_WRAPPERS = {
    "b": ("<b>", "</b>"),
    "em": ("<em>", "</em>"),
    "a": ("<a href='https://e.com/x'>", "z</a>"),
    "p": ("<p>", "</p>"),
    "li": ("<ul><li>w", "</li></ul>"),
    "h2": ("<h2>", "</h2>"),
    "quote": ("<blockquote>", "</blockquote>"),
}


@st.composite
def _fragments(draw: st.DrawFn, depth: int = 0, inline: bool = False, in_link: bool = False) -> str:
    """Update-like HTML: text with emphasis, links, paragraphs, lists, headings (no link
    in a link: HTML has none, a browser closes the first)."""
    kinds = ["text", "br", "b", "em"] + ([] if in_link else ["a"])
    if not inline:
        kinds += ["p", "li", "h2"] + (["quote"] if depth == 0 else [])
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(kinds if depth < 3 else ["text"]))
        if kind == "text":
            parts.append(draw(_TRICKY_TEXT))
        elif kind == "br":
            parts.append("<br>")
        else:
            opening, closing = _WRAPPERS[kind]
            child_inline = inline or kind in ("b", "em", "a", "h2", "p")
            parts.append(opening + draw(_fragments(depth + 1, child_inline, in_link or kind == "a")) + closing)
    return "".join(parts)


@settings(max_examples=150, deadline=None)
@given(_fragments())
def test_structured_html_renders_the_same_text(fragment: str) -> None:
    """Emphasis, links and lists come out as Markdown that shows the words they held."""
    expected = "".join(_source_text(fragment).split())
    assert "".join(rendered_text(html_to_markdown(fragment)).split()) == expected


def test_statuspage_markdown_with_inline_html_becomes_markdown() -> None:
    fragment = "We use <b>two</b> steps:\n<br />\n<br />* one\n<br />* two"
    assert markdown_from_feed_text(fragment) == "We use **two** steps:\n\n- one\n- two"
