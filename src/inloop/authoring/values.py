"""What authors type on the command line, read and checked; what goes into files, rendered.

Everything here is pure: statuses, impacts and ``--component`` values are
matched leniently (any case, ``-`` or ``_`` or spaces) and rejected with the
allowed values and a close match; times are read in the site's zone; text
becomes a YAML scalar that reads back as exactly that text.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import yaml

from inloop.read.config import did_you_mean

from ..errors import UsageError
from ..model import INCIDENT_COMPONENT_STATUSES, INCIDENT_STATUSES, MAINTENANCE_STATUSES, ComponentStatus, Impact
from ..times import localize, parse_time, parse_zone, zone_label

#: Statuses an ``inloop update`` may post, by kind of item.
UPDATE_STATUSES = {
    "incident": INCIDENT_STATUSES,
    "maintenance": (*MAINTENANCE_STATUSES, "Update"),
}
#: The status that closes an item, and the one a reopening update gets by default.
CLOSED_STATUS = {"incident": "Resolved", "maintenance": "Completed"}
REOPEN_STATUS = {"incident": "Investigating", "maintenance": "In progress"}
KIND_NAME = {"incident": "incident", "maintenance": "maintenance window"}

#: The marker ``inloop new`` writes when no ``--message`` is given (``inloop check`` flags it).
TODO_MARKER = "TODO"
SEPARATOR = "\u2014"  # em dash, as in the README's example
SLUG_MAX = 60

_WORDS = re.compile(r"[\s_-]+")
_PLAIN_UNSAFE = re.compile(r"^[\s\-?:,\[\]{}#&*!|>'\"%@`]|:\s|\s#|:$|\s$|[\x00-\x1f\x7f]")
_CLOCK = re.compile(r"^(?P<clock>\d{1,2}:\d{2}(?::\d{2})?)(?:\s*(?P<zone>UTC|Z|[+-]\d{2}:?\d{2}))?$", re.IGNORECASE)
_RELATIVE = re.compile(
    r"^\+?\s*(?:(?P<days>\d+)\s*d(?:ays?)?)?\s*(?:(?P<hours>\d+)\s*h(?:ours?|rs?)?)?\s*"
    r"(?:(?P<minutes>\d+)\s*m(?:in(?:utes?|s)?)?)?$",
    re.IGNORECASE,
)
_SECONDS = re.compile(r"\d:\d{2}:\d{2}")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _key(text: str) -> str:
    return _WORDS.sub(" ", text).strip().lower()


def choose(text: str, allowed: Sequence[str], what: str, hint: str = "") -> str:
    """The entry of ``allowed`` that ``text`` names (any case; ``-``, ``_`` or space between words)."""
    wanted = _key(text)
    for choice in allowed:
        if _key(choice) == wanted:
            return choice
    keys = [_key(c) for c in allowed]
    close = did_you_mean(wanted, keys)
    suggestion = ""
    if close.startswith("did you mean"):
        suggestion = close + " "
    raise UsageError(f"unknown {what} '{text}': {suggestion}expected one of {', '.join(allowed)}{hint}")


def choose_impact(text: str) -> Impact:
    return Impact(choose(text, tuple(Impact), "impact"))


def choose_status(text: str, kind: str) -> str:
    hint = ""
    if kind == "maintenance" and _key(text) == "resolved":
        hint = " ('inloop resolve' completes a maintenance window)"
    return choose(text, UPDATE_STATUSES[kind], f"{KIND_NAME[kind]} status", hint)


#: The statuses an incident may start with: it cannot start resolved, nor with "Update" (of what?).
FIRST_INCIDENT_STATUSES = ("Investigating", "Identified", "Monitoring")


def choose_first_status(text: str) -> str:
    """The status of a new incident's first update."""
    if _key(text) == "resolved":
        raise UsageError(
            "a new incident cannot start resolved: open it with Investigating, Identified or Monitoring, "
            "then resolve it with 'inloop resolve ID \"What we did\"'"
        )
    return choose(text, FIRST_INCIDENT_STATUSES, "incident status", " for a new incident")


