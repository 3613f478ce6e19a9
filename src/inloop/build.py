"""One build: read → model → render → write, with every problem collected first.

:class:`Builder` keeps what it read and rendered between builds, so the watcher
re-reads only changed files and re-renders only pages whose inputs changed.
A fresh :class:`Builder` is a cold build; both give the same bytes.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import shutil
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from gettext import NullTranslations
from pathlib import Path
from typing import Any, Literal

import jinja2

from . import code_digest, i18n, ledger
from .cache import CACHE_DIR, Cache
from .config import CONFIG_NAME, ConfigResult, load_config, with_base_url
from .content import (
    content_files,
    future_update_problems,
    ignored_path,
    parse_incident,
    parse_maintenance,
    problems_at,
    share_repeats,
)
from .derive import next_change
from .errors import BuildError, Problem, UsageError
from .markup import MARKDOWN_SETTINGS
from .model import Content, Incident, Maintenance, SiteConfig
from .packed import FileBytes, Packed, Staged, raw, same
from .pages import Memo, Page, Planner, make_state
from .parallel import Deferred, fork_map, fork_map_chunks, fork_map_deferred, will_fork
from .render import TemplateProblem, Templates
from .times import parse_now
from .writer import (
    RECORD_NAME,
    WriteReport,
    check_output,
    move_in,
    read_record,
    record_bytes,
    staging_folder,
    write_files,
    write_new,
    write_site,
)

STATIC_DIR = "static"
#: Files the ledger restores per cache query and write.
LEDGER_BATCH = 1000


def build_time(now: str | None) -> datetime:
    """``--now``, else ``SOURCE_DATE_EPOCH``, else the clock."""
    if now:
        try:
            return parse_now(now)
        except ValueError as exc:
            raise UsageError(f"--now: {exc}") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError, OSError):
            raise UsageError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, found '{epoch}'") from None
    return datetime.now(UTC).replace(microsecond=0)


def _signature(path: Path) -> tuple[int, int, int, int]:
    """What tells a file did not change, without reading it.

    Like git's racy-clean check, a file whose mtime is close to the moment we
    looked gets a signature that never matches (the last field), so it is
    read again: two saves within one mtime tick cannot hide a change.
    """
    stat = path.stat()
    return _signature_from(stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _signature_from(mtime_ns: int, size: int, inode: int) -> tuple[int, int, int, int]:
    racy = mtime_ns > time.time_ns() - ledger.RACY_NS
    return (mtime_ns, size, inode, time.perf_counter_ns() if racy else 0)


def shown_path(shown_source: str, relative: str) -> str:
    """A source file's path as the author typed the source folder."""
    return os.path.normpath(os.path.join(shown_source, relative))


@dataclass(frozen=True, slots=True)
class SourceFile:
    kind: str
    path: Path
    shown: str
    signature: tuple[int, int, int, int]
    digest: str
    key: str


@dataclass(frozen=True, slots=True)
class Parsed:
    key: str
    signature: tuple[int, int, int, int]
    digest: str
    item: Incident | Maintenance | None
    problems: list[Problem]


#: What a parser returns: the item, or None when the file has mistakes, and the problems found.
ParseResult = tuple[Incident | Maintenance | None, list[Problem]]


def _positions(items: dict[Path, Incident | Maintenance], content: Content) -> dict[Path, int]:
    """Each file's place in its list of items (incidents or maintenance windows)."""
    place = {id(item): number for number, item in enumerate(content.incidents)}
    place.update({id(item): number for number, item in enumerate(content.maintenance)})
    return {path: place[id(item)] for path, item in items.items()}


def _differs(old: FileBytes | None, new: FileBytes) -> bool:
    """Whether a file's new bytes are not the ones it had (the same object is the cheap answer)."""
    return old is not new and not same(old, new)


def _key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _page_key(page: Page) -> str:
    """The persistent cache key of a page: its path too, so two pages can never swap bytes."""
    return hashlib.sha256(repr((code_digest(), page.path, page.key)).encode()).hexdigest()


@contextlib.contextmanager
def _collecting_cycles() -> Iterator[None]:
    """Collect garbage while rendering: Jinja leaves reference cycles behind every page.

    What exists before is frozen, so the collector walks only what rendering makes.
    """
    collecting = gc.isenabled()
    gc.freeze()
    gc.enable()
    try:
        yield
    finally:
        if not collecting:
            gc.disable()


#: An item's page rendered beside the parsing: its cache key and its bytes compressed, or
#: None for bytes a worker promises to render later (see :meth:`Builder._parse`), or
#: :data:`STAGED` for a page written to the staging folder and stored in the cache.
Prerendered = tuple[str, bytes | None]
#: In place of a page's bytes: a one-shot first build keeps them on disk and in the cache only.
STAGED = b""


def _item_page(planner: Planner, item: Incident | Maintenance) -> Page:
    page = planner.incident(item) if isinstance(item, Incident) else planner.maintenance(item)
    planner.memo.clear()  # a worker plans each item once: keeping them would hold the whole content
    planner.lastmod.clear()
    planner.fmt.forget_moments()
    return page


