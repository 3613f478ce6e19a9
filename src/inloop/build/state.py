"""The named pieces of a build's state: what the loader, the renderer and the builder hand each other.

Like Lektor's ``BuildState``, ``Artifact`` and ``FileInfo``: each piece of
state a build keeps or passes on has a name and typed fields, so no reader
has to know what the third place of a tuple means.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from inloop.build import ledger
from inloop.read.config import ConfigResult
from inloop.render.status import next_change
from inloop.errors import Problem
from inloop.model import Content, Incident, Maintenance, SiteConfig
from inloop.build.packed import Packed, Staged
from inloop.build.parallel import Deferred


class Signature(NamedTuple):
    """What tells a file did not change, without reading it.

    Like git's racy-clean check, a file whose mtime is close to the moment we
    looked gets a ``racy`` mark that never matches again, so it is read
    again: two saves within one mtime tick cannot hide a change.
    """

    mtime_ns: int
    size: int
    inode: int
    racy: int  # 0, or a moment of this process's clock that no later signature repeats

    @classmethod
    def of(cls, path: Path) -> Signature:
        stat = path.stat()
        return cls.made(stat.st_mtime_ns, stat.st_size, stat.st_ino)

    @classmethod
    def made(cls, mtime_ns: int, size: int, inode: int) -> Signature:
        racy = mtime_ns > time.time_ns() - ledger.RACY_NS
        return cls(mtime_ns, size, inode, time.perf_counter_ns() if racy else 0)


class ScanHint(NamedTuple):
    """One input as the ledger's scan found it a moment ago: the load need not read or hash it again."""

    stat: ledger.Stat
    digest: str | None  # None: listed, not read (a first build into a new cache)


#: The ledger scan's hints, by the input's path relative to the source folder.
ScanHints = dict[str, ScanHint]


def source_key(settings: str, kind: str, path: Path, shown: str, digest: str) -> str:
    """A content file's key in the cache of parsed files: everything its parsed item depends on."""
    return hashlib.sha256(repr((settings, kind, path.stem, shown, digest)).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A content file as this load found it: its key names everything its parsed item depends on."""

    kind: str  # "incidents" or "maintenance": the folder it is in
    path: Path
    shown: str  # as the author typed the source folder, for messages
    signature: Signature
    #: Of its bytes, and of the settings, its kind, its name and that digest; None: not read yet,
    #: the process that parses it reads and hashes it (nothing in a new cache to look up).
    digest: str | None
    key: str | None


@dataclass(frozen=True, slots=True)
class Parsed:
    """What parsing a source file gave: the item, or None when it has mistakes, and the mistakes."""

    key: str
    signature: Signature
    digest: str
    item: Incident | Maintenance | None
    problems: list[Problem]


#: What a parser returns: the item, or None when the file has mistakes, and the problems found.
ParseResult = tuple[Incident | Maintenance | None, list[Problem]]


class FirstRead(NamedTuple):
    """A content file's digest and key, from the process that read it first (see :attr:`SourceFile.digest`)."""

    digest: str
    key: str


@dataclass(slots=True)
class Loaded:
    """The config and the content of one load, with every problem found reading them."""

    config: ConfigResult
    content: Content
    problems: list[Problem]


class Change(NamedTuple):
    """An item edited since the last load: the planner swaps ``old`` for ``new`` on the pages that show it."""

    old: Incident | Maintenance
    new: Incident | Maintenance


@dataclass(slots=True)
class CleanLoad:
    """The last load without problems, kept so that the next one re-reads only the changed files."""

    now: datetime
    loaded: Loaded
    items: dict[Path, Incident | Maintenance]  # each file's item
    positions: dict[Path, int]  # each file's place in its list of items (incidents or maintenance windows)


class RenderedPage(NamedTuple):
    """An item's page a worker rendered while parsing: its cache key and its bytes compressed."""

    key: str
    packed: bytes


class PromisedPage(NamedTuple):
    """An item's page rendered later, by whichever process is free, while the parent renders the list pages.

    Promised by its path: it is planned, and so keyed, only when it is rendered.
    """

    path: str


class StoredPage(NamedTuple):
    """An item's page written to the staging folder and stored in the cache by the process that rendered it.

    A one-shot first build (``inloop build`` into a new folder) asks no one
    for those bytes again: they need not travel to this process or stay.
    """

    key: str


#: What a worker made of an item's page while parsing.
ItemPage = RenderedPage | PromisedPage | StoredPage
#: An item's page the renderer takes as done.
DonePage = RenderedPage | StoredPage


@dataclass(slots=True)
class EarlyPages:
    """The item pages the parsing processes rendered, by cache key, and those still to be rendered, by path."""

    done: dict[str, DonePage] = field(default_factory=dict)
    promised: set[str] = field(default_factory=set)
    #: The worker's later work: rendering the promised pages.
    deferred: Deferred[SourceFile, Any, ItemPage | None] | None = None

    def finish(self) -> dict[str, DonePage]:
        """Wait for the promised pages: those the worker rendered (one it could not is left out)."""
        if self.deferred is None:
            return {}
        finished = self.deferred.finish()
        self.deferred = None
        return {page.key: page for page in finished.values() if isinstance(page, RenderedPage | StoredPage)}

    def cancel(self) -> None:
        """The build failed before rendering: the worker's pages are not wanted, and it must stop writing."""
        if self.deferred is not None:
            self.deferred.cancel()
            self.deferred = None


class KeptPage(NamedTuple):
    """A page as the last build made it: the key it was planned with and its bytes."""

    key: tuple[object, ...]
    data: Packed | Staged


class Boundary:
    """When the output made from ``content`` at ``now`` changes by itself (a window starts, a new day)."""

    __slots__ = ("_next", "config", "content", "now")

    def __init__(self, config: SiteConfig, content: Content, now: datetime) -> None:
        self.config = config
        self.content = content
        self.now = now
        self._next: datetime | None = None

    @property
    def next(self) -> datetime:
        if self._next is None:  # found once: it goes over every item
            self._next = next_change(self.config, self.content, self.now)
        return self._next

    def carried_to(self, content: Content, now: datetime) -> Boundary:
        """The same boundary for a patched plan, which leaves every time it depends on as it was."""
        carried = Boundary(self.config, content, now)
        carried._next = self._next
        return carried


@dataclass(slots=True)
class BuildReport:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rendered: int = 0
    files: int = 0
    seconds: float = 0.0
    first: bool = False
    patched: bool = False  # only the pages showing the edited items' words were planned again
    from_ledger: bool = False  # the ledger knew the inputs: the output was checked, nothing rendered
