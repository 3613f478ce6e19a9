"""``inloop new incident`` and ``inloop new maintenance``: a correct file from a few options.

The file is what an author would write by hand: the front matter filled in
with what is known, and what is not yet known (cause, estimate, next update,
prevention) as commented prompts that ``inloop update`` replaces, or that the
author uncomments.  The first update says ``--message`` or ``TODO``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from .. import slugs
from ..errors import UsageError
from ..model import ComponentStatus, Kind, SiteConfig
from .files import create_new
from .lookup import FOLDERS, all_items
from .site import require_item, shown_path
from .templates import Fill, Template, fill, load_template
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
    slug = slugs.slug(title)
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


def _write(
    source: Path,
    shown_source: str,
    kind: Kind,
    day: str,
    slug: str,
    text: str,
    config: SiteConfig,
    advice: str = "inloop could not write a correct file: please report this",
) -> Created:
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
        require_item(kind, data, file_id, shown, config, advice)
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


def _moment(config: SiteConfig, now: datetime, at: str | None) -> tuple[datetime, bool]:
    """The time of the first update: now (to the minute), or ``--at``; and whether it has seconds."""
    if not at:
        return floor_minute(now), False
    when = parse_when(at, config.zone, base=now, option="--at", forward=False)
    if when.moment > now:
        raise UsageError(f"--at {show_time(when.moment, config.zone)} is in the future")
    return when.moment, when.seconds


def from_template(
    source: Path,
    shown_source: str,
    config: SiteConfig,
    now: datetime,
    template: Template | str,
    title: str | None,
    *,
    kind: Kind = "incident",
    impact: str | None = None,
    components: Sequence[str] | Sequence[tuple[str, str | None]] = (),
    status: str | None = None,
    message: str | None = None,
    at: str | None = None,
    variables: Mapping[str, str] | None = None,
    window: tuple[datetime, datetime] | None = None,
    lenient: bool = False,
) -> Created:
    """A new file from a template (``--template NAME``, or the alert receiver's)."""
    if isinstance(template, str):
        template = load_template(source, shown_source, kind, template)
    typed = [g if isinstance(g, str) else (f"{g[0]}={g[1]}" if g[1] else g[0]) for g in components]
    checked = parse_components(typed, config.component_ids)
    if kind == "maintenance" and any(c.status is not None for c in checked):
        raise UsageError("a maintenance window's components have no status: give --component ID")
    pairs = [(c.id, str(c.status) if c.status else None) for c in checked]
    moment, seconds = _moment(config, now, at)
    how = Fill(
        moment,
        seconds,
        title=_title(title) if title is not None else None,
        values=dict(variables or {}),
        components=pairs,
        impact=str(choose_impact(impact)) if impact else None,
        status=(choose_first_status(status) if kind == "incident" else None) if status else None,
        message=_message(message) if message is not None else None,
        window=window,
        lenient=lenient,
    )
    filled = fill(template, config, how)
    day = (window[0] if window else moment).astimezone(config.zone).date().isoformat()
    advice = f"the template {template.shown} makes a file that does not build: fix the template"
    created = _write(source, shown_source, kind, day, slugify(filled.title, kind), filled.text, config, advice)
    folder = FOLDERS[kind]
    created.lines = [
        f"created {created.shown} from the template {template.shown}",
        f"reference: {created.id}",
        f"first update: {filled.status} at {show_time(moment, config.zone)}",
        f"page after the next build: {config.base_url}{folder}/{created.id}/",
    ]
    if filled.default_message:
        created.lines.append(
            "the template's text is marked as such: 'inloop check --strict' fails while it is still there "
            "after [check] template_text_minutes"
        )
    return created


def new_incident(
    source: Path,
    shown_source: str,
    config: SiteConfig,
    now: datetime,
    title: str | None,
    *,
    impact: str | None = None,
    components: Sequence[str] = (),
    status: str | None = None,
    message: str | None = None,
    at: str | None = None,
    template: str | None = None,
    variables: Mapping[str, str] | None = None,
) -> Created:
    if template is not None:
        return from_template(
            source,
            shown_source,
            config,
            now,
            template,
            title,
            impact=impact,
            components=components,
            status=status,
            message=message,
            at=at,
            variables=variables,
        )
    if variables:
        raise UsageError("--var fills in a template's placeholders: give --template NAME too")
    if title is None:
        raise UsageError("give the incident's TITLE (or --template NAME, whose title is the default)")
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
    title: str | None,
    *,
    start: str,
    end: str,
    components: Sequence[str] = (),
    message: str | None = None,
    description: str | None = None,
    template: str | None = None,
    variables: Mapping[str, str] | None = None,
) -> Created:
    begin = parse_when(start, config.zone, base=now, option="--start", forward=True).moment
    finish = parse_when(end, config.zone, base=begin, option="--end", forward=True).moment
    if finish <= begin:
        raise UsageError(f"--end {show_time(finish, config.zone)} is not after --start {show_time(begin, config.zone)}")
    if template is not None:
        if description is not None:
            raise UsageError("--description and --template: the template's description is the one written")
        return from_template(
            source,
            shown_source,
            config,
            now,
            template,
            title,
            kind="maintenance",
            components=components,
            message=message,
            variables=variables,
            window=(begin, finish),
        )
    if variables:
        raise UsageError("--var fills in a template's placeholders: give --template NAME too")
    if title is None:
        raise UsageError("give the maintenance window's TITLE (or --template NAME, whose title is the default)")
    title = _title(title)
    ids = parse_components(_components_default(config, components, "maintained"), config.component_ids)
    if any(c.status is not None for c in ids):
        raise UsageError("a maintenance window's components have no status: give --component ID")
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