def choose_component_status(text: str) -> ComponentStatus:
    allowed = tuple(str(s) for s in INCIDENT_COMPONENT_STATUSES)
    return ComponentStatus(choose(text, allowed, "component status"))


@dataclass(frozen=True, slots=True)
class ComponentChange:
    id: str
    status: ComponentStatus | None  # None: not given (an incident reads it as partial_outage)


def parse_components(values: Iterable[str], known: Sequence[str]) -> list[ComponentChange]:
    """``--component api=major_outage`` (or ``api:major_outage``, or just ``api``), checked."""
    changes: list[ComponentChange] = []
    seen: set[str] = set()
    for value in values:
        match = re.fullmatch(r"\s*([^=:\s]+)\s*(?:([=:])\s*(.*?))?\s*", value)
        if match is None:
            raise UsageError(f"--component '{value}': expected ID or ID=STATUS, such as api=partial_outage")
        name, sep, status_text = match.group(1), match.group(2) or "", match.group(3) or ""
        if name not in known:
            raise UsageError(f"unknown component '{name}': {did_you_mean(name, list(known))}")
        if name in seen:
            raise UsageError(f"component '{name}' is given twice")
        seen.add(name)
        if sep and not status_text.strip():
            raise UsageError(f"--component '{value}': the status after '{sep}' is missing")
        status = choose_component_status(status_text) if sep else None
        changes.append(ComponentChange(name, status))
    return changes


# -- times -------------------------------------------------------------------


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def format_time(moment: datetime, seconds: bool | None = None) -> str:
    """``2026-11-20 14:02 UTC``: seconds when asked, or (by default) when there are some."""
    utc = moment.astimezone(UTC)
    show_seconds = bool(utc.second) if seconds is None else seconds
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC" if show_seconds else "%Y-%m-%d %H:%M UTC")


def show_time(moment: datetime, zone: tzinfo) -> str:
    """For messages: ``2026-11-20 14:02 UTC (15:02 CET)``."""
    text = format_time(moment)
    local = moment.astimezone(zone)
    label = zone_label(moment, zone)
    if label == "UTC":
        return text
    day = "" if local.date() == moment.astimezone(UTC).date() else local.strftime("%Y-%m-%d ")
    return f"{text} / {day}{local.strftime('%H:%M')} {label}"


@dataclass(frozen=True, slots=True)
class When:
    moment: datetime
    seconds: bool  # whether the author gave seconds


def parse_when(text: str, zone: tzinfo, *, base: datetime, option: str, forward: bool) -> When:
    """A time typed in an option.

    A full time (``2026-11-20 15:30``, ``... UTC``, ISO 8601) is read as
    everywhere else: no zone means the site's zone.  A clock time alone
    (``15:30``, ``15:30 UTC``) is read in its zone (the site's, if none is
    written).  With ``forward`` (estimates, promises, windows) it is the next
    such time after ``base``, and a duration (``45m``, ``+2h``, ``1h30m``)
    counts from ``base``.  Without (``--at``) it is today, ``base``'s day: a
    time later than ``base`` is an error that says what to write for
    yesterday, never a silent move to another day.
    """
    cleaned = text.strip()
    relative = _RELATIVE.match(cleaned) if forward else None
    if relative and any(relative.group(g) for g in ("days", "hours", "minutes")):
        delta = timedelta(
            days=int(relative["days"] or 0), hours=int(relative["hours"] or 0), minutes=int(relative["minutes"] or 0)
        )
        return When(base + delta, False)
    clock = _CLOCK.match(cleaned)
    seconds = bool(_SECONDS.search(cleaned))
    try:
        if not clock:
            return When(parse_time(cleaned, zone), seconds)
        hours_text, _, rest = clock["clock"].partition(":")
        wall_time = time.fromisoformat(f"{int(hours_text):02d}:{rest}")
        written_zone = parse_zone(clock["zone"]) if clock["zone"] else zone
        day = base.astimezone(written_zone).date()
        moment = _on_day(day, wall_time, written_zone)
    except ValueError as exc:
        extra = ", a clock time such as 15:30" + (" or a duration such as 45m or 2h" if forward else "")
        raise UsageError(f"{option}: {exc}{extra}") from None
    if forward:
        if moment <= base:
            moment = _on_day(day + timedelta(days=1), wall_time, written_zone)
        return When(moment, seconds)
    if moment > base:
        wall = wall_time.isoformat(timespec="seconds" if seconds else "minutes")
        label = clock["zone"].upper() if clock["zone"] else zone_label(moment, zone)
        zone_suffix = f" {clock['zone'].upper()}" if clock["zone"] else ""
        yesterday = f"{(day - timedelta(days=1)).isoformat()} {wall}{zone_suffix}"
        raise UsageError(f'{wall} {label} today is in the future; for yesterday write {option} "{yesterday}"')
    return When(moment, seconds)


