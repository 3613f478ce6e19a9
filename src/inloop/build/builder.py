"""One build: read → model → render → write, with every problem collected first.

The steps live in their own modules: :mod:`.loader` reads the config and the
content (parsing in :mod:`.parsing`, on every core), :mod:`.rendering`
plans and renders the pages (keeping them in :mod:`.page_cache`),
:mod:`.writer` writes them, and :mod:`.ledger_io` restores a whole output
from the cache when the ledger knows the inputs.  :class:`Builder` keeps
those parts between builds, so the watcher re-reads only changed files and
re-renders only pages whose inputs changed.  A fresh :class:`Builder` is a
cold build; both give the same bytes.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from inloop import i18n
from inloop.build import gc_policy
from inloop.build import ledger
from inloop.build import ledger_io
from inloop.build.state import Boundary, BuildReport, Loaded, ScanHint
from inloop.build.cache import CACHE_DIR, Cache
from inloop.read.config import CONFIG_NAME
from inloop.errors import BuildError, UsageError
from inloop.build.loader import ItemPagesFor, Loader, shown_path
from inloop.model import SiteConfig
from inloop.build.packed import FileBytes, raw
from inloop.build.rendering import STATIC_DIR, Rendered, Renderer, RenderJob, differs
from inloop.build.parsing import ItemPages
from inloop.times import parse_now
from inloop.build.writer import (
    RECORD_NAME,
    WriteReport,
    check_output,
    move_in,
    record_bytes,
    staging_folder,
    write_files,
    write_new,
    write_site,
)

__all__ = ["STATIC_DIR", "BuildReport", "Builder", "Loaded", "build_time", "shown_path"]


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
        self.cache = Cache(self.source / CACHE_DIR if cache_dir == "default" else cache_dir)
        self.loader = Loader(self.source, self.shown_source, base_url, self.cache)
        self.renderer = Renderer(self.source, self.shown_source, self.cache)
        #: What the last build wrote, by path (None before the first).
        self._last_files: dict[str, FileBytes] | None = None
        #: The last build's config, content and time: when its output changes by itself.
        self._boundary: Boundary | None = None
        self._builds = 0

    def load(self, now: datetime, changed: Collection[str] | None = None, pages: ItemPagesFor | None = None) -> Loaded:
        """Read the config and every content file (see :meth:`.Loader.load`).

        ``pages``: the load of a build, whose workers may render the items'
        pages as they parse them; ``inloop check`` and the others only read.
        """
        return self.loader.load(now, changed, pages)

    # -- inloop build: the ledger first -------------------------------------

    def build_once(self, now: datetime) -> BuildReport:
        """``inloop build``: a build, unless the ledger knows these exact inputs (see :mod:`.ledger`).

        Then only the output folder is checked, and files missing or changed
        there are restored from the cache: the same bytes a build would write.
        """
        started = time.perf_counter()
        if self.cache.folder is None or self._builds > 0:
            return self._build(now, None, started, one_shot=self._builds == 0)
        if self.cache.is_new():
            return self._first_build(now, started)
        inputs = ledger.scan_inputs(self.source, now, self._options)
        if inputs is not None:
            report = self._from_ledger(inputs, started)
            if report is not None:
                return report
        if inputs is None or inputs.racy:
            return self._build(now, None, time.perf_counter(), one_shot=True)
        # no input changed within a tick of its stat: the load may take the scan's digests
        pairs = zip(inputs.stats, inputs.digests, strict=True)
        self.loader.hints = {name: ScanHint(stat, digest) for (name, stat), digest in pairs}
        unchanged: list[bool] = []
        report = self._build(
            now,
            None,
            time.perf_counter(),
            one_shot=True,
            inputs_read=lambda: unchanged.append(ledger.unchanged_since(self.source, inputs)),
        )
        # no input changed between the scan and its last read: the ledger may vouch for this output
        vouched = unchanged[0] if unchanged else ledger.unchanged_since(self.source, inputs)
        if vouched:
            self._record(inputs)
        return report

    def _first_build(self, now: datetime, started: float) -> BuildReport:
        """A build into a new cache: no ledger to find, so the inputs are listed, not read, before it.

        Each content file is read and hashed once, by the process that parses
        it; the ledger is made of those digests once every input is read.
        """
        listing = ledger.list_inputs(self.source)
        if listing is None or listing.racy:
            return self._build(now, None, started, one_shot=True)
        self.loader.hints = {name: ScanHint(stat, None) for name, _, stat in listing.files}
        found: list[ledger.Inputs | None] = []

        def inputs_read() -> None:
            # hashed first, then the stats checked: the files hashed now are those the build read
            inputs = ledger.hashed(listing, now, self._options, self.loader.digest_of)
            found.append(inputs if inputs is not None and ledger.unchanged_since(self.source, listing) else None)

        report = self._build(now, None, started, one_shot=True, inputs_read=inputs_read)
        if not found:
            inputs_read()
        if found[0] is not None:
            self._record(found[0])
        return report

    @property
    def _options(self) -> tuple[object, ...]:
        """What a build's output depends on besides its inputs and its time."""
        return (self.base_url,)

    def _record(self, inputs: ledger.Inputs) -> None:
        if self._last_files is not None:
            ledger_io.record(self.cache, inputs, self.output, self._last_files, self.renderer.ledger_keys)

    def _from_ledger(self, inputs: ledger.Inputs, started: float) -> BuildReport | None:
        restored = ledger_io.restore(self.cache, inputs, self.output)
        if restored is None:
            return None
        written, files = restored
        self._builds += 1
        shown = sorted(path for path in written if path != RECORD_NAME)
        seconds = time.perf_counter() - started
        return BuildReport(shown, [], 0, files - 1, seconds, True, from_ledger=True)

    # -- a build -------------------------------------------------------------

    def build(self, now: datetime, changed: Collection[str] | None = None) -> BuildReport:
        """Build; raise :class:`BuildError` with every problem, writing nothing then.

        ``changed`` (the watcher's absolute paths) lets the builder trust
        everything else as it was at the last build: it re-reads only those
        files and writes only files whose bytes differ from what it wrote.
        """
        return self._build(now, changed, time.perf_counter())

    def _build(
        self,
        now: datetime,
        changed: Collection[str] | None,
        started: float,
        *,
        one_shot: bool = False,
        inputs_read: Callable[[], None] | None = None,
    ) -> BuildReport:
        """A build; ``one_shot``: this builder builds once, so its pages need not be kept for another."""
        self._builds += 1
        staging = staging_folder(self.output) if self._last_files is None else None
        try:
            with gc_policy.quiet_build(self._builds):  # millions of objects, and no cycles worth a pause
                job = RenderJob(
                    last_files=self._last_files,
                    staging=staging,
                    output=self.output,
                    first=self._builds == 1,
                    inputs_read=inputs_read,
                )
                return self._build_into(now, changed, started, job, one_shot)
        finally:
            self.loader.early.cancel()  # the build failed before rendering: the worker must stop writing
            if staging is not None:  # moved in, or the build failed: nothing of it may stay
                shutil.rmtree(staging, ignore_errors=True)

    def _build_into(
        self, now: datetime, changed: Collection[str] | None, started: float, job: RenderJob, one_shot: bool
    ) -> BuildReport:
        job.drop = job.staging is not None and one_shot

        def item_pages(config: SiteConfig) -> ItemPages | None:
            planner = self.renderer.item_planner(config, now)
            return ItemPages(planner, job.staging, job.drop) if planner is not None else None

        loaded = self.load(now, changed, item_pages)
        config = loaded.config.config
        previous, self._boundary = self._boundary, None
        if config is not None:
            self._boundary = Boundary(config, loaded.content, now)
        if loaded.problems or config is None:
            raise BuildError(loaded.problems)
        job.changes, job.early = self.loader.changes, self.loader.early
        result = self.renderer.render(config, loaded.content, now, job)
        if result.patched and previous is not None:  # a patched plan leaves every time it depends on as it was
            self._boundary = previous.carried_to(loaded.content, now)
        written = self._write(result, changed, job)
        if self._builds == 1:
            self.cache.prune()
        self._last_files = result.files
        seconds = time.perf_counter() - started
        first = self._builds == 1
        return BuildReport(
            written.written, written.removed, result.rendered, len(result.files), seconds, first, result.patched
        )

    def _write(self, result: Rendered, changed: Collection[str] | None, job: RenderJob) -> WriteReport:
        files, last = result.files, self._last_files
        if result.patched and last is not None:  # the same files: write the patched pages that differ
            return WriteReport(write_files(self.output, files, sorted(result.changed)))
        if job.staging is not None:
            return self._move_staged(files, result.staged, job.staging)
        only = None
        if changed is not None and last is not None:
            only = {path for path, data in files.items() if differs(last.get(path), data)}
        return write_site(self.output, files, sorted(last) if last is not None else None, only)

    def _move_staged(self, files: dict[str, FileBytes], staged: set[str], staging: Path) -> WriteReport:
        """Write what the workers did not into the staging folder, and move it in as the output."""
        for relative in sorted(set(files) - staged):  # a folder no one reads: no comparison, no temporary file
            write_new(staging, relative, raw(files[relative]))
        write_new(staging, RECORD_NAME, record_bytes(list(files)))
        if move_in(staging, self.output):
            return WriteReport(written=sorted(files))
        return write_site(self.output, files)  # something appeared there meanwhile

    # -- what the watcher asks -----------------------------------------------

    @property
    def config(self) -> SiteConfig | None:
        """The config of the last build that could read one."""
        return self._boundary.config if self._boundary else None

    @property
    def next_boundary(self) -> datetime | None:
        """When the output of the last build changes by itself (a window starts, a new day)."""
        return self._boundary.next if self._boundary is not None else None

    def forget_output(self) -> None:
        """Another process wrote the output folder: next time compare every file with the disk, trust no memory."""
        self._last_files = None

    def known_inputs(self) -> set[str]:
        """Absolute paths of every input file the last build read."""
        inputs = {os.path.abspath(path) for path in self.loader.parsed}
        inputs.add(os.path.abspath(self.source / CONFIG_NAME))
        for folder in ("templates", STATIC_DIR, i18n.SITE_LOCALE_DIR):
            root = self.source / folder
            if root.is_dir():
                inputs.update(os.path.abspath(p) for p in root.rglob("*") if p.is_file())
        return inputs
