"""One copy of each repeated value, shared while the model is built.

Updates repeat across incidents ("We are still working on a fix."): in a
site of 10,000 incidents, 75,000 updates hold 8,700 distinct texts; files
written from one template have the same keys on the same lines.  The parser
passes each text, status and front-matter shape through :meth:`Repeats.one`
before it constructs the frozen model object that holds it, so every
process keeps one copy, and so do the messages it sends (pickle keeps shared
objects shared).  Nothing is written into a model object afterwards.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


class Repeats:
    """Equal values seen so far, each kept once: the first one seen is the one shared."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[Any, Any] = {}

    def one(self, value: T) -> T:
        """The copy of ``value`` seen first (``value`` itself the first time)."""
        found: T = self._seen.setdefault(value, value)
        return found

    def pairs(self, pairs: tuple[T, ...]) -> tuple[T, ...]:
        """A tuple of pairs (or other hashable values), each value and the tuple itself shared."""
        return self.one(tuple(self.one(pair) for pair in pairs))


class NoRepeats(Repeats):
    """For a parser called without a table: shares nothing, keeps nothing."""

    __slots__ = ()

    def one(self, value: T) -> T:
        return value

    def pairs(self, pairs: tuple[T, ...]) -> tuple[T, ...]:
        return pairs


#: The table of a parser called without one.
NO_REPEATS: Repeats = NoRepeats()
