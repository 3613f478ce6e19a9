"""Markdown to HTML, and HTML to plain text.

Authors are trusted: their Markdown may hold HTML and it renders as written.
One ``Markdown`` instance per process, reset between documents, because
building one costs more than converting a short update.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import markdown

#: Part of every cache key: a change here must invalidate cached HTML.
MARKDOWN_SETTINGS = ("extra", "sane_lists", "smarty-off")

_converter: markdown.Markdown | None = None


def _markdown() -> markdown.Markdown:
    global _converter
    if _converter is None:
        _converter = markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    return _converter


def to_html(source: str) -> str:
    """Render author Markdown to HTML (a fragment)."""
    converter = _markdown()
    converter.reset()
    return converter.convert(source).strip()


def to_inline_html(source: str) -> str:
    """Render a one-paragraph Markdown text without its ``<p>`` wrapper."""
    rendered = to_html(source)
    match = re.fullmatch(r"<p>(.*)</p>", rendered, re.DOTALL)
    return match.group(1) if match else rendered


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def to_plain(source: str) -> str:
    """Markdown (or HTML) as one line of plain text, for titles and badges."""
    extractor = _TextExtractor()
    extractor.feed(to_html(source))
    extractor.close()
    return " ".join("".join(extractor.parts).split())


def escape(text: str) -> str:
    return html.escape(text, quote=True)
