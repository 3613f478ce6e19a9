"""Front matter and YAML, read with the line of every key kept.

PyYAML's ``compose`` gives nodes with marks but no values; ``safe_load`` gives
values but no lines, turns ``2026-11-20 14:02`` into a naive UTC datetime and
lets a duplicate key silently win.  So we compose, and build our own small
tree of :class:`YScalar`, :class:`YList` and :class:`YMap` in which every
scalar stays text and every node knows its line in the *file*.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Union

import yaml

from inloop.errors import Problem
from inloop.xmlsafe import first_forbidden, forbidden_message

YNode = Union["YScalar", "YList", "YMap"]

#: libyaml's parser is ten times faster and keeps the same marks.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Lists and mappings inside each other: an incident needs three.
MAX_DEPTH = 20
#: One value (a title, a cause): a long postmortem belongs on a page of its own.
MAX_FIELD_BYTES = 64 * 1024
#: The whole front matter, read before anything in it is parsed.
MAX_FRONT_MATTER_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class YScalar:
    """A scalar as written; ``plain`` is False for quoted and block scalars."""

    text: str
    line: int
    plain: bool = True
    #: A YAML comment that follows a plain value on its line (``#123`` in ``title: Fix #123``).
    comment: str = field(default="", compare=False)

    @property
    def is_null(self) -> bool:
        return self.plain and self.text in ("", "~", "null", "Null", "NULL")


@dataclass(frozen=True, slots=True)
class YList:
    items: tuple[YNode, ...]
    line: int


@dataclass(frozen=True, slots=True)
class YEntry:
    key: str
    key_line: int
    value: YNode


@dataclass(frozen=True, slots=True)
class YMap:
    entries: dict[str, YEntry] = field(default_factory=dict)
    line: int = 1


_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` with its line breaks escaped (``\\n``), so a message stays one ``path:line:`` line."""
    return _LINE_BREAKS.sub(lambda found: repr(found.group())[1:-1], text)


def single_line_problems(problems: list[Problem]) -> list[Problem]:
    """The problems, each message on one line whatever text of the author's it quotes."""
    return [p if not _LINE_BREAKS.search(p.message) else Problem(p.path, p.line, one_line(p.message)) for p in problems]


def describe(node: YNode) -> str:
    """How a node reads in an error message: 'a list', "'text'"."""
    if isinstance(node, YScalar):
        if node.is_null:
            return "nothing"
        text = node.text if len(node.text) <= 60 else node.text[:59] + "…"
        return f"'{one_line(text)}'"
    if isinstance(node, YList):
        return "a list"
    return "a mapping"


@dataclass(slots=True)
class FrontMatter:
    """The result of splitting a Markdown file."""

    data: YMap | None
    body: str
    body_line: int  # 1-based line of the body's first line in the file
    problems: list[Problem]


def utf8_size(text: str) -> int:
    """The size of ``text`` in UTF-8, without encoding the common short text."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def split_front_matter(text: str, path: str) -> FrontMatter:
    """Split ``---`` front matter from the body and parse it."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter(
            None,
            text,
            1,
            [Problem(path, 1, "no front matter: the file must start with a line '---'")],
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            yaml_text = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            data, problems = parse_yaml_mapping(yaml_text, path, first_line=2)
            return FrontMatter(data, body, index + 2, problems)
    return FrontMatter(
        None,
        "",
        len(lines),
        [Problem(path, 1, "unclosed front matter: no closing '---' line after the opening one")],
    )


