"""``inloop new incident`` and ``inloop new maintenance``: a correct file from a few options.

The file is what an author would write by hand: the front matter filled in
with what is known, and what is not yet known (cause, estimate, next update,
prevention) as commented prompts that ``inloop update`` replaces, or that the
author uncomments.  The first update says ``--message`` or ``TODO``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from text_unidecode import unidecode

from ..errors import UsageError
from ..model import ComponentStatus, Kind, SiteConfig
from .files import create_new
from .lookup import FOLDERS, all_items
from .site import require_item, shown_path
from .values import (
    SEPARATOR,
    SLUG_MAX,
    TODO_MARKER,
    choose_first_status,
    choose_impact,
    floor_minute,
    format_time,
    parse_components,
    parse_when,
    show_time,
    window_sentence,
    yaml_inline,
    yaml_text,
)


def slugify(title: str, fallback: str) -> str:
    """ASCII, lowercase, words joined by ``-``, at most ``SLUG_MAX`` characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", unidecode(title).lower()).strip("-")
    if len(slug) > SLUG_MAX:
        cut = slug[: SLUG_MAX + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut else slug[:SLUG_MAX]
    return slug.strip("-") or fallback


@dataclass(slots=True)
class Created:
    kind: Kind
    id: str
    path: Path
    shown: str
    lines: list[str] = field(default_factory=list)  # what the command prints


def _heading(moment: datetime, status: str, seconds: bool = False) -> str:
    return f"## {format_time(moment, seconds)} {SEPARATOR} {status}"


def _message(text: str | None) -> str:
    if text is None:
        return TODO_MARKER
    cleaned = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))
    if not cleaned:
        raise UsageError("--message is empty: say what customers notice, or leave --message out to write TODO")
    return cleaned


def _title(text: str) -> str:
    title = " ".join(text.split())
    if not title:
        raise UsageError("the title is empty: say in a few words what customers notice")
    return title


def _write(source: Path, shown_source: str, kind: Kind, day: str, slug: str, text: str, config: SiteConfig) -> Created:
    """Write ``text`` under the first free id ``<day>-<slug>``, ``-2``, ``-3``, ..."""
    folder = source / "content" / FOLDERS[kind]
    taken = {item.id for item in all_items(source)}
    base = f"{day}-{slug}"
    data = text.encode("utf-8")
    for number in range(1, 1000):
        file_id = base if number == 1 else f"{base}-{number}"
        path = folder / f"{file_id}.md"
        if file_id in taken or path.exists():
            continue
        relative = path.relative_to(source).as_posix()
        shown = shown_path(shown_source, relative)
        require_item(kind, data, file_id, shown, config, "inloop could not write a correct file: please report this")
        try:
            create_new(path, data)
        except FileExistsError:
            continue
        except OSError as exc:
            raise UsageError(f"cannot write {shown}: {exc.strerror}") from None
        return Created(kind, file_id, path, shown)
    raise UsageError(f"too many files named {base}-N.md in {folder}")  # pragma: no cover


def _components_default(config: SiteConfig, given: Sequence[str], what: str) -> Sequence[str]:
    if given:
        return given
    if len(config.components) == 1:
        return [config.components[0].id]
    ids = ", ".join(config.component_ids)
    raise UsageError(f"name the {what} components with --component ID (this site has {len(config.components)}: {ids})")


