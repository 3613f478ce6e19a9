"""Pages kept compressed between rendering and writing.

A build holds every page it rendered until it knows the whole site is good
(nothing half-built goes live), and the watcher keeps them between builds.
HTML compresses to about a fifth, for less time than rendering it takes, so
pages are held, and cached, compressed; the writer inflates each as it
writes it.  zlib is deterministic: equal pages compress to equal bytes.
"""

from __future__ import annotations

import zlib

#: Fast, and most of the gain: page bytes are held a short while, not archived.
LEVEL = 1


class Deflated:
    """A file's bytes, compressed."""

    __slots__ = ("packed",)

    def __init__(self, packed: bytes) -> None:
        self.packed = packed

    @classmethod
    def of(cls, data: bytes) -> Deflated:
        return cls(zlib.compress(data, LEVEL))

    def inflate(self) -> bytes:
        return zlib.decompress(self.packed)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Deflated) and other.packed == self.packed

    def __hash__(self) -> int:
        return hash(self.packed)

    def __repr__(self) -> str:
        return f"Deflated({len(self.packed)} bytes)"


#: What a build holds for one output file.
FileBytes = bytes | Deflated


def raw(data: FileBytes) -> bytes:
    return data.inflate() if isinstance(data, Deflated) else data


def same(first: FileBytes | None, second: FileBytes) -> bool:
    """Whether two files hold the same bytes, inflating only when one is compressed and the other not."""
    if first is None:
        return False
    if type(first) is type(second):
        return first == second
    return raw(first) == raw(second)
