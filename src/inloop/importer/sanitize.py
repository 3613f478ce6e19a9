"""Imported text is untrusted: what of its HTML may reach a page, and a check that nothing more does.

A status page's feed (or a compromised one) is input from someone else, so
every fragment ``inloop import`` reads passes :func:`clean_html` (nh3, an
allow-list sanitizer, not a hand-written filter) before it becomes Markdown:
only the tags in :data:`ALLOWED_TAGS` stay, with only the attributes in
:data:`ALLOWED_ATTRIBUTES`, and URLs only with the schemes in
:data:`URL_SCHEMES`.  The content of :data:`DROPPED_WITH_CONTENT` goes with
its tag; any other tag goes and keeps its text.

:func:`markdown_is_inert` is the second line: it renders the Markdown the
importer wrote, with the renderer the build uses, and says whether the HTML
holds anything beyond that allow-list.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "DROPPED_WITH_CONTENT",
    "URL_SCHEMES",
    "clean_html",
    "defuse_tags",
    "markdown_is_inert",
    "plain_text",
    "without_control_characters",
]

#: The tags imported HTML may keep: text structure, nothing that runs, loads a frame or takes input.
ALLOWED_TAGS = frozenset(
    """a abbr b blockquote br cite code dd del dfn div dl dt em h1 h2 h3 h4 h5 h6 hr i img ins kbd li
    ol p pre s samp small span strong sub sup table tbody td tfoot th thead tr tt u ul var""".split()
)
#: The attributes they may keep (every other one goes, ``on*`` and ``style`` included).
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}, "img": {"src", "alt"}, "ol": {"start"}}
#: URL schemes a link or an image may use; relative URLs stay too.
URL_SCHEMES = frozenset({"http", "https", "mailto"})
#: Tags dropped together with everything inside them.
DROPPED_WITH_CONTENT = frozenset(
    """script style template noscript iframe frame frameset object embed applet title textarea select
    xmp noembed noframes svg math""".split()
)
#: The tags the Markdown of imported text may produce.
_RENDERED_TAGS = ALLOWED_TAGS
_URL_ATTRIBUTES = frozenset({"href", "src"})
_SAFE_URL = re.compile(r"^(?:https?:|mailto:|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)
#: C0 and C1 controls other than tab and newline, and what XML 1.0 cannot carry (lone surrogates,
#: which a JSON document can hold as escapes, and the noncharacters U+FFFE and U+FFFF).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]|\r")
_SPACE = re.compile(r"\s+")


#: A ``<`` that an HTML parser could read as the start of a tag, a comment or a declaration.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
#: What follows such a ``<`` in imported text: invisible, and no parser reads ``<`` before it as markup.
TAG_BREAKER = "\u200b"


def defuse_tags(text: str) -> str:
    """``text`` with a zero-width space after each ``<`` that could open a tag.

    Imported text reaches plain-text outputs too (``content_text`` in
    feed.json, the text part of an email, a chat webhook), where ``&lt;``
    is decoded; nobody should be able to read a tag there either, by
    accident or by rendering text as HTML.
    """
    return _TAG_START.sub("<" + TAG_BREAKER, text)


def without_control_characters(text: str) -> str:
    """``text`` without control characters (a carriage return becomes a newline)."""
    return _CONTROL.sub(lambda m: "\n" if m.group() == "\r" else "", text.replace("\r\n", "\n"))


def clean_html(fragment: str) -> str:
    """``fragment`` with only the allowed tags, attributes and URL schemes left."""
    return nh3.clean(
        without_control_characters(fragment),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={"*": set(), **{tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()}},
        url_schemes=set(URL_SCHEMES),
        strip_comments=True,
        link_rel=None,
    )


def plain_text(fragment: str) -> str:
    """A title: text without any tag (markup that decoding entities reveals goes too), one line."""
    text = without_control_characters(fragment)
    for _ in range(5):  # each round removes one layer of escaping; real titles need none or one
        stripped = html.unescape(nh3.clean(text, tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT)))
        if stripped == text:
            break
        text = stripped
    else:
        text = html.unescape(nh3.clean(text, tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT)))
        text = text.replace("<", "\u2039").replace(">", "\u203a")
    return defuse_tags(_SPACE.sub(" ", text).strip())


class _Audit(HTMLParser):
    """Collects what in a rendered document goes beyond the allow-list."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _RENDERED_TAGS:
            self.found.append(f"<{tag}>")
        allowed = ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                self.found.append(f"<{tag} {name}>")
            elif name in _URL_ATTRIBUTES and not _SAFE_URL.match(_SPACE.sub("", value or "")):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.found.append("<!-- -->")

    def handle_decl(self, decl: str) -> None:
        self.found.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.found.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.found.append(f"<![{data}]>")


def markdown_is_inert(markdown_text: str) -> bool:
    """Whether ``markdown_text``, rendered as the build renders it, holds only allowed HTML."""
    from inloop.read import markup  # the build's own renderer: what it makes is what a page shows

    audit = _Audit()
    try:  # stripped, as an update's text is read from its file
        audit.feed(markup.to_html(markdown_text.strip()))
        audit.close()
    except (AssertionError, ValueError):
        return False
    return not audit.found
