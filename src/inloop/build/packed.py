"""Pages kept compressed between rendering and writing.

A build holds every page it rendered until it knows the whole site is good
(nothing half-built goes live), and the watcher keeps them between builds.
HTML compresses to about a third, so pages are held, and cached,
compressed; the writer decompresses each as it writes it.

Zstandard at level 1 (the ``zstandard`` package): the ratio of zlib's
fastest level at a third of its time, and faster to decompress.  At 10,000
incidents zlib took 0.4 s of CPU for the item pages alone.  Equal pages
compress to equal bytes.
"""

from __future__ import annotations

from pathlib import Path

import zstandard

#: Fast, and most of the gain: page bytes are held a short while, not archived.
LEVEL = 1
#: The size Zstandard sizes its tables for.  For a size it is not told it prepares for a large
#: input on every call: a 9 KB item page took 44 us, and takes 20 with this hint, compressed as
#: small; a 350 KB uptime page compresses as before.
SIZE_HINT = 256 * 1024

_COMPRESSOR = zstandard.ZstdCompressor(
    compression_params=zstandard.ZstdCompressionParameters.from_level(LEVEL, source_size=SIZE_HINT)
)
_DECOMPRESSOR = zstandard.ZstdDecompressor()


class Packed:
    """A file's bytes, compressed."""

    __slots__ = ("packed",)

    def __init__(self, packed: bytes) -> None:
        self.packed = packed

    @classmethod
    def of(cls, data: bytes) -> Packed:
        # compress() allocates for the worst case and shrinks the result in place, which
        # leaves the rest of that block unusable: 11,000 pages held 59 MB for 20 MB of
        # bytes.  A copy of the exact size frees the block for the next page.
        return cls(bytes(memoryview(_COMPRESSOR.compress(data))))

    def unpack(self) -> bytes:
        return _DECOMPRESSOR.decompress(self.packed)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Packed) and other.packed == self.packed

    def __hash__(self) -> int:
        return hash(self.packed)

    def __repr__(self) -> str:
        return f"Packed({len(self.packed)} bytes)"


class Staged:
    """A page a one-shot first build wrote to its staging folder and holds nowhere else in memory.

    Its bytes are read back from that folder, or from the output folder once
    the staging folder became it.
    """

    __slots__ = ("folders", "relative")

    def __init__(self, relative: str, staging: Path, output: Path) -> None:
        self.relative = relative
        self.folders = (staging, output)

    def unpack(self) -> bytes:
        for folder in self.folders:
            try:
                return (folder / self.relative).read_bytes()
            except FileNotFoundError:
                continue
        raise FileNotFoundError(f"{self.relative} is in neither {self.folders[0]} nor {self.folders[1]}")

    def __repr__(self) -> str:
        return f"Staged({self.relative})"


#: What a build holds for one output file.
FileBytes = bytes | Packed | Staged


def raw(data: FileBytes) -> bytes:
    return data if isinstance(data, bytes) else data.unpack()


def same(first: FileBytes | None, second: FileBytes) -> bool:
    """Whether two files hold the same bytes, decompressing only when one is compressed and the other not."""
    if first is None:
        return False
    if type(first) is type(second) and not isinstance(first, Staged):
        return first == second
    return raw(first) == raw(second)
