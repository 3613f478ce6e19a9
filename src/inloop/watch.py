"""Rebuild on every change that matters, and never on one that does not.

Watchdog reports raw events; :class:`SourceFilter` decides which paths are
inputs (``inloop.toml``, ``content/**/*.md``, ``templates/``, ``static/``),
judging a rename by its new path and ignoring hidden files, editors'
leftovers and the output folder.  :class:`Watcher` waits for changes to
settle (about 100 ms, like MkDocs' livereload), rebuilds once for a burst,
and once more for changes that arrive during a rebuild.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
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

from .build import Builder, BuildReport
from .config import CONFIG_NAME
from .content import ignored_name
from .errors import BuildError, Problem

SETTLE_SECONDS = 0.1
MAX_SETTLE_SECONDS = 2.0
INPUT_FOLDERS = ("templates", "static")


class SourceFilter:
    """Which paths under the source are inputs of a build."""

    def __init__(self, source: Path, output: Path) -> None:
        self.source = source.resolve()
        self.output = output.resolve()

    def relative(self, path: str) -> Path | None:
        try:
            resolved = Path(os.path.abspath(path))
            if resolved == self.output or resolved.is_relative_to(self.output):
                return None
            return resolved.relative_to(self.source)
        except ValueError:
            return None

    def matters(self, path: str, *, is_directory: bool = False) -> bool:
        relative = self.relative(path)
        if relative is None or not relative.parts:
            return False
        if any(ignored_name(part) for part in relative.parts):
            return False
        top = relative.parts[0]
        if len(relative.parts) == 1:
            return not is_directory and top == CONFIG_NAME
        if top == "content":
            return is_directory or relative.suffix == ".md"
        return top in INPUT_FOLDERS

    def folder_matters(self, path: str) -> bool:
        """A created or moved-in folder matters if it holds an input."""
        if not self.matters(path, is_directory=True):
            return False
        for root, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if not ignored_name(d)]
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
    ) -> None:
        self.builder = builder
        self.now = now
        self.follow_clock = follow_clock
        self.on_rebuild = on_rebuild
        self.filter = SourceFilter(builder.source, builder.output)
        self._lock = threading.Lock()
        self._pending: dict[str, None] = {}  # insertion-ordered set of changed paths
        self._last_event = 0.0
        self._first_event = 0.0
        self._wake = threading.Event()
        self._observer: Observer | None = None  # type: ignore[valid-type]
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

    def _knew_input(self, path: str) -> bool:
        return os.path.abspath(path) in self.builder.known_inputs()

    def _knew_inputs_under(self, folder: str) -> bool:
        prefix = os.path.abspath(folder) + os.sep
        return any(p.startswith(prefix) for p in self.builder.known_inputs())

    def notice(self, event: FileSystemEvent) -> None:
        paths = self.relevant_paths(event)
        if not paths:
            return
        with self._lock:
            if not self._pending:
                self._first_event = time.monotonic()
            for path in paths:
                self._pending[path] = None
            self._last_event = time.monotonic()
        self._wake.set()

    # -- the loop -----------------------------------------------------------

    def start(self) -> None:
        """Start watching: before the first build, so that no edit is lost."""
        observer = Observer()
        observer.schedule(_Handler(self), str(self.builder.source), recursive=True)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    def rebuild(self, changed: list[str]) -> RebuildOutcome:
        started = time.perf_counter()
        try:
            report = self.builder.build(self.now())
        except BuildError as exc:
            outcome = RebuildOutcome(False, None, exc.problems, changed, time.perf_counter() - started)
        else:
            outcome = RebuildOutcome(True, report, [], changed, time.perf_counter() - started)
        self.next_boundary = self.builder.next_boundary if self.follow_clock else None
        self.on_rebuild(outcome)
        return outcome

    def _take_settled(self, stop: threading.Event) -> list[str] | None:
        """Wait until changes settle; return them, or None if stopping."""
        while not stop.is_set():
            with self._lock:
                if not self._pending:
                    return []
                quiet = time.monotonic() - self._last_event
                waited = time.monotonic() - self._first_event
                if quiet >= SETTLE_SECONDS or waited >= MAX_SETTLE_SECONDS:
                    changed = list(self._pending)
                    self._pending.clear()
                    self._wake.clear()
                    return changed
                remaining = SETTLE_SECONDS - quiet
            stop.wait(remaining)
        return None

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


def describe(outcome: RebuildOutcome) -> list[str]:
    """The watcher's stable output lines for one rebuild."""
    if not outcome.ok:
        count = len(outcome.problems)
        lines = [f"rebuild failed: {count} error{'s' if count != 1 else ''}, kept the last good site"]
        return lines + [str(p) for p in outcome.problems]
    assert outcome.report is not None
    written = len(outcome.report.written)
    if outcome.changed:
        cause = f"{outcome.changed[0]} and {len(outcome.changed) - 1} more"
    else:
        cause = "initial build" if outcome.report.first else "time passed"
    return [f"rebuilt in {outcome.seconds * 1000:.0f} ms: {written} files written ({cause})"]
