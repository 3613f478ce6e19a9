"""Rebuild on every change that matters, and never on one that does not.

Watchdog reports raw events; :class:`SourceFilter` decides which paths are
inputs (``inloop.toml``, ``content/**/*.md``, ``templates/``, ``static/``,
``locale/``), judging a rename by its new path and ignoring hidden files,
editors' leftovers and the output folder.  :class:`Watcher` waits for
changes to settle (about 100 ms, like MkDocs' livereload), rebuilds once for
a burst, and once more for changes that arrive during a rebuild; it tells the
builder which paths changed, so that it re-reads only those.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import warnings
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileClosedNoWriteEvent,
    FileOpenedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from inloop import i18n
from inloop.build.builder import STATIC_DIR, Builder, BuildReport
from inloop.errors import BuildError, InloopError, Problem, UsageError
from inloop.read.config import CONFIG_NAME
from inloop.read.content import ignored_path

# watchdog logs a harmless race when a watch stops ("queue_events() called when the thread is
# inactive"); without a handler of its own, logging would print that on the watcher's stderr
logging.getLogger("watchdog").addHandler(logging.NullHandler())

#: Watchers now running, told when the kernel dropped events.
_running: weakref.WeakSet[Watcher] = weakref.WeakSet()


class _OverflowHandler(logging.Handler):
    """watchdog only logs that inotify's queue overflowed: then no change can be trusted to be known."""

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            for watcher in list(_running):
                watcher.events_lost()


logging.getLogger("watchdog.observers").addHandler(_OverflowHandler(logging.WARNING))

SETTLE_SECONDS = 0.1
MAX_SETTLE_SECONDS = 2.0
#: Folders at the top of the source whose every file is an input (a site's own catalogs too).
INPUT_FOLDERS = ("templates", STATIC_DIR, i18n.SITE_LOCALE_DIR)
ROOT_FOLDERS = ("content", *INPUT_FOLDERS)


class SourceFilter:
    """Which paths under the source are inputs of a build."""

    def __init__(self, source: Path, output: Path) -> None:
        self.source = source.resolve()
        self.output = output.resolve()
        # Events name paths under the folder as it was given (maybe through a symlink):
        # compare with that spelling and with the real one.
        self._sources = list(dict.fromkeys([Path(os.path.abspath(source)), self.source]))
        self._outputs = list(dict.fromkeys([Path(os.path.abspath(output)), self.output]))

    def relative(self, path: str) -> Path | None:
        absolute = Path(os.path.abspath(path))
        if any(absolute == output or absolute.is_relative_to(output) for output in self._outputs):
            return None
        for source in self._sources:
            if absolute.is_relative_to(source):
                return absolute.relative_to(source)
        return None

    def matters(self, path: str, *, is_directory: bool = False) -> bool:
        relative = self.relative(path)
        if relative is None or not relative.parts:
            return False
        if ignored_path(relative.parts + (("folder",) if is_directory else ())):
            return False
        top = relative.parts[0]
        if len(relative.parts) == 1:
            if is_directory:
                return top in ROOT_FOLDERS
            return top == CONFIG_NAME
        if top == "content":
            return is_directory or relative.suffix == ".md"
        return top in INPUT_FOLDERS

    def folder_matters(self, path: str) -> bool:
        """A created or moved-in folder matters if it holds an input."""
        if not self.matters(path, is_directory=True):
            return False
        for root, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if not ignored_path((d, "folder"))]
            if any(self.matters(os.path.join(root, name)) for name in files):
                return True
        return False


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.watcher.notice(event)