def _on_day(day: date, wall: time, zone: tzinfo) -> datetime:
    return localize(datetime.combine(day, wall), zone)


def window_sentence(names: Sequence[str], start: datetime, end: datetime, zone: tzinfo) -> str:
    """The generated text of a ``Scheduled`` update: what, and when in the site's zone."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    first = _long_day(local_start.date())
    start_label, end_label = zone_label(start, zone), zone_label(end, zone)
    if local_start.date() == local_end.date():
        zone_text = start_label if start_label == end_label else ""
        when = (
            f"on {first} from {local_start:%H:%M}{'' if zone_text else ' ' + start_label} "
            f"to {local_end:%H:%M} {end_label}"
        )
    else:
        when = (
            f"from {first} {local_start:%H:%M} {start_label} "
            f"to {_long_day(local_end.date())} {local_end:%H:%M} {end_label}"
        )
    return f"We will carry out maintenance on {join_names(names)} {when}."


def _long_day(day: date) -> str:
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def join_names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# -- YAML --------------------------------------------------------------------


def yaml_inline(value: str) -> str:
    """A one-line YAML scalar that reads back as exactly ``value``: plain when that is safe."""
    if value and "\n" not in value and not _PLAIN_UNSAFE.search(value) and _reads_back(value, value):
        return value
    quoted = json.dumps(value, ensure_ascii=False)
    return quoted if _reads_back(quoted, value) else json.dumps(value)


def yaml_flow(value: str) -> str:
    """A YAML scalar for inside ``[...]`` or ``{...}``, where ``,[]{}`` end a plain one."""
    if value and "\n" not in value and not _PLAIN_UNSAFE.search(value) and _reads_back(value, value, flow=True):
        return value
    quoted = json.dumps(value, ensure_ascii=False)
    return quoted if _reads_back(quoted, value, flow=True) else json.dumps(value)


def _reads_back(rendered: str, value: str, *, flow: bool = False) -> bool:
    try:
        if flow:
            return bool(yaml.safe_load(f"k: [{rendered}, {{v: {rendered}}}]") == {"k": [value, {"v": value}]})
        return bool(yaml.safe_load(f"k: {rendered}") == {"k": value})
    except yaml.YAMLError:
        return False


def yaml_text(value: str, indent: int, width: int = 88) -> list[str]:
    """Author text (Markdown) as a YAML value: the part after ``key: `` and its further lines.

    Short one-line text stays on the key's line; a long line is folded
    (``>``) at ``width``; text of several lines keeps them (``|``).  Further
    lines are indented by ``indent`` spaces.  The result always reads back
    as the text (PyYAML checks it; a quoted string is the fallback).
    """
    text = value.strip()
    pad = " " * indent
    if "\n" not in text and len(text) + indent <= 80:
        return [yaml_inline(text)]
    if "\n" not in text:
        wrapped = textwrap.wrap(text, width=max(40, width - indent), break_long_words=False, break_on_hyphens=False)
        lines = [">", *(pad + line for line in wrapped)]
        expected = " ".join(wrapped)
    else:
        body = [line.rstrip() for line in text.split("\n")]
        lines = ["|", *((pad + line) if line else "" for line in body)]
        expected = "\n".join(body)
    source = "k: " + "\n".join(lines) + "\n"
    try:
        loaded = yaml.safe_load(source)
    except yaml.YAMLError:
        loaded = None
    if isinstance(loaded, dict) and str(loaded.get("k", "")).strip() == expected.strip():
        return lines
    return [json.dumps(text, ensure_ascii=False)]
