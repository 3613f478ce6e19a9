"""Reading a site: the config and every content file, parsed or taken from memory and the cache.

A :class:`Loader` keeps what it read between loads, so the watcher's next
load re-reads only the files it names, and a load that only edits items it
had, without mistakes, patches the last clean load instead of going over
every file (:meth:`Loader.load`).  A file is parsed again only when its
bytes, its name or the settings it is read with changed.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from pathlib import Path

from inloop import code_digest
from inloop.build.state import (
    Change,
    CleanLoad,
    EarlyPages,
    Loaded,
    ParseResult,
    Parsed,
    ScanHint,
    ScanHints,
    Signature,
    SourceFile,
    source_key,
)
from inloop.build.cache import Cache
from inloop.read.config import CONFIG_NAME, ConfigResult, load_config, with_base_url
from inloop.read.content import content_files, future_update_problems, ignored_path, problems_at
from inloop.errors import Problem, UsageError
from inloop.read.links import RefusedPaths
from inloop.read.markup import MARKDOWN_SETTINGS
from inloop.model import Content, Incident, Maintenance, SiteConfig
from inloop.build.parallel import will_fork
from inloop.build.parsing import RUN_KIND, ItemPages, parse_runs

KINDS = ("incidents", "maintenance")
#: Makes the item pages' renderer for a build's workers (see :mod:`.parsing`), or None if it cannot.
ItemPagesFor = Callable[[SiteConfig], ItemPages | None]


def shown_path(shown_source: str, relative: str) -> str:
    """A source file's path as the author typed the source folder."""
    return os.path.normpath(os.path.join(shown_source, relative))


def _key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _positions(items: dict[Path, Incident | Maintenance], content: Content) -> dict[Path, int]:
    """Each file's place in its list of items (incidents or maintenance windows)."""
    place = {id(item): number for number, item in enumerate(content.incidents)}
    place.update({id(item): number for number, item in enumerate(content.maintenance)})
    return {path: place[id(item)] for path, item in items.items()}


def _sorted(incidents: list[Incident], windows: list[Maintenance]) -> Content:
    incidents.sort(key=lambda i: (i.start, i.id), reverse=True)
    windows.sort(key=lambda m: (m.start, m.id), reverse=True)
    return Content(tuple(incidents), tuple(windows))


def settings_of(config: ConfigResult) -> str:
    """What every parsed item depends on besides its file: a change of it parses every file again."""
    zone_key = getattr(config.zone, "key", str(config.zone))
    ids = config.component_ids
    return _key(code_digest(), MARKDOWN_SETTINGS, zone_key, sorted(ids or ()), ids is None)


def source_paths(source: Path, changed: Collection[str]) -> set[Path]:
    """Absolute paths from the watcher, spelled as a loader of ``source`` spells its files."""
    root = Path(os.path.abspath(source))
    paths = set()
    for name in changed:
        try:
            paths.add(source / Path(os.path.abspath(name)).relative_to(root))
        except ValueError:
            continue
    return paths


def listed_content(source: Path, names: Iterable[str]) -> list[tuple[str, Path]]:
    """The content files among a listing of every input (the ledger's, sorted): what the loader would list itself.

    The same files in the same order as :func:`.content_files` finds them: a
    listing has no links (the ledger lists none), and a folder's files sorted
    by name, each folder in its place, is the order of their paths' parts.
    """
    found: dict[str, list[tuple[str, Path]]] = {kind: [] for kind in KINDS}
    for name in names:  # one pass over every input: a site has thousands
        if not name.startswith("content/") or not name.endswith(".md"):
            continue
        kind, _, rest = name[len("content/") :].partition("/")
        if kind in found and rest and not ignored_path(tuple(rest.split("/"))):
            found[kind].append((kind, source / name))
    return [file for kind in KINDS for file in found[kind]]