def new_incident(
    source: Path,
    shown_source: str,
    config: SiteConfig,
    now: datetime,
    title: str,
    *,
    impact: str | None = None,
    components: Sequence[str] = (),
    status: str | None = None,
    message: str | None = None,
    at: str | None = None,
) -> Created:
    title = _title(title)
    chosen_impact = choose_impact(impact) if impact else choose_impact("minor")
    chosen_status = choose_first_status(status) if status else "Investigating"
    changes = parse_components(_components_default(config, components, "affected"), config.component_ids)
    text_message = _message(message)
    seconds = False
    moment = floor_minute(now)
    if at:
        when = parse_when(at, config.zone, base=now, option="--at", forward=False)
        if when.moment > now:
            raise UsageError(f"--at {show_time(when.moment, config.zone)} is in the future")
        moment, seconds = when.moment, when.seconds
    estimate_example = format_time(floor_minute(moment) + timedelta(hours=1))
    next_example = format_time(floor_minute(moment) + timedelta(minutes=30))
    lines = [
        "---",
        f"title: {yaml_inline(title)}",
        f"impact: {chosen_impact}   # none | minor | major | critical",
        "components:   # id: degraded_performance | partial_outage | major_outage (operational once it works again)",
        *(f"  {c.id}: {c.status or ComponentStatus.PARTIAL_OUTAGE}" for c in changes),
        "# cause: what is wrong, in words your customers understand",
        f"# estimate: when you expect service to be restored, such as {estimate_example}",
        f"# next_update: when you will post again, such as {next_example}",
        "# prevention:",
        "#   - what will change so that this does not happen again",
        "---",
        "",
        _heading(moment, chosen_status, seconds),
        text_message,
        "",
    ]
    day = moment.astimezone(config.zone).date().isoformat()
    created = _write(source, shown_source, "incident", day, slugify(title, "incident"), "\n".join(lines), config)
    created.lines = [
        f"created {created.shown}",
        f"reference: {created.id}",
        f"first update: {chosen_status} at {show_time(moment, config.zone)}",
        f"page after the next build: {config.base_url}incidents/{created.id}/",
    ]
    if message is None:
        created.lines.append(f"the first update says {TODO_MARKER}: replace it with what customers notice")
    created.lines.append(f'post an update: inloop update {created.id} --status identified "What we know now"')
    return created


def new_maintenance(
    source: Path,
    shown_source: str,
    config: SiteConfig,
    now: datetime,
    title: str,
    *,
    start: str,
    end: str,
    components: Sequence[str] = (),
    message: str | None = None,
    description: str | None = None,
) -> Created:
    title = _title(title)
    ids = parse_components(_components_default(config, components, "maintained"), config.component_ids)
    if any(c.status is not None for c in ids):
        raise UsageError("a maintenance window's components have no status: give --component ID")
    begin = parse_when(start, config.zone, base=now, option="--start", forward=True).moment
    finish = parse_when(end, config.zone, base=begin, option="--end", forward=True).moment
    if finish <= begin:
        raise UsageError(
            f"--end {show_time(finish, config.zone)} is not after --start {show_time(begin, config.zone)}"
        )
    moment = floor_minute(now)
    names = [config.component(c.id).name for c in ids]
    text_message = _message(message) if message is not None else window_sentence(names, begin, finish, config.zone)
    lines = [
        "---",
        f"title: {yaml_inline(title)}",
        "components:",
        *(f"  - {c.id}" for c in ids),
        f"start: {format_time(begin)}",
        f"end: {format_time(finish)}",
    ]
    if description is not None and description.strip():
        desc = yaml_text(description, 2)
        lines.append(f"description: {desc[0]}")
        lines.extend(desc[1:])
    else:
        lines.append("# description: what will change, and what customers will notice during the window")
    lines += ["---", "", _heading(moment, "Scheduled"), text_message, ""]
    day = begin.astimezone(config.zone).date().isoformat()
    slug = slugify(title, "maintenance")
    created = _write(source, shown_source, "maintenance", day, slug, "\n".join(lines), config)
    created.lines = [
        f"created {created.shown}",
        f"reference: {created.id}",
        f"window: {show_time(begin, config.zone)} to {show_time(finish, config.zone)}",
        f"first update: Scheduled at {show_time(moment, config.zone)}",
        f"page after the next build: {config.base_url}maintenance/{created.id}/",
        f'when it starts: inloop update {created.id} --status "in progress" "The maintenance has started."',
    ]
    return created
