"""One build: read → model → render → write, with every problem collected first.

:class:`Builder` keeps what it read and rendered between builds, so the watcher
re-reads only changed files and re-renders only pages whose inputs changed.
A fresh :class:`Builder` is a cold build; both give the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from gettext import NullTranslations
from pathlib import Path

from . import i18n
from .config import CONFIG_NAME, ConfigResult, load_config, with_base_url
from .content import content_files, ignored_name, parse_incident, parse_maintenance, problems_at
from .derive import next_change
from .errors import BuildError, Problem, UsageError
from .model import Content, Incident, Maintenance, SiteConfig
from .pages import Page, Planner, make_state
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
        except ValueError:
            raise UsageError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, found '{epoch}'") from None
    return datetime.now(UTC).replace(microsecond=0)


def _signature(path: Path) -> tuple[int, int, int]:
    """What tells a file changed without reading it (the bytes decide when it did)."""
    stat = path.stat()
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def shown_path(shown_source: str, relative: str) -> str:
    """A source file's path as the author typed the source folder."""
    return os.path.normpath(os.path.join(shown_source, relative))


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
        self, source: Path, output: Path | None = None, *, shown_source: str | None = None, base_url: str | None = None
    ) -> None:
        self.source = source
        self.output = output if output is not None else source / "site"
        self.shown_source = shown_source if shown_source is not None else str(source)
        self.base_url = base_url
        check_output(self.source, self.output)
        # (kind, path) -> (cache key, parsed item or None, problems)
        self._parsed: dict[
            tuple[str, Path], tuple[tuple[object, ...], Incident | Maintenance | None, list[Problem]]
        ] = {}
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
        loaded: Incident | Maintenance
        incidents: list[Incident] = []
        windows: list[Maintenance] = []
        seen: dict[tuple[str, str], str] = {}
        live: set[tuple[str, Path]] = set()
        for kind in ("incidents", "maintenance"):
            for path in content_files(self.source, kind):
                live.add((kind, path))
                relative = path.relative_to(self.source).as_posix()
                shown = shown_path(self.shown_source, relative)
                cached = self._parsed.get((kind, path))
                try:
                    signature = _signature(path)
                    if cached is not None and cached[0][0] == signature:
                        digest = cached[0][1]
                        data = None
                    else:
                        data = path.read_bytes()
                        digest = hashlib.sha256(data).digest()
                except OSError as exc:
                    problems.append(Problem(shown, 1, f"cannot read: {exc.strerror}"))
                    continue
                key = (signature, digest, zone_key, config.component_ids, shown)
                if cached is not None and cached[0][1:] == key[1:]:
                    item, item_problems = cached[1], cached[2]
                    if cached[0][0] != signature:
                        self._parsed[(kind, path)] = (key, item, item_problems)
                else:
                    if data is None:
                        data = path.read_bytes()
                    parse = parse_incident if kind == "incidents" else parse_maintenance
                    item, item_problems = parse(data, path.stem, shown, config.zone, config.component_ids)
                    self._parsed[(kind, path)] = (key, item, item_problems)
                problems.extend(item_problems)
                if (kind, path.stem) in seen:
                    problems.append(
                        Problem(shown, 1, f"the id '{path.stem}' is used twice (also {seen[kind, path.stem]})")
                    )
                    continue
                seen[kind, path.stem] = shown
                if isinstance(item, Incident):
                    incidents.append(item)
                elif isinstance(item, Maintenance):
                    windows.append(item)
        for stale in set(self._parsed) - live:
            del self._parsed[stale]
        everything: list[Incident | Maintenance] = [*incidents, *windows]
        for loaded in everything:
            problems.extend(problems_at(loaded, now))
        incidents.sort(key=lambda i: (i.start, i.id), reverse=True)
        windows.sort(key=lambda m: (m.start, m.id), reverse=True)
        return Loaded(config, Content(tuple(incidents), tuple(windows)), problems)

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
            if path.is_file() and not any(ignored_name(p) for p in relative.parts):
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
        problems: list[Problem] = []
        rendered = 0
        fresh: dict[str, tuple[str, bytes]] = {}
        for page in pages:
            cached = self._rendered.get(page.path)
            if cached is not None and cached[0] == page.key:
                data = cached[1]
            else:
                try:
                    data = page.render()
                except TemplateProblem as exc:
                    if exc.problem not in problems:
                        problems.append(exc.problem)
                    continue
                rendered += 1
            fresh[page.path] = (page.key, data)
            files[page.path] = data
        if not problems:
            self._rendered = fresh
        return rendered, problems

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
        self._previous_files = sorted(files)
        return BuildReport(
            written.written, written.removed, rendered, len(files), time.perf_counter() - started, self._builds == 1
        )

    def known_inputs(self) -> set[str]:
        """Absolute paths of every input file the last build read."""
        inputs = {os.path.abspath(path) for _, path in self._parsed}
        inputs.add(os.path.abspath(self.source / CONFIG_NAME))
        for folder in ("templates", STATIC_DIR):
            root = self.source / folder
            if root.is_dir():
                inputs.update(os.path.abspath(p) for p in root.rglob("*") if p.is_file())
        return inputs