class Loader:
    """Loads one source folder, remembering each file's parsed item between loads."""

    def __init__(self, source: Path, shown_source: str, base_url: str | None, cache: Cache) -> None:
        self.source = source
        self.shown_source = shown_source
        self.base_url = base_url
        self.cache = cache
        #: Links out of the project and names that are not UTF-8: never read, reported by every load.
        self._refused = RefusedPaths(source, shown_source)
        self.parsed: dict[Path, Parsed] = {}  # every content file's last parse, by path
        self._files: dict[Path, SourceFile] = {}  # the content files of the last load, in its order
        self._data: dict[Path, bytes] = {}  # bytes read by this load, for the parser
        self._settings = ""
        #: What the ledger's scan found a moment ago, for the next load alone (see :meth:`.Builder.build_once`).
        self.hints: ScanHints = {}
        self.clean: CleanLoad | None = None
        #: The items the last load replaced by patching :attr:`clean`, for the planner; None: a full load.
        self.changes: list[Change] | None = None
        #: The item pages the last parse's workers rendered or promised, for the renderer.
        self.early = EarlyPages()

    def load(self, now: datetime, changed: Collection[str] | None = None, pages: ItemPagesFor | None = None) -> Loaded:
        """Read the config and every content file; ``changed`` (absolute paths) limits the re-reading.

        ``pages``: the load of a build, whose workers may render the items'
        pages as they parse them; ``inloop check`` and the others only read.

        With ``changed`` from the watcher, files not named there are taken as
        they were at the last load; without it every file is checked by its
        stat signature and read again when that moved.
        """
        config = self._config()
        problems = list(config.problems) + self._refused.problems(changed)
        settings = settings_of(config)
        changed_paths = source_paths(self.source, changed) if changed is not None else None
        self.changes = None
        if changed_paths and settings == self._settings and not problems:
            patched = self._patch_load(config, changed_paths, now)
            if patched is not None:
                return patched
        hints, self.hints = self.hints, {}
        reusing = changed_paths is not None and settings == self._settings
        if hints and changed_paths is None:  # the ledger listed every input a moment ago: no second walk
            candidates = listed_content(self.source, hints)
        else:
            candidates = self._candidates(changed_paths, settings)
        unread = changed_paths is None and self.cache.is_new()
        files: list[SourceFile] = []
        for kind, path in candidates:
            if self._refused.refused(path):
                continue  # a link out of the project, a name not UTF-8: never read, the load reports it
            previous = self._files.get(path)
            if previous is not None and reusing and path not in (changed_paths or ()):
                files.append(previous)
                continue
            keep_bytes = changed_paths is not None
            file = self._source_file(kind, path, settings, hints, problems, keep_bytes=keep_bytes, unread=unread)
            if file is not None:
                files.append(file)
        self._files = {file.path: file for file in files}
        self._settings = settings
        self._parse(files, config, pages)
        return self._collect(files, config, problems, now)

    def _config(self) -> ConfigResult:
        config = load_config(self.source, shown_path(self.shown_source, CONFIG_NAME))
        if config.config is not None and self.base_url:
            try:
                config.config = with_base_url(config.config, self.base_url)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        return config

    def _source_file(
        self,
        kind: str,
        path: Path,
        settings: str,
        hints: ScanHints,
        problems: list[Problem],
        *,
        keep_bytes: bool,
        unread: bool,
    ) -> SourceFile | None:
        """A content file as it is now: its stat, and its digest from memory, the scan or its bytes.

        ``unread``: the cache holds no parsed file to look up by its digest, so
        a file memory does not know is left for the parser to read and hash.
        """
        prefix = f"{self.source}{os.sep}"
        text = str(path)
        relative = text[len(prefix) :] if text.startswith(prefix) else path.relative_to(self.source).as_posix()
        shown = shown_path(self.shown_source, relative)
        cached = self.parsed.get(path) if self.parsed else None  # (a first load knows none)
        hint: ScanHint | None = hints.get(relative)
        try:
            # the ledger's scan read it a moment ago, and has its stat
            signature = Signature.made(*hint.stat[:3]) if hint is not None else Signature.of(path)
            digest: str | None
            if cached is not None and cached.signature == signature:
                data, digest = None, cached.digest
            elif hint is not None and not signature.racy and hint.digest is not None:
                # (a file saved since then is read again when parsed, and the build stores no ledger)
                data, digest = None, hint.digest
            elif unread:
                data, digest = None, None  # read and hashed by the process that parses it
            else:
                data = path.read_bytes()
                digest = hashlib.sha256(data).hexdigest()
        except OSError as exc:
            problems.append(Problem(shown, 1, f"cannot read: {exc.strerror}"))
            return None
        if data is not None and keep_bytes:
            # The watcher's few files: parse the bytes hashed.  A whole site's bytes would
            # stay in this process's heap after parsing, and in every forked worker.
            self._data[path] = data
        key = source_key(settings, kind, path, shown, digest) if digest is not None else None
        return SourceFile(kind, path, shown, signature, digest, key)

    def _collect(self, files: list[SourceFile], config: ConfigResult, problems: list[Problem], now: datetime) -> Loaded:
        """The load's content in order, with every problem of its files; kept as :attr:`clean` if it has none."""
        incidents: list[Incident] = []
        windows: list[Maintenance] = []
        seen: dict[tuple[str, str], str] = {}
        for file in files:
            parsed = self.parsed[file.path]
            problems.extend(parsed.problems)
            if (file.kind, file.path.stem) in seen:
                first = seen[file.kind, file.path.stem]
                problems.append(Problem(file.shown, 1, f"the id '{file.path.stem}' is used twice (also {first})"))
                continue
            seen[file.kind, file.path.stem] = file.shown
            if isinstance(parsed.item, Incident):
                incidents.append(parsed.item)
            elif isinstance(parsed.item, Maintenance):
                windows.append(parsed.item)
        live = {file.path for file in files}
        for stale in set(self.parsed) - live:
            del self.parsed[stale]
        problems.extend(self._time_problems(files, [*incidents, *windows], config, now))
        loaded = Loaded(config, _sorted(incidents, windows), problems)
        self.clean = None
        if not problems:
            items = {path: parsed.item for path, parsed in self.parsed.items() if parsed.item is not None}
            self.clean = CleanLoad(now, loaded, items, _positions(items, loaded.content))
        return loaded

    def _time_problems(
        self, files: list[SourceFile], items: list[Incident | Maintenance], config: ConfigResult, now: datetime
    ) -> list[Problem]:
        """Updates later than the build time, in the items and in the files that failed to parse."""
        problems: list[Problem] = []
        for file in files:  # a file that failed to parse still has its updates' times checked
            if self.parsed[file.path].item is None:
                try:
                    data = file.path.read_bytes()
                except OSError:
                    continue
                problems.extend(future_update_problems(data, file.shown, file.kind, config.zone, now))
        for item in items:
            if item.updates and item.updates[-1].time > now:  # updates are sorted: the last is the latest
                problems.extend(problems_at(item, now, config.zone))
        return problems

    def _patch_load(self, config: ConfigResult, changed: set[Path], now: datetime) -> Loaded | None:
        """The last clean load with the changed files read again, without going over the others.

        Only for edits of files the last load had, with no problem in them and
        the clock not turned back; anything else (a file added or removed, a
        mistake to report) returns None and takes the full path.
        """
        clean = self.clean
        if clean is None or now < clean.now or any(p not in clean.items or p not in self._files for p in changed):
            return None
        files = self._read_again(sorted(changed))
        if files is None:
            return None
        self._parse(files, config)
        changes = []
        for file in files:
            parsed = self.parsed[file.path]
            new = parsed.item
            if parsed.problems or new is None or (new.updates and new.updates[-1].time > now):
                return None
            changes.append(Change(clean.items[file.path], new))
        self._apply(clean, files, changes, config, now)
        self.changes = changes
        return clean.loaded

    def _read_again(self, paths: list[Path]) -> list[SourceFile] | None:
        files = []
        for path in paths:
            before = self._files[path]
            try:
                signature = Signature.of(path)
                data = path.read_bytes()
            except OSError:
                return None
            digest = hashlib.sha256(data).hexdigest()
            key = source_key(self._settings, before.kind, path, before.shown, digest)
            files.append(SourceFile(before.kind, path, before.shown, signature, digest, key))
            self._data[path] = data
        return files

    def _apply(
        self, clean: CleanLoad, files: list[SourceFile], changes: list[Change], config: ConfigResult, now: datetime
    ) -> None:
        """Swap the changed items into the clean load (nothing changes before all is known good)."""
        content = clean.loaded.content
        incidents: list[Incident | Maintenance] = list(content.incidents)
        windows: list[Incident | Maintenance] = list(content.maintenance)
        for file, change in zip(files, changes, strict=True):
            self._files[file.path] = file
            clean.items[file.path] = change.new
            (incidents if change.new.kind == "incident" else windows)[clean.positions[file.path]] = change.new
        moved = any((c.old.start, c.old.id) != (c.new.start, c.new.id) for c in changes)
        if moved:
            content = _sorted(incidents, windows)  # type: ignore[arg-type]
        else:
            content = Content(tuple(incidents), tuple(windows))  # type: ignore[arg-type]
        clean.loaded = Loaded(config, content, [])
        clean.now = now
        if moved:
            clean.positions = _positions(clean.items, content)

    def _listing(self) -> list[tuple[str, Path]]:
        return [(kind, path) for kind in KINDS for path in content_files(self.source, kind)]

    def _candidates(self, changed: set[Path] | None, settings: str) -> list[tuple[str, Path]]:
        """The content files to consider, by a full listing or by the last one and the changes."""
        if changed is None or not self._files or settings != self._settings:
            return self._listing()
        if all(path in self._files and path.is_file() for path in changed):
            return [(file.kind, path) for path, file in self._files.items()]  # same files, same order
        known = {path: file.kind for path, file in self._files.items()}
        for path in changed:
            for kind in KINDS:
                root = self.source / "content" / kind
                if not path.is_relative_to(root):
                    continue
                if path.suffix != ".md" or path.is_dir():
                    return self._listing()  # a folder appeared or vanished: list everything again
                known.pop(path, None)
                if path.is_file() and not ignored_path(path.relative_to(root).parts):
                    known[path] = kind
        order = {kind: number for number, kind in enumerate(KINDS)}
        return sorted(((kind, path) for path, kind in known.items()), key=lambda kp: (order[kp[0]], kp[1].parts))

    def _parse(self, files: list[SourceFile], config: ConfigResult, pages: ItemPagesFor | None = None) -> None:
        """Parse what is not in memory or in the persistent cache, on all cores.

        With ``pages`` and enough files to fork, each worker also renders the
        page of every item it parses; the pages wait in :attr:`early` for the renderer.
        """
        to_parse = self._from_cache(files)
        datas, self._data = self._data, {}
        item_pages = None
        if pages is not None and config.config is not None and will_fork(len(to_parse)):
            item_pages = pages(config.config)
            datas = {}  # workers read the files again rather than inherit every file's bytes
        outcomes, self.early = parse_runs(to_parse, config, self.cache, datas, item_pages, self._settings)
        for file, outcome in zip(to_parse, outcomes, strict=True):
            item, item_problems = outcome.parsed
            digest, key = outcome.first_read or (file.digest, file.key)
            assert digest is not None and key is not None  # a file not hashed before is hashed by its parser
            self.parsed[file.path] = Parsed(key, file.signature, digest, item, item_problems)

    def digest_of(self, relative: str) -> str | None:
        """The digest of the content file at ``relative`` (to the source folder) as it was parsed, if it was."""
        parsed = self.parsed.get(self.source / relative)
        return parsed.digest if parsed is not None else None

    def _from_cache(self, files: list[SourceFile]) -> list[SourceFile]:
        """Take what memory and the persistent cache hold for ``files``; the files left to parse."""
        missing = [f for f in files if (c := self.parsed.get(f.path)) is None or c.key != f.key]
        for file in files:
            cached = self.parsed.get(file.path)
            if cached is not None and cached.key == file.key and cached.signature != file.signature:
                self.parsed[file.path] = Parsed(cached.key, file.signature, cached.digest, cached.item, cached.problems)
        stored = stored_results(self.cache, [f.key for f in missing if f.key is not None])
        to_parse: list[SourceFile] = []
        for file in missing:
            found = stored.get(file.key) if file.key is not None else None
            if found is None or file.key is None or file.digest is None:
                to_parse.append(file)
                continue
            item, item_problems = found
            self.parsed[file.path] = Parsed(file.key, file.signature, file.digest, item, item_problems)
        return to_parse


def stored_results(cache: Cache, keys: list[str]) -> dict[str, ParseResult]:
    """The parse results the cache holds for ``keys``: each names its place in the pickle of its run."""
    places: dict[str, tuple[str, int]] = {}
    for key, where in cache.get_many("parsed", keys).items():
        run, _, place = where.decode("ascii", "replace").partition(" ")
        if place.isdigit():
            places[key] = (run, int(place))
    runs: dict[str, list[ParseResult]] = {}
    for run, blob in cache.get_many(RUN_KIND, sorted({run for run, _ in places.values()})).items():
        try:
            loaded = pickle.loads(blob)
        except Exception:  # a corrupt entry is ignored, never served
            continue
        if isinstance(loaded, list):
            runs[run] = loaded
    found: dict[str, ParseResult] = {}
    for key, (run, at) in places.items():
        results = runs.get(run)
        if results is not None and at < len(results):
            result = results[at]
            if isinstance(result, tuple) and len(result) == 2:
                found[key] = result
    return found
