"""One build: read → model → render → write, with every problem collected first.

:class:`Builder` keeps what it read and rendered between builds, so the watcher
re-reads only changed files and re-renders only pages whose inputs changed.
A fresh :class:`Builder` is a cold build; both give the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from gettext import NullTranslations
from pathlib import Path
from typing import Literal

from . import __version__, i18n
from .cache import CACHE_DIR, Cache
from .config import CONFIG_NAME, ConfigResult, load_config, with_base_url
from .content import content_files, ignored_path, parse_incident, parse_maintenance, problems_at
from .derive import next_change
from .errors import BuildError, Problem, UsageError
from .markup import MARKDOWN_SETTINGS
from .model import Content, Incident, Maintenance, SiteConfig
from .pages import Page, Planner, make_state
from .parallel import fork_map
from .render import TemplateProblem, Templates
from .times import parse_now
from .writer import WriteReport, check_output, write_site

STATIC_DIR = "static"


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


#: A file modified this recently may change again within the same mtime tick.
RACY_NS = 2_000_000_000


def _signature(path: Path) -> tuple[int, int, int, int]:
    """What tells a file did not change, without reading it.

    Like git's racy-clean check, a file whose mtime is close to the moment we
    looked gets a signature that never matches (the last field), so it is
    read again: two saves within one mtime tick cannot hide a change.
    """
    stat = path.stat()
    racy = stat.st_mtime_ns > time.time_ns() - RACY_NS
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino, time.perf_counter_ns() if racy else 0)


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
    data: bytes | None


@dataclass(frozen=True, slots=True)
class Parsed:
    key: str
    signature: tuple[int, int, int, int]
    digest: str
    item: Incident | Maintenance | None
    problems: list[Problem]


def _key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _page_key(page: Page) -> str:
    """The cache key of a page: its path too, so two pages can never swap bytes."""
    return f"{page.path}\0{page.key}"


def _render_one(page: Page) -> bytes | Problem:
    try:
        return page.render()
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
        self.cache = Cache(cache_dir)
        self._rendered: dict[str, tuple[str, bytes]] = {}
        self._previous_files: list[str] | None = None
        self._builds = 0
        #: When the output will change by itself (a window starts, a new day); None if never.
        self.next_boundary: datetime | None = None

    # -- read ---------------------------------------------------------------

    def load(self, now: datetime) -> Loaded:
        shown_config = shown_path(self.shown_source, CONFIG_NAME)
        config = load_config(self.source, shown_config)
        problems = list(config.problems)
        if config.config is not None and self.base_url:
            try:
                config.config = with_base_url(config.config, self.base_url)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        zone_key = getattr(config.zone, "key", str(config.zone))
        settings = (
            __version__,
            MARKDOWN_SETTINGS,
            zone_key,
            sorted(config.component_ids or ()),
            config.component_ids is None,
        )
        files: list[SourceFile] = []
        for kind in ("incidents", "maintenance"):
            for path in content_files(self.source, kind):
                shown = shown_path(self.shown_source, path.relative_to(self.source).as_posix())
                cached = self._parsed.get(path)
                try:
                    signature = _signature(path)
                    if cached is not None and cached.signature == signature:
                        data, digest = None, cached.digest
                    else:
                        data = path.read_bytes()
                        digest = hashlib.sha256(data).hexdigest()
                except OSError as exc:
                    problems.append(Problem(shown, 1, f"cannot read: {exc.strerror}"))
                    continue
                key = _key(settings, kind, path.stem, shown, digest)
                files.append(SourceFile(kind, path, shown, signature, digest, key, data))
        self._parse(files, config)
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
        everything: list[Incident | Maintenance] = [*incidents, *windows]
        for item in everything:
            problems.extend(problems_at(item, now, config.zone))
        incidents.sort(key=lambda i: (i.start, i.id), reverse=True)
        windows.sort(key=lambda m: (m.start, m.id), reverse=True)
        return Loaded(config, Content(tuple(incidents), tuple(windows)), problems)

    def _parse(self, files: list[SourceFile], config: ConfigResult) -> None:
        """Parse what is not in memory or in the persistent cache, on all cores."""
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

        def parse(file: SourceFile) -> bytes:
            """Parse in a worker; the pickled result travels back and into the cache as it is."""
            data = file.data if file.data is not None else file.path.read_bytes()
            parser = parse_incident if file.kind == "incidents" else parse_maintenance
            return pickle.dumps(parser(data, file.path.stem, file.shown, zone, components), pickle.HIGHEST_PROTOCOL)

        blobs = fork_map(parse, to_parse)
        for file, blob in zip(to_parse, blobs, strict=True):
            item, item_problems = pickle.loads(blob)
            self._parsed[file.path] = Parsed(file.key, file.signature, file.digest, item, item_problems)
        self.cache.put_many("parsed", {file.key: blob for file, blob in zip(to_parse, blobs, strict=True)})

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

    def render(self, config: SiteConfig, content: Content, now: datetime) -> tuple[dict[str, bytes], int]:
        translations: NullTranslations = i18n.translations(config.language)
        templates = Templates(self.source, self.shown_source, translations)
        problems = templates.check_syntax(
            ["index.html", "incident.html", "maintenance.html", "history.html", "component.html", "404.html"]
        )
        if problems:
            raise BuildError(problems)
        css_name, css = self.stylesheet(templates)
        planner = Planner(make_state(config, content, now, css_name), templates, translations)
        pages = planner.plan()
        files: dict[str, bytes] = {}
        static = self.static_files()
        files.update(static)
        files[css_name] = css
        rendered, problems = self._render_pages(pages, files)
        if problems:
            raise BuildError(problems)
        return files, rendered

    def _render_pages(self, pages: list[Page], files: dict[str, bytes]) -> tuple[int, list[Problem]]:
        """Render pages whose key changed; reuse the rest from memory or the cache."""
        problems: list[Problem] = []
        fresh: dict[str, tuple[str, bytes]] = {}
        missing: list[Page] = []
        for page in pages:
            cached = self._rendered.get(page.path)
            if cached is not None and cached[0] == page.key:
                fresh[page.path] = cached
            else:
                missing.append(page)
        stored = self.cache.get_many("page", [_page_key(p) for p in missing])
        to_render = [p for p in missing if _page_key(p) not in stored]
        results = fork_map(_render_one, to_render)
        rendered: dict[str, bytes] = {}
        for page, result in zip(to_render, results, strict=True):
            if isinstance(result, Problem):
                if result not in problems:
                    problems.append(result)
            else:
                rendered[_page_key(page)] = result
        if problems:
            return 0, problems
        self.cache.put_many("page", rendered)
        for page in missing:
            key = _page_key(page)
            fresh[page.path] = (page.key, stored[key] if key in stored else rendered[key])
        for page in pages:
            files[page.path] = fresh[page.path][1]
        self._rendered = fresh
        return len(rendered), problems

    # -- the whole build ----------------------------------------------------

    def build(self, now: datetime) -> BuildReport:
        """Build; raise :class:`BuildError` with every problem, writing nothing then."""
        started = time.perf_counter()
        self._builds += 1
        loaded = self.load(now)
        config = loaded.config.config
        self.next_boundary = next_change(config, loaded.content, now) if config else None
        if loaded.problems or config is None:
            raise BuildError(loaded.problems)
        files, rendered = self.render(config, loaded.content, now)
        written: WriteReport = write_site(self.output, files, self._previous_files)
        if self._builds == 1:
            self.cache.prune()
        self._previous_files = sorted(files)
        return BuildReport(
            written.written, written.removed, rendered, len(files), time.perf_counter() - started, self._builds == 1
        )

    def known_inputs(self) -> set[str]:
        """Absolute paths of every input file the last build read."""
        inputs = {os.path.abspath(path) for path in self._parsed}
        inputs.add(os.path.abspath(self.source / CONFIG_NAME))
        for folder in ("templates", STATIC_DIR):
            root = self.source / folder
            if root.is_dir():
                inputs.update(os.path.abspath(p) for p in root.rglob("*") if p.is_file())
        return inputs