def parse_yaml_mapping(text: str, path: str, first_line: int) -> tuple[YMap | None, list[Problem]]:
    """Parse YAML that must be a mapping; lines are offset by ``first_line``.

    Read event by event, so that what an incident never needs is refused
    before it costs anything: an alias is never expanded ("billion laughs"),
    nesting stops at :data:`MAX_DEPTH` levels, and no recursion is involved.
    """
    size = utf8_size(text)
    if size > MAX_FRONT_MATTER_BYTES:
        message = f"the front matter is {size:,} bytes; at most {MAX_FRONT_MATTER_BYTES:,} bytes are allowed"
        return None, [Problem(path, first_line, message)]
    from inloop.read.plain_yaml import plain_mapping  # it builds this module's nodes

    plain = plain_mapping(text, first_line)
    if plain is not None:  # the common front matter, read as the parser would read it
        return plain, []
    problems: list[Problem] = []
    try:
        root = _Builder(text, path, first_line, problems).build(yaml.parse(text, Loader=_LOADER))
    except (yaml.YAMLError, _Refused):
        found = _syntax_problem(text, path, first_line)
        if isinstance(found, Problem):
            return None, [found]
        root, problems = found  # what libyaml refuses and PyYAML reads, such as "\ud800": problems of ours
    if root is None:
        return YMap({}, first_line), []
    if not isinstance(root, YMap):
        return None, [Problem(path, first_line, f"front matter must be a mapping of keys, found {describe(root)}")]
    return root, problems


def _line(event: yaml.Event) -> int:
    """An event's 0-based line in the YAML text (every event PyYAML makes has its mark)."""
    return event.start_mark.line if event.start_mark is not None else 0


