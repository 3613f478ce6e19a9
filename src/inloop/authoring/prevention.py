"""``inloop prevention add`` and ``inloop prevention done``: keeping the promises of a resolved incident.

A prevention step is added, or marked done, in the front matter only: the
incident's updates and status stay as they are, so a resolved incident is
not reopened.  The feeds and ``inloop notify`` announce a step from its
``done`` time on, as a follow-up of the incident.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from pathlib import Path

from ..errors import UsageError
from ..model import Incident, Maintenance, SiteConfig
from ..times import localize, written_day
from .edit import Document, FrontMatterEditor
from .files import Snapshot, replace_if_unchanged
from .lookup import find
from .post import require_same_start
from .site import load_site, parse_item, require_item, shown_path
from .values import floor_minute, format_time, parse_when, show_time


class _Target:
    """The incident a prevention command edits, read and checked."""

    def __init__(self, source: Path, shown_source: str, reference: str) -> None:
        self.config: SiteConfig = load_site(source, shown_source)
        found = find(source, reference)
        self.kind = found.kind
        self.id = found.id
        self.shown = shown_path(shown_source, found.path.relative_to(source).as_posix())
        self.snapshot = Snapshot.read(found.path)
        item = require_item(
            found.kind,
            self.snapshot.data,
            found.id,
            self.shown,
            self.config,
            f"fix {self.shown} first: inloop only edits files that build",
        )
        if not isinstance(item, Incident):
            raise UsageError(f"{found.id} is a maintenance window: prevention steps belong to incidents")
        self.incident = item

    def write(self, editor: FrontMatterEditor) -> Incident:
        """Check the edited file as ``build`` will, and that only the front matter changed; then write it."""
        data = editor.data
        new, problems = parse_item(self.kind, data, self.id, self.shown, self.config)
        if new is None or problems:
            first = sorted(problems)[0] if problems else f"{self.shown}:1: cannot be read back"
            raise UsageError(f"the edit would make the file invalid: {first}; nothing was written")
        _same_updates(self.incident, new)
        require_same_start(self.incident, new, self.config)
        replace_if_unchanged(self.snapshot, data, self.shown)
        assert isinstance(new, Incident)
        return new


def _same_updates(old: Incident, new: Incident | Maintenance) -> None:
    def key(item: Incident | Maintenance) -> list[tuple[datetime, str, str]]:
        return [(u.time, u.written_status, u.body) for u in item.updates]

    if key(old) != key(new):  # pragma: no cover - the edits touch the front matter only
        raise UsageError("the edit would change the incident's updates; nothing was written")


def _status_line(incident: Incident) -> str:
    return f"{incident.id} status: {incident.status} (unchanged)"


def add_step(source: Path, shown_source: str, reference: str, text: str) -> list[str]:
    """Add a prevention step at the end of an incident's list; return what was done, in words."""
    target = _Target(source, shown_source, reference)
    step = text.strip()
    if not step:
        raise UsageError("the step is empty: say what will change so that this does not happen again")
    incident = target.incident
    for number, existing in enumerate(incident.prevention, start=1):
        if " ".join(existing.text.split()) == " ".join(step.split()):
            raise UsageError(f"{incident.id} has this step already: step {number}")
    editor = FrontMatterEditor(Document(target.snapshot.data))
    editor.append_item("prevention", step)
    new = target.write(editor)
    number = len(new.prevention)
    return [
        f"{target.shown}: added prevention step {number}: {new.prevention[-1].plain}",
        _status_line(new),
        f"when it is done: inloop prevention done {incident.id} {number}",
    ]


def mark_done(
    source: Path, shown_source: str, reference: str, number_text: str, at: str | None, now: datetime
) -> list[str]:
    """Mark prevention step ``number_text`` (1-based, as the page numbers them) done."""
    target = _Target(source, shown_source, reference)
    incident, config = target.incident, target.config
    steps = incident.prevention
    if not steps:
        raise UsageError(
            f"{incident.id} has no prevention steps: add one with 'inloop prevention add {incident.id} \"...\"'"
        )
    cleaned = number_text.strip().removeprefix("#")
    if not re.fullmatch(r"\d+", cleaned):
        raise UsageError(f"step number '{number_text}' is not a number: give N as the page numbers the steps")
    number = int(cleaned)
    if not 1 <= number <= len(steps):
        count = len(steps)
        which = "step 1" if count == 1 else f"steps 1 to {count}"
        raise UsageError(f"{incident.id} has no prevention step {number}: it has {which}")
    step = steps[number - 1]
    if step.done is not None:
        when = step.done_day.isoformat() if step.done_day is not None else show_time(step.done, config.zone)
        raise UsageError(f"step {number} of {incident.id} is already done ({when}): nothing was written")
    written, shown = _done_time(at, now, incident, config)
    editor = FrontMatterEditor(Document(target.snapshot.data))
    editor.set_item_key("prevention", number - 1, "done", written, text_key="step")
    new = target.write(editor)
    return [
        f"{target.shown}: prevention step {number} done {shown}: {new.prevention[number - 1].plain}",
        _status_line(new),
        "the feeds and 'inloop notify' announce it as a follow-up of the incident after the next build",
    ]


def _done_time(at: str | None, now: datetime, incident: Incident, config: SiteConfig) -> tuple[str, str]:
    """What to write as ``done``, and how to say it."""
    zone = config.zone
    if at is None:
        moment = floor_minute(now)
        return format_time(moment), f"at {show_time(moment, zone)}"
    day = written_day(at)
    if day is not None:
        moment = localize(datetime.combine(day, time()), zone)
        today = now.astimezone(zone).date()
        if day > today:
            raise UsageError(f"--at {day.isoformat()} is in the future (today is {today.isoformat()})")
        started = incident.start.astimezone(zone).date()
        if day < started:
            raise UsageError(
                f"--at {day.isoformat()} is before the incident started ({show_time(incident.start, zone)})"
            )
        return day.isoformat(), f"on {day.isoformat()} (from {show_time(moment, zone)})"
    when = parse_when(at, zone, base=now, option="--at", forward=False)
    if when.moment > now:
        raise UsageError(f"--at {show_time(when.moment, zone)} is in the future")
    if when.moment < incident.start:
        raise UsageError(
            f"--at {show_time(when.moment, zone)} is before the incident started ({show_time(incident.start, zone)})"
        )
    return format_time(when.moment, when.seconds), f"at {show_time(when.moment, zone)}"