@dataclass(slots=True)
class RebuildOutcome:
    ok: bool
    report: BuildReport | None = None
    problems: list[Problem] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Watcher:
    """Watches a source folder and rebuilds through one :class:`Builder`."""

    def __init__(
        self,
        builder: Builder,
        now: Callable[[], datetime],
        *,
        follow_clock: bool,
        on_rebuild: Callable[[RebuildOutcome], None],
        holding: Callable[[], AbstractContextManager[bool | None]] = contextlib.nullcontext,
    ) -> None:
        self.builder = builder
        #: Entered around each build: the output folder's lock, for ``watch`` and ``serve``; it
        #: gives True when another process may have written the output since the last build.
        self.holding = holding
        self.now = now
        self.follow_clock = follow_clock
        self.on_rebuild = on_rebuild
        self.filter = SourceFilter(builder.source, builder.output)
        self._lock = threading.Lock()
        self._pending: dict[str, int] = {}  # changed paths: when each was saved, as first noticed (ns)
        self._last_event = 0.0
        self._first_event = 0.0
        self._wake = threading.Event()
        self._observer: Observer | None = None  # type: ignore[valid-type]
        # Input paths as of the last build, and those noticed since: what a rename or a
        # folder's removal may take away.  Only the loop thread asks the builder (which
        # it alone runs); the observer thread reads these snapshots, never the builder.
        self._known: set[str] = set()
        self._seen: set[str] = set()
        self._handler = _Handler(self)
        self._folder_watches: dict[str, ObservedWatch] = {}
        # Whether the next build must look at every file (the first, or after events were lost)
        # rather than trust the changed paths it is told (Builder.build's ``changed``).
        self._rescan = True
        self.next_boundary: datetime | None = None

    # -- events -------------------------------------------------------------

    def relevant_paths(self, event: FileSystemEvent) -> list[str]:
        if isinstance(event, (FileOpenedEvent, FileClosedEvent, FileClosedNoWriteEvent)):
            return []
        paths: list[str] = []
        source_path = os.fsdecode(event.src_path)
        dest_path = os.fsdecode(event.dest_path) if getattr(event, "dest_path", "") else ""
        if event.is_directory:
            if isinstance(event, DirCreatedEvent) and self.filter.folder_matters(source_path):
                paths.append(source_path)
            elif isinstance(event, DirDeletedEvent) and self._knew_inputs_under(source_path):
                paths.append(source_path)
            elif isinstance(event, DirMovedEvent):
                if self._knew_inputs_under(source_path):
                    paths.append(source_path)
                if dest_path and self.filter.folder_matters(dest_path):
                    paths.append(dest_path)
            return paths
        if event.event_type == "moved":
            # judge a rename by its new path; the old one matters only if it was an input
            if self.filter.matters(source_path) and self._knew_input(source_path):
                paths.append(source_path)
            if dest_path and self.filter.matters(dest_path):
                paths.append(dest_path)
            return paths
        if self.filter.matters(source_path):
            paths.append(source_path)
        return paths

    def _superseded(self, event: FileSystemEvent) -> str | None:
        """A temp file renamed onto an input (``x.vsctmp`` → ``x``): not a change of its own."""
        if event.event_type != "moved" or event.is_directory or not getattr(event, "dest_path", ""):
            return None
        source_path = os.fsdecode(event.src_path)
        if not self.filter.matters(os.fsdecode(event.dest_path)):
            return None
        with self._lock:
            if os.path.abspath(source_path) in self._known:
                return None
        return source_path

    def _knew_input(self, path: str) -> bool:
        path = os.path.abspath(path)
        with self._lock:
            return path in self._known or path in self._seen

    def _knew_inputs_under(self, folder: str) -> bool:
        prefix = os.path.abspath(folder) + os.sep
        with self._lock:
            return any(p.startswith(prefix) for p in self._known) or any(p.startswith(prefix) for p in self._seen)

    def notice(self, event: FileSystemEvent) -> None:
        self._follow_folders(event)
        superseded = self._superseded(event)
        paths = [p for p in self.relevant_paths(event) if p != superseded]
        if not paths:
            return
        noticed = time.time_ns()
        # when each was saved, read now: a file saved again before the rebuild keeps its first place
        saved = {path: _changed_at(path, noticed) for path in paths}
        with self._lock:
            if event.is_directory:
                self._rescan = True  # a folder came or went: let the builder list everything again
            if superseded is not None:
                self._pending.pop(superseded, None)
            if not self._pending:
                self._first_event = time.monotonic()
            for path in paths:
                self._pending.setdefault(path, saved[path])
                self._seen.add(os.path.abspath(path))
            self._last_event = time.monotonic()
            self._wake.set()

    def _remember_inputs(self, changed: list[str] | None) -> None:
        """After a build: what it read (all of it, or the last inputs updated by ``changed``),
        and what was noticed meanwhile (a rename may take it away before the next build)."""
        if changed is None:
            with self._lock:
                self._known = self.builder.known_inputs() | self._seen
                self._seen = set()
            return
        # only what changed, in place: a large site's listing is not walked or copied for one edit
        added: set[str] = set()
        gone: set[str] = set()
        for path in changed:
            if os.path.isdir(path):
                for root, dirs, files in os.walk(path):
                    dirs[:] = [d for d in dirs if not ignored_path((d, "folder"))]
                    added.update(p for name in files if self.filter.matters(p := os.path.join(root, name)))
            elif os.path.isfile(path):
                if self.filter.matters(path):
                    added.add(path)
            else:
                gone.add(path)
        with self._lock:
            known = self._known
            for path in gone:
                if path in known:
                    known.discard(path)
                else:  # a folder that went: everything under it
                    prefix = path + os.sep
                    known.difference_update([p for p in known if p.startswith(prefix)])
            known.update(added)
            known.update(self._seen)
            self._seen = set()

    # -- the loop -----------------------------------------------------------

    def start(self) -> None:
        """Start watching: before the first build, so that no edit is lost.

        The source folder itself is watched without its subfolders (for
        ``inloop.toml``, and input folders that appear or go); ``content/``,
        ``templates/``, ``static/`` and ``locale/`` are watched recursively, and
        followed as they come and go.  The output and hidden folders such as ``.git/`` are
        never watched: a build or a checkout there costs no inotify watch and
        no event, however many folders it makes.
        """
        source = self.builder.source
        if not source.is_dir():
            raise UsageError(f"cannot watch {self.builder.shown_source}: there is no such folder")
        # watchdog warns when a folder made with its parents (mkdir -p) is registered twice; harmless
        warnings.filterwarnings("ignore", message="Callback with id .* already exists", category=RuntimeWarning)
        observer = Observer()
        # a source or input folder given as a symlink is watched where it leads, named as given
        observer.schedule(self._handler, str(source), recursive=False, follow_symlink=source.is_symlink())
        with self._lock:
            for name in ROOT_FOLDERS:
                self._follow_folder(observer, name, present=True)
        observer.daemon = True
        observer.start()
        self._observer = observer
        _running.add(self)

    def _follow_folder(self, observer: BaseObserver, name: str, *, present: bool) -> None:
        """Watch one of ``ROOT_FOLDERS`` (``content/``, ``templates/``, ...) recursively while it exists."""
        path = self.builder.source / name
        watch = self._folder_watches.pop(name, None)
        if watch is not None:
            # a folder moved away takes its watch with it: always start afresh
            with contextlib.suppress(KeyError, OSError):
                observer.unschedule(watch)
        if present and path.is_dir():
            with contextlib.suppress(OSError):  # gone again: its removal is an event of its own
                self._folder_watches[name] = observer.schedule(
                    self._handler, str(path), recursive=True, follow_symlink=path.is_symlink()
                )

    def _follow_folders(self, event: FileSystemEvent) -> None:
        """An input folder at the top of the source appeared, went, or was replaced."""
        observer = self._observer
        if observer is None or not isinstance(event, (DirCreatedEvent, DirDeletedEvent, DirMovedEvent)):
            return
        changed = [os.fsdecode(event.src_path)]
        if getattr(event, "dest_path", ""):
            changed.append(os.fsdecode(event.dest_path))
        for path in changed:
            relative = self.filter.relative(path)
            if relative is not None and len(relative.parts) == 1 and relative.parts[0] in ROOT_FOLDERS:
                with self._lock:
                    self._follow_folder(observer, relative.parts[0], present=os.path.isdir(path))

    def stop(self) -> None:
        """Stop watching, and wake the loop so that it sees its stop event at once."""
        _running.discard(self)
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)
        with self._lock:
            self._folder_watches.clear()
        self._wake.set()

    def events_lost(self) -> None:
        """The kernel dropped events: rebuild, looking at every file."""
        with self._lock:
            self._rescan = True
            if not self._pending:
                self._first_event = time.monotonic()
            self._pending.setdefault(str(self.builder.source), time.time_ns())
            self._last_event = time.monotonic()
            self._wake.set()

    def rebuild(self, changed: list[str]) -> RebuildOutcome:
        """Build now; ``changed`` names every input changed since the last build (paths as shown)."""
        started = time.perf_counter()
        with self._lock:
            hints = None if self._rescan else [os.path.abspath(path) for path in changed]
            self._rescan = False
        try:
            with self.holding() as elsewhere:
                if elsewhere:  # what the builder remembers writing may not be what is there
                    self.builder.forget_output()
                    hints = None
                report = self.builder.build(self.now(), hints)
        except BuildError as exc:
            outcome = RebuildOutcome(False, None, exc.problems, changed, time.perf_counter() - started)
        except Exception as exc:  # whatever goes wrong, keep the last good site and watch on
            with self._lock:
                self._rescan = True  # the builder may have been left half-way: trust nothing next time
            problem = _unexpected(exc, self.builder.shown_source)
            outcome = RebuildOutcome(False, None, [problem], changed, time.perf_counter() - started)
        else:
            outcome = RebuildOutcome(True, report, [], changed, time.perf_counter() - started)
        self._remember_inputs(hints)
        self.next_boundary = self.builder.next_boundary if self.follow_clock else None
        self.on_rebuild(outcome)
        return outcome

    def _take_settled(self, stop: threading.Event) -> list[str] | None:
        """Wait until changes settle; return them, or None if stopping."""
        while not stop.is_set():
            with self._lock:
                if not self._pending:
                    self._wake.clear()  # set by notice() for changes a rebuild has taken already
                    return []
                quiet = time.monotonic() - self._last_event
                waited = time.monotonic() - self._first_event
                if quiet >= SETTLE_SECONDS or waited >= MAX_SETTLE_SECONDS:
                    changed = sorted(self._pending, key=self._pending.__getitem__)
                    self._pending.clear()
                    self._wake.clear()
                    break
                remaining = min(SETTLE_SECONDS - quiet, MAX_SETTLE_SECONDS - waited)
            stop.wait(remaining)
        else:
            return None
        collapsed = collapse(self.filter, changed)
        if collapsed != changed:
            with self._lock:
                self._rescan = True  # a folder stands for what was under it: let the builder list everything
        return collapsed

    def run(self, stop: threading.Event) -> None:
        """Build once, then rebuild on changes until ``stop`` is set."""
        self.rebuild([])
        while not stop.is_set():
            timeout = 1.0
            if self.next_boundary is not None:
                timeout = max(0.0, min(timeout, (self.next_boundary - self.now()).total_seconds()))
            self._wake.wait(timeout)
            if stop.is_set():
                break
            changed = self._take_settled(stop)
            if changed is None:
                break
            if changed:
                self.rebuild([self._shown(path) for path in changed])
            elif self.next_boundary is not None and self.now() >= self.next_boundary:
                self.rebuild([])

    def _shown(self, path: str) -> str:
        relative = self.filter.relative(path)
        if relative is None:
            return path
        return os.path.normpath(os.path.join(self.builder.shown_source, relative.as_posix()))


