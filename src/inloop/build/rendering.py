"""Rendering a loaded site: the templates, the plan of every page, and the bytes of those whose key changed.

Pages come from four places, cheapest first: the last build (same key), the
items' pages the parsing workers rendered (see :mod:`.parsing`), the
persistent cache, and rendering here, on all cores when nothing else keeps
them busy.  A watcher's edit that keeps an item's shape patches the last
plan instead of planning everything (see :meth:`.pages.Planner.patch`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from gettext import NullTranslations
from pathlib import Path

import jinja2

from inloop import i18n
from inloop.build.state import Boundary, Change, DonePage, EarlyPages, KeptPage, RenderedPage, StoredPage
from inloop.build.cache import Cache
from inloop.read.content import ignored_path
from inloop.errors import BuildError, Problem
from inloop.build.gc_policy import collecting_cycles
from inloop.read.links import inside
from inloop.model import Content, SiteConfig
from inloop.build.packed import FileBytes, Packed, Staged, same
from inloop.build.page_cache import PageCache, Wanted
from inloop.render.pages import Memo, Page, Planner, make_state
from inloop.build.parallel import fork_map
from inloop.render.templates import TemplateProblem, Templates
from inloop.build.writer import write_new

STATIC_DIR = "static"
#: Pages stored in the cache at a time by :meth:`Renderer._render_and_store`.
_STORE_BATCH = 256
#: The templates every build compiles first: a mistake in one fails the build before anything is rendered.
PAGE_TEMPLATES = [
    "index.html",
    "incident.html",
    "maintenance.html",
    "history.html",
    "component.html",
    "uptime.html",
    "404.html",
]


def render_one(page: Page, staging: Path | None = None) -> Packed | Problem:
    """A page's bytes, compressed at once: a build holds every page until it knows all are good.

    With a first build's staging folder, the page is written there at once,
    by the process that rendered it, not at the end by the parent alone.
    """
    try:
        data = page.render()
    except TemplateProblem as exc:
        return exc.problem
    if staging is not None:
        write_new(staging, page.path, data)
    return Packed.of(data)


def differs(old: FileBytes | None, new: FileBytes) -> bool:
    """Whether a file's new bytes are not the ones it had (the same object is the cheap answer)."""
    return old is not new and not same(old, new)


@dataclass(slots=True)
class Plan:
    """The planner of the last full plan, what it was made from, and when its pages change by themselves."""

    inputs: tuple[object, ...]  # the config, the templates, the translations, the stylesheet's name
    planner: Planner
    boundary: Boundary


@dataclass(slots=True)
class RenderJob:
    """What one build asks of the renderer besides the content."""

    changes: list[Change] | None = None  # the items the load patched, if it did
    last_files: dict[str, FileBytes] | None = None  # what the last build wrote
    early: EarlyPages = field(default_factory=EarlyPages)
    staging: Path | None = None  # a first build's staging folder
    output: Path | None = None
    first: bool = False  # this builder's first build: its pages' keys go to the ledger
    #: A one-shot build into a staging folder: pages go to the folder and the cache, not kept in memory.
    drop: bool = False
    #: Called once every input is read, while the worker renders (see :meth:`.Builder.build_once`).
    inputs_read: Callable[[], None] | None = None


@dataclass(slots=True)
class Rendered:
    """The site's files, and what a build needs to write them."""

    files: dict[str, FileBytes]
    rendered: int  # pages rendered by this build (not taken from memory or the cache)
    patched: bool  # only the pages showing the edited items were planned again
    changed: list[str]  # patched: the pages whose bytes changed
    staged: set[str]  # the pages written to the staging folder by the process that rendered them


