"""Markdown to HTML, and HTML to plain text.

Authors are trusted: their Markdown may hold HTML and it renders as written.
One ``Markdown`` instance per process, reset between documents, because
building one costs more than converting a short update.
"""

from __future__ import annotations

import html
import re
from collections import OrderedDict
from html.parser import HTMLParser

import markdown
from markdown.inlinepatterns import LinkInlineProcessor

#: Part of every cache key: a change here must invalidate cached HTML.
MARKDOWN_SETTINGS = ("extra", "sane_lists", "smarty-off")

_converter: markdown.Markdown | None = None


def _markdown() -> markdown.Markdown:
    global _converter
    if _converter is None:
        _converter = markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
        for pattern in _converter.inlinePatterns:
            if isinstance(pattern, LinkInlineProcessor):
                _bound_link_scans(pattern)
    return _converter


#: Markdown nested deeper than this (lists, quotes, indentation) is refused: see :func:`nesting_problem`.
MAX_NESTING = 20
#: How far a link's ``(address "title")`` may reach: a longer one is text, not a link.
LINK_WINDOW = 2048


class MarkupError(ValueError):
    """A text Markdown cannot render (nested beyond Python's recursion limit)."""


class _Pairs:
    """Where each opening character of a text is closed, found in one pass and kept for the text's tail.

    Python-Markdown looks for the ``]`` of every ``[`` by walking the rest of
    the paragraph, once for each of its six link patterns: ``[`` x 20,000
    took 33 s.  Which ``]`` closes a ``[`` depends only on the text after it,
    and Markdown replaces what it matched by a placeholder *before* the
    position it goes on from, so positions counted from the end stay true.
    """

    def __init__(self, opening: str, closing: str) -> None:
        self.pattern = re.compile(f"[{re.escape(opening)}{re.escape(closing)}]")
        self.opening = opening
        self.tables: OrderedDict[str, dict[int, int]] = OrderedDict()  # text -> {from end after opener: from end}

    def close(self, data: str, index: int) -> int | None:
        """The index of what closes the opener just before ``index``, or None if nothing does."""
        from_end = len(data) - index
        tail = data[index:]
        for text, table in reversed(self.tables.items()):
            if len(text) >= from_end and text.endswith(tail):
                closing = table.get(from_end)
                return None if closing is None else len(data) - closing
        table = self._table(data)
        self.tables[data] = table
        if len(self.tables) > 8:
            self.tables.popitem(last=False)
        closing = table.get(from_end)
        return None if closing is None else len(data) - closing

    def _table(self, data: str) -> dict[int, int]:
        table: dict[int, int] = {}
        open_at: list[int] = []
        size = len(data)
        for found in self.pattern.finditer(data):
            if found.group() == self.opening:
                open_at.append(size - found.end())
            elif open_at:
                table[open_at.pop()] = size - found.start()
        return table


_BRACKETS = _Pairs("[", "]")
_PARENTHESES = _Pairs("(", ")")


def _bound_link_scans(pattern: LinkInlineProcessor) -> None:
    """Give a link pattern of this process's converter scans that cost no more than the text is long."""
    original_text, original_link = pattern.getText, pattern.getLink

    def get_text(data: str, index: int) -> tuple[str, int, bool]:
        if index == 0 or data[index - 1] != "[":
            return original_text(data, index)
        closing = _BRACKETS.close(data, index)
        if closing is None:
            return data[index:], len(data), False
        return data[index:closing], closing + 1, True

    def get_link(data: str, index: int) -> tuple[str, str | None, int, bool]:
        window = data[: index + LINK_WINDOW]
        if ")" not in window[index:]:
            return "", None, index, False
        if index < len(data) and data[index] == "(" and not any(q in window[index:] for q in "'\"<"):
            if _PARENTHESES.close(data, index + 1) is None:  # the "(" is never closed, and no title can close it
                return "", None, index, False
        return original_link(window, index)

    pattern.getText = get_text  # type: ignore[method-assign]
    pattern.getLink = get_link  # type: ignore[method-assign]


#: Texts already converted in this process, and their HTML.  Status updates
#: repeat ("We are still working on a fix.") across hundreds of incidents: a
#: conversion is a pure function of the text, so none is done twice.
_converted: dict[str, str] = {}
#: Longer texts (postmortems) rarely repeat: not worth their memory.
MEMO_MAX_CHARS = 2000
#: The memo starts again when it holds this many texts, to bound its memory.
MEMO_MAX_ENTRIES = 50_000
_SPLIT = "<!--inloop:fragment:4f1c9a-->"
#: Markdown whose meaning may reach across fragments: footnotes, reference
#: links, abbreviations, fences and raw HTML blocks that may stay open.
_NOT_BATCHABLE = re.compile(r"\[\^|\]:|^\*\[|```|~~~|<|^ {4}|^\t|^ {0,3}:", re.MULTILINE)


