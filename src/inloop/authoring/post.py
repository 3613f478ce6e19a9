"""``inloop update`` and ``inloop resolve``: one more timestamped update, edited in by hand, as it were.

The file is read once, checked, edited surgically (see :mod:`.edit`),
parsed again exactly as ``build`` will parse it, and only then put in
place, if nobody changed it in the meantime.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from gettext import NullTranslations
from pathlib import Path

from inloop.read.content import RawUpdate, split_body
from inloop.read.frontmatter import split_front_matter
from inloop.read.statuslines import ARROW, format_line
from inloop.render.formatting import Formatter

from ..errors import Problem, UsageError
from ..model import INCIDENT_STATUSES, MAINTENANCE_STATUSES, ComponentStatus, Incident, Maintenance, SiteConfig
from .edit import Document, Edit, FrontMatterEditor
from .files import Snapshot, replace_if_unchanged
from .lookup import find
from .site import load_site, parse_item, require_item, shown_path
from .values import (
    CLOSED_STATUS,
    KIND_NAME,
    REOPEN_STATUS,
    SEPARATOR,
    choose_status,
    floor_minute,
    format_time,
    parse_components,
    parse_when,
    show_time,
)

_SEPARATOR_IN_HEADING = re.compile(r"\s([—–|·-])\s+[A-Za-z][A-Za-z ]*?\s*#*\s*$")


@dataclass(frozen=True, slots=True)
class Request:
    """What ``update`` or ``resolve`` was asked to do, as typed."""

    message: str
    status: str | None = None
    at: str | None = None
    cause: str | None = None
    estimate: str | None = None
    next_update: str | None = None
    components: tuple[str, ...] = ()
    prevention: tuple[str, ...] = ()
    reopen: bool = False
    resolve: bool = False


def _closed(item: Incident | Maintenance) -> bool:
    return bool(item.updates) and item.updates[-1].status == CLOSED_STATUS[item.kind]


def _clean_message(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")]
    message = "\n".join(lines)
    if not message:
        raise UsageError("the message is empty: say what customers need to know")
    return message


def _status(request: Request, item: Incident | Maintenance, moment: datetime) -> tuple[str, bool]:
    """The status to post, and whether the item is reopened by it."""
    kind = item.kind
    closed = CLOSED_STATUS[kind]
    name = KIND_NAME[kind]
    was_closed = _closed(item)
    if request.resolve:
        if was_closed:
            raise UsageError(
                f"{item.id} is already {closed.lower()} "
                f"(at {format_time(item.updates[-1].time)}): use 'inloop update' to add to it"
            )
        return closed, False
    status = choose_status(request.status, kind) if request.status else None
    if not was_closed or moment < item.updates[-1].time:
        return status or "Update", False
    # after the closing update: only with --reopen, and then with a status that reopens
    if not request.reopen:
        raise UsageError(
            f"{item.id} is {closed.lower()} (at {format_time(item.updates[-1].time)}): "
            f"add --reopen to post to it again, which reopens the {name}"
        )
    if status in ("Update", closed):
        raise UsageError(f"--reopen needs a status that reopens the {name}, such as {REOPEN_STATUS[kind]}")
    return status or REOPEN_STATUS[kind], True


def _statuses(kind: str) -> tuple[str, ...]:
    return INCIDENT_STATUSES if kind == "incident" else (*MAINTENANCE_STATUSES, "Update")


def _raw_updates(doc: Document, shown: str, kind: str, config: SiteConfig) -> list[RawUpdate]:
    front = split_front_matter(doc.text, shown)
    problems: list[Problem] = []
    body = split_body(front.body, front.body_line, shown, _statuses(kind), config.zone, problems)
    return body.updates


def _separator(doc: Document, updates: Sequence[RawUpdate]) -> str:
    for update in updates:
        found = _SEPARATOR_IN_HEADING.search(doc.line_text(update.line))
        if found:
            return found.group(1)
    return SEPARATOR


def insertion(doc: Document, updates: Sequence[RawUpdate], moment: datetime, block: str) -> Edit:
    """Where the new update ``block`` (heading and text, no blank lines around) goes.

    Next to the newest update in the file's own order: after it when the file
    is oldest-first (or has one update), before it when newest-first.  An
    update older than the newest goes in its place in time.
    """
    if not updates:
        return _at_end(doc, block)
    newest_first = len(updates) > 1 and updates[0].time > updates[-1].time
    earlier = [i for i, u in enumerate(updates) if u.time <= moment]
    if earlier:
        best = max(updates[i].time for i in earlier)
        ties = [i for i in earlier if updates[i].time == best]
        before = min(ties) if newest_first else None
        after = None if newest_first else max(ties)
    else:
        first = min(u.time for u in updates)
        ties = [i for i, u in enumerate(updates) if u.time == first]
        before = None if newest_first else min(ties)
        after = max(ties) if newest_first else None
    if after is not None:
        if after + 1 >= len(updates):
            return _at_end(doc, block)
        before = after + 1
    assert before is not None
    at = doc.line_start(updates[before].line)
    return Edit(at, at, block + "\n\n")


def _at_end(doc: Document, block: str) -> Edit:
    text = doc.text
    if text.endswith("\n\n") or not text:
        lead = ""
    elif text.endswith("\n"):
        lead = "\n"
    else:
        lead = "\n\n"
    return Edit(len(text), len(text), lead + block + "\n")


def post(source: Path, shown_source: str, reference: str, request: Request, now: datetime) -> list[str]:
    """Post one update; return the lines that say what was done."""
    config = load_site(source, shown_source)
    found = find(source, reference)
    shown = shown_path(shown_source, found.path.relative_to(source).as_posix())
    snapshot = Snapshot.read(found.path)
    item = require_item(
        found.kind, snapshot.data, found.id, shown, config, f"fix {shown} first: inloop only edits files that build"
    )
    message = _clean_message(request.message)
    seconds = False
    moment = floor_minute(now)
    if request.at:
        when = parse_when(request.at, config.zone, base=now, option="--at", forward=False)
        if when.moment > now:
            raise UsageError(f"--at {show_time(when.moment, config.zone)} is in the future")
        moment, seconds = when.moment, when.seconds
    if isinstance(item, Incident) and moment < item.start:
        raise UsageError(
            f"--at {show_time(moment, config.zone)} is before the incident started "
            f"({show_time(item.start, config.zone)}): an update cannot move its start"
        )
    status, reopened = _status(request, item, moment)
    if status == CLOSED_STATUS[item.kind] and item.updates and moment < item.updates[-1].time:
        raise UsageError(
            f"--at {show_time(moment, config.zone)} is before the latest update "
            f"({show_time(item.updates[-1].time, config.zone)}): the {status} update must be the latest"
        )
    editor = FrontMatterEditor(Document(snapshot.data))
    done = _front_matter(editor, item, request, moment, config)
    status_line, said = _status_line(item, request, moment, config)
    done += said
    doc = editor.doc
    raw = _raw_updates(doc, shown, found.kind, config)
    heading = f"## {format_time(moment, seconds)} {_separator(doc, raw)} {status}"
    data = doc.apply(insertion(doc, raw, moment, f"{heading}\n{status_line}{message}"))
    new_item, problems = parse_item(found.kind, data, found.id, shown, config)
    if new_item is None or problems:
        first = sorted(problems)[0] if problems else f"{shown}:1: cannot be read back"
        raise UsageError(f"the update would make the file invalid: {first}; nothing was written")
    if len(new_item.updates) != len(item.updates) + 1:  # pragma: no cover - a heading in the message is an error
        raise UsageError("the message would add more than one update; nothing was written")
    require_same_start(item, new_item, config)
    replace_if_unchanged(snapshot, data, shown)
    return _report(shown, item, new_item, status, moment, reopened, done, request, config)


def _front_matter(
    editor: FrontMatterEditor, item: Incident | Maintenance, request: Request, moment: datetime, config: SiteConfig
) -> list[str]:
    """Plan the front-matter edits; return what they do, in words."""
    done: list[str] = []
    if isinstance(item, Maintenance):
        for option, given in (
            ("--cause", request.cause),
            ("--estimate", request.estimate),
            ("--next-update", request.next_update),
            ("--prevention", request.prevention),
        ):
            if given:
                raise UsageError(f"{option} is for incidents: a maintenance window has none")
        changes = parse_components(request.components, config.component_ids)
        if any(c.status is not None for c in changes):
            raise UsageError("a maintenance window's components have no status: give --component ID")
        added = [c.id for c in changes if c.id not in item.components]
        editor.add_list_ids("components", added)
        if added:
            done.append(f"components: added {', '.join(added)}")
        return done
    if request.cause is not None:
        if not request.cause.strip():
            raise UsageError("--cause is empty")
        editor.set_text("cause", request.cause)
        done.append("cause: " + ("replaced" if item.cause else "set"))
    if request.estimate is not None:
        estimate = parse_when(request.estimate, config.zone, base=moment, option="--estimate", forward=True).moment
        _not_before_update("--estimate", estimate, moment, config)
        if item.estimate == estimate:
            done.append(f"estimate: unchanged ({show_time(estimate, config.zone)})")
        else:
            old = editor.scalar_value("estimate")
            editor.set_inline("estimate", format_time(estimate))
            if old is not None and item.estimate is not None:
                editor.append_item("previous_estimates", old, after="estimate")
                done.append(
                    f"estimate: {show_time(estimate, config.zone)} "
                    f"(moved from {show_time(item.estimate, config.zone)}, kept in previous_estimates)"
                )
            else:
                done.append(f"estimate: {show_time(estimate, config.zone)}")
    if request.next_update is not None:
        promise = parse_when(request.next_update, config.zone, base=moment, option="--next-update", forward=True)
        _not_before_update("--next-update", promise.moment, moment, config)
        editor.set_inline("next_update", format_time(promise.moment))
        done.append(f"next update: by {show_time(promise.moment, config.zone)}")
    for step in request.prevention:
        if not step.strip():
            raise UsageError("--prevention is empty")
        editor.append_item("prevention", step)
    if request.prevention:
        count = len(request.prevention)
        done.append(f"prevention: added {count} step{'s' if count != 1 else ''}")
    return done


def _status_line(
    item: Incident | Maintenance, request: Request, moment: datetime, config: SiteConfig
) -> tuple[str, list[str]]:
    """The status line that opens an incident's update (``--component``), and what it changes, in words.

    The front matter keeps the statuses from the start: an update changes
    them from its time on, so the page, the API and the uptime say when.
    """
    if not isinstance(item, Incident) or not request.components:
        return "", []
    changes = parse_components(request.components, config.component_ids)
    settings = [(c.id, c.status or ComponentStatus.PARTIAL_OUTAGE) for c in changes]
    before = item.component_statuses_at(moment)
    said = []
    for cid, status in settings:
        old = before.get(cid, ComponentStatus.OPERATIONAL)
        said.append(f"{cid}: {status} (unchanged)" if old == status else f"{cid}: {old} {ARROW} {status}")
    return format_line(settings) + "\n\n", ["components: " + ", ".join(said)]


def _not_before_update(option: str, moment: datetime, update: datetime, config: SiteConfig) -> None:
    if moment < update:
        raise UsageError(
            f"{option} {show_time(moment, config.zone)} is before the update's time "
            f"({show_time(update, config.zone)}): it must be later"
        )


def require_same_start(old: Incident | Maintenance, new: Incident | Maintenance, config: SiteConfig) -> None:
    """No command may move an incident's start: that rewrites its history."""
    if isinstance(old, Incident) and isinstance(new, Incident) and old.start != new.start:
        raise UsageError(
            f"the edit would move the start of {old.id} from {show_time(old.start, config.zone)} "
            f"to {show_time(new.start, config.zone)}; nothing was written"
        )


