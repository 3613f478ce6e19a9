"""The front matter most files have, read without a YAML parser.

Nearly every incident's front matter is ``key: value`` lines, a nested
mapping or a list (``components``, ``prevention``), one-line lists of names
(``[api, web]``) and a folded paragraph (``cause: >``).  For such text
:func:`plain_mapping` builds the same :class:`~.frontmatter.YMap` that
reading the YAML events gives, lines, comments and all, in a fraction of the
time.  Anything else, and anything that could hold a problem (a duplicate
key, an empty value, a character YAML or a feed would refuse, a long value,
escapes, anchors, aliases, tags, blank lines inside a paragraph), is left to
the YAML parser by returning None, so that every refusal and every error
message stays the parser's.
"""

from __future__ import annotations

import re

from inloop.read.frontmatter import MAX_FIELD_BYTES, YEntry, YList, YMap, YNode, YScalar

#: A key this reader takes: plain, no spaces, nothing YAML reads as syntax.
_KEY = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_.-]*):(?: +(.*))?")
#: A one-line list of names: ``[api, web-app]``.
_NAMES = re.compile(r"\[ *((?:[A-Za-z0-9_][A-Za-z0-9_.-]*)(?: *, *[A-Za-z0-9_][A-Za-z0-9_.-]*)*)? *\]( +#.*)?")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
#: A quoted value on one line; in double quotes, only ``\"`` and ``\\`` as escapes (the others: the parser's).
_DOUBLE = re.compile(r'"((?:[^"\\]|\\["\\])*)"')
_SINGLE = re.compile(r"'([^']*)'(?!')")
_ESCAPED = re.compile(r'\\(["\\])')
#: The characters that cannot start a plain value (YAML's indicators).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
#: Deeper than this is left to the parser, which knows the limit and its message.
_MAX_DEPTH = 8
#: A value longer than this (in characters) is left to the parser, which measures it in bytes.
_LONGEST = MAX_FIELD_BYTES // 4


class _NotPlain(Exception):
    """The text needs the YAML parser."""


def plain_mapping(text: str, first_line: int) -> YMap | None:
    """The front matter ``text`` as :func:`.frontmatter.parse_yaml_mapping` reads it, or None: ask the parser.

    Lines are offset by ``first_line`` as there.  Only text without problems
    is read here: a result comes with no problems.
    """
    lines = text.split("\n")
    for line in lines:
        if not line.isprintable():  # a tab, a control character, a line separator: the parser's to judge
            return None
    reader = _Reader(lines, first_line)
    start = reader.following[0]
    if start == len(lines):
        return YMap({}, first_line)
    if reader.indents[start] != 0:
        return None
    try:
        root, end = reader.mapping(start, 0, 1)
    except _NotPlain:
        return None
    return root if reader.following[end] == len(lines) else None


