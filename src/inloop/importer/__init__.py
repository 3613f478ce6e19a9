"""Import the history of an existing status page (``inloop import``).

:func:`import_feed` reads a Statuspage RSS or Atom history feed, or a
Statuspage API document (a file or an http(s) URL), and writes one
``content/incidents/<id>.md`` per incident and one
``content/maintenance/<id>.md`` per maintenance window, never replacing a file
that exists, so that a second run changes nothing.  Without an ``inloop.toml``
it writes one from the feed's title and link; with one that lacks a component
that a written file uses, it appends a ``[[components]]`` table and keeps every
other byte.  What the source cannot say is written as a documented default
(:data:`DEFAULT_COMPONENT`, :data:`DEFAULT_IMPACT`,
:data:`~.writer.DEFAULT_MAINTENANCE_LENGTH`) and reported once per import.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inloop.errors import UsageError

from .feed import DEFAULT_DEADLINE, Feed, FeedItem, parse_feed, read_source, slugify
from .statuspage_api import looks_like_json, parse_statuspage_json
from .writer import (
    DEFAULT_MAINTENANCE_LENGTH,
    MaintenanceWindow,
    append_components,
    component_name,
    config_components,
    existing_sources,
    floor_minute,
    format_time,
    has_check_since,
    maintenance_window,
    render_config,
    render_incident,
    render_maintenance,
    replace_file,
    site_base_url,
    site_title,
    write_new,
)

__all__ = [
    "DEFAULT_COMPONENT",
    "DEFAULT_DEADLINE",
    "DEFAULT_IMPACT",
    "DEFAULT_MAINTENANCE_LENGTH",
    "STALE_AFTER",
    "GuessedWindow",
    "ImportReport",
    "StaleIncident",
    "import_feed",
]

#: An unresolved incident whose last update is older than this is reported as stale.
STALE_AFTER = timedelta(days=30)
#: The component of imported items whose source names none (feeds never do), unless --component says.
DEFAULT_COMPONENT = "imported"
#: The impact of imported incidents whose source does not say (feeds never do), unless --impact says.
DEFAULT_IMPACT = "minor"
IMPACTS = ("none", "minor", "major", "critical")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class StaleIncident:
    """An imported incident never resolved at its source."""

    path: Path
    last_update: datetime
    status: str
    closed: bool  # True when resolve_stale added a final Resolved update


@dataclass(frozen=True, slots=True)
class GuessedWindow:
    """A maintenance window whose start or end is not from an In progress / Completed update."""

    path: Path
    start: datetime
    end: datetime
    start_guessed: bool
    end_guessed: bool
    end_default: bool = False  # only one time known: the end is DEFAULT_MAINTENANCE_LENGTH after the start


@dataclass(slots=True)
class ImportReport:
    """What an import did.  Paths are ``site_dir`` joined with the file's place in it."""

    source: str
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    stale: list[StaleIncident] = field(default_factory=list)
    guessed: list[GuessedWindow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    config_path: Path | None = None
    config_created: bool = False
    components_added: list[str] = field(default_factory=list)
    incidents_written: int = 0
    maintenance_written: int = 0
    default_component: str = DEFAULT_COMPONENT
    default_impact: str = DEFAULT_IMPACT
    #: Written items that got the default component, and incidents that got the default impact.
    default_component_items: int = 0
    default_impact_items: int = 0
    #: Written items without dated updates, given one final update at their own date.
    undated_items: int = 0
    #: No inloop.toml was written, since nothing imported needs a component yet.
    config_missing: bool = False

    @property
    def component_added(self) -> str | None:
        """The first component appended to an existing inloop.toml, if any."""
        return self.components_added[0] if self.components_added else None

    def lines(self) -> list[str]:
        """The run as a person reads it: each file, then the summary, then what needs a look."""
        out: list[str] = []
        for path in self.written:
            if path != self.config_path:
                out.append(f"wrote {path}")
        for path in self.skipped:
            out.append(f"skipped {path} (it exists; it was left as it is)")
        if self.config_missing:
            out.append(f"wrote no {self.config_path}: nothing was imported that needs a component")
        elif self.config_path is not None:
            if self.config_created:
                out.append(f"wrote {self.config_path}")
            else:
                for component_id in self.components_added:
                    out.append(f"added component {component_id!r} to {self.config_path}")
        for warning in self.warnings:
            out.append(f"warning: {warning}")
        out.append(
            f"imported {_count(self.incidents_written, 'incident')} and "
            f"{_count(self.maintenance_written, 'maintenance window')} from {self.source}"
            + (f"; skipped {len(self.skipped)} that exist" if self.skipped else "")
        )
        out.extend(self._default_lines())
        if self.guessed:
            out.append(
                "maintenance windows whose start or end the source does not give (no In progress or "
                "Completed update, or one time only); a guessed time is the first or last update's, check them:"
            )
            length = _minutes(DEFAULT_MAINTENANCE_LENGTH)
            for window in self.guessed:
                parts = (("start", window.start_guessed), ("end", window.end_guessed and not window.end_default))
                which = " and ".join(name for name, guessed in parts if guessed)
                what = [f"{which} guessed"] if which else []
                if window.end_default:
                    what.append(f"end set to the default, {length} after the start (the source gives one time)")
                out.append(
                    f"  {window.path}: {'; '.join(what)} "
                    f"(start {format_time(window.start)}, end {format_time(window.end)})"
                )
        if self.stale:
            out.append(f"incidents never resolved at the source, last updated more than {STALE_AFTER.days} days ago:")
            for stale in self.stale:
                closed = "; closed with a Resolved update" if stale.closed else ""
                out.append(f"  {stale.path}: last update {format_time(stale.last_update)} ({stale.status}){closed}")
            if not all(stale.closed for stale in self.stale):
                out.append("  resolve them by hand, or delete them and import again with --resolve-stale to close them")
        return out

    def _default_lines(self) -> list[str]:
        """What the source did not say, once for the whole import."""
        out: list[str] = []
        if self.undated_items:
            out.append(
                f"{_count(self.undated_items, 'item')} had no dated updates: each got one final update "
                "(Resolved, or Completed for maintenance) at the item's own date, saying what the item says"
            )
        if self.default_component_items:
            out.append(
                f"{_count(self.default_component_items, 'item')} got the default component "
                f"'{self.default_component}' (the source names no components): set the real ones, "
                "'inloop check' lists them as imported-defaults; or import with --component"
            )
        if self.default_impact_items:
            out.append(
                f"{_count(self.default_impact_items, 'incident')} got the default impact "
                f"'{self.default_impact}' (the source does not say): set the real one, "
                "'inloop check' lists them as imported-defaults; or import with --impact"
            )
        return out


def _minutes(length: timedelta) -> str:
    minutes = int(length.total_seconds() // 60)
    if minutes % 60 == 0:
        return _count(minutes // 60, "hour")
    return _count(minutes, "minute")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _effective_status(item: FeedItem) -> str:
    """The incident's status after its last update (``Update`` and ``Postmortem`` keep it)."""
    status = "Investigating"
    for update in item.updates:
        if update.status not in ("Update", "Postmortem"):
            status = update.status
    return status


def _assign_ids(items: list[FeedItem]) -> list[tuple[FeedItem, str]]:
    """Ids from the items' links, oldest item first, ``-2``, ``-3``... on collision.
    Incidents and maintenance share one namespace, as references do."""
    ordered = sorted(items, key=lambda item: (item.first_time, -item.position))
    taken: set[str] = set()
    result: list[tuple[FeedItem, str]] = []
    for item in ordered:
        base = item.base_id
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}-{number}"
        taken.add(candidate)
        result.append((item, candidate))
    return result


def _check_arguments(component: str, impact: str, source_timezone: str) -> ZoneInfo:
    if not _SLUG.fullmatch(component):
        raise UsageError(f"component id {component!r} is not a lowercase slug (letters, digits, dashes)")
    if impact not in IMPACTS:
        raise UsageError(f"impact {impact!r} is not one of {', '.join(IMPACTS)}")
    try:
        return ZoneInfo(source_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"source time zone {source_timezone!r} is not an IANA time zone name (like UTC or America/Los_Angeles)"
        ) from None


@dataclass(slots=True)
class _Config:
    """The site's ``inloop.toml`` as the import needs it; read, never written here."""

    path: Path
    current: bytes | None  # None: there is none yet
    ids: set[str]
    id_by_name: dict[str, str]
    notes: list[str]


def _read_config(site_dir: Path, today: date) -> _Config:
    path = site_dir / "inloop.toml"
    if not path.exists():
        return _Config(path, None, set(), {}, [])
    try:
        current = path.read_bytes()
        text = current.decode("utf-8")
        components = config_components(text)
        has_since = has_check_since(text)
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"{path} is not valid TOML ({error}); fix it and import again") from None
    notes = []
    if not has_since:
        notes.append(
            f"{path} sets no [check] since: the rules about resolved incidents will hold the "
            f"imported history to them; add 'since = {today.isoformat()}' to [check] if they should not"
        )
    return _Config(
        path,
        current,
        {component_id for component_id, _ in components},
        {name.casefold(): component_id for component_id, name in components},
        notes,
    )


class _Components:
    """Component ids for the items: the source's names where it gives some, else the default;
    and the components the site lacks, in the order they are first used."""

    def __init__(self, config: _Config, default: str, page: tuple[tuple[str, str | None], ...] = ()) -> None:
        self.config = config
        self.default = default
        self.new: dict[str, str] = {}  # id -> name, for components inloop.toml lacks
        self.groups: dict[str, str] = {}  # id -> group name, for those
        self.page: list[str] = []  # the page's own components, declared in a new inloop.toml
        for name, group in page:
            if name.casefold() in config.id_by_name:
                continue
            slug = slugify(name) or "component"
            component_id = slug if slug in config.ids else self._new_id(slug, name)
            if group and component_id in self.new:
                self.groups[component_id] = group
            self.page.append(component_id)

    def of(self, item: FeedItem) -> tuple[tuple[str, ...], bool]:
        """(ids, whether they are the default)."""
        if not item.components:
            return (self.default,), True
        ids: list[str] = []
        for name in item.components:
            component_id = self.config.id_by_name.get(name.casefold())
            if component_id is None:
                slug = slugify(name) or "component"
                component_id = slug if slug in self.config.ids else self._new_id(slug, name)
            if component_id not in ids:
                ids.append(component_id)
        return tuple(ids), False

    def _new_id(self, slug: str, name: str) -> str:
        for component_id, known in self.new.items():
            if known.casefold() == name.casefold():
                return component_id
        candidate, number = slug, 1
        while candidate in self.new:
            number += 1
            candidate = f"{slug}-{number}"
        self.new[candidate] = name
        return candidate

    def missing(self, used: list[str]) -> list[tuple[str, str]]:
        """(id, name) of each used component that inloop.toml does not declare; a new
        inloop.toml declares the page's own components too, in the page's order."""
        out: list[tuple[str, str]] = []
        wanted = [*self.page, *used] if self.config.current is None else used
        for component_id in dict.fromkeys(wanted):
            if component_id not in self.config.ids:
                out.append((component_id, self.new.get(component_id, component_name(component_id))))
        return out


@dataclass(frozen=True, slots=True)
class _Planned:
    path: Path
    text: str
    maintenance: bool
    components: tuple[str, ...]
    component_default: bool
    impact_default: bool
    undated: bool
    window: MaintenanceWindow | None = None
    stale: StaleIncident | None = None


def _config_bytes(
    config: _Config,
    feed: Feed,
    source: str,
    source_timezone: str,
    today: date,
    add: list[tuple[str, str]],
    groups: dict[str, str],
) -> bytes | None:
    """The new ``inloop.toml`` (None when it stays as it is); raises UsageError."""
    if config.current is not None:
        if not add:
            return None
        try:
            return append_components(config.current, add, groups)
        except ValueError as error:
            names = ", ".join(repr(component_id) for component_id, _ in add)
            raise UsageError(f"cannot add component {names} to {config.path} ({error}); add it by hand") from None
    if not add:
        return None
    base_url = site_base_url(feed.link, *(item.link for item in feed.items))
    if base_url is None:
        raise UsageError(
            f"cannot tell the status page's address from {source}: "
            f"write {config.path} with title, base_url and a component first"
        )
    text = render_config(
        title=site_title(feed.title),
        base_url=base_url,
        timezone=source_timezone,
        components=add,
        source=source,
        since=today,
        groups=groups,
    )
    return text.encode("utf-8")


def import_feed(
    source: str,
    site_dir: Path,
    *,
    component: str | None = None,
    impact: str | None = None,
    source_timezone: str = "UTC",
    resolve_stale: bool = False,
    now: datetime,
    deadline: float = DEFAULT_DEADLINE,
) -> ImportReport:
    """Import a status page's history (RSS, Atom or Statuspage API JSON) into the site at ``site_dir``.

    ``source`` is a file path or an http(s) URL, fetched within ``deadline``
    seconds.  ``component`` and ``impact`` are the user's choice for what the
    source does not say; left as None, the documented defaults
    (:data:`DEFAULT_COMPONENT`, :data:`DEFAULT_IMPACT`) are written and
    recorded under ``imported:`` so that ``inloop check`` can point them out.
    Existing files are never overwritten (they are found by id or by
    ``imported.source``, and listed as skipped), and ``inloop.toml`` gets only
    the components that a written file uses.  Failures to read the feed or the
    site's ``inloop.toml`` are :class:`~inloop.errors.UsageError`; nothing is
    written then.
    """
    component_id = DEFAULT_COMPONENT if component is None else component
    impact_value = DEFAULT_IMPACT if impact is None else impact
    zone = _check_arguments(component_id, impact_value, source_timezone)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    data, headers = read_source(source, deadline=deadline)
    if looks_like_json(data):
        feed = parse_statuspage_json(data, origin=source)
    else:
        feed = parse_feed(data, source_timezone=zone, headers=headers, origin=source, now=now)
    today = now.astimezone(zone).date()
    config = _read_config(site_dir, today)

    report = ImportReport(source=source, warnings=[*feed.warnings, *config.notes])
    incidents_dir = site_dir / "content" / "incidents"
    maintenance_dir = site_dir / "content" / "maintenance"
    known = existing_sources([incidents_dir, maintenance_dir])
    components = _Components(config, component_id, feed.components)
    planned: list[_Planned] = []
    for item, item_id in _assign_ids(list(feed.items)):
        directory = maintenance_dir if item.maintenance else incidents_dir
        path = directory / f"{item_id}.md"
        if item.link and item.link in known:
            report.skipped.append(known[item.link])
            continue
        if path.exists():
            report.skipped.append(path)
            continue
        last = item.updates[-1].time
        if last > now:
            report.warnings.append(
                f"left out {item.link or repr(item.title)}: its update of {format_time(last)} "
                f"is later than now ({format_time(now)})"
            )
            continue
        ids, component_default = components.of(item)
        recorded_component = component_id if component_default and component is None else None
        if item.maintenance:
            window = maintenance_window(item.updates, scheduled=item.scheduled)
            text = render_maintenance(item, components=ids, window=window, default_component=recorded_component)
            planned.append(
                _Planned(path, text, True, ids, recorded_component is not None, False, item.undated, window=window)
            )
            continue
        item_impact = item.impact or impact_value
        recorded_impact = impact_value if item.impact is None and impact is None else None
        status = _effective_status(item)
        stale = status != "Resolved" and last < now - STALE_AFTER
        closed_at = floor_minute(now.astimezone(UTC)) if stale and resolve_stale else None
        text = render_incident(
            item,
            components=ids,
            impact=item_impact,
            closed_at=closed_at,
            default_component=recorded_component,
            default_impact=recorded_impact,
        )
        planned.append(
            _Planned(
                path,
                text,
                False,
                ids,
                recorded_component is not None,
                recorded_impact is not None,
                item.undated,
                stale=StaleIncident(path, last, status, closed_at is not None) if stale else None,
            )
        )

    add = components.missing([c for plan in planned for c in plan.components])
    config_bytes = _config_bytes(config, feed, source, source_timezone, today, add, components.groups)
    try:
        for plan in planned:
            if not write_new(plan.path, plan.text):
                report.skipped.append(plan.path)
                continue
            report.written.append(plan.path)
            if plan.component_default:
                report.default_component_items += 1
            if plan.impact_default:
                report.default_impact_items += 1
            if plan.undated:
                report.undated_items += 1
            if plan.maintenance:
                report.maintenance_written += 1
                shape = plan.window
                if shape is not None and (shape.start_guessed or shape.end_guessed or shape.end_default):
                    report.guessed.append(
                        GuessedWindow(
                            plan.path,
                            shape.start,
                            shape.end,
                            shape.start_guessed,
                            shape.end_guessed,
                            shape.end_default,
                        )
                    )
            else:
                report.incidents_written += 1
                if plan.stale is not None:
                    report.stale.append(plan.stale)
        if config_bytes is not None:
            if config.current is None:
                config.path.parent.mkdir(parents=True, exist_ok=True)
                if not write_new(config.path, config_bytes.decode("utf-8")):
                    raise UsageError(f"{config.path} appeared while importing; import again")
            else:
                replace_file(config.path, config_bytes)
            report.written.append(config.path)
            report.config_path = config.path
            report.config_created = config.current is None
            report.components_added = [] if config.current is None else [c for c, _ in add]
    except OSError as error:
        where = error.filename or site_dir
        raise UsageError(f"cannot write {where}: {error.strerror or error}") from None
    if config.current is None and config_bytes is None:
        report.config_path = config.path
        report.config_missing = True
    report.default_component = component_id
    report.default_impact = impact_value
    return report
