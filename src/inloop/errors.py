"""Authors' mistakes, as data: every one carries a path and a line.

Like Jinja's ``TemplateSyntaxError``, a :class:`Problem` knows where it is, so
the CLI can print ``path:line: message`` lines that editors jump to.  Readers
collect problems instead of raising at the first one, so a single run reports
every mistake an author made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One mistake in one file, at one line (1-based)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class InloopError(Exception):
    """Base class for errors inloop reports without a traceback."""


class BuildError(InloopError):
    """A build, or a check that needs a build's input, found mistakes."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(InloopError):
    """A command was asked to do something it cannot do (exit status 1)."""
