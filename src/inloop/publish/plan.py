"""What a publish has to do, decided without touching the disk or the network.

Every function here is pure: given what the output folder holds and what the
destination's manifest says was published, it works out which objects go up,
which are deleted, in which order, and with which ``Content-Type`` and
``Cache-Control`` headers.  :mod:`inloop.publish.run` carries the plan out.

The manifest (``.inloop/manifest.json`` under the destination prefix) is the
record of the last *complete* publish: for every key its SHA-256, its size and
the two headers it was uploaded with.  A key is uploaded again when any of them
differs, so a change in the header rules reaches objects whose bytes did not
change.  ETags are never used: they are not content hashes for multipart or
encrypted uploads, and every store computes them its own way.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import PurePosixPath
from typing import Literal

#: Where the record of the last complete publish lives, under the prefix.
MANIFEST_KEY = ".inloop/manifest.json"
#: Keys a run is about to touch, written before its first upload and removed
#: after the manifest: a rerun after a crash uploads these again whatever the
#: manifest says (see :func:`make_plan`).
PENDING_KEY = ".inloop/pending.json"
MANIFEST_VERSION = 1

#: For pages, feeds, the API, badges and the calendar: readers see an update
#: within a minute, and a CDN keeps serving the last copy for a day if the
#: store fails.
SHORT_CACHE = "public, max-age=60, stale-if-error=86400"
#: For files whose name carries a hash of their content (``style.3f2a9c1b.css``).
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
#: For the manifest and the pending record themselves.
NO_CACHE = "no-cache"

# ``name.<8 or more hex digits>.ext``: the build names its stylesheet this way.
_HASHED_NAME = re.compile(r"^.+\.[0-9a-fA-F]{8,}\.[A-Za-z0-9]+$")
# A language folder of a translated site: ``de``, ``pt-BR``, ``zh-Hans``.
_LANGUAGE_DIR = re.compile(r"^[a-z]{2}(?:-[A-Za-z]{2,4})?$")

_UTF8 = "; charset=utf-8"
_BY_NAME = {
    "feed.xml": "application/rss+xml" + _UTF8,
    "atom.xml": "application/atom+xml" + _UTF8,
    "feed.json": "application/feed+json",
}
_BY_SUFFIX = {
    ".html": "text/html" + _UTF8,
    ".htm": "text/html" + _UTF8,
    ".css": "text/css" + _UTF8,
    ".js": "text/javascript" + _UTF8,
    ".mjs": "text/javascript" + _UTF8,
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".ics": "text/calendar" + _UTF8,
    ".xml": "application/xml",
    ".xsl": "text/xsl" + _UTF8,
    ".txt": "text/plain" + _UTF8,
    ".md": "text/markdown" + _UTF8,
    ".csv": "text/csv" + _UTF8,
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
}
# Python's built-in table only, not the machine's /etc/mime.types, so that the
# same file gets the same header on every machine.
_FALLBACK = mimetypes.MimeTypes()


class Phase(IntEnum):
    """Upload groups, in order: a page goes up only after what it links to."""

    ASSETS = 0
    FEEDS = 1
    EVENT_PAGES = 2
    PAGES = 3
    HOME = 4

    @property
    def label(self) -> str:
        return _PHASE_LABELS[self]


_PHASE_LABELS = {
    Phase.ASSETS: "assets",
    Phase.FEEDS: "feeds, API, badges, calendar",
    Phase.EVENT_PAGES: "incident and maintenance pages",
    Phase.PAGES: "history and component pages",
    Phase.HOME: "home page",
}


def content_type(key: str) -> str:
    """The ``Content-Type`` an object gets, from its name."""
    name = PurePosixPath(key).name.lower()
    if name in _BY_NAME:
        return _BY_NAME[name]
    suffix = PurePosixPath(name).suffix
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    guessed, encoding = _FALLBACK.guess_type(name, strict=False)
    if guessed is None or encoding is not None:
        return "application/octet-stream"
    if guessed.startswith("text/"):
        return guessed + _UTF8
    return guessed


def is_hashed(key: str) -> bool:
    """Whether the file name carries a content hash, like ``style.3f2a9c1b.css``."""
    return _HASHED_NAME.match(PurePosixPath(key).name) is not None


def cache_control(key: str) -> str:
    """The ``Cache-Control`` an object gets: a year for hashed names, else a minute."""
    return IMMUTABLE_CACHE if is_hashed(key) else SHORT_CACHE


def phase_of(key: str) -> Phase:
    """Which upload group a key belongs to (see :class:`Phase`)."""
    parts = key.split("/")
    folders, name = parts[:-1], parts[-1].lower()
    suffix = PurePosixPath(name).suffix
    if suffix in (".html", ".htm"):
        if "incidents" in folders or "maintenance" in folders:
            return Phase.EVENT_PAGES
        if name in ("index.html", "404.html") and (
            not folders or (len(folders) == 1 and _LANGUAGE_DIR.match(folders[0]))
        ):
            return Phase.HOME
        return Phase.PAGES
    if (name.startswith("sitemap") and suffix == ".xml") or (name == "live.json" and not folders):
        # A sitemap lists every page, and live.json tells open pages to reload: both go
        # up with the home page, so that a reload finds the new pages.
        return Phase.HOME
    if (
        name in _BY_NAME
        or "api" in folders
        or suffix in (".json", ".ics", ".xml")
        or (name.startswith("badge") and suffix in (".svg", ".png"))
        or "badges" in folders
    ):
        return Phase.FEEDS
    return Phase.ASSETS


def valid_key(key: str) -> bool:
    """A relative POSIX path with no empty, ``.`` or ``..`` part."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        return False
    return all(part not in ("", ".", "..") for part in key.split("/"))


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One published object as the manifest records it."""

    key: str
    sha256: str
    size: int
    content_type: str
    cache_control: str


def describe(key: str, sha256: str, size: int) -> ObjectInfo:
    """The record a local file should have once published."""
    return ObjectInfo(key, sha256, size, content_type(key), cache_control(key))


@dataclass(frozen=True, slots=True)
class Found:
    """What a full check found for one key: its bytes' hash and its headers.

    ``None`` headers mean that the store does not keep headers (a folder).
    """

    sha256: str
    size: int
    content_type: str | None
    cache_control: str | None

    def matches(self, wanted: ObjectInfo) -> bool:
        return (
            self.sha256 == wanted.sha256
            and self.size == wanted.size
            and self.content_type in (None, wanted.content_type)
            and self.cache_control in (None, wanted.cache_control)
        )


Reason = Literal["new", "changed", "unfinished", "missing", "differs"]

#: How :meth:`PublishReport.lines` explains each reason.
REASON_TEXT: Mapping[str, str] = {
    "new": "new",
    "changed": "changed",
    "unfinished": "left unfinished by an interrupted publish",
    "missing": "missing from the store",
    "differs": "changed in the store",
}


@dataclass(frozen=True, slots=True)
class Upload:
    info: ObjectInfo
    reason: Reason

    @property
    def key(self) -> str:
        return self.info.key

    @property
    def phase(self) -> Phase:
        return phase_of(self.info.key)


@dataclass(frozen=True, slots=True)
class Plan:
    """Uploads, deletions and untouched keys, each sorted by key."""

    uploads: tuple[Upload, ...]
    deletes: tuple[str, ...]
    unchanged: tuple[str, ...]
    #: The manifest to write once everything went through.
    manifest: tuple[ObjectInfo, ...] = field(default=())

    @property
    def touched(self) -> tuple[str, ...]:
        """Every key this plan writes or deletes, for the pending record."""
        return tuple(sorted({u.key for u in self.uploads} | set(self.deletes)))

    def upload_phases(self) -> list[tuple[Phase, tuple[Upload, ...]]]:
        """The uploads by phase, in upload order, leaving out empty phases."""
        groups: dict[Phase, list[Upload]] = {}
        for upload in self.uploads:
            groups.setdefault(upload.phase, []).append(upload)
        return [(phase, tuple(groups[phase])) for phase in sorted(groups)]

    def upload_waves(self, links: Mapping[str, Collection[str]] | None = None) -> list[Wave]:
        """The uploads in groups to send one after the other.

        The groups follow the phases, except that a page waits for every
        object it links to that the store does not have yet (``links`` maps
        a key to the keys its file links to): a new incident page that links
        to a new component page goes up after it, and a history page after
        the new history page it links to.  Where new pages link to each other
        in a circle (the first publish), the phase order decides.
        """
        ranks = _ranks(self.uploads, links or {})
        groups: dict[int, list[Upload]] = {}
        for upload in self.uploads:
            groups.setdefault(ranks[upload.key], []).append(upload)
        waves = []
        for rank in sorted(groups):
            members = tuple(groups[rank])
            phases = tuple(sorted({u.phase for u in members}, reverse=True))
            waves.append(Wave(phases, members))
        return waves

    def delete_phases(self) -> list[tuple[Phase, tuple[str, ...]]]:
        """The deletions by phase, pages first and assets last.

        A stale page that somebody still has open keeps its stylesheet until the
        page itself is gone.
        """
        groups: dict[Phase, list[str]] = {}
        for key in self.deletes:
            groups.setdefault(phase_of(key), []).append(key)
        return [(phase, tuple(groups[phase])) for phase in sorted(groups, reverse=True)]


@dataclass(frozen=True, slots=True)
class Wave:
    """Uploads that go up together, after every earlier wave is up."""

    phases: tuple[Phase, ...]
    uploads: tuple[Upload, ...]

    @property
    def label(self) -> str:
        return ", ".join(phase.label for phase in self.phases)


#: Uploads whose object may be absent from the store until they are done.
_ABSENT: frozenset[str] = frozenset({"new", "missing", "unfinished"})


def _ranks(uploads: Sequence[Upload], links: Mapping[str, Collection[str]]) -> dict[str, int]:
    """The wave of each upload: at least its phase, and after what it needs.

    An upload needs the absent objects it links to.  Links inside a cycle of
    needs (found as strongly connected components) count only when they point
    to an earlier phase, which leaves the needs acyclic; then each upload's
    rank is the larger of its phase and one more than the rank of anything it
    needs (a longest path, in topological order).  The home phase then moves
    after everything else.
    """
    phase = {u.key: int(u.phase) for u in uploads}
    absent = {u.key for u in uploads if u.reason in _ABSENT}
    needs = {key: sorted(t for t in links.get(key, ()) if t in absent and t != key) for key in phase}
    component = _components(sorted(phase), needs)
    kept = {
        key: [t for t in targets if component[t] != component[key] or phase[t] < phase[key]]
        for key, targets in needs.items()
    }
    # Kahn's algorithm over "key needs target" edges: targets first.
    waiting = {key: len(targets) for key, targets in kept.items()}
    needed_by: dict[str, list[str]] = {key: [] for key in phase}
    for key, targets in kept.items():
        for target in targets:
            needed_by[target].append(key)
    ready = sorted(key for key, count in waiting.items() if count == 0)
    rank: dict[str, int] = {}
    while ready:
        key = ready.pop()
        rank[key] = max([phase[key], *(rank[t] + 1 for t in kept[key])])
        for user in needed_by[key]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    last = max(rank.values(), default=0)
    for key in phase:  # unreachable if the graph is acyclic, as argued above
        rank.setdefault(key, last + 1)
    # The home page and the 404 page go up last, whatever waited before them.
    home = [key for key in phase if phase[key] == Phase.HOME]
    rest = [rank[key] for key in phase if phase[key] != Phase.HOME]
    if home and rest:
        shift = max(rest) + 1 - min(rank[key] for key in home)
        for key in home:
            rank[key] += max(shift, 0)
    return rank


def _components(keys: Sequence[str], edges: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Tarjan's strongly connected components, without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    component: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0
    for root in keys:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = index[node]
                    if member == node:
                        break
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return component


def make_plan(
    local: Mapping[str, ObjectInfo],
    published: Mapping[str, ObjectInfo],
    unfinished: Collection[str] = (),
    found: Mapping[str, Found | None] | None = None,
) -> Plan:
    """Compare the output folder with the last complete publish.

    ``published`` is the manifest; ``unfinished`` the keys an interrupted run
    had started to touch (its pending record): those are uploaded again if they
    are local and deleted if not, whatever the manifest says, because the store
    may hold a half-published version of them.  ``found`` (for ``--full``) is
    what the store really holds for each local key, ``None`` for a missing
    object; when it is given, it decides instead of the manifest.
    """
    uploads: list[Upload] = []
    unchanged: list[str] = []
    for key in sorted(local):
        info = local[key]
        reason: Reason | None
        if found is not None:
            there = found.get(key)
            if there is None:
                reason = "missing"
            elif not there.matches(info):
                reason = "differs"
            else:
                reason = None
        elif key in unfinished:
            reason = "unfinished"
        elif key not in published:
            reason = "new"
        elif published[key] != info:
            reason = "changed"
        else:
            reason = None
        if reason is None:
            unchanged.append(key)
        else:
            uploads.append(Upload(info, reason))
    deletes = sorted((set(published) | set(unfinished)) - set(local))
    manifest = tuple(local[key] for key in sorted(local))
    return Plan(tuple(uploads), tuple(deletes), tuple(unchanged), manifest)


class ManifestError(ValueError):
    """A manifest or pending record that cannot be read."""


def encode_manifest(entries: Iterable[ObjectInfo]) -> bytes:
    files = [
        {
            "key": e.key,
            "sha256": e.sha256,
            "size": e.size,
            "content_type": e.content_type,
            "cache_control": e.cache_control,
        }
        for e in sorted(entries, key=lambda e: e.key)
    ]
    document = {"version": MANIFEST_VERSION, "generator": "inloop", "files": files}
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()


def decode_manifest(data: bytes) -> dict[str, ObjectInfo]:
    """The entries of a manifest, by key; :class:`ManifestError` if malformed."""
    document = _load_json(data)
    files = document.get("files")
    if not isinstance(files, list):
        raise ManifestError("no list of files")
    entries: dict[str, ObjectInfo] = {}
    for item in files:
        if not isinstance(item, dict):
            raise ManifestError("a file entry is not an object")
        key, sha, size = item.get("key"), item.get("sha256"), item.get("size")
        ctype, cache = item.get("content_type"), item.get("cache_control")
        if not isinstance(key, str) or not valid_key(key):
            raise ManifestError(f"bad key {key!r}")
        if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise ManifestError(f"bad sha256 for {key}")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ManifestError(f"bad size for {key}")
        if not isinstance(ctype, str) or not isinstance(cache, str):
            raise ManifestError(f"bad headers for {key}")
        entries[key] = ObjectInfo(key, sha, size, ctype, cache)
    return entries


def encode_pending(keys: Iterable[str]) -> bytes:
    document = {"version": MANIFEST_VERSION, "generator": "inloop", "keys": sorted(set(keys))}
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()


def decode_pending(data: bytes) -> set[str]:
    document = _load_json(data)
    keys = document.get("keys")
    if not isinstance(keys, list) or not all(isinstance(k, str) and valid_key(k) for k in keys):
        raise ManifestError("bad list of keys")
    return set(keys)


def _load_json(data: bytes) -> dict[str, object]:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ManifestError("not a JSON object")
    if document.get("version") != MANIFEST_VERSION:
        raise ManifestError(f"unknown version {document.get('version')!r}")
    return document