def _prerender(planner: Planner, item: Incident | Maintenance, staging: Path | None) -> Prerendered | None:
    """An item's page as a worker renders it while parsing: its cache key, its bytes compressed.

    With a staging folder (a first build, see :func:`.writer.staging_folder`)
    the worker writes the page there too, on its own core.
    """
    page = _item_page(planner, item)
    try:
        data = page.render()
    except TemplateProblem:
        return None  # rendered again by the normal path, which reports it
    if staging is not None:
        write_new(staging, page.path, data)
    return _page_key(page), Packed.of(data).packed


def _render_one(page: Page) -> Packed | Problem:
    """A page's bytes, compressed at once: a build holds every page until it knows all are good."""
    try:
        return Packed.of(page.render())
    except TemplateProblem as exc:
        return exc.problem


@dataclass(slots=True)
class Loaded:
    config: ConfigResult
    content: Content
    problems: list[Problem]


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


class Builder:
    """Builds one source folder into one output folder, remembering between builds."""

    def __init__(
        self,
        source: Path,
        output: Path | None = None,
        *,
        shown_source: str | None = None,
        base_url: str | None = None,
        cache_dir: Path | Literal["default"] | None = "default",
    ) -> None:
        self.source = source
        self.output = output if output is not None else source / "site"
        self.shown_source = shown_source if shown_source is not None else str(source)
        self.base_url = base_url
        check_output(self.source, self.output)
        if cache_dir == "default":
            cache_dir = self.source / CACHE_DIR
        self._parsed: dict[Path, Parsed] = {}
        self._scanned: dict[Path, SourceFile] = {}
        self._data: dict[Path, bytes] = {}  # bytes read by the last scan, for the parser
        #: Each input's stat and digest as the ledger's scan found them, by relative path, for the next load.
        self._scan: dict[str, tuple[ledger.Stat, str]] = {}
        self._templates: tuple[object, Templates] | None = None
        self._last_files: dict[str, FileBytes] | None = None
        self._page_memo: dict[str, Memo] = {}
        self._settings = ""
        self.cache = Cache(cache_dir)
        #: Each page's key and bytes, compressed as they are in the cache (see :mod:`.packed`).
        self._rendered: dict[str, tuple[tuple[object, ...], Packed | Staged]] = {}
        #: Pages the parsing workers rendered, by persistent cache key, compressed (see :meth:`_parse`).
        self._prerendered: dict[str, bytes] = {}
        #: Where a first build writes the site before moving it in (see :func:`.writer.staging_folder`),
        #: and the pages the workers wrote there.
        self._staging: Path | None = None
        self._staged: set[str] = set()
        #: The cache keys of the pages a worker renders while this process renders the list pages.
        self._promised: tuple[set[str], Deferred[SourceFile, Any, Prerendered | None]] | None = None
        #: Called once every input of a one-shot build is read (see :meth:`build_once`), if set.
        self._inputs_read: Callable[[], None] | None = None
        self._page_keys: dict[str, str] = {}  # each page's persistent cache key, for the ledger
        self._previous_files: list[str] | None = None
        self._builds = 0
        #: ``inloop build``: this builder builds once, so its pages need not be kept for another build.
        self._one_shot = False
        self._boundary_inputs: tuple[SiteConfig, Content, datetime] | None = None
        self._boundary: datetime | None = None
        #: The last clean load, for :meth:`_patch_load`; the items the last load replaced, for the planner.
        #: (its build time, what it loaded, each file's item, each file's place in its list of items)
        self._last_load: (
            tuple[datetime, Loaded, dict[Path, Incident | Maintenance], dict[Path, int]] | None
        ) = None
        self._changes: list[tuple[Incident | Maintenance, Incident | Maintenance]] | None = None
        #: The planner of the last build and what it planned from, for :meth:`Planner.patch`.
        self._planner: tuple[tuple[object, ...], Planner] | None = None
        self._patched = False
        self._replanned: list[Page] = []
        self._plan_boundary: datetime | None = None  # when the last full plan's pages change by themselves
        self._changed_pages: list[str] = []  # the patched pages whose bytes changed

    # -- read ---------------------------------------------------------------

    def load(self, now: datetime, changed: Collection[str] | None = None, *, building: bool = False) -> Loaded:
        """Read the config and every content file; ``changed`` (absolute paths) limits the re-reading.

        ``building``: the load of a build, whose workers may render the items'
        pages as they parse them; ``inloop check`` and the others only read.

        With ``changed`` from the watcher, files not named there are taken as
        they were at the last load; without it every file is checked by its
        stat signature and read again when that moved.
        """
        shown_config = shown_path(self.shown_source, CONFIG_NAME)
        config = load_config(self.source, shown_config)
        problems = list(config.problems)
        if config.config is not None and self.base_url:
            try:
                config.config = with_base_url(config.config, self.base_url)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        zone_key = getattr(config.zone, "key", str(config.zone))
        settings = _key(
            code_digest(), MARKDOWN_SETTINGS, zone_key, sorted(config.component_ids or ()), config.component_ids is None
        )
        changed_paths = self._as_source_paths(changed) if changed is not None else None
        self._changes = None
        if changed_paths and settings == self._settings and not problems:
            patched = self._patch_load(config, changed_paths, now)
            if patched is not None:
                return patched
        candidates = self._candidates(changed_paths, settings)
        scanned, self._scan = self._scan, {}
        files: list[SourceFile] = []
        reusing = changed_paths is not None and settings == self._settings
        fresh_paths = changed_paths or set()
        prefix = f"{self.source}{os.sep}"
        for kind, path in candidates:
            previous = self._scanned.get(path)
            if previous is not None and reusing and path not in fresh_paths:
                files.append(previous)
                continue
            text = str(path)
            relative = text[len(prefix) :] if text.startswith(prefix) else path.relative_to(self.source).as_posix()
            shown = shown_path(self.shown_source, relative)
            cached = self._parsed.get(path)
            hashed = scanned.get(relative)
            try:
                if hashed is not None:  # the ledger's scan read it a moment ago, and has its stat
                    signature = _signature_from(*hashed[0][:3])
                else:
                    signature = _signature(path)
                if cached is not None and cached.signature == signature:
                    data, digest = None, cached.digest
                elif hashed is not None and not signature[3]:
                    # (a file saved since then is read again when parsed, and the build stores no ledger)
                    data, digest = None, hashed[1]
                else:
                    data = path.read_bytes()
                    digest = hashlib.sha256(data).hexdigest()
            except OSError as exc:
                problems.append(Problem(shown, 1, f"cannot read: {exc.strerror}"))
                continue
            key = _key(settings, kind, path.stem, shown, digest)
            files.append(SourceFile(kind, path, shown, signature, digest, key))
            if data is not None and changed_paths is not None:
                # The watcher's few files: parse the bytes hashed.  A whole site's bytes would
                # stay in this process's heap after parsing, and in every forked worker.
                self._data[path] = data
        self._scanned = {file.path: file for file in files}
        self._settings = settings
        self._parse(files, config, now if building else None)
        incidents: list[Incident] = []
        windows: list[Maintenance] = []
        seen: dict[tuple[str, str], str] = {}
        for file in files:
            parsed = self._parsed[file.path]
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
        for stale in set(self._parsed) - live:
            del self._parsed[stale]
        for file in files:  # a file that failed to parse still has its updates' times checked
            if self._parsed[file.path].item is None:
                try:
                    data = file.path.read_bytes()
                except OSError:
                    continue
                problems.extend(future_update_problems(data, file.shown, file.kind, config.zone, now))
        everything: list[Incident | Maintenance] = [*incidents, *windows]
        for item in everything:
            if item.updates and item.updates[-1].time > now:  # updates are sorted: the last is the latest
                problems.extend(problems_at(item, now, config.zone))
        incidents.sort(key=lambda i: (i.start, i.id), reverse=True)
        windows.sort(key=lambda m: (m.start, m.id), reverse=True)
        loaded = Loaded(config, Content(tuple(incidents), tuple(windows)), problems)
        self._last_load = None
        if not problems:
            items = {path: parsed.item for path, parsed in self._parsed.items() if parsed.item is not None}
            self._last_load = (now, loaded, items, _positions(items, loaded.content))
        return loaded

    def _patch_load(self, config: ConfigResult, changed: set[Path], now: datetime) -> Loaded | None:
        """The last clean load with the changed files read again, without going over the others.

        Only for edits of files the last load had, with no problem in them and
        the clock not turned back; anything else (a file added or removed, a
        mistake to report) returns None and takes the full path.
        """
        if self._last_load is None:
            return None
        last_now, last, items, positions = self._last_load
        if now < last_now or any(path not in items or path not in self._scanned for path in changed):
            return None
        files = []
        for path in sorted(changed):
            before = self._scanned[path]
            try:
                signature = _signature(path)
                data = path.read_bytes()
            except OSError:
                return None
            digest = hashlib.sha256(data).hexdigest()
            key = _key(self._settings, before.kind, path.stem, before.shown, digest)
            files.append(SourceFile(before.kind, path, before.shown, signature, digest, key))
            self._data[path] = data
        self._parse(files, config)
        changes = []
        for file in files:
            parsed = self._parsed[file.path]
            new = parsed.item
            if parsed.problems or new is None or (new.updates and new.updates[-1].time > now):
                return None
            changes.append((items[file.path], new))
        content = last.content
        incidents: list[Incident | Maintenance] = list(content.incidents)
        windows: list[Incident | Maintenance] = list(content.maintenance)
        for file, (_, new) in zip(files, changes, strict=True):  # nothing changes before all is known good
            self._scanned[file.path] = file
            items[file.path] = new
            (incidents if new.kind == "incident" else windows)[positions[file.path]] = new
        moved = any((old.start, old.id) != (new.start, new.id) for old, new in changes)
        if moved:
            incidents.sort(key=lambda i: (i.start, i.id), reverse=True)
            windows.sort(key=lambda m: (m.start, m.id), reverse=True)
        loaded = Loaded(config, Content(tuple(incidents), tuple(windows)), [])  # type: ignore[arg-type]
        if moved:
            positions = _positions(items, loaded.content)
        self._last_load = (now, loaded, items, positions)
        self._changes = changes
        return loaded

    def _as_source_paths(self, changed: Collection[str]) -> set[Path]:
        """Absolute paths from the watcher, spelled as this builder spells its files."""
        root = Path(os.path.abspath(self.source))
        paths = set()
        for name in changed:
            try:
                paths.add(self.source / Path(os.path.abspath(name)).relative_to(root))
            except ValueError:
                continue
        return paths

    def _candidates(self, changed: set[Path] | None, settings: str) -> list[tuple[str, Path]]:
        """The content files to consider, by a full listing or by the last one and the changes."""
        folders = {
            "incidents": self.source / "content" / "incidents",
            "maintenance": self.source / "content" / "maintenance",
        }
        if changed is None or not self._scanned or settings != self._settings:
            return [(kind, path) for kind in ("incidents", "maintenance") for path in content_files(self.source, kind)]
        if all(path in self._scanned and path.is_file() for path in changed):
            return [(file.kind, path) for path, file in self._scanned.items()]  # same files, same order
        known = {path: file.kind for path, file in self._scanned.items()}
        for path in changed:
            for kind, root in folders.items():
                if not path.is_relative_to(root):
                    continue
                if path.suffix != ".md" or path.is_dir():
                    # a folder appeared or vanished: list everything again
                    return [(k, p) for k in ("incidents", "maintenance") for p in content_files(self.source, k)]
                known.pop(path, None)
                if path.is_file() and not ignored_path(path.relative_to(root).parts):
                    known[path] = kind
        order = {"incidents": 0, "maintenance": 1}
        return sorted(((kind, path) for path, kind in known.items()), key=lambda kp: (order[kp[0]], kp[1].parts))

    def _parse(self, files: list[SourceFile], config: ConfigResult, now: datetime | None = None) -> None:
        """Parse what is not in memory or in the persistent cache, on all cores.

        With ``now`` and enough files to fork, each worker also renders the
        page of every item it parses (see :meth:`_item_planner`); the pages
        wait in :attr:`_prerendered`, compressed, for :meth:`_render_pages`.
        """
        self._prerendered = {}
        missing = [f for f in files if (c := self._parsed.get(f.path)) is None or c.key != f.key]
        for file in files:
            cached = self._parsed.get(file.path)
            if cached is not None and cached.key == file.key and cached.signature != file.signature:
                self._parsed[file.path] = Parsed(file.key, file.signature, file.digest, cached.item, cached.problems)
        stored = self.cache.get_many("parsed", [f.key for f in missing])
        to_parse: list[SourceFile] = []
        for file in missing:
            blob = stored.get(file.key)
            if blob is not None:
                try:
                    item, item_problems = pickle.loads(blob)
                except Exception:  # a corrupt entry is ignored, never served
                    to_parse.append(file)
                    continue
                self._parsed[file.path] = Parsed(file.key, file.signature, file.digest, item, item_problems)
            else:
                to_parse.append(file)
        zone, components = config.zone, config.component_ids
        datas, self._data = self._data, {}
        planner = None
        if now is not None and config.config is not None and will_fork(len(to_parse)):
            planner = self._item_planner(config.config, now)
            datas = {}  # workers read the files again rather than inherit every file's bytes

        parent = os.getpid()
        folder = self.cache.folder
        staging = self._staging
        dropping = staging is not None and self._one_shot
        seen: dict[Any, Any] = {}  # each process's own: what a worker shares, its messages keep shared

        def put_here(kind: str, blobs: dict[str, bytes]) -> None:
            """Store in the cache from this process: a worker on its own connection, never one across fork."""
            if folder is None:
                return
            here = self.cache if os.getpid() == parent else Cache(folder)
            here.put_many(kind, blobs)
            if here is not self.cache:
                here.close()

        def store(pages: list[Prerendered | None]) -> list[Prerendered | None]:
            """Put a run's staged pages in the cache from the process that rendered them, and keep only their keys.

            For a one-shot first build (``inloop build`` into a new folder):
            the files are in the staging folder, and no one asks for the
            bytes again in this process, so they need not travel or stay.
            """
            if not dropping:
                return pages
            put_here("page", {page[0]: page[1] for page in pages if page is not None and page[1]})
            return [(page[0], STAGED) if page is not None and page[1] else page for page in pages]

        def parse(files: Sequence[SourceFile], rendering: bool = True) -> list[tuple[ParseResult, Prerendered | None]]:
            """Parse a run of files and cache the results, then render their items' pages.

            Markdown and Jinja each a run at a time: turn about, they cost a
            quarter more.  A worker stores its results in the cache itself, on
            its own connection, so that no copy of them comes back through
            the parent's memory.
            """
            results = []
            cacheable = []
            for file in files:
                data = datas.get(file.path)
                if data is None:  # read again: if saved since it was hashed, its key names other bytes
                    data = file.path.read_bytes()
                    cacheable.append(hashlib.sha256(data).hexdigest() == file.digest)
                else:
                    cacheable.append(True)
                parser = parse_incident if file.kind == "incidents" else parse_maintenance
                item, item_problems = parser(data, file.path.stem, file.shown, zone, components)
                results.append((share_repeats(item, seen) if item is not None else None, item_problems))
            if folder is not None:
                blobs = {
                    f.key: pickle.dumps(r, pickle.HIGHEST_PROTOCOL)
                    for f, r, ok in zip(files, results, cacheable, strict=True)
                    if ok
                }
                put_here("parsed", blobs)
            pages: list[Prerendered | None] = []
            for item, problems in results:
                if planner is None or item is None or problems:
                    pages.append(None)
                elif rendering:
                    pages.append(_prerender(planner, item, staging))
                else:  # the key now, the bytes later (see render_later)
                    pages.append((_page_key(_item_page(planner, item)), None))
            # What a run made stays for the whole build, and so does what the worker sent meanwhile:
            # frozen, the collector does not walk it again and again (the build unfreezes it at its end).
            gc.freeze()
            return list(zip(results, store(pages) if rendering else pages, strict=True))

        def render_later(
            files: Sequence[SourceFile], results: list[tuple[ParseResult, Prerendered | None]]
        ) -> list[Prerendered | None]:
            assert planner is not None
            return store(
                [
                    _prerender(planner, item, staging) if page is not None and item is not None else None
                    for (item, _), page in results
                ]
            )

        with _collecting_cycles() if planner is not None else contextlib.nullcontext():
            if planner is None:
                parsed, deferred = fork_map_chunks(parse, to_parse), Deferred[SourceFile, Any, Prerendered | None]()
            else:
                parsed, deferred = fork_map_deferred(parse, lambda files: parse(files, False), render_later, to_parse)
        promised: set[str] = set()
        for file, ((item, item_problems), page) in zip(to_parse, parsed, strict=True):
            self._parsed[file.path] = Parsed(file.key, file.signature, file.digest, item, item_problems)
            if page is not None:
                if page[1] is not None:
                    self._prerendered[page[0]] = page[1]
                else:
                    promised.add(page[0])
        self._promised = (promised, deferred) if deferred.runs else None

    # -- render -------------------------------------------------------------

    def stylesheet(self, templates: Templates) -> tuple[str, bytes]:
        text, _ = templates.source("style.css")
        data = text.encode("utf-8")
        return f"style.{hashlib.sha256(data).hexdigest()[:10]}.css", data

    def static_files(self) -> dict[str, bytes]:
        folder = self.source / STATIC_DIR
        files: dict[str, bytes] = {}
        if not folder.is_dir():
            return files
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and not ignored_path(relative.parts):
                files[relative.as_posix()] = path.read_bytes()
        return files

    def _templates_for(self, config: SiteConfig) -> tuple[Templates, NullTranslations]:
        translations: NullTranslations = i18n.translations(config.language, self.source)
        signature = (config.language, id(translations), self._template_signature())
        if self._templates is None or self._templates[0] != signature:
            self._templates = (signature, Templates(self.source, self.shown_source, translations))
        return self._templates[1], translations

    def _item_planner(self, config: SiteConfig, now: datetime) -> Planner | None:
        """A planner for incident and maintenance pages alone, which need no other item.

        With it, a worker that parses a file renders its page at once: it
        never holds the whole content, and the parent never sends it any.
        None when those templates do not compile (the normal path reports it).
        """
        templates, translations = self._templates_for(config)
        # Only what these pages load, before the fork: the render checks every template later, on both cores.
        if templates.check_syntax(["incident.html", "maintenance.html"], everything=False):
            return None
        try:
            css_name, _ = self.stylesheet(templates)
            return Planner(make_state(config, Content((), ()), now, css_name), templates, translations)
        except (TemplateProblem, jinja2.TemplateError, UnicodeDecodeError):
            return None

    def render(self, config: SiteConfig, content: Content, now: datetime) -> tuple[dict[str, FileBytes], int]:
        templates, translations = self._templates_for(config)
        problems = templates.check_syntax(
            ["index.html", "incident.html", "maintenance.html", "history.html", "component.html", "404.html"]
        )
        if problems:
            raise BuildError(problems)
        css_name, css = self.stylesheet(templates)
        inputs = (config, templates, translations, css_name)
        pages = None
        if self._changes is not None and self._planner is not None and self._planner[0] == inputs:
            if self._same_moment(self._planner[1], config, now):
                pages = self._planner[1].patch(content, self._changes, now)
        self._patched = pages is not None
        self._replanned = self._planner[1].replanned if pages is not None and self._planner else []
        if pages is None:
            planner = Planner(make_state(config, content, now, css_name), templates, translations, self._page_memo)
            pages = planner.plan()
            self._planner = (inputs, planner)
            self._boundary = None
            self._plan_boundary = None
        files: dict[str, FileBytes] = {}
        if self._patched and self._last_files is not None:
            # the same templates, static files and pages but the patched ones: O(edit), not O(site)
            files = self._last_files
            rendered, problems = self._render_pages(self._replanned, files, partial=True)
        else:
            files.update(self.static_files())
            files[css_name] = css
            rendered, problems = self._render_pages(pages, files)
        if problems:
            raise BuildError(problems)
        return files, rendered

    def _same_moment(self, planner: Planner, config: SiteConfig, now: datetime) -> bool:
        """Whether ``now`` reads like the last plan's build time on every page but those that print it.

        True from that time up to the next moment the output changes by itself
        (a new day, a window starting, a follow-up coming due): the watcher
        following the clock builds at a new second every time.
        """
        if now == planner.state.now:
            return True
        if now < planner.state.now:
            return False
        if self._plan_boundary is None:
            self._plan_boundary = next_change(config, planner.state.content, planner.state.now)
        return now < self._plan_boundary

    def _template_signature(self) -> tuple[tuple[str, int, int], ...]:
        """What tells the project's templates did not change since the environment was made."""
        root = self.source / "templates"
        found = []
        if root.is_dir():
            for path in root.rglob("*"):
                try:
                    stat = path.stat()
                except OSError:
                    continue
                found.append((path.as_posix(), stat.st_mtime_ns, stat.st_size))
        return tuple(sorted(found))

    def _render_pages(
        self, pages: list[Page], files: dict[str, FileBytes], *, partial: bool = False
    ) -> tuple[int, list[Problem]]:
        """Render pages whose key changed; reuse the rest from memory or the cache.

        ``partial``: ``pages`` are only the pages planned again, the others stay as they were.
        """
        problems: list[Problem] = []
        fresh: dict[str, tuple[tuple[object, ...], Packed | Staged]] = {}
        missing: list[Page] = []
        for page in pages:
            cached = self._rendered.get(page.path)
            if cached is not None and cached[0] == page.key:
                fresh[page.path] = cached
            else:
                missing.append(page)
        keys = {page.path: _page_key(page) for page in missing}
        if self._builds == 1:  # for the ledger, which only a first build stores
            self._page_keys = {page.path: keys[page.path] for page in pages if page.path in keys}
        # Page bytes are compressed from here on, in memory and in the cache (see :mod:`.packed`).
        prerendered, self._prerendered = self._prerendered, {}
        promised, deferred = self._promised if self._promised is not None else (set[str](), None)
        rendered = {key: prerendered[key] for key in keys.values() if key in prerendered}
        self._staged = set()
        stored = self.cache.get_many(
            "page", [key for key in keys.values() if key not in rendered and key not in promised]
        )
        to_render = [p for p in missing if keys[p.path] not in stored and keys[p.path] not in rendered]
        with _collecting_cycles():
            # After workers rendered the items' pages, the list pages stay in this process
            # (a worker forked now would count the whole content once more in memory),
            # while the worker renders the pages of the items it parsed.
            now_pages = [p for p in to_render if keys[p.path] not in promised]
            if deferred is not None and self._inputs_read is not None:
                # Every input is read by now.  The worker renders meanwhile, so the check costs half;
                # before the list pages, so that its listing is gone before the memory's peak.
                self._inputs_read()
                self._inputs_read = None
            if prerendered or deferred is not None:
                results = [_render_one(p) for p in now_pages]
            else:
                results = fork_map(_render_one, now_pages)
            if deferred is not None:
                finished = deferred.finish()
                self._promised = None
                for done in finished.values():
                    if done is not None and done[1] is not None:
                        rendered[done[0]] = done[1]
                late = [p for p in to_render if keys[p.path] in promised and keys[p.path] not in rendered]
                now_pages += late  # what a worker could not render: rendered here, which reports why
                results += [_render_one(p) for p in late]
        if self._staging is not None:  # what the workers rendered, they wrote there
            self._staged = {page.path for page in missing if keys[page.path] in rendered}
        for page, result in zip(now_pages, results, strict=True):
            if isinstance(result, Problem):
                if result not in problems:
                    problems.append(result)
            else:
                rendered[keys[page.path]] = result.packed
        if problems:
            return 0, problems
        self.cache.put_many("page", {key: data for key, data in rendered.items() if data != STAGED})
        self.cache.keep("page", [key for key, data in rendered.items() if data == STAGED])  # stored by who made it
        for page in missing:
            key = keys[page.path]
            packed = stored[key] if key in stored else rendered[key]
            if packed == STAGED and self._staging is not None:
                fresh[page.path] = (page.key, Staged(page.path, self._staging, self.output))
            else:
                fresh[page.path] = (page.key, Packed(packed))
        self._changed_pages = []
        for page in pages:
            data = fresh[page.path][1]
            if partial and _differs(files.get(page.path), data):
                self._changed_pages.append(page.path)
            files[page.path] = data
        if partial:
            self._rendered.update(fresh)
        else:
            self._rendered = fresh
        return len(rendered), problems

    # -- the whole build ----------------------------------------------------

    def build_once(self, now: datetime) -> BuildReport:
        """``inloop build``: a build, unless the ledger knows these exact inputs (see :mod:`.ledger`).

        Then only the output folder is checked, and files missing or changed
        there are restored from the cache: the same bytes a build would write.
        """
        started = time.perf_counter()
        inputs = None
        if self.cache.folder is not None and self._builds == 0:
            inputs = ledger.scan_inputs(self.source, now, (self.base_url,))
            if inputs is not None and not inputs.racy:  # then no input changed within a tick of its stat
                pairs = zip(inputs.stats, inputs.digests, strict=True)
                self._scan = {name: (stat, digest) for (name, stat), digest in pairs}
        if inputs is not None:
            report = self._from_ledger(inputs, started)
            if report is not None:
                return report
        self._one_shot = self._builds == 0
        unchanged: list[bool] = []
        if inputs is not None and not inputs.racy:
            scanned = inputs
            self._inputs_read = lambda: unchanged.append(ledger.unchanged_since(self.source, scanned))
        try:
            report = self.build(now)
        finally:
            self._inputs_read = None
        if inputs is not None and not inputs.racy:
            # no input changed between the scan and its last read: the ledger may vouch for this output
            if unchanged[0] if unchanged else ledger.unchanged_since(self.source, inputs):
                self._store_ledger(inputs)
        return report

    def _from_ledger(self, inputs: ledger.Inputs, started: float) -> BuildReport | None:
        blob = self.cache.get_many(ledger.KIND, [inputs.digest]).get(inputs.digest)
        entries = ledger.load(blob) if blob is not None else None
        if entries is None:
            return None
        where = ledger.output_key(inputs, self.output)
        known = ledger.load_stats(self.cache.get_many(ledger.OUTPUT_KIND, [where]).get(where))
        stale = []
        for entry in entries:
            stat = ledger.output_stat(self.output / entry.path)
            if stat is None or stat != known.get(entry.path):
                stale.append(entry)
        if any(entry.path == RECORD_NAME for entry in stale):
            if set(read_record(self.output)) - {entry.path for entry in entries}:
                return None  # files of another build to remove: a real build knows which
        written: list[str] = []
        staging = staging_folder(self.output) if stale else None  # a new folder: restored whole, then moved in
        try:
            if staging is None:
                self.output.mkdir(parents=True, exist_ok=True)
            for start in range(0, len(stale), LEDGER_BATCH):  # in batches: never all the bytes in memory
                batch = stale[start : start + LEDGER_BATCH]
                found: dict[str, FileBytes] = {}
                for kind in sorted({entry.kind for entry in batch}):
                    stored = self.cache.get_many(kind, [entry.key for entry in batch if entry.kind == kind])
                    for entry in batch:
                        if entry.kind == kind and entry.key in stored:
                            value = stored[entry.key]
                            found[entry.path] = Packed(value) if kind == "page" else value
                if len(found) < len(batch):
                    return None  # pruned or corrupt: build for real
                names = [entry.path for entry in batch]
                if staging is None:
                    written += write_files(self.output, found, names)
                    continue
                for name in names:
                    write_new(staging, name, raw(found[name]))
                written += names
            if staging is not None and not move_in(staging, self.output):
                return None  # filled meanwhile: build for real
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
        if stale and not self._note_output(inputs, entries):
            return None  # a file went away as it was written: build for real
        self._builds += 1
        shown = sorted(path for path in written if path != RECORD_NAME)
        seconds = time.perf_counter() - started
        return BuildReport(shown, [], 0, len(entries) - 1, seconds, True, from_ledger=True)

    def _note_output(self, inputs: ledger.Inputs, entries: list[ledger.Entry]) -> bool:
        """Keep how this output folder's files look now, for the next build's ``stat`` check."""
        stats: dict[str, ledger.Stat] = {}
        folder = str(self.output)
        for entry in entries:
            stat = ledger.output_stat(os.path.join(folder, entry.path))
            if stat is None:
                return False
            stats[entry.path] = stat
        self.cache.put_many(ledger.OUTPUT_KIND, {ledger.output_key(inputs, self.output): ledger.dump_stats(stats)})
        return True

    def _store_ledger(self, inputs: ledger.Inputs) -> None:
        """Note where the last build's files live in the cache and how they look on disk."""
        if self._last_files is None:
            return
        files = dict(self._last_files)
        files[RECORD_NAME] = record_bytes(list(self._last_files))
        entries: list[ledger.Entry] = []
        blobs: dict[str, bytes] = {}
        for path, data in files.items():
            kind, key = "page", self._page_keys.get(path)
            if key is None:  # not a page: a static file, the stylesheet, the record
                blob = raw(data)
                kind, key = ledger.BLOB_KIND, hashlib.sha256(blob).hexdigest()
                blobs[key] = blob
            entries.append(ledger.Entry(path, kind, key))
        if not self._note_output(inputs, entries):
            return  # gone already: nothing to vouch for
        self.cache.put_many(ledger.BLOB_KIND, blobs)
        self.cache.put_many(ledger.KIND, {inputs.digest: ledger.dump(entries)})

    def build(self, now: datetime, changed: Collection[str] | None = None) -> BuildReport:
        """Build; raise :class:`BuildError` with every problem, writing nothing then.

        ``changed`` (the watcher's absolute paths) lets the builder trust
        everything else as it was at the last build: it re-reads only those
        files and writes only files whose bytes differ from what it wrote.
        """
        started = time.perf_counter()
        self._builds += 1
        collecting = gc.isenabled()
        gc.disable()  # a build makes millions of objects and no cycles worth a pause
        try:
            return self._build(now, changed, started)
        finally:
            if collecting:
                gc.enable()
            # What survives a build (parsed content, rendered pages) lives until the
            # next: keep the collector from walking it again and again; now and then,
            # let it look at everything, so that no cycle outlives a long watch session.
            if self._builds % 25 == 0:
                gc.unfreeze()
                gc.collect()
            gc.freeze()

    def _build(self, now: datetime, changed: Collection[str] | None, started: float) -> BuildReport:
        self._staging = staging_folder(self.output) if self._last_files is None else None
        try:
            return self._build_into(now, changed, started)
        finally:
            if self._promised is not None:  # the build failed before rendering: the worker's pages are not wanted
                self._promised[1].cancel()  # (and it must stop writing before the staging folder goes)
                self._promised = None
            if self._staging is not None:  # moved in, or the build failed: nothing of it may stay
                shutil.rmtree(self._staging, ignore_errors=True)
                self._staging = None

    def _build_into(self, now: datetime, changed: Collection[str] | None, started: float) -> BuildReport:
        loaded = self.load(now, changed, building=True)
        config = loaded.config.config
        self._boundary_inputs = (config, loaded.content, now) if config else None
        if self._changes is None:
            self._boundary = None
        if loaded.problems or config is None:
            raise BuildError(loaded.problems)
        files, rendered = self.render(config, loaded.content, now)
        only = None
        last = self._last_files
        if self._patched and last is not None:  # the same files: write the patched pages that differ
            written = WriteReport(write_files(self.output, files, sorted(self._changed_pages)))
        elif self._staging is not None:
            written = self._move_staged(files)
            self._previous_files = sorted(files)
        else:
            if changed is not None and last is not None:
                only = {path for path, data in files.items() if _differs(last.get(path), data)}
            written = write_site(self.output, files, self._previous_files, only)
            self._previous_files = sorted(files)
        if self._builds == 1:
            self.cache.prune()
        self._last_files = files
        seconds = time.perf_counter() - started
        return BuildReport(
            written.written, written.removed, rendered, len(files), seconds, self._builds == 1, self._patched
        )

    def _move_staged(self, files: dict[str, FileBytes]) -> WriteReport:
        """Write what the workers did not into the staging folder, and move it in as the output."""
        assert self._staging is not None
        for relative in sorted(set(files) - self._staged):  # a folder no one reads: no comparison, no temporary file
            write_new(self._staging, relative, raw(files[relative]))
        write_new(self._staging, RECORD_NAME, record_bytes(list(files)))
        if move_in(self._staging, self.output):
            return WriteReport(written=sorted(files))
        return write_site(self.output, files, self._previous_files)  # something appeared there meanwhile

    @property
    def config(self) -> SiteConfig | None:
        """The config of the last build that could read one."""
        return self._boundary_inputs[0] if self._boundary_inputs else None

    @property
    def next_boundary(self) -> datetime | None:
        """When the output of the last build changes by itself (a window starts, a new day)."""
        if self._boundary_inputs is None:
            return None
        if self._boundary is None:  # a patched plan leaves every time it depends on as it was
            self._boundary = next_change(*self._boundary_inputs)
        return self._boundary

    def forget_output(self) -> None:
        """Another process wrote the output folder: next time compare every file with the disk, trust no memory."""
        self._last_files = None
        self._previous_files = None

    def known_inputs(self) -> set[str]:
        """Absolute paths of every input file the last build read."""
        inputs = {os.path.abspath(path) for path in self._parsed}
        inputs.add(os.path.abspath(self.source / CONFIG_NAME))
        for folder in ("templates", STATIC_DIR, i18n.SITE_LOCALE_DIR):
            root = self.source / folder
            if root.is_dir():
                inputs.update(os.path.abspath(p) for p in root.rglob("*") if p.is_file())
        return inputs