class Renderer:
    """Renders one source folder's pages, keeping the templates, the plan and the pages between builds."""

    def __init__(self, source: Path, shown_source: str, cache: Cache) -> None:
        self.source = source
        self.shown_source = shown_source
        self.pages = PageCache(cache)
        self._templates: tuple[object, Templates] | None = None
        self._page_memo: dict[str, Memo] = {}
        self._plan: Plan | None = None
        #: Each page's persistent cache key after this builder's first build, for the ledger.
        self.ledger_keys: dict[str, str] = {}

    @property
    def planner(self) -> Planner | None:
        """The planner of the last full plan (patched since, maybe), if any."""
        return self._plan.planner if self._plan is not None else None

    def stylesheet(self, templates: Templates) -> tuple[str, bytes]:
        text, _ = templates.source("style.css")
        data = text.encode("utf-8")
        return f"style.{hashlib.sha256(data).hexdigest()[:10]}.css", data

    def static_files(self) -> dict[str, bytes]:
        folder = self.source / STATIC_DIR
        files: dict[str, bytes] = {}
        if not folder.is_dir():
            return files
        root = os.path.realpath(self.source)
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and not ignored_path(relative.parts) and inside(path, root):
                files[relative.as_posix()] = path.read_bytes()
        return files

    def templates_for(self, config: SiteConfig) -> tuple[Templates, NullTranslations]:
        translations: NullTranslations = i18n.translations(config.language, self.source)
        signature = (config.language, id(translations), self._template_signature())
        if self._templates is None or self._templates[0] != signature:
            self._templates = (signature, Templates(self.source, self.shown_source, translations))
        return self._templates[1], translations

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

    def item_planner(self, config: SiteConfig, now: datetime) -> Planner | None:
        """A planner for incident and maintenance pages alone, which need no other item.

        With it, a worker that parses a file renders its page at once: it
        never holds the whole content, and the parent never sends it any.
        None when those templates do not compile (the normal path reports it).
        """
        templates, translations = self.templates_for(config)
        # Only what these pages load, before the fork: the render checks every template later, on both cores.
        if templates.check_syntax(["incident.html", "maintenance.html"], everything=False):
            return None
        try:
            css_name, _ = self.stylesheet(templates)
            return Planner(make_state(config, Content((), ()), now, css_name), templates, translations)
        except (TemplateProblem, jinja2.TemplateError, UnicodeDecodeError):
            return None

    def render(self, config: SiteConfig, content: Content, now: datetime, job: RenderJob) -> Rendered:
        """Every file of the site; raise :class:`BuildError` with every template problem."""
        templates, translations = self.templates_for(config)
        problems = templates.check_syntax(PAGE_TEMPLATES)
        if problems:
            raise BuildError(problems)
        css_name, css = self.stylesheet(templates)
        inputs = (config, templates, translations, css_name)
        patched = self._patched_plan(inputs, content, now, job)
        if patched is not None and job.last_files is not None:
            # the same templates, static files and pages but the patched ones: O(edit), not O(site)
            assert self._plan is not None
            done = self._render_pages(self._plan.planner.replanned, job.last_files, job, partial=True)
            return Rendered(job.last_files, done.count, True, done.changed, done.staged)
        if patched is None:
            planner = Planner(make_state(config, content, now, css_name), templates, translations, self._page_memo)
            pages = planner.plan()
            self._plan = Plan(inputs, planner, Boundary(config, content, now))
        else:
            pages = patched
        files: dict[str, FileBytes] = {**self.static_files(), css_name: css}
        done = self._render_pages(pages, files, job)
        return Rendered(files, done.count, patched is not None, done.changed, done.staged)

    def _patched_plan(
        self, inputs: tuple[object, ...], content: Content, now: datetime, job: RenderJob
    ) -> list[Page] | None:
        """The last plan's pages with those that show the load's changes planned again, or None: plan everything."""
        plan = self._plan
        if job.changes is None or plan is None or plan.inputs != inputs or not self._same_moment(plan, now):
            return None
        return plan.planner.patch(content, [(change.old, change.new) for change in job.changes], now)

    def _same_moment(self, plan: Plan, now: datetime) -> bool:
        """Whether ``now`` reads like the last plan's build time on every page but those that print it.

        True from that time up to the next moment the output changes by itself
        (a new day, a window starting, a follow-up coming due): the watcher
        following the clock builds at a new second every time.
        """
        planned = plan.planner.state.now
        if now == planned:
            return True
        return now > planned and now < plan.boundary.next

    def _render_pages(
        self, pages: list[Page], files: dict[str, FileBytes], job: RenderJob, *, partial: bool = False
    ) -> _Done:
        """Render pages whose key changed; reuse the rest from memory or the cache; put all in ``files``.

        ``partial``: ``pages`` are only the pages planned again, the others stay as they were.
        """
        wanted = self.pages.wanted(pages)
        if job.first:  # for the ledger, which only a first build stores
            self.ledger_keys = {page.path: wanted.keys[page.path] for page in pages if page.path in wanted.keys}
        # Page bytes are compressed from here on, in memory and in the cache (see :mod:`.packed`).
        done: dict[str, bytes | StoredPage] = {}
        for key in wanted.keys.values():
            if key in job.early.done:
                done[key] = _bytes_of(job.early.done[key])
        early_done = bool(job.early.done)
        job.early.done = {}
        promised = job.early.promised  # by path: the key of a page is made where it is rendered
        stored = self.pages.stored(key for path, key in wanted.keys.items() if key not in done and path not in promised)
        to_render = [p for p in wanted.missing if wanted.keys[p.path] not in stored and wanted.keys[p.path] not in done]
        now_pages, results = self._render_now(to_render, wanted, job, done, forking=not early_done)
        staged = {p.path for p in wanted.missing if wanted.keys[p.path] in done} if job.staging is not None else set()
        problems: list[Problem] = []
        for page, result in zip(now_pages, results, strict=True):
            if isinstance(result, Problem):
                if result not in problems:
                    problems.append(result)
            else:
                done[wanted.keys[page.path]] = result if isinstance(result, StoredPage) else result.packed
                if job.staging is not None:
                    staged.add(page.path)  # written there when rendered
        if problems:
            raise BuildError(problems)
        self.pages.store(done)
        fresh = self._kept_pages(wanted, stored, done, job)
        changed = [p.path for p in pages if partial and differs(files.get(p.path), fresh[p.path].data)]
        for page in pages:
            files[page.path] = fresh[page.path].data
        self.pages.remember(fresh, partial=partial)
        return _Done(len(done), changed, staged)

    def _render_now(
        self,
        to_render: list[Page],
        wanted: Wanted,
        job: RenderJob,
        done: dict[str, bytes | StoredPage],
        *,
        forking: bool,
    ) -> tuple[list[Page], list[Packed | StoredPage | Problem]]:
        """Render what no one made yet; take the worker's promised pages when it is done with them."""
        early = job.early
        with collecting_cycles():
            # After workers rendered the items' pages, the list pages stay in this process
            # (a worker forked now would count the whole content once more in memory),
            # while the worker renders the items' pages: its own runs', then the parent's.
            now_pages = [p for p in to_render if p.path not in early.promised]
            if early.deferred is not None and job.inputs_read is not None:
                # Every input is read by now.  The worker renders meanwhile, so the check costs half;
                # before the list pages, so that its listing is gone before the memory's peak.
                job.inputs_read()
                job.inputs_read = None
            staging = job.staging
            results: list[Packed | StoredPage | Problem]
            if forking and early.deferred is None:
                results = list(fork_map(lambda page: render_one(page, staging), now_pages))
            elif job.drop:
                results = self._render_and_store(now_pages, wanted, staging)
            else:
                results = [render_one(p, staging) for p in now_pages]
            if early.deferred is not None:
                done.update((key, _bytes_of(page)) for key, page in early.finish().items())
                late = [p for p in to_render if p.path in early.promised and wanted.keys[p.path] not in done]
                now_pages += late  # what a worker could not render: rendered here, which reports why
                results += [render_one(p, staging) for p in late]
            early.promised = set()
        return now_pages, results

    def _render_and_store(
        self, pages: list[Page], wanted: Wanted, staging: Path | None
    ) -> list[Packed | StoredPage | Problem]:
        """Render ``pages`` and store each in the cache at once, holding only its key (see :attr:`RenderJob.drop`).

        A one-shot first build's list pages are written to the staging folder
        as they are rendered and asked for by no one in this process again:
        their bytes need not stay for the end, when memory is at its peak.
        """
        results: list[Packed | StoredPage | Problem] = []
        batch: dict[str, bytes] = {}
        for page in pages:
            result = render_one(page, staging)
            if isinstance(result, Packed):
                key = wanted.keys[page.path]
                batch[key] = result.packed
                results.append(StoredPage(key))
            else:
                results.append(result)
            if len(batch) >= _STORE_BATCH:
                self.pages.store(batch)
                batch = {}
        self.pages.store(batch)
        return results

    def _kept_pages(
        self, wanted: Wanted, stored: dict[str, bytes], done: dict[str, bytes | StoredPage], job: RenderJob
    ) -> dict[str, KeptPage]:
        """Every page of the plan with its key and its bytes, as this build holds them."""
        fresh = dict(wanted.kept)
        for page in wanted.missing:
            key = wanted.keys[page.path]
            data = stored[key] if key in stored else done[key]
            if isinstance(data, StoredPage):
                assert job.staging is not None and job.output is not None
                fresh[page.path] = KeptPage(page.key, Staged(page.path, job.staging, job.output))
            else:
                fresh[page.path] = KeptPage(page.key, Packed(data))
        return fresh


@dataclass(slots=True)
class _Done:
    count: int
    changed: list[str]
    staged: set[str]


def _bytes_of(page: DonePage) -> bytes | StoredPage:
    return page.packed if isinstance(page, RenderedPage) else page
