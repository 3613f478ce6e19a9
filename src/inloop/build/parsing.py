"""Parsing the content files on every core, the items' pages rendered beside it.

A cold build forks one worker per extra core; each process takes runs of
files from a shared counter, parses them and stores what it parsed in the
cache itself.  With :class:`ItemPages` (a build, not ``inloop check``), the
items' pages are rendered after the parsing, by a worker while the parent
renders the list pages: first those of the runs it parsed, then the
parent's, whose parse results it asks for a run at a time, so that no
worker ever holds the whole content; the parent takes what is left when it
is free (see :func:`.parallel.fork_map_deferred`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from inloop.build.state import (
    EarlyPages,
    FirstRead,
    ItemPage,
    ParseResult,
    PromisedPage,
    RenderedPage,
    SourceFile,
    StoredPage,
    source_key,
)
from inloop.build import ledger
from inloop.build.cache import Cache
from inloop.read.config import ConfigResult
from inloop.errors import Problem
from inloop.read.content import parse_incident, parse_maintenance
from inloop.build.gc_policy import collecting_cycles, keep_made, making_no_cycles
from inloop.model import Incident, Maintenance
from inloop.build.packed import Packed
from inloop.build.page_cache import page_key
from inloop.render.pages import Page, Planner, item_page_path
from inloop.build.parallel import fork_map_chunks, fork_map_deferred
from inloop.render.templates import TemplateProblem
from inloop.read.repeats import Repeats
from inloop.build.writer import write_new

#: The first read of a file that could not be read: no key of it matches any other (and the build fails).
NOTHING_READ = FirstRead("", "")


#: The cache kind of a run's parse results, pickled together; ``parsed`` holds where each file's is.
RUN_KIND = "parsed-run"


class RunResults(list[ParseResult]):
    """A run's parse results and their pickle, made once for the cache: sent to the parent as those bytes.

    Pickled one by one for the cache and then all again for the message, a
    worker's results cost it twice; one pickle of the run serves both, and
    keeps what the run's items share shared in the parent.
    """

    def __init__(self, results: list[ParseResult], blob: bytes) -> None:
        super().__init__(results)
        self.blob: bytes | None = blob

    def __reduce__(self) -> tuple[object, ...]:
        """The stored bytes, the first time: sent once, they need not stay in the worker beside the objects."""
        blob, self.blob = self.blob, None
        if blob is None:
            return (list, (list(self),))
        return (pickle.loads, (blob,))


class RunSlot(NamedTuple):
    """A file's parse result as a worker sends it: its place in the results of its run."""

    run: list[ParseResult]
    place: int


class Outcome(NamedTuple):
    """What each process makes of one file."""

    result: ParseResult | RunSlot
    page: ItemPage | None  # its item's page, rendered or promised
    first_read: FirstRead | None  # its digest and key, if this process was the first to read it

    def resolved(self) -> Outcome:
        """The outcome with its parse result in place (a worker's comes as its place in its run)."""
        if isinstance(self.result, RunSlot):
            return self._replace(result=self.result.run[self.result.place])
        return self

    @property
    def parsed(self) -> ParseResult:
        """What parsing gave, once :meth:`resolved`."""
        assert not isinstance(self.result, RunSlot), "a worker's outcome is resolved first"
        return self.result


@dataclass(frozen=True, slots=True)
class ItemPages:
    """How the parsing processes render the items' pages."""

    planner: Planner  # plans incident and maintenance pages alone, which need no other item
    staging: Path | None  # a first build's staging folder: each page is written there by who rendered it
    drop: bool  # a one-shot first build: staged pages stay on disk and in the cache only


def item_page(planner: Planner, item: Incident | Maintenance) -> Page:
    page = planner.incident(item) if isinstance(item, Incident) else planner.maintenance(item)
    planner.memo.clear()  # a worker plans each item once: keeping them would hold the whole content
    planner.lastmod.clear()
    planner.fmt.forget_moments()
    return page


def prerender(planner: Planner, item: Incident | Maintenance, staging: Path | None) -> RenderedPage | None:
    """An item's page as a parsing process renders it: its cache key, its bytes compressed.

    With a staging folder (a first build, see :func:`.writer.staging_folder`)
    the process writes the page there too, on its own core.
    """
    page = item_page(planner, item)
    key = page_key(page)
    try:
        data = page.render()
    except TemplateProblem:
        return None  # rendered again by the normal path, which reports it
    if staging is not None:
        write_new(staging, page.path, data)
    return RenderedPage(key, Packed.of(data).packed)


