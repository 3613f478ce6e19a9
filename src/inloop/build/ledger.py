"""The ledger: which output files a finished build made from which inputs.

``inloop build`` in a fresh process would otherwise read, parse, plan and
compare everything to find that nothing changed.  Like make and Bazel's
action cache, a build stores, under a digest of *all* its inputs (every file
of the site's input folders, the config, the build time, the options, inloop's
code and its libraries' versions), where each output file's bytes live in the
cache, and, per output folder, how each file looked on disk once written.
The next build with the same digest only checks the output folder with
``stat`` and restores from the cache what is missing or was changed by hand
(everything, for a folder this ledger has not written yet).

Inputs are compared by their bytes, never by their timestamps, so a fresh
checkout with a restored cache (a CI runner) finds its ledger too.  A ledger
is stored only when no input changed while the build ran, so it never
vouches for an output made from other bytes than the ones it names.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from inloop import code_digest

KIND = "ledger"
#: Cache kind of how the files looked in one output folder once written (a ledger serves any folder).
OUTPUT_KIND = "ledger-output"
#: Cache kind of output files that are not pages (static files, the stylesheet).
BLOB_KIND = "blob"
#: Folders of the source whose every file is an input.  Over-including is safe:
#: it only makes the ledger miss more often.
INPUT_FOLDERS = ("content", "templates", "static", "locale")
INPUT_FILES = ("inloop.toml",)
LIBRARIES = ("jinja2", "markupsafe", "markdown", "babel", "pyyaml", "icalendar", "text-unidecode", "zstandard")
FORMAT = 3
#: An input changed this recently may change again within one timestamp tick
#: unseen by ``stat`` (git's "racy clean" problem): no ledger is stored then,
#: and the builder reads such a file again rather than trust its stat.
RACY_NS = 2_000_000_000

#: A file's identity on disk: (mtime_ns, size, inode, ctime_ns).
Stat = tuple[int, int, int, int]


def stat_of(result: os.stat_result) -> Stat:
    return (result.st_mtime_ns, result.st_size, result.st_ino, result.st_ctime_ns)


@dataclass(frozen=True, slots=True)
class Inputs:
    digest: str  # of every input's bytes and of the options: the ledger's key
    stats: tuple[tuple[str, Stat], ...]  # each input file as it was before it was read
    racy: bool  # an input changed too recently for its stat to be trusted
    digests: tuple[str, ...] = ()  # each input file's SHA-256, in the order of ``stats``: the builder reads none twice


@dataclass(frozen=True, slots=True)
class Entry:
    path: str  # relative to the output folder
    kind: str  # the cache kind holding its bytes
    key: str  # the cache key holding its bytes


class _Unusable(Exception):
    """An input tree the ledger will not vouch for (a link, an unreadable file)."""


def _library_versions() -> list[tuple[str, str]]:
    from importlib import metadata  # 25 ms to import, and needed once the inputs are read, after the fork

    versions = []
    for name in LIBRARIES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, ""))
    return versions


def _walk(folder: str, relative: str, found: list[tuple[str, str, Stat]]) -> None:
    """Files under ``folder`` by name, with their paths as plain strings: a site has thousands."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _Unusable from exc
    for entry in entries:
        if entry.is_symlink():
            raise _Unusable  # where a link leads may change without any input changing
        name = f"{relative}/{entry.name}"
        if entry.is_dir():
            _walk(entry.path, name, found)
        elif entry.is_file():
            found.append((name, entry.path, stat_of(entry.stat())))


def _listing(source: Path) -> list[tuple[str, str, Stat]]:
    found: list[tuple[str, str, Stat]] = []
    for name in INPUT_FILES:
        path = source / name
        try:
            if path.is_symlink():
                raise _Unusable
            found.append((name, str(path), stat_of(path.stat())))
        except FileNotFoundError:
            continue
    for folder in INPUT_FOLDERS:
        _walk(str(source / folder), folder, found)
    return found


def read_file(path: str, size: int) -> bytes:
    """A file's bytes in as few system calls as can be: its size is known from the listing.

    One ``read`` for one byte more than the size: a file that grew since is
    read to its end.  (A file that changed is not vouched for anyway: its
    stat no longer matches when the build ends.)
    """
    descriptor = os.open(path, os.O_RDONLY)
    try:
        data = os.read(descriptor, size + 1)
        if len(data) > size:
            chunks = [data]
            while chunk := os.read(descriptor, 1 << 16):
                chunks.append(chunk)
            data = b"".join(chunks)
        return data
    finally:
        os.close(descriptor)