def _convert(source: str) -> str:
    converter = _markdown()
    converter.reset()
    try:
        return converter.convert(source).strip()
    except RecursionError:
        raise MarkupError(
            f"Markdown nested too deeply to render: at most {MAX_NESTING} levels of lists, quotes and HTML blocks"
        ) from None


def _remember(memo: dict[str, str], source: str, made: str) -> None:
    """Keep what a short text made; a full memo starts again, so that its memory stays bounded."""
    if len(source) <= MEMO_MAX_CHARS:
        if len(memo) >= MEMO_MAX_ENTRIES:
            memo.clear()
        memo[source] = made


#: Characters of a plain paragraph outside code: none that Markdown (with ``extra``)
#: reads as markup (emphasis, code, link, HTML, entity, escape, table, attribute
#: list, footnote, abbreviation), no control character and no line separator.
_PLAIN_TEXT = re.compile(r"[^\\`*_{}\[\]<>&|~#\x00-\x1f\x7f-\x9f\u2028\u2029]*")
#: The text of a code span in single backticks: on one line, with no backslash.
_CODE_TEXT = re.compile(r"[^`\\\x00-\x1f\x7f-\x9f\u2028\u2029]+")
#: A plain line with no code, as most status updates are: a letter first, no whitespace last.
_PLAIN_LINE = re.compile(r"[^\W\d_][^\\`*_{}\[\]<>&|~#\x00-\x1f\x7f-\x9f\u2028\u2029]*(?<!\s)")


def _plain_paragraph(source: str) -> str | None:
    """The HTML of a text of plain paragraphs, made without Markdown; None for any other text.

    A plain paragraph is one line that starts with a letter, a code span or
    a link and does not end in whitespace (nothing a block could start
    with), and holds only plain text, code spans in single backticks and
    inline links to http(s) addresses (see :data:`_LINK`); one blank line
    between paragraphs.  Markdown wraps each in ``<p>``, makes each code span
    ``<code>`` with its text stripped and ``&``, ``<``, ``>`` escaped, each
    link ``<a href>`` with ``&`` escaped in the address, and changes nothing
    else: a tenth of a millisecond saved for each text, more than half of
    the Markdown conversions of a site (property tests hold it to
    Markdown's own output).
    """
    if "`" not in source and "[" not in source and "\n" not in source:  # the common case, in one match
        return f"<p>{source}</p>" if _PLAIN_LINE.fullmatch(source) else None
    paragraphs = source.split("\n\n")
    made = []
    for paragraph in paragraphs:
        html = _plain_line(paragraph)
        if html is None:
            return None
        made.append(f"<p>{html}</p>")
    return "\n".join(made)


def _plain_line(line: str) -> str | None:
    """A paragraph's HTML, if it is a plain line (see :func:`_plain_paragraph`)."""
    if "`" not in line and "[" not in line:
        return line if _PLAIN_LINE.fullmatch(line) else None
    if line[-1].isspace() or not (line[0].isalpha() or line[0] in "`["):
        return None
    pieces = line.split("`")  # text, code, text, code, ..., text
    if len(pieces) % 2 == 0:
        return None
    for index, piece in enumerate(pieces):
        if index % 2:
            if _CODE_TEXT.fullmatch(piece) is None:
                return None
            code = piece.strip().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            pieces[index] = f"<code>{code}</code>"
        else:
            made = None if not piece and 0 < index < len(pieces) - 1 else _text_with_links(piece)
            if made is None:  # (two backticks in a row are a longer fence)
                return None
            pieces[index] = made
    return "".join(pieces)


#: An inline link to an http(s) address of plain characters, its text plain with no space at either end.
_LINK = re.compile(
    r"\[((?![\s])[^\\`*_{}\[\]<>&|~#\x00-\x1f\x7f-\x9f\u2028\u2029]+(?<![\s]))\]"
    r"\((https?://[A-Za-z0-9._~:/?#@!$%+,;=&-]+)\)"
)


