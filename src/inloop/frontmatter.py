"""Front matter and YAML, read with the line of every key kept.

PyYAML's ``compose`` gives nodes with marks but no values; ``safe_load`` gives
values but no lines, turns ``2026-11-20 14:02`` into a naive UTC datetime and
lets a duplicate key silently win.  So we compose, and build our own small
tree of :class:`YScalar`, :class:`YList` and :class:`YMap` in which every
scalar stays text and every node knows its line in the *file*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import yaml

from .errors import Problem

YNode = Union["YScalar", "YList", "YMap"]


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


def describe(node: YNode) -> str:
    """How a node reads in an error message: 'a list', "'text'"."""
    if isinstance(node, YScalar):
        return "nothing" if node.is_null else f"'{node.text}'"
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
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        what = exc.problem or exc.context or "cannot parse"
        return None, [Problem(path, line, f"YAML syntax error: {what}")]
    except yaml.YAMLError as exc:  # pragma: no cover - other YAML errors carry no mark
        return None, [Problem(path, first_line, f"YAML syntax error: {exc}")]
    if root is None:
        return YMap({}, first_line), []
    problems: list[Problem] = []
    tree = _convert(root, path, first_line, problems)
    if not isinstance(tree, YMap):
        return None, [Problem(path, first_line, f"front matter must be a mapping of keys, found {describe(tree)}")]
    return tree, problems


def _convert(node: yaml.Node, path: str, offset: int, problems: list[Problem]) -> YNode:
    line = offset + node.start_mark.line
    if isinstance(node, yaml.ScalarNode):
        return YScalar(str(node.value), line, plain=node.style is None)
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