def _report(
    shown: str,
    old: Incident | Maintenance,
    new: Incident | Maintenance,
    status: str,
    moment: datetime,
    reopened: bool,
    done: list[str],
    request: Request,
    config: SiteConfig,
) -> list[str]:
    zone = config.zone
    lines = [f"{shown}: posted {status} at {show_time(moment, zone)}"]
    lines += [f"  {line}" for line in done]
    current = new.updates[-1].status
    formatter = Formatter(zone, "en", NullTranslations())
    if isinstance(new, Incident) and new.end is not None and not (isinstance(old, Incident) and old.resolved):
        text = f"{new.id} is resolved after {formatter.duration(new.end - new.start)}"
        if new.first_estimate is not None:
            versus = formatter.versus_estimate(new.end, new.first_estimate)
            text += f"; {versus.removesuffix('the estimate')}the first estimate ({show_time(new.first_estimate, zone)})"
        lines.append(text)
    elif reopened:
        lines.append(f"{new.id} is reopened: status {current}")
    else:
        lines.append(f"{new.id} status: {current}")
    if isinstance(new, Incident) and not new.resolved:
        if new.next_update is not None and new.next_update <= moment and request.next_update is None:
            lines.append(
                f"note: the next update was promised by {show_time(new.next_update, zone)}: "
                "promise the next one with --next-update"
            )
        if new.estimate is not None and new.estimate <= moment and request.estimate is None:
            lines.append(
                f"note: the estimate ({show_time(new.estimate, zone)}) has passed: post a new one with --estimate"
            )
    return lines