def _text_with_links(text: str) -> str | None:
    """Plain text with inline links in it, as HTML; None if anything else is in it."""
    if "[" not in text:
        return text if _PLAIN_TEXT.fullmatch(text) else None
    parts = _LINK.split(text)  # text, link text, address, text, ...
    made = []
    for index in range(0, len(parts), 3):
        before = parts[index]
        if _PLAIN_TEXT.fullmatch(before) is None:
            return None
        made.append(before)
        if index + 1 < len(parts):
            if before.endswith("!"):  # an image
                return None
            label, address = parts[index + 1], parts[index + 2]
            made.append(f'<a href="{address.replace("&", "&amp;")}">{label}</a>')
    return "".join(made)


def to_html(source: str) -> str:
    """Render author Markdown to HTML (a fragment)."""
    found = _converted.get(source)
    if found is None:
        found = _plain_paragraph(source)
        if found is None:
            found = _convert(source)
            _remember(_converted, source, found)
    return found


def prefetch(sources: list[str]) -> None:
    """Convert many short texts in one pass; :func:`to_html` then finds them.

    Each conversion has a fixed cost larger than a short update's own, so one
    file's fragments (summary, cause, updates, steps) not converted before
    go through Markdown together, split by a marker comment.  Texts whose
    meaning could reach across the marker are left to :func:`to_html` one by
    one; the result is the same either way (a property test holds us to it).
    """
    batch = [
        text
        for text in dict.fromkeys(sources)
        if text not in _converted
        and text.strip()
        and text[0] not in " \t\n"
        and not _NOT_BATCHABLE.search(text)
        and _plain_paragraph(text) is None
    ]
    if len(batch) < 2:
        return
    try:
        parts = _convert(f"\n\n{_SPLIT}\n\n".join(batch)).split(_SPLIT)
    except MarkupError:  # one text too deep: each goes through to_html, which says which
        return
    if len(parts) != len(batch):
        return
    for text, part in zip(batch, parts, strict=True):
        _remember(_converted, text, part.strip())


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


#: Plain texts made in this process, like :data:`_converted` (prevention steps repeat too).
_plain: dict[str, str] = {}


def to_plain(source: str) -> str:
    """Markdown (or HTML) as one line of plain text, for titles and badges."""
    found = _plain.get(source)
    if found is None:
        extractor = _TextExtractor()
        extractor.feed(to_html(source))
        extractor.close()
        found = " ".join("".join(extractor.parts).split())
        _remember(_plain, source, found)
    return found


def escape(text: str) -> str:
    return html.escape(text, quote=True)


#: A line's leading run of what can nest: spaces, tabs, quote marks, list markers.
_NESTING_RUN = re.compile(r"[ \t>]*(?:(?:[-+*]|\d{1,9}[.)])(?=[ \t]|$)[ \t>]*)*")
_LIST_MARKER = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?=[ \t]|$)")
_CODE_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")


def line_depth(line: str) -> int:
    """How deep ``line`` nests: one level per quote mark and list marker, and per four columns of indentation."""
    run = _NESTING_RUN.match(line)
    prefix = run.group() if run is not None else ""
    indentation = prefix[: len(prefix) - len(prefix.lstrip(" \t"))]
    columns = 0
    for char in indentation:
        columns += 1 if char == " " else 4 - columns % 4
    return prefix.count(">") + len(_LIST_MARKER.findall(prefix)) + columns // 4


def nesting_problem(text: str) -> tuple[int, str] | None:
    """The first line (0-based) of ``text`` nested deeper than :data:`MAX_NESTING`, and why; None if none is.

    Python-Markdown parses nested lists and quotes by recursion: 2,000
    levels end in ``RecursionError`` after a minute.  No status update needs
    more than a few, so deeper is refused before Markdown sees it.  Lines in
    fenced code count too, except in fences at the start of a line.
    """
    fence: str | None = None
    for number, line in enumerate(text.split("\n")):
        if not line or line[0] not in " \t>-+*0123456789`~":
            continue
        opened = _CODE_FENCE.match(line)
        if fence is not None:
            if opened is not None and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened is not None and not line[0].isspace():
            fence = opened.group(1)
            continue
        if len(line) - len(line.lstrip(" \t>-+*0123456789.)")) <= MAX_NESTING:
            continue  # every level takes one character at least
        depth = line_depth(line)
        if depth > MAX_NESTING:
            return number, (
                f"Markdown nested {depth} levels deep (lists, quotes and indentation); "
                f"at most {MAX_NESTING} levels are allowed"
            )
    return None