def collapse(source_filter: SourceFilter, changed: list[str]) -> list[str]:
    """The changed paths as a person names them: a folder that went, not each file that went with it.

    Platforms and watchdog versions report a folder moved out of the source
    as one moved or deleted event for the folder, as one for each folder
    inside it too, or only as the files' events.  A path that is gone is
    named by its highest folder that is gone too (below the source), and
    a path inside another changed path is left out.
    """
    named: list[str] = []
    for path in changed:
        relative = source_filter.relative(path)
        if relative is not None and not os.path.lexists(path):
            gone = Path(path)
            for _ in range(len(relative.parts) - 1):
                if os.path.lexists(gone.parent):
                    break
                gone = gone.parent
            path = str(gone)
        if path not in named:
            named.append(path)
    every = set(named)
    return [path for path in named if not any(str(folder) in every for folder in Path(path).parents)]


def _changed_at(path: str, noticed: int) -> int:
    """When a change happened: the file's mtime when it was noticed, else when it was noticed.

    Each watched folder has its own watchdog thread, so two saves in two
    folders can be noticed in either order; the first saved is named first.
    Read when the change is noticed: a file saved again before the rebuild
    keeps the place of its first save.
    """
    try:
        return min(os.stat(path).st_mtime_ns, noticed)
    except OSError:
        return noticed


