"""Where each piece of an item's text sits in its raw file, for exact warning lines.

The model keeps the *parsed* text (a folded ``cause: >`` is one line), so a
phrase's line cannot be computed from it.  Instead the raw file is split
again: front-matter values are found through PyYAML's node marks (which
skip comments and keys), and the body is cut at the update headings the
parser found.  A region's text is matched with its lines joined by single
spaces, and a match is mapped back to the line it starts on.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from ..model import Incident, Maintenance

#: Front-matter keys whose values customers read.
TEXT_KEYS = ("title", "cause", "prevention", "description")

_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def blank_html_comments(text: str) -> str:
    """HTML comments replaced by spaces, keeping every line break."""
    return _HTML_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


@dataclass(frozen=True, slots=True)
class Region:
    """A piece of customer-facing text: its raw lines, from ``first_line`` on."""

    what: str  # "title", "cause", "prevention", "description", "summary", "update"
    first_line: int
    raw: str
    key_line: int | None = None  # for a front-matter value: the line of its key

    def joined(self) -> tuple[str, list[int]]:
        """The lines stripped and joined by spaces, and where each line starts in that text."""
        starts: list[int] = []
        parts: list[str] = []
        position = 0
        for line in self.raw.split("\n"):
            stripped = line.strip()
            starts.append(position)
            parts.append(stripped)
            position += len(stripped) + 1
        return " ".join(parts), starts

    def find(self, pattern: re.Pattern[str]) -> Iterator[tuple[int, int, str]]:
        """Every match as (line in the file, position, matched text with its spaces collapsed)."""
        text, starts = self.joined()
        for match in pattern.finditer(text):
            if not match.group().strip():
                continue
            line = self.first_line + bisect_right(starts, match.start()) - 1
            yield line, match.start(), " ".join(match.group().split())


@dataclass(frozen=True, slots=True)
class SourceText:
    """A content file's raw lines, split into front matter and body."""

    lines: tuple[str, ...]
    front_end: int  # the line number of the closing '---'; 0 if there is none

    @classmethod
    def parse(cls, text: str) -> SourceText:
        text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        lines = tuple(text.split("\n"))
        front_end = 0
        if lines and lines[0].rstrip() == "---":
            for index in range(1, len(lines)):
                if lines[index].rstrip() in ("---", "..."):
                    front_end = index + 1
                    break
        return cls(lines, front_end)

    def in_front_matter(self, number: int) -> bool:
        return 1 < number < self.front_end

    def span(self, first: int, last: int) -> str:
        """Lines ``first`` to ``last`` (inclusive, 1-based) joined."""
        return "\n".join(self.lines[first - 1 : last])

    # -- front matter --------------------------------------------------------

    def value_regions(self) -> list[Region]:
        """The scalar values of :data:`TEXT_KEYS` (prevention: each step's text)."""
        if self.front_end < 2:
            return []
        yaml_text = "\n".join(self.lines[1 : self.front_end - 1])
        try:
            root = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            return []
        if not isinstance(root, yaml.MappingNode):
            return []
        regions: list[Region] = []
        for key_node, value_node in root.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value not in TEXT_KEYS:
                continue
            key_line = 2 + key_node.start_mark.line
            for scalar in _scalars(key_node.value, value_node):
                raw = yaml_text[scalar.start_mark.index : scalar.end_mark.index]
                regions.append(Region(key_node.value, 2 + scalar.start_mark.line, raw, key_line))
        return regions

    # -- body ----------------------------------------------------------------

    def body_regions(self, item: Incident | Maintenance) -> list[Region]:
        """The summary and each update's text, HTML comments blanked."""
        body_start = self.front_end + 1 if self.front_end else 1
        headings = sorted(u.line for u in item.updates)
        regions: list[Region] = []
        first_heading = headings[0] if headings else len(self.lines) + 1
        if first_heading > body_start:
            regions.append(Region("summary", body_start, blank_html_comments(self.span(body_start, first_heading - 1))))
        for index, heading in enumerate(headings):
            end = headings[index + 1] - 1 if index + 1 < len(headings) else len(self.lines)
            regions.append(Region("update", heading + 1, blank_html_comments(self.span(heading + 1, end))))
        return regions

    def regions(self, item: Incident | Maintenance) -> list[Region]:
        return [*self.value_regions(), *self.body_regions(item)]


def _scalars(key: str, node: yaml.Node) -> Iterator[yaml.ScalarNode]:
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif key == "prevention" and isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if isinstance(item, yaml.ScalarNode):
                yield item
            elif isinstance(item, yaml.MappingNode):
                for step_key, step_value in item.value:
                    if (
                        isinstance(step_key, yaml.ScalarNode)
                        and step_key.value == "step"
                        and isinstance(step_value, yaml.ScalarNode)
                    ):
                        yield step_value
