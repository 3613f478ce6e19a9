"""Import the history of an existing status page (``inloop import``).

:func:`import_feed` reads a Statuspage RSS or Atom history feed (a file or an
http(s) URL) and writes one ``content/incidents/<id>.md`` per incident and one
``content/maintenance/<id>.md`` per maintenance window, never replacing a file
that exists, so that a second run changes nothing.  Without an ``inloop.toml``
it writes one from the feed's title and link; with one that lacks the
component, it appends a ``[[components]]`` table and keeps every other byte.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inloop.errors import UsageError

from .feed import Feed, FeedItem, parse_feed, read_source
from .writer import (
    append_component,
    component_ids,
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

__all__ = ["STALE_AFTER", "GuessedWindow", "ImportReport", "StaleIncident", "import_feed"]

#: An unresolved incident whose last update is older than this is reported as stale.
STALE_AFTER = timedelta(days=30)
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
    component_added: str | None = None
    incidents_written: int = 0
    maintenance_written: int = 0

    def lines(self) -> list[str]:
        """The run as a person reads it: each file, then the summary, then what needs a look."""
        out: list[str] = []
        for path in self.written:
            if path != self.config_path:
                out.append(f"wrote {path}")
        for path in self.skipped:
            out.append(f"skipped {path} (it exists; it was left as it is)")
        if self.config_path is not None:
            if self.config_created:
                out.append(f"wrote {self.config_path}")
            elif self.component_added is not None:
                out.append(f"added component {self.component_added!r} to {self.config_path}")
        for warning in self.warnings:
            out.append(f"warning: {warning}")
        out.append(
            f"imported {_count(self.incidents_written, 'incident')} and "
            f"{_count(self.maintenance_written, 'maintenance window')} from {self.source}"
            + (f"; skipped {len(self.skipped)} that exist" if self.skipped else "")
        )
        if self.guessed:
            out.append(
                "maintenance windows without In progress or Completed updates; "
                "their times were guessed from their first and last update, check them:"
            )
            for window in self.guessed:
                parts = (("start", window.start_guessed), ("end", window.end_guessed))
                which = " and ".join(name for name, guessed in parts if guessed)
                out.append(
                    f"  {window.path}: {which} guessed "
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


def _plan_config(
    site_dir: Path, feed: Feed, source: str, component: str, source_timezone: str, today: date
) -> tuple[Path, bytes | None, bool, list[str]]:
    """(path, new bytes or None when unchanged, created?, warnings); reads, never writes."""
    path = site_dir / "inloop.toml"
    if not path.exists():
        base_url = site_base_url(feed.link, *(item.link for item in feed.items))
        if base_url is None:
            raise UsageError(
                f"cannot tell the status page's address from {source}: "
                f"write {path} with title, base_url and a component first"
            )
        text = render_config(
            title=site_title(feed.title),
            base_url=base_url,
            timezone=source_timezone,
            component=component,
            source=source,
            since=today,
        )
        return path, text.encode("utf-8"), True, []
    try:
        current = path.read_bytes()
        text = current.decode("utf-8")
        ids = component_ids(text)
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
    if component in ids:
        return path, None, False, notes
    try:
        return path, append_component(current, component), False, notes
    except ValueError as error:
        raise UsageError(f"cannot add component {component!r} to {path} ({error}); add it by hand") from None


def import_feed(
    source: str,
    site_dir: Path,
    *,
    component: str = "imported",
    impact: str = "minor",
    source_timezone: str = "UTC",
    resolve_stale: bool = False,
    now: datetime,
) -> ImportReport:
    """Import a status page's history feed into the inloop site at ``site_dir``.

    ``source`` is a file path or an http(s) URL.  Existing files are never
    overwritten (they are found by id or by ``imported.source``, and listed as
    skipped).  Failures to read the feed or the site's ``inloop.toml`` are
    :class:`~inloop.errors.UsageError`; nothing is written then.
    """
    zone = _check_arguments(component, impact, source_timezone)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    data, headers = read_source(source)
    feed = parse_feed(data, source_timezone=zone, headers=headers, origin=source)
    config_path, config_bytes, config_created, config_notes = _plan_config(
        site_dir, feed, source, component, source_timezone, now.astimezone(zone).date()
    )

    report = ImportReport(source=source, warnings=[*feed.warnings, *config_notes])
    incidents_dir = site_dir / "content" / "incidents"
    maintenance_dir = site_dir / "content" / "maintenance"
    known = existing_sources([incidents_dir, maintenance_dir])
    try:
        for item, item_id in _assign_ids(list(feed.items)):
            directory = maintenance_dir if item.maintenance else incidents_dir
            path = directory / f"{item_id}.md"
            if item.link and item.link in known:
                report.skipped.append(known[item.link])
                continue
            if path.exists():
                report.skipped.append(path)
                continue
            if item.maintenance:
                window = maintenance_window(item.updates)
                text = render_maintenance(item, component=component, window=window)
                if write_new(path, text):
                    report.written.append(path)
                    report.maintenance_written += 1
                    if window.start_guessed or window.end_guessed:
                        report.guessed.append(
                            GuessedWindow(
                                path,
                                window.start,
                                window.end,
                                window.start_guessed,
                                window.end_guessed,
                            )
                        )
                else:
                    report.skipped.append(path)
                continue
            status = _effective_status(item)
            last = item.updates[-1].time
            stale = status != "Resolved" and last < now - STALE_AFTER
            closed_at = floor_minute(now.astimezone(UTC)) if stale and resolve_stale else None
            text = render_incident(item, component=component, impact=impact, closed_at=closed_at)
            if write_new(path, text):
                report.written.append(path)
                report.incidents_written += 1
                if stale:
                    report.stale.append(StaleIncident(path, last, status, closed_at is not None))
            else:
                report.skipped.append(path)
        if config_bytes is not None:
            if config_created:
                config_path.parent.mkdir(parents=True, exist_ok=True)
                if not write_new(config_path, config_bytes.decode("utf-8")):
                    raise UsageError(f"{config_path} appeared while importing; import again")
            else:
                replace_file(config_path, config_bytes)
            report.written.append(config_path)
            report.config_path = config_path
            report.config_created = config_created
            report.component_added = None if config_created else component
    except OSError as error:
        where = error.filename or site_dir
        raise UsageError(f"cannot write {where}: {error.strerror or error}") from None
    return report