def _unexpected(exc: Exception, shown_source: str) -> Problem:
    """An error that is not an author's mistake (a file vanished mid-build, a bug): one problem line."""
    if isinstance(exc, OSError) and exc.filename:
        return Problem(os.fsdecode(exc.filename), 1, f"cannot read or write: {exc.strerror or exc}")
    if isinstance(exc, InloopError):
        return Problem(shown_source, 1, str(exc))
    return Problem(shown_source, 1, f"unexpected error ({type(exc).__name__}): {exc}")


def describe(outcome: RebuildOutcome) -> list[str]:
    """The watcher's stable output lines for one rebuild."""
    if not outcome.ok:
        count = len(outcome.problems)
        lines = [f"rebuild failed: {count} error{'s' if count != 1 else ''}, kept the last good site"]
        return lines + [str(p) for p in outcome.problems]
    assert outcome.report is not None
    written = len(outcome.report.written)
    if len(outcome.changed) == 1:
        cause = outcome.changed[0]
    elif outcome.changed:
        cause = f"{outcome.changed[0]} and {len(outcome.changed) - 1} more"
    else:
        cause = "initial build" if outcome.report.first else "time passed"
    return [f"rebuilt in {outcome.seconds * 1000:.0f} ms: {written} files written ({cause})"]