@dataclass(frozen=True, slots=True)
class Listing:
    """Every input file with its stat, none read yet: what a first build into a new cache starts from.

    Nothing can be restored then, so the files are hashed by whoever reads
    them anyway (the content by the parsing workers) and the ledger is made
    at the end (:func:`hashed`).
    """

    files: tuple[tuple[str, str, Stat], ...]  # (name relative to the source, path, stat), in the ledger's order
    racy: bool  # an input changed too recently for its stat to be trusted

    @property
    def stats(self) -> tuple[tuple[str, Stat], ...]:
        return tuple((name, stat) for name, _, stat in self.files)


def list_inputs(source: Path) -> Listing | None:
    """Every input file and its stat; None if the tree cannot be vouched for."""
    try:
        listing = _listing(source)
    except (_Unusable, OSError):
        return None
    recent = time.time_ns() - RACY_NS
    racy = any(max(stat[0], stat[3]) > recent for _, _, stat in listing)
    return Listing(tuple(listing), racy)


def hashed(
    listing: Listing, now: datetime, options: tuple[object, ...], known: Callable[[str], str | None] = lambda _: None
) -> Inputs | None:
    """The inputs of ``listing`` hashed: ``known(name)`` gives the digests read already, the others are read."""
    digest = hashlib.sha256()
    header = (FORMAT, code_digest(), sys.version_info[:3], _library_versions(), now.isoformat(), options)
    digest.update(repr(header).encode())
    digests = []
    try:
        for name, path, stat in listing.files:
            found = known(name)
            digests.append(found if found is not None else hashlib.sha256(read_file(path, stat[1])).hexdigest())
            digest.update(f"\0{name}\0{digests[-1]}".encode("utf-8", "surrogateescape"))  # any name, as bytes
    except OSError:
        return None
    return Inputs(digest.hexdigest(), listing.stats, listing.racy, tuple(digests))


def scan_inputs(source: Path, now: datetime, options: tuple[object, ...]) -> Inputs | None:
    """Every input's bytes and the options, hashed; None if the tree cannot be vouched for."""
    listing = list_inputs(source)
    return hashed(listing, now, options) if listing is not None else None


def unchanged_since(source: Path, inputs: Inputs | Listing) -> bool:
    """True if every input still is the file that was read (same set, same stat)."""
    try:
        listing = _listing(source)
    except (_Unusable, OSError):
        return False
    return tuple((name, stat) for name, _, stat in listing) == inputs.stats


def output_stat(path: str | Path) -> Stat | None:
    try:
        return stat_of(os.stat(path))
    except OSError:
        return None


def output_key(inputs: Inputs, output: Path) -> str:
    """Where the stats of ``output``'s files are kept: one entry per inputs and folder."""
    return hashlib.sha256(f"{inputs.digest}\0{os.path.abspath(output)}".encode()).hexdigest()


def dump(entries: list[Entry]) -> bytes:
    return pickle.dumps((FORMAT, [(e.path, e.kind, e.key) for e in entries]), pickle.HIGHEST_PROTOCOL)


def load(blob: bytes) -> list[Entry] | None:
    """The entries of a stored ledger; None for anything unexpected (it is then ignored)."""
    try:
        version, rows = pickle.loads(blob)
        if version != FORMAT:
            return None
        return [Entry(str(path), str(kind), str(key)) for path, kind, key in rows]
    except Exception:
        return None


def dump_stats(stats: dict[str, Stat]) -> bytes:
    return pickle.dumps((FORMAT, stats), pickle.HIGHEST_PROTOCOL)


def load_stats(blob: bytes | None) -> dict[str, Stat]:
    """How an output folder's files looked; empty (every file to restore) for anything unexpected."""
    try:
        version, stats = pickle.loads(blob) if blob is not None else (None, None)
        if version != FORMAT or not isinstance(stats, dict):
            return {}
        return {str(path): tuple(stat) for path, stat in stats.items()}
    except Exception:
        return {}