class _Reader:
    """Block mappings and lists by their indentation, over the lines of the text."""

    def __init__(self, lines: list[str], first_line: int) -> None:
        self.lines = lines
        self.offset = first_line
        #: Each line from its first character that is not a space, and that character's column.  A line
        #: that holds a mapping starting after a list's ``- `` gets the mapping's (see :meth:`sequence`).
        self.texts = [line.lstrip(" ") for line in lines]
        self.indents = [len(line) - len(text) for line, text in zip(lines, self.texts, strict=True)]
        #: The first line from each on that holds more than spaces or a comment (one more for the end).
        following = [len(lines)] * (len(lines) + 1)
        for index in range(len(lines) - 1, -1, -1):
            body = self.texts[index]
            following[index] = index if body and body[0] != "#" else following[index + 1]
        self.following = following

    def block(self, index: int, depth: int) -> tuple[YNode, int]:
        """The list or mapping that starts at line ``index``, and the index of the line after it."""
        if depth > _MAX_DEPTH:
            raise _NotPlain
        if self.texts[index].startswith("- "):
            return self.sequence(index, self.indents[index], depth)
        return self.mapping(index, self.indents[index], depth)

    def mapping(self, index: int, indent: int, depth: int) -> tuple[YMap, int]:
        texts, indents, following = self.texts, self.indents, self.following
        entries: dict[str, YEntry] = {}
        start = index
        end = len(texts)
        while index < end and indents[index] == indent:
            found = _KEY.fullmatch(texts[index])
            if found is None:
                raise _NotPlain
            key, rest, line = found[1], found[2], index
            if key in entries or len(key) > _LONGEST:
                raise _NotPlain
            value: YNode
            if rest in (">", "|"):
                value, index = self.paragraph(index, indent, folded=rest == ">")
            elif rest:
                value = self.scalar(rest, index)
                index += 1
            else:
                nested = following[index + 1]
                if nested == end or indents[nested] <= indent:
                    raise _NotPlain  # an empty value, or a list at the key's own indentation
                value, index = self.block(nested, depth + 1)
            entries[key] = YEntry(key, self.offset + line, value)
            index = following[index]
            if index < end and indents[index] > indent:
                raise _NotPlain  # more of a value on the next line, or an indentation YAML would refuse
        return YMap(entries, self.offset + start), index

    def sequence(self, index: int, indent: int, depth: int) -> tuple[YList, int]:
        texts, indents, following = self.texts, self.indents, self.following
        items: list[YNode] = []
        start = index
        end = len(texts)
        while index < end and indents[index] == indent and texts[index].startswith("- "):
            text = texts[index]
            rest = text[2:].lstrip(" ")
            item: YNode
            if _KEY.fullmatch(rest) is not None:  # a mapping that starts on the item's line: read from its key
                texts[index], indents[index] = rest, indent + len(text) - len(rest)
                item, index = self.mapping(index, indents[index], depth + 1)
            elif rest.startswith("-") or not rest:
                raise _NotPlain
            else:
                item = self.scalar(rest, index)
                index += 1
            items.append(item)
            index = following[index]
            if index < end and indents[index] > indent:
                raise _NotPlain
        if index < end and indents[index] == indent:
            raise _NotPlain  # a key at a list's indentation
        return YList(tuple(items), self.offset + start), index

    def paragraph(self, index: int, indent: int, *, folded: bool) -> tuple[YScalar, int]:
        """``key: >`` or ``key: |`` and the lines under it, all at one indentation, none blank between."""
        lines = self.lines
        first = index + 1
        if first == len(lines):
            raise _NotPlain
        column = len(lines[first]) - len(lines[first].lstrip(" "))
        if column <= indent:
            raise _NotPlain  # an empty paragraph
        after = first
        while after < len(lines) and lines[after].startswith(" " * column):
            body = lines[after][column:]
            if not body or body[0] == " " or body[-1] == " ":
                raise _NotPlain  # a blank line, a line indented more, trailing spaces: the parser's rules
            after += 1
        rest = after
        while rest < len(lines) and not lines[rest].strip(" "):
            rest += 1  # blank lines after the paragraph: dropped by YAML's default chomping
        if rest < len(lines) and len(lines[rest]) - len(lines[rest].lstrip(" ")) > indent:
            raise _NotPlain  # a line indented less than the paragraph but more than its key
        parts = [line[column:] for line in lines[first:after]]
        # YAML's default chomping keeps the paragraph's last line break, if the text has one
        value = (" " if folded else "\n").join(parts) + ("\n" if after < len(lines) else "")
        if len(value) > _LONGEST:
            raise _NotPlain
        return YScalar(value, self.offset + index, False), after

    def scalar(self, text: str, index: int) -> YNode:
        """A value on one line: plain (with the comment after it), quoted without escapes, or a list of names."""
        line = self.offset + index
        first = text[0]
        if first in "\"'":
            quoted = (_DOUBLE if first == '"' else _SINGLE).match(text)
            if quoted is None:
                raise _NotPlain
            tail = text[quoted.end() :]
            if tail.strip(" ") and not (tail[0] == " " and tail.lstrip(" ")[0] == "#"):
                raise _NotPlain
            value = quoted[1]
            if first == '"' and "\\" in value:
                value = _ESCAPED.sub(r"\1", value)
            if len(value) > _LONGEST:
                raise _NotPlain
            return YScalar(value, line, False)
        if first == "[":
            found = _NAMES.fullmatch(text)
            if found is None:
                raise _NotPlain
            names = _NAME.findall(found[1] or "")
            return YList(tuple(YScalar(name, line, True) for name in names), line)
        if first in _INDICATORS:
            raise _NotPlain
        cut = text.find(" #")
        value = (text if cut < 0 else text[:cut]).rstrip(" ")
        if ": " in value or value.endswith(":") or len(value) > _LONGEST:
            raise _NotPlain
        return YScalar(value, line, True, text[cut:].strip(" ") if cut >= 0 else "")
