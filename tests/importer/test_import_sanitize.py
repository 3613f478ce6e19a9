"""Imported HTML is untrusted: what the converter writes renders to nothing that runs.

Each Markdown text is rendered with the build's own renderer and read with a
real HTML parser (BeautifulSoup on html.parser); ``active`` lists what in it
could run or load: a tag outside text structure, an ``on*`` attribute, a
``javascript:``/``data:`` URL.
"""

from __future__ import annotations

import os

import pytest
from bs4 import BeautifulSoup
from hostile_html import active_in_html, hostile_fragments
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inloop.importer.html2md import html_to_markdown, markdown_from_feed_text
from inloop.importer.sanitize import ALLOWED_TAGS, clean_html, plain_text
from inloop.read import markup

LONG = os.environ.get("INLOOP_LONG_PROPERTIES") == "1"


def active(markdown_text: str) -> list[str]:
    """What the text renders to that could run, read as the build reads an update: stripped."""
    return active_in_html(markup.to_html(markdown_text.strip()))


def test_a_code_block_first_in_an_update_stays_code() -> None:
    # an update's text is read stripped: "    text" would lose its indent and the attribute
    # list under it would land on a paragraph
    text = html_to_markdown("<pre>text\n{: onmouseover=alert(1) }</pre>")
    assert text == "&#8203;\n\n    text\n    {: onmouseover=alert(1) }"
    assert active(text) == []


# --- the two routes of issue 21 -----------------------------------------------------


def test_a_postmortem_cannot_carry_a_script() -> None:
    # Statuspage postmortems arrive as Markdown; HTML in them was kept as written
    fragment = (
        "# Summary\n<br />\n<br />It broke. &lt;script&gt;alert(1)&lt;/script&gt;\n<br />\n"
        '<br />&lt;img src=x onerror="alert(2)"&gt; [see](javascript:alert(3))'
    )
    text = markdown_from_feed_text(fragment)
    assert text == "# Summary\n\nIt broke.\n\nsee"
    assert active(text) == []


def test_a_pre_that_opens_a_list_item_stays_code() -> None:
    fragment = "<ul><li><pre>&lt;script&gt;alert(1)&lt;/script&gt;</pre></li></ul>"
    text = html_to_markdown(fragment)
    assert text == "- &#8203;\n\n        <\u200bscript>alert(1)<\u200b/script>"
    html = markup.to_html(text)
    assert active_in_html(html) == []
    code = BeautifulSoup(html, "html.parser").find("code")
    assert code is not None and code.get_text().replace("\u200b", "") == "<script>alert(1)</script>\n"


def test_an_attribute_list_in_text_is_escaped() -> None:
    text = html_to_markdown('<h3>Title {: onclick="alert(1)" }</h3><p>x<br>{: onmouseover=alert(2) }</p>')
    assert text == '### Title \\{: onclick="alert(1)" \\}\n\nx  \n\\{: onmouseover=alert(2) \\}'
    assert active(text) == []


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("<script>alert(1)</script>ok", "ok"),
        ("<img src=x onerror=alert(1)>ok", "ok"),
        ('<img src="https://e.com/a.png" alt="A" onerror="alert(1)">', "![A](https://e.com/a.png)"),
        ("<svg onload=alert(1)><circle/></svg>ok", "ok"),
        ('<a href="javascript:alert(1)">x</a>', "x"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "x"),
        ('<a href="jav&#x09;ascript:alert(1)">x</a>', "x"),
        ('<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>', "x"),
        ('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>', "x"),
        ('<iframe src="https://evil.example/"></iframe>ok', "ok"),
        ("<IMG SRC=JaVaScRiPt:alert('XSS')>ok", "ok"),
        ('<p style="background:url(javascript:alert(1))" onclick="x">ok</p>', "ok"),
        ("<scr<script>ipt>alert(1)</script>", "ipt>alert(1)"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;\u200bscript>alert(1)&lt;\u200b/script>"),
        ('<a href="https://example.com/" onclick="alert(1)">ok</a>', "[ok](https://example.com/)"),
    ],
)
def test_hostile_html_comes_out_inert(fragment: str, expected: str) -> None:
    text = html_to_markdown(fragment)
    assert text == expected
    assert active(text) == []


def test_the_sanitizer_keeps_text_structure() -> None:
    kept = clean_html(
        '<p class="x">a <b>b</b> <a href="https://e.com/" title="t">c</a></p><ol start="3"><li>d</li></ol>'
    )
    assert kept == '<p>a <b>b</b> <a href="https://e.com/">c</a></p><ol start="3"><li>d</li></ol>'
    assert {"a", "p", "pre", "code", "ul", "ol", "li", "img"} <= ALLOWED_TAGS
    assert not {"script", "iframe", "svg", "style", "object", "embed", "form", "math"} & ALLOWED_TAGS


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("<script>alert(1)</script>Outage", "Outage"),
        ("&lt;img src=x onerror=alert(1)&gt;API down", "API down"),
        ("&amp;lt;script&amp;gt;x", ""),  # a script, once decoded: it goes, with what follows it
        ("Errors: a < b & c", "Errors: a < b & c"),
        ("Bell\x07 and\x1b escape", "Bell and escape"),
    ],
)
def test_titles_are_plain_text(title: str, expected: str) -> None:
    assert plain_text(title) == expected


# --- every fragment of a hostile generator ------------------------------------------------


@pytest.mark.timeout(3600 if LONG else 300)
@settings(
    max_examples=2000 if LONG else 150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(hostile_fragments())
def test_no_hostile_fragment_renders_anything_active(fragment: str) -> None:
    assert active(html_to_markdown(fragment)) == []
    assert active(markdown_from_feed_text(fragment)) == []


@settings(max_examples=1000 if LONG else 100, deadline=None)
@given(st.text())
def test_no_text_at_all_renders_anything_active(text: str) -> None:
    assert active(html_to_markdown(text)) == []
    assert active(markdown_from_feed_text(text)) == []