class _Refused(Exception):
    """YAML that parses but that front matter does not allow (an alias, deep nesting)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line  # 0-based, in the YAML text
        self.message = message


@dataclass(slots=True)
class _Open:
    """A list or mapping whose end event has not come yet."""

    line: int
    items: list[YNode] | None = None  # a list's
    entries: dict[str, YEntry] | None = None  # a mapping's
    key: YNode | None = None  # a mapping's key waiting for its value


class _Builder:
    """YScalar/YList/YMap from YAML events, on a stack of open collections."""

    def __init__(self, text: str, path: str, offset: int, problems: list[Problem]) -> None:
        self.text = text
        self.path = path
        self.offset = offset
        self.problems = problems

    def build(self, events: Iterable[yaml.Event]) -> YNode | None:
        root: YNode | None = None
        stack: list[_Open] = []
        documents = 0
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _Refused(_line(event), "a second YAML document starts here")
                continue
            if isinstance(event, yaml.AliasEvent):
                raise _Refused(_line(event), f"YAML aliases ('*{event.anchor}') are not allowed in front matter")
            node: YNode
            if isinstance(event, yaml.NodeEvent):
                self._refuse_extras(event)
            if isinstance(event, yaml.ScalarEvent):
                node = self._scalar(event)
            elif isinstance(event, yaml.CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise _Refused(
                        _line(event),
                        f"front matter nested deeper than {MAX_DEPTH} levels of lists and mappings",
                    )
                line = self.offset + _line(event)
                is_list = isinstance(event, yaml.SequenceStartEvent)
                stack.append(_Open(line, [] if is_list else None, None if is_list else {}))
                continue
            elif isinstance(event, yaml.CollectionEndEvent):
                done = stack.pop()
                if done.items is not None:
                    node = YList(tuple(done.items), done.line)
                else:
                    node = YMap(done.entries or {}, done.line)
            else:
                continue
            if not stack:
                root = node
            else:
                self._add(stack[-1], node)
        return root

    def _refuse_extras(self, event: yaml.NodeEvent) -> None:
        line = _line(event)
        if event.anchor is not None:
            raise _Refused(line, f"YAML anchors ('&{event.anchor}') are not allowed in front matter")
        tag = getattr(event, "tag", None)
        if tag is not None:
            start = event.start_mark.index if event.start_mark is not None else len(self.text)
            written = self.text[start:].split(None, 1)[0] if self.text[start:].startswith("!") else tag
            raise _Refused(line, f"YAML tags ('{written}') are not allowed in front matter")

    def _scalar(self, event: yaml.ScalarEvent) -> YScalar:
        line = self.offset + _line(event)
        value = str(event.value)
        if len(value) * 4 > MAX_FIELD_BYTES and utf8_size(value) > MAX_FIELD_BYTES:
            raise _Refused(
                _line(event),
                f"a value of {utf8_size(value):,} bytes; at most {MAX_FIELD_BYTES:,} bytes are allowed "
                "(a long text belongs in the body below the front matter, or on a page of its own)",
            )
        bad = first_forbidden(value)
        if bad is not None:
            self.problems.append(Problem(self.path, line, f"the value {forbidden_message(value[bad])}"))
            value = value.replace(value[bad], "\ufffd")
        plain = not event.style
        comment = self._comment_after(event.end_mark.index if event.end_mark else len(self.text)) if plain else ""
        return YScalar(value, line, plain, comment)

    def _comment_after(self, index: int) -> str:
        """The comment that follows a plain value on its line, if any."""
        end = self.text.find("\n", index)
        rest = self.text[index : end if end >= 0 else len(self.text)]
        stripped = rest.lstrip(" \t")
        if stripped.startswith("#") and (not rest or rest[0] in " \t"):
            return stripped.rstrip()
        return ""

    def _add(self, parent: _Open, node: YNode) -> None:
        if parent.items is not None:
            parent.items.append(node)
            return
        if parent.key is None:
            parent.key = node
            return
        key_node, parent.key = parent.key, None
        entries = parent.entries if parent.entries is not None else {}
        if not isinstance(key_node, YScalar):
            self.problems.append(Problem(self.path, key_node.line, "a key must be plain text"))
            return
        key = key_node.text
        if key == "<<":
            self.problems.append(Problem(self.path, key_node.line, "YAML merge keys ('<<') are not supported"))
            return
        if key in entries:
            first = entries[key].key_line
            self.problems.append(Problem(self.path, key_node.line, f"duplicate key '{key}' (first on line {first})"))
            return
        entries[key] = YEntry(key, key_node.line, node)


def _syntax_problem(text: str, path: str, first_line: int) -> Problem | tuple[YNode | None, list[Problem]]:
    """The error as PyYAML's own Python parser words it and places it, with a hint.

    libyaml (``CSafeLoader``) words errors differently and may place them past
    the end of the front matter; errors are rare, so parse them again with the
    Python parser, and the message does not depend on how PyYAML was built.
    """
    lines = text.split("\n")
    found: list[Problem] = []
    try:
        root = _Builder(text, path, first_line, found).build(yaml.parse(text, Loader=yaml.SafeLoader))
    except _Refused as refused:
        hint = "" if refused.message.startswith("front matter nested") else yaml_hint(lines, refused.line, None)
        return Problem(path, first_line + refused.line, refused.message + hint)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line if mark else 0
        what = exc.problem or exc.context or "cannot parse"
        opened = exc.context_mark is not None and any(w in (exc.context or "") for w in ("flow", "quoted"))
        culprit = exc.context_mark.line if exc.context_mark is not None and opened else line
        return Problem(path, first_line + line, f"YAML syntax error: {what}" + yaml_hint(lines, culprit, what))
    except yaml.reader.ReaderError as exc:
        line = first_line + text[: exc.position].count("\n")
        return Problem(path, line, f"YAML syntax error: character #x{exc.character:04x} is not allowed in YAML")
    except yaml.YAMLError as exc:  # pragma: no cover - every YAML error above carries a place
        return Problem(path, first_line, f"YAML syntax error: {exc}")
    if found:  # what libyaml refuses and PyYAML reads, such as "\ud800", is a character we refuse
        return root, found
    return Problem(path, first_line, "YAML syntax error: cannot parse")  # pragma: no cover - libyaml alone failed


#: ``key: value`` or ``- value`` on one line of front matter.
_KEY_VALUE = re.compile(r"^(?P<lead>\s*(?:-\s+)?)(?:(?P<key>[^\s#'\"\[\]{}:,][^:#]*?)\s*:)?\s*(?P<value>\S.*?)\s*$")
_HINT_BY_START = {
    "*": "a value that starts with '*' is read as a YAML alias",
    "&": "a value that starts with '&' is read as a YAML anchor",
    "!": "a value that starts with '!' is read as a YAML tag",
    "@": "YAML reserves '@' at the start of a value",
    "`": "YAML reserves '`' at the start of a value",
    "%": "YAML reserves '%' at the start of a value",
    "|": "a value that starts with '|' is read as a YAML block of lines",
    ">": "a value that starts with '>' is read as a YAML block of lines",
    "[": "a value that starts with '[' is read as a YAML list, which must end with ']'",
    "{": "a value that starts with '{' is read as a YAML mapping, which must end with '}'",
}


def quoted(value: str) -> str:
    """``value`` as a YAML double-quoted scalar (single-quoted if it holds a double quote alone)."""
    if '"' in value and "'" not in value:
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def yaml_hint(lines: list[str], index: int, problem: str | None) -> str:
    """``; <why>: <the line as it should be written>`` for the common mistakes on line ``index``, else ``""``.

    Most YAML errors in front matter are text that YAML reads as syntax:
    ``title: Outage: API``, a value starting with ``*``, ``[`` or ``@``, or a
    ``#`` that starts a comment.  The cure is nearly always quotes.
    """
    if not 0 <= index < len(lines):
        return ""
    line = lines[index]
    if problem is not None and "'\\t'" in problem:
        return "; indent with spaces: YAML does not allow tabs there"
    if problem == "mapping values are not allowed here" and index > 0:
        indented = _indentation_hint(lines, index)
        if indented:
            return indented
    found = _KEY_VALUE.match(line)
    if found is None or len(found["value"]) > 200:
        return ""
    lead, key, value = found["lead"], found["key"], found["value"]
    written = f"{lead.strip() + ' ' if lead.strip() else ''}{key + ': ' if key else ''}"
    if value[0] in "'\"" and len(value) > 1 and value[-1] == value[0]:
        inner = value[1:-1]
        other = "'" if value[0] == '"' else '"'
        suggestion = f"{other}{inner}{other}" if other not in inner else quoted(inner)
        return f"; a value in quotes ends at the next {value[0]}: put it in the other quotes: {written}{suggestion}"
    if value[0] in "'\"":
        return f"; the {value[0]} that opens the value is not closed: end the value with {value[0]}"
    if value[0] in "[{" and " #" in value:
        return "; a ' #' starts a YAML comment, which hides the rest of the line: put the item with '#' in quotes"
    fix = f"{written}{quoted(value)}"
    if value[0] in _HINT_BY_START:
        why = f"{_HINT_BY_START[value[0]]}: " if problem is not None else ""  # a refusal says it already
        return f"; {why}if it is text, put it in quotes: {fix}"
    if value.startswith(("- ", "? ")) or value in ("-", "?"):
        return f"; a value that starts with '{value[0]}' is YAML syntax: if it is text, put it in quotes: {fix}"
    if ": " in value or value.endswith(":"):
        return f"; if the value contains ': ', put it in quotes: {fix}"
    if " #" in value:
        return f"; a ' #' starts a YAML comment: if it is part of the value, put the value in quotes: {fix}"
    return ""


def _indentation_hint(lines: list[str], index: int) -> str:
    """A key indented under a line that holds a value: YAML reads it as more of that value."""
    line = lines[index]
    depth = len(line) - len(line.lstrip(" "))
    for before in range(index - 1, -1, -1):
        previous = lines[before]
        if not previous.strip() or previous.lstrip().startswith("#"):
            continue
        found = _KEY_VALUE.match(previous)
        previous_depth = len(previous) - len(previous.lstrip(" "))
        if found is not None and found["key"] and previous_depth < depth and ": " not in found["value"]:
            return (
                f"; this line is indented under '{found['key']}', so YAML reads it as more of that value: "
                f"start '{line.strip().split(':')[0]}' in the same column as '{found['key']}'"
            )
        return ""
    return ""
