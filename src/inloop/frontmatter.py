"""Front matter and YAML, read with the line of every key kept.

PyYAML's ``compose`` gives nodes with marks but no values; ``safe_load`` gives
values but no lines, turns ``2026-11-20 14:02`` into a naive UTC datetime and
lets a duplicate key silently win.  So we compose, and build our own small
tree of :class:`YScalar`, :class:`YList` and :class:`YMap` in which every
scalar stays text and every node knows its line in the *file*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Union

import yaml

from .errors import Problem

YNode = Union["YScalar", "YList", "YMap"]

#: libyaml's composer is ten times faster and keeps the same marks.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class YScalar:
    """A scalar as written; ``plain`` is False for quoted and block scalars."""

    text: str
    line: int
    plain: bool = True

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
    """Parse YAML that must be a mapping; lines are offset by ``first_line``."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError:
        return None, [_syntax_problem(text, path, first_line)]
    if root is None:
        return YMap({}, first_line), []
    problems: list[Problem] = []
    tree = _convert(root, path, first_line, problems)
    if not isinstance(tree, YMap):
        return None, [Problem(path, first_line, f"front matter must be a mapping of keys, found {describe(tree)}")]
    return tree, problems


def _syntax_problem(text: str, path: str, first_line: int) -> Problem:
    """The error as PyYAML's own Python parser words it and places it.

    libyaml (``CSafeLoader``) words errors differently and may place them past
    the end of the front matter; errors are rare, so parse them again with the
    Python loader, and the message does not depend on how PyYAML was built.
    """
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        what = exc.problem or exc.context or "cannot parse"
        return Problem(path, line, f"YAML syntax error: {what}")
    except yaml.reader.ReaderError as exc:
        line = first_line + text[: exc.position].count("\n")
        return Problem(path, line, f"YAML syntax error: character #x{exc.character:04x} is not allowed in YAML")
    except yaml.YAMLError as exc:  # pragma: no cover - every YAML error above carries a place
        return Problem(path, first_line, f"YAML syntax error: {exc}")
    return Problem(path, first_line, "YAML syntax error: cannot parse")  # pragma: no cover - libyaml alone failed


def _convert(node: yaml.Node, path: str, offset: int, problems: list[Problem]) -> YNode:
    line = offset + node.start_mark.line
    if isinstance(node, yaml.ScalarNode):
        return YScalar(str(node.value), line, plain=not node.style)
    if isinstance(node, yaml.SequenceNode):
        return YList(tuple(_convert(item, path, offset, problems) for item in node.value), line)
    if isinstance(node, yaml.MappingNode):
        entries: dict[str, YEntry] = {}
        for key_node, value_node in node.value:
            key_line = offset + key_node.start_mark.line
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(path, key_line, "a key must be plain text"))
                continue
            key = str(key_node.value)
            if key == "<<":
                problems.append(Problem(path, key_line, "YAML merge keys ('<<') are not supported"))
                continue
            if key in entries:
                first = entries[key].key_line
                problems.append(Problem(path, key_line, f"duplicate key '{key}' (first on line {first})"))
                continue
            entries[key] = YEntry(key, key_line, _convert(value_node, path, offset, problems))
        return YMap(entries, line)
    raise AssertionError(f"unknown YAML node {node!r}")  # pragma: no cover
