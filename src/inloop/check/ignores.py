"""Ignore comments: switch a rule off for one line.

In the body, ``<!-- inloop: ignore CODE -->`` at the end of the line, or
alone on the line before it; in front matter, ``# inloop: ignore CODE`` the
same way.  A comment may name several codes (``ignore todo, sales-pitch``).
For a warning inside a front-matter value (a folded ``cause: >``, where a
``#`` would be text), a comment on the key's line, or alone on the line
before the key, covers the whole value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .settings import CODES, unknown_code_message
from .text import SourceText

_BODY = re.compile(r"<!--\s*inloop:\s*ignore\b(?P<codes>.*?)-->", re.IGNORECASE)
_FRONT = re.compile(r"(?:^|\s)#\s*inloop:\s*ignore\b(?P<codes>[^#]*)$", re.IGNORECASE)


@dataclass(slots=True)
class Ignores:
    """The ignore comments of one file, by line."""

    on_line: dict[int, frozenset[str]] = field(default_factory=dict)
    alone_on_line: set[int] = field(default_factory=set)
    problems: list[tuple[int, str]] = field(default_factory=list)

    @classmethod
    def scan(cls, source: SourceText) -> Ignores:
        found = cls()
        for number, line in enumerate(source.lines, start=1):
            front = source.in_front_matter(number)
            pattern = _FRONT if front else _BODY
            codes: set[str] = set()
            matches = list(pattern.finditer(line))
            for match in matches:
                names = [c for c in re.split(r"[\s,]+", match.group("codes").strip()) if c]
                if not names:
                    found.problems.append((number, "an ignore comment must name the rules it ignores"))
                for name in names:
                    if name in CODES:
                        codes.add(name)
                    else:
                        found.problems.append((number, unknown_code_message(name, "in an ignore comment")))
            if not matches:
                continue
            found.on_line[number] = frozenset(codes)
            rest = pattern.sub("", line).strip()
            if not rest:
                found.alone_on_line.add(number)
        return found

    def covers(self, code: str, line: int, key_line: int | None = None) -> bool:
        """Whether ``code`` is ignored at ``line`` (or for the value of the key at ``key_line``)."""
        for target in (line, key_line):
            if target is None:
                continue
            if code in self.on_line.get(target, ()):
                return True
            if target - 1 in self.alone_on_line and code in self.on_line.get(target - 1, ()):
                return True
        return False
