"""Run the rules over a loaded site: what is checked, what is switched off, and the report.

- Build errors come first: with any, nothing is checked (``stopped``).
- A rule is off for the whole site (``[check] disable``), for one file
  (``check: {disable: [...]}``), or for one line (ignore comments).
- Resolved incidents (and finished maintenance) from before ``[check] since``
  are old history: only ``imported-defaults`` still looks at them.
- A phrase rule with no list for the site's language is skipped, with a note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from gettext import NullTranslations
from pathlib import Path

from inloop.build.builder import Builder, shown_path
from inloop.check.stats import restored_at
from inloop.read.content import content_files
from inloop.render.formatting import Formatter

from ..errors import Problem
from ..model import Content, Incident, Maintenance, SiteConfig
from ..times import localize
from .ignores import Ignores
from .phrases import PhraseList, phrase_list
from .rules import RULES, Subject
from .settings import PHRASE_LISTS, CheckSettings, settings_of, unknown_code_message
from .text import SourceText

Item = Incident | Maintenance


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """One warning: ``path:line: CODE message``."""

    path: str
    line: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code} {self.message}"


@dataclass(slots=True)
class CheckReport:
    warnings: list[Finding] = field(default_factory=list)
    #: build errors (then ``stopped``), or the check's own: unknown codes in ignores
    errors: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped: bool = False
    #: how many incidents and maintenance windows were checked
    incidents: int = 0
    maintenance: int = 0

    @property
    def ok(self) -> bool:
        return not self.warnings and not self.errors

    def summary(self) -> str:
        """One line for a clean check, so that silence never has to be read as success."""
        incidents = f"{self.incidents} incident{'' if self.incidents == 1 else 's'}"
        windows = f"{self.maintenance} maintenance window{'' if self.maintenance == 1 else 's'}"
        return f"checked {incidents} and {windows}: no problems"


def since_start(settings: CheckSettings, config: SiteConfig) -> datetime | None:
    """The start of the ``since`` day in the site's zone."""
    if settings.since is None:
        return None
    return localize(datetime.combine(settings.since, time()), config.zone)


def is_old(item: Item, start: datetime | None, now: datetime) -> bool:
    """Resolved (or finished) before ``since``: history that the rules leave alone."""
    if start is None:
        return False
    if isinstance(item, Incident):
        restored = restored_at(item)
        return restored is not None and restored < start
    return item.finished(now) and item.end < start


def phrase_lists(config: SiteConfig, settings: CheckSettings) -> tuple[dict[str, PhraseList], list[str]]:
    """The lists for the site's language, and a note for each rule skipped for want of one."""
    found: dict[str, PhraseList] = {}
    notes: list[str] = []
    for name, code in PHRASE_LISTS.items():
        listed = phrase_list(name, config.language, settings.phrases)
        if listed is not None:
            found[name] = listed
        elif code not in settings.disable:
            notes.append(
                f"note: {code} is skipped: there is no '{name}' phrase list for language '{config.language}' "
                f"(add {name} = [...] under [check.phrases.{config.language}] in inloop.toml)"
            )
    return found, notes


def check_content(
    config: SiteConfig, content: Content, now: datetime, read: Callable[[Item], str | None], strict: bool = False
) -> CheckReport:
    """Every warning for ``content``; ``read`` gives an item's raw file text.

    A ``strict_only`` rule's findings are warnings only with ``strict`` and
    past their grace period; otherwise they are notes.
    """
    settings = settings_of(config.check)
    phrases, notes = phrase_lists(config, settings)
    report = CheckReport(notes=notes, incidents=len(content.incidents), maintenance=len(content.maintenance))
    fmt = Formatter(config.zone, "en", NullTranslations())
    start = since_start(settings, config)
    items: list[Item] = [*content.incidents, *content.maintenance]
    for item in items:
        for code in item.meta.check_disable:
            if code not in RULES:
                report.errors.append(
                    Problem(item.path, item.meta.line_of("check"), unknown_code_message(code, "in 'check: disable'"))
                )
        raw = read(item)
        source = SourceText.parse(raw if raw is not None else "")
        ignores = Ignores.scan(source)
        report.errors.extend(Problem(item.path, line, message) for line, message in ignores.problems)
        disabled = settings.disable | set(item.meta.check_disable)
        old = is_old(item, start, now)
        subject = Subject(
            item=item,
            source=source,
            regions=tuple(source.regions(item)) if raw is not None else (),
            config=config,
            settings=settings,
            content=content,
            now=now,
            fmt=fmt,
            phrases=phrases,
        )
        for rule in RULES.values():
            if item.kind not in rule.kinds or rule.code in disabled or (old and not rule.ignores_since):
                continue
            if rule.phrase_list is not None and rule.phrase_list not in phrases:
                continue
            for found in rule.function(subject):
                if ignores.covers(rule.code, found.line, found.key_line):
                    continue
                finding = Finding(item.path, found.line, rule.code, found.message)
                if rule.strict_only and (found.note or not strict):
                    report.notes.append(f"note: {finding}")
                else:
                    report.warnings.append(finding)
    report.warnings = sorted(set(report.warnings))
    report.errors = sorted(set(report.errors))
    return report


def source_files(builder: Builder) -> dict[str, Path]:
    """Each content file's path as shown in messages -> its path on disk."""
    files: dict[str, Path] = {}
    for kind in ("incidents", "maintenance"):
        for path in content_files(builder.source, kind):
            relative = path.relative_to(builder.source).as_posix()
            files[shown_path(builder.shown_source, relative)] = path
    return files


def check_site(builder: Builder, now: datetime, strict: bool = False) -> CheckReport:
    """Load the site like ``build`` does; stop at its errors, else run every rule."""
    loaded = builder.load(now)
    config = loaded.config.config
    if loaded.problems or config is None:
        return CheckReport(errors=sorted(set(loaded.problems)), stopped=True)
    files = source_files(builder)

    def read(item: Item) -> str | None:
        path = files.get(item.path)
        if path is None:
            return None
        try:
            return path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    return check_content(config, loaded.content, now, read, strict)