class ParseRuns:
    """What each process does with a run of files: parse, store in the cache, render the items' pages.

    Markdown and Jinja each a run at a time: turn about, they cost a quarter
    more.  A worker stores its results in the cache itself, on its own
    connection, so that no copy of them comes back through the parent's
    memory.
    """

    def __init__(
        self, config: ConfigResult, cache: Cache, datas: dict[Path, bytes], pages: ItemPages | None, settings: str
    ) -> None:
        self.zone, self.components = config.zone, config.component_ids
        self.settings = settings  # what every parsed item depends on besides its file (a part of each key)
        self.cache = cache
        self.datas = datas
        self.pages = pages
        self.parent = os.getpid()
        #: Each process's own: what a worker shares, its messages keep shared.
        self.repeats = Repeats()
        #: A worker's own connection to the cache, by its pid: open for the worker's life (each store commits;
        #: SQLite needs no close, what a process locked is freed when it ends).
        self._worker_cache: tuple[int, Cache] | None = None

    def at_once(self, files: Sequence[SourceFile]) -> list[Outcome]:
        """Parse a run of files and cache the results, then render their items' pages (a build on one core)."""
        with making_no_cycles():
            results, reads = self._parse(files)
        pages = [self._page(result, render=True) for result in results]
        keep_made()  # what a run made stays for the whole build
        return self._outcomes(results, self._stored(pages), reads)

    def first(self, files: Sequence[SourceFile]) -> list[Outcome]:
        """Parse a run of files and cache the results; their pages are promised, and rendered later (:meth:`later`)."""
        with making_no_cycles():
            results, reads = self._parse(files)
        pages = [self._page(result, render=False) for result in results]
        keep_made()  # and so does what a worker sent meanwhile
        return self._outcomes(results, pages, reads)

    def _outcomes(
        self, results: list[ParseResult], pages: list[ItemPage | None], reads: list[FirstRead | None]
    ) -> list[Outcome]:
        """A run's results as their places in the run's pickle, which a message then carries as it is."""
        if isinstance(results, RunResults):
            return [Outcome(RunSlot(results, i), page, read) for i, (page, read) in enumerate(zip(pages, reads))]
        return list(map(Outcome, results, pages, reads))

    def later(self, files: Sequence[SourceFile], outcomes: list[Outcome]) -> list[ItemPage | None]:
        """Render the pages promised by :meth:`first`."""
        assert self.pages is not None
        planner, staging = self.pages.planner, self.pages.staging
        rendered: list[ItemPage | None] = []
        for outcome in outcomes:
            resolved = outcome.resolved()
            (item, _), page = resolved.parsed, resolved.page
            rendered.append(None if page is None or item is None else prerender(planner, item, staging))
        return self._stored(rendered)

    def _parse(self, files: Sequence[SourceFile]) -> tuple[list[ParseResult], list[FirstRead | None]]:
        """Parse a run of files and store what they gave in the cache; each file's first read, if this was it."""
        results: list[ParseResult] = []
        reads: list[FirstRead | None] = []
        keys: list[str | None] = []
        for file in files:
            data = self.datas.get(file.path)
            key, first = file.key, None
            if data is None:
                try:
                    data = ledger.read_file(str(file.path), file.signature.size)
                except OSError as exc:  # gone since it was listed
                    results.append((None, [Problem(file.shown, 1, f"cannot read: {exc.strerror}")]))
                    reads.append(None if file.digest is not None else NOTHING_READ)
                    keys.append(None)
                    continue
                digest = hashlib.sha256(data).hexdigest()
                if file.digest is None:
                    key = source_key(self.settings, file.kind, file.path, file.shown, digest)
                    first = FirstRead(digest, key)
                elif digest != file.digest:  # saved since it was hashed: its key names other bytes
                    key = None
            parser = parse_incident if file.kind == "incidents" else parse_maintenance
            results.append(parser(data, file.path.stem, file.shown, self.zone, self.components, self.repeats))
            reads.append(first)
            keys.append(key)
        if self.cache.folder is None or not any(keys):
            return results, reads
        blob = pickle.dumps(results, pickle.HIGHEST_PROTOCOL)
        run_key = hashlib.sha256(blob).hexdigest()
        self._store_here(RUN_KIND, {run_key: blob})
        self._store_here("parsed", {key: f"{run_key} {i}".encode() for i, key in enumerate(keys) if key is not None})
        return RunResults(results, blob), reads

    def _page(self, result: ParseResult, *, render: bool) -> ItemPage | None:
        item, problems = result
        if self.pages is None or item is None or problems:
            return None
        if render:
            return prerender(self.pages.planner, item, self.pages.staging)
        return PromisedPage(item_page_path(item))  # planned and keyed when it is rendered

    def _stored(self, pages: list[ItemPage | None]) -> list[ItemPage | None]:
        """For a one-shot first build: put a run's staged pages in the cache from here, keep only their keys."""
        if self.pages is None or not self.pages.drop or self.pages.staging is None:
            return pages
        rendered = [page for page in pages if isinstance(page, RenderedPage)]
        self._store_here("page", {page.key: page.packed for page in rendered})
        return [StoredPage(page.key) if isinstance(page, RenderedPage) else page for page in pages]

    def _store_here(self, kind: str, blobs: dict[str, bytes]) -> None:
        """Store in the cache from this process: a worker on its own connection, never one across fork."""
        folder = self.cache.folder
        if folder is None:
            return
        pid = os.getpid()
        if pid == self.parent:
            here = self.cache
        elif self._worker_cache is not None and self._worker_cache[0] == pid:
            here = self._worker_cache[1]
        else:  # opened once a worker: a worker stores a hundred times at 10,000 incidents
            here = Cache(folder)
            self._worker_cache = (pid, here)
        here.put_many(kind, blobs)


def parse_runs(
    files: list[SourceFile],
    config: ConfigResult,
    cache: Cache,
    datas: dict[Path, bytes],
    pages: ItemPages | None,
    settings: str,
) -> tuple[list[Outcome], EarlyPages]:
    """Parse ``files`` on all cores; with ``pages``, render their items' pages too (see :class:`ParseRuns`)."""
    runs = ParseRuns(config, cache, datas, pages, settings)
    with collecting_cycles() if pages is not None else contextlib.nullcontext():
        if pages is None:
            return [outcome.resolved() for outcome in fork_map_chunks(runs.first, files)], EarlyPages()
        outcomes, deferred = fork_map_deferred(runs.at_once, runs.first, runs.later, files)
    early = EarlyPages(deferred=deferred if deferred.runs else None)
    outcomes = [outcome.resolved() for outcome in outcomes]
    for _, page, _ in outcomes:
        if isinstance(page, PromisedPage):
            early.promised.add(page.path)
        elif page is not None:
            early.done[page.key] = page
    if early.deferred is None:
        early.promised = set()
    return outcomes, early
