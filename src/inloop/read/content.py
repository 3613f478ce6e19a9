"""Incident and maintenance files: from bytes to model objects, or to problems.

Parsing depends only on a file's bytes, the site's time zone and the set of
component ids, so its result can be cached by those; checks against the
build time (an update in the future) live in :func:`problems_at`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from inloop import slugs
from inloop.errors import Problem
from inloop.model import (
    INCIDENT_COMPONENT_STATUSES,
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
    ComponentStatus,
    FileMeta,
    Impact,
    Incident,
    Maintenance,
    PreventionStep,
    StatusSetting,
    Update,
)
from inloop.read import markup, statuslines
from inloop.read.config import SLUG, did_you_mean
from inloop.read.frontmatter import (
    FrontMatter,
    YEntry,
    YList,
    YMap,
    YNode,
    YScalar,
    describe,
    quoted,
    single_line_problems,
    split_front_matter,
    utf8_size,
)
from inloop.read.repeats import NO_REPEATS, Repeats
from inloop.times import TIME_FORMAT_HINT, parse_date_or_time, parse_time, utc_stamp, written_day, zone_label
from inloop.xmlsafe import FORBIDDEN, forbidden_message

INCIDENT_KEYS = (
    "title",
    "impact",
    "components",
    "cause",
    "estimate",
    "next_update",
    "prevention",
    "postmortem",
    "started",
    "previous_estimates",
    "check",
    "imported",
)
MAINTENANCE_KEYS = ("title", "components", "start", "end", "description", "cancelled", "check", "imported")
PREVENTION_KEYS = ("step", "done", "id")

#: The Markdown below the front matter: a long postmortem fits, a runaway paste does not.
MAX_BODY_BYTES = 1024 * 1024

HEADING_FORMAT = "'## YYYY-MM-DD HH:MM[:SS] [UTC|Z|+HH:MM] — Status'"
_ATX_H2 = re.compile(r"^ {0,3}##(?:[ \t]+(.*?))?[ \t]*$")
_SETEXT_H2 = re.compile(r"^ {0,3}-+[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
#: What the first of those three must find after a line's leading spaces.
_LINE_MARKS = frozenset("#-`~")
_HEADING = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[ T](?P<time>\d{1,2}:\d{2}(?::\d{2})?)"
    r"(?:\s*(?P<zone>UTC|Z|[+-]\d{2}:?\d{2}))?\s+[—–|·-]\s+(?P<status>\S.*?)$",
    re.IGNORECASE,
)
# A heading with a date and a time but a zone we cannot read (``CET``): say so, not "malformed".
_HEADING_ANY_ZONE = re.compile(
    r"^(?P<stamp>\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(?::\d{2})?\s*\S+)\s+[—–|·-]\s+(?P<status>\S.*?)$"
)


@dataclass(frozen=True, slots=True)
class RawUpdate:
    time: datetime
    status: str
    body: str
    line: int
    zone_given: bool
    body_line: int = 0  # the line of the body's first line
    settings: tuple[StatusSetting, ...] = ()  # what its status lines set (see :mod:`.statuslines`)


@dataclass(slots=True)
class Body:
    summary: str = ""
    summary_line: int = 0
    updates: list[RawUpdate] = field(default_factory=list)


def ignored_name(name: str) -> bool:
    """Hidden files and editors' leftovers: never content, never a rebuild."""
    return (
        name.startswith((".", "#"))
        or name.endswith("~")
        or name.isdigit()
        or name.endswith(("___jb_tmp___", "___jb_old___"))
    )


def ignored_path(parts: tuple[str, ...]) -> bool:
    """Whether a relative path is a leftover: its name, or a hidden folder on the way.

    Vim's all-digit probe (``4913``) is a file; a folder named ``2026`` holds content.
    """
    *folders, name = parts
    return ignored_name(name) or any(ignored_name(part) and not part.isdigit() for part in folders)


def content_files(source: Path, folder: str) -> Iterator[Path]:
    """The ``.md`` files under ``content/<folder>``, sorted, skipping leftovers.

    What ``sorted(root.rglob("*.md"))`` finds (folders reached through a link
    are not entered), read with ``os.scandir``: its entries know whether they
    are files without another ``stat`` each, and tuples sort faster than paths.
    A link to a file outside the project is left out (the build reports it:
    see :mod:`.links`).
    """
    root = source / "content" / folder
    if not root.is_dir():
        return
    project = os.path.realpath(source) + os.sep
    found: list[tuple[str, ...]] = []
    pending: list[tuple[str, ...]] = [()]
    while pending:
        parts = pending.pop()
        try:
            with os.scandir(root.joinpath(*parts)) as entries:
                for entry in entries:
                    if entry.is_dir() and not entry.is_symlink():
                        pending.append((*parts, entry.name))
                    elif entry.name.endswith(".md") and entry.is_file():
                        if not entry.is_symlink() or os.path.realpath(entry.path).startswith(project):
                            found.append((*parts, entry.name))
        except OSError:
            continue
    for parts in sorted(found):
        if not ignored_path(parts):
            yield root.joinpath(*parts)


def suggest_slug(stem: str) -> str:
    return slugs.slug(stem) or "incident"


def _status_name(text: str, allowed: tuple[str, ...]) -> str | None:
    wanted = " ".join(text.replace("-", " ").replace("_", " ").split()).lower()
    for status in allowed:
        if status.lower() == wanted:
            return status
    return None


def split_body(
    body: str, first_line: int, path: str, statuses: tuple[str, ...], zone: tzinfo, problems: list[Problem]
) -> Body:
    """Split a body into the summary and updates at level-2 headings outside code."""
    result = Body()
    lines = body.split("\n")
    fence: str | None = None
    current: tuple[datetime, str, int, bool] | None = None
    chunk: list[str] = []
    broken = False  # after a bad heading, text until the next heading belongs to nobody

    def close() -> None:
        text = "\n".join(chunk).strip("\n")
        if current is not None:
            moment, status, line, zone_given = current
            offset = next((i for i, ln in enumerate(chunk) if ln.strip()), 0)
            result.updates.append(RawUpdate(moment, status, text.strip(), line, zone_given, line + 1 + offset))
        elif not broken and not result.updates:
            result.summary = text.strip()
            offset = next((i for i, ln in enumerate(chunk) if ln.strip()), 0)
            result.summary_line = first_line + offset if result.summary else 0
        chunk.clear()

    for index, line in enumerate(lines):
        if line.lstrip(" ")[:1] not in _LINE_MARKS:  # no fence, heading or underline: most lines
            chunk.append(line)
            continue
        number = first_line + index
        fence_match = _FENCE.match(line)
        if fence is not None:
            if (
                fence_match
                and fence_match.group(1)[0] == fence[0]
                and len(fence_match.group(1)) >= len(fence)
                and not line.strip()[len(fence_match.group(1)) :].strip()
            ):
                fence = None
            chunk.append(line)
            continue
        if fence_match:
            fence = fence_match.group(1)
            chunk.append(line)
            continue
        heading = _ATX_H2.match(line)
        if (
            heading is None
            and _SETEXT_H2.match(line)
            and chunk
            and chunk[-1].strip()
            and not _is_list_or_block(chunk[-1])
        ):
            problems.append(
                Problem(
                    path,
                    number - 1,
                    "a heading underlined with '---' is a level-2 heading; "
                    f"updates use {HEADING_FORMAT}, other headings '###'",
                )
            )
            chunk.append(line)
            continue
        if heading is None:
            chunk.append(line)
            continue
        close()
        text = (heading.group(1) or "").rstrip("#").strip()
        parsed = _HEADING.match(text)
        loose = _HEADING_ANY_ZONE.match(text) if parsed is None else None
        if loose is not None:
            try:
                parse_time(loose["stamp"], zone)
            except ValueError as exc:
                problems.append(Problem(path, number, f"bad time in update heading: {exc}"))
                current, broken = None, True
                continue
        if parsed is None:
            problems.append(Problem(path, number, f"malformed update heading '## {text}': expected {HEADING_FORMAT}"))
            current, broken = None, True
            continue
        status = _status_name(parsed["status"], statuses)
        if status is None:
            choices = ", ".join(statuses)
            problems.append(
                Problem(path, number, f"unknown update status '{parsed['status']}': expected one of {choices}")
            )
            current, broken = None, True
            continue
        stamp = f"{parsed['date']} {parsed['time']}" + (f" {parsed['zone']}" if parsed["zone"] else "")
        try:
            moment = parse_time(stamp, zone)
        except ValueError as exc:
            problems.append(Problem(path, number, f"bad time in update heading: {exc}"))
            current, broken = None, True
            continue
        current, broken = (moment, status, number, parsed["zone"] is not None), False
    close()
    return result


def _is_list_or_block(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(("-", "*", "+", ">", "|", "<")) or bool(re.match(r"\d+[.)]\s", stripped))


def build_updates(raw: list[RawUpdate], initial: str, repeats: Repeats = NO_REPEATS) -> tuple[Update, ...]:
    """Sort updates by time, give them effective statuses and unique anchors."""
    one = repeats.one
    ordered = list(raw)
    if len(ordered) > 1 and ordered[0].time > ordered[-1].time:
        ordered.reverse()  # written newest-first: keep same-second ties in reading order
    ordered.sort(key=lambda u: u.time)
    updates: list[Update] = []
    seen: dict[str, int] = {}
    status = initial
    for item in ordered:
        if item.status != "Update":
            status = item.status
        base = "update-" + utc_stamp(item.time).replace("-", "").replace(":", "")
        count = seen.get(base, 0) + 1
        seen[base] = count
        anchor = base if count == 1 else f"{base}-{count}"
        updates.append(
            Update(
                item.time,
                one(item.status),
                one(status),
                one(item.body),
                one(markup.to_html(item.body)),
                item.line,
                anchor,
                item.zone_given,
                item.settings,
            )
        )
    return tuple(updates)


class _Fields:
    """Typed access to a front-matter mapping, collecting problems."""

    def __init__(self, data: YMap, path: str, zone: tzinfo, problems: list[Problem]) -> None:
        self.data = data
        self.path = path
        self.zone = zone
        self.problems = problems

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def entry(self, key: str) -> YEntry | None:
        found = self.data.entries.get(key)
        if found is None or (isinstance(found.value, YScalar) and found.value.is_null):
            return None
        return found

    def require(self, key: str) -> YEntry | None:
        found = self.entry(key)
        if found is None:
            if key in self.data.entries:
                value = self.data.entries[key].value
                comment = value.comment if isinstance(value, YScalar) else ""
                hint = ""
                if comment:
                    hint = f": YAML reads '{comment}' as a comment; if it is the value, put it in quotes: "
                    hint += f"{key}: {quoted(comment)}"
                self.error(self.data.entries[key].key_line, f"required key '{key}' has no value{hint}")
            else:
                self.error(1, f"missing required key '{key}'")
        return found

    def text(self, key: str, required: bool = False, markdown: bool = False) -> str | None:
        found = self.require(key) if required else self.entry(key)
        if found is None:
            return None
        if not isinstance(found.value, YScalar):
            self.error(found.key_line, f"'{key}' must be text, found {describe(found.value)}")
            return None
        value = found.value.text.strip()
        if required and not value:
            self.error(found.key_line, f"'{key}' must not be empty")
            return None
        if not self.whole(found.value, key) or (markdown and not self.markdown(found.value, key)):
            return None
        return value

    def whole(self, node: YScalar, key: str) -> bool:
        """False (and an error) when a ``#`` that starts a YAML comment cut a text short.

        ``title: Fix for issue #123`` is the title "Fix for issue": a comment
        starts at a space and a ``#``.  A comment such as ``# inloop: ignore``
        (``#`` then a space) is taken as meant; ``#123`` is not.
        """
        comment = node.comment
        if not comment or comment[1:2].isspace() or len(comment) == 1:
            return True
        self.error(
            node.line,
            f"'{key}' ends before '{comment}': YAML reads ' #' as the start of a comment; "
            f"if it is part of the text, put the value in quotes: {key}: {quoted(node.text.strip() + ' ' + comment)}",
        )
        return False

    def markdown(self, node: YNode, key: str) -> bool:
        """False (and an error) when a text's Markdown nests deeper than inloop renders."""
        if not isinstance(node, YScalar):
            return True
        found = markup.nesting_problem(node.text)
        if found is None:
            return True
        self.error(node.line, f"'{key}': {found[1]}")
        return False

    def time(self, key: str, required: bool = False) -> datetime | None:
        found = self.require(key) if required else self.entry(key)
        if found is None:
            return None
        return self.time_of(found.value, key)

    def time_of(self, node: YNode, what: str) -> datetime | None:
        if not isinstance(node, YScalar):
            self.error(node.line, f"'{what}' must be a time ({TIME_FORMAT_HINT}), found {describe(node)}")
            return None
        try:
            return parse_time(node.text, self.zone)
        except ValueError as exc:
            self.error(node.line, f"'{what}': {exc}")
            return None

    def enum(self, key: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(key, required=True)
        if value is None:
            return None
        if value not in allowed:
            line = self.data.entries[key].key_line
            self.error(line, f"'{key}' must be one of {', '.join(allowed)}; found '{value}'")
            return None
        return value

    def unknown(self, allowed: tuple[str, ...]) -> None:
        for key, found in self.data.entries.items():
            if key not in allowed:
                self.error(found.key_line, f"unknown key '{key}': {did_you_mean(key, allowed)}")

    def component_id(self, node: YNode, known: frozenset[str] | None) -> str | None:
        if not isinstance(node, YScalar) or node.is_null:
            self.error(node.line, f"a component must be a component id, found {describe(node)}")
            return None
        component_id = node.text.strip()
        if known is not None and component_id not in known:
            self.error(node.line, f"unknown component '{component_id}': {did_you_mean(component_id, sorted(known))}")
            return None
        return component_id

    def meta(self) -> FileMeta:
        disable: tuple[str, ...] = ()
        check = self.entry("check")
        if check is not None:
            node = check.value
            ok = isinstance(node, YMap) and set(node.entries) <= {"disable"}
            if ok and isinstance(node, YMap) and "disable" in node.entries:
                codes = node.entries["disable"].value
                if isinstance(codes, YList) and all(isinstance(c, YScalar) for c in codes.items):
                    disable = tuple(c.text for c in codes.items if isinstance(c, YScalar))
                else:
                    ok = False
            if not ok:
                self.error(check.key_line, "'check' must be a mapping like {disable: [rule-code, ...]}")
        imported: tuple[tuple[str, str], ...] = ()
        found = self.entry("imported")
        if found is not None:
            node = found.value
            if isinstance(node, YMap) and all(isinstance(e.value, YScalar) for e in node.entries.values()):
                imported = tuple((k, e.value.text) for k, e in node.entries.items() if isinstance(e.value, YScalar))
            else:
                self.error(found.key_line, "'imported' must be a mapping of text values (written by 'inloop import')")
        lines = tuple((key, e.key_line) for key, e in self.data.entries.items())
        return FileMeta(lines, disable, imported)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def _decode(data: bytes, path: str, problems: list[Problem]) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(
                path,
                1,
                f"not valid UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}): save the file as UTF-8",
            )
        )
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def check_file_name(file_id: str, path: str, problems: list[Problem]) -> bool:
    if SLUG.match(file_id):
        return True
    problems.append(
        Problem(
            path,
            1,
            f"file name '{file_id}.md' is not a lowercase slug: "
            f"the name is the public reference, rename it to '{suggest_slug(file_id)}.md'",
        )
    )
    return False


def _read(data: bytes, file_id: str, path: str, problems: list[Problem]) -> tuple[bool, FrontMatter | None]:
    """The steps every content file shares: its name, its encoding, its characters, its front matter, its size."""
    name_ok = check_file_name(file_id, path, problems)
    text = _decode(data, path, problems)
    if text is None:
        return name_ok, None
    if FORBIDDEN.search(text):
        text = _refuse_forbidden(text, path, problems)
    front = split_front_matter(text, path)
    problems.extend(front.problems)
    size = utf8_size(front.body)
    if size > MAX_BODY_BYTES:
        problems.append(
            Problem(
                path,
                front.body_line,
                f"the text below the front matter is {size:,} bytes; at most {MAX_BODY_BYTES:,} bytes are allowed "
                "(link a long document instead)",
            )
        )
    else:
        deep = markup.nesting_problem(front.body)
        if deep is not None:
            problems.append(Problem(path, front.body_line + deep[0], deep[1]))
    return name_ok, front


def _refuse_forbidden(text: str, path: str, problems: list[Problem]) -> str:
    """One problem for each line holding a character XML forbids; the text with each replaced by U+FFFD."""
    reported: set[int] = set()
    for found in FORBIDDEN.finditer(text):
        line = text.count("\n", 0, found.start()) + 1
        if line not in reported:
            reported.add(line)
            problems.append(Problem(path, line, f"the line {forbidden_message(found.group())}"))
    return FORBIDDEN.sub("\ufffd", text)


_Item = TypeVar("_Item", Incident, Maintenance)


def _never_raising(
    parse: Callable[[bytes, str, str, tzinfo, frozenset[str] | None, Repeats], tuple[_Item | None, list[Problem]]],
    data: bytes,
    file_id: str,
    path: str,
    zone: tzinfo,
    components: frozenset[str] | None,
    repeats: Repeats,
) -> tuple[_Item | None, list[Problem]]:
    """One parser's result with one line per problem; Markdown too deep to render is the file's problem."""
    try:
        item, problems = parse(data, file_id, path, zone, components, repeats)
    except markup.MarkupError as exc:
        return None, [Problem(path, 1, str(exc))]
    return item, single_line_problems(problems)


def parse_incident(
    data: bytes,
    file_id: str,
    path: str,
    zone: tzinfo,
    components: frozenset[str] | None,
    repeats: Repeats = NO_REPEATS,
) -> tuple[Incident | None, list[Problem]]:
    """Parse one incident file; never raises for bad input."""
    return _never_raising(_parse_incident, data, file_id, path, zone, components, repeats)


def _parse_incident(
    data: bytes, file_id: str, path: str, zone: tzinfo, components: frozenset[str] | None, repeats: Repeats
) -> tuple[Incident | None, list[Problem]]:
    problems: list[Problem] = []
    name_ok, front = _read(data, file_id, path, problems)
    if front is None:
        return None, problems
    body = split_body(front.body, front.body_line, path, INCIDENT_STATUSES, zone, problems)
    _status_lines(body, path, components, problems)
    if front.data is None:
        return None, problems
    fields = _Fields(front.data, path, zone, problems)
    fields.unknown(INCIDENT_KEYS)
    title = fields.text("title", required=True)
    impact = fields.enum("impact", tuple(Impact))
    affected = _incident_components(fields, components)
    cause = fields.text("cause", markdown=True)
    estimate = fields.time("estimate")
    next_update = fields.time("next_update")
    started = fields.time("started")
    postmortem = fields.text("postmortem")
    if postmortem is not None and urlsplit(postmortem).scheme not in ("http", "https"):
        fields.error(
            front.data.entries["postmortem"].key_line,
            f"'postmortem' must be an http or https URL, found '{postmortem}'",
        )
    previous = _previous_estimates(fields)
    if not problems:  # a file with mistakes is never rendered: no Markdown for it
        markup.prefetch([body.summary, cause or "", *(u.body for u in body.updates), *_step_texts(front.data)])
    prevention = _prevention(fields, repeats)
    meta = fields.meta()
    if not body.updates and not any(
        p.message.startswith(("malformed update", "unknown update", "bad time in")) for p in problems
    ):
        problems.append(
            Problem(path, 1, f"no updates: add at least one {HEADING_FORMAT} heading below the front matter")
        )
    if problems or title is None or impact is None or affected is None or not name_ok:
        return None, problems
    updates = build_updates(body.updates, "Investigating", repeats)
    start = started if started is not None else updates[0].time
    if estimate is not None and estimate < start:
        fields.error(
            front.data.entries["estimate"].key_line,
            f"estimate {_show(estimate, zone)} is before the incident started ({_show(start, zone)})",
        )
    if started is not None and started > updates[0].time:
        fields.error(
            front.data.entries["started"].key_line,
            f"'started' {_show(started, zone)} is after the first update ({_show(updates[0].time, zone)})",
        )
    _settings_while_resolved(updates, path, problems)
    if problems:
        return None, problems
    incident = Incident(
        id=file_id,
        path=path,
        title=title,
        impact=Impact(impact),
        components=repeats.pairs(affected),
        updates=updates,
        summary=repeats.one(body.summary),
        summary_html=repeats.one(markup.to_html(body.summary) if body.summary else ""),
        cause=repeats.one(cause),
        cause_html=repeats.one(markup.to_html(cause) if cause else None),
        estimate=estimate,
        previous_estimates=previous,
        next_update=next_update,
        prevention=prevention,
        postmortem=postmortem,
        started=started,
        digest=_digest(data),
        meta=_with_summary_line(meta, body.summary_line, repeats),
    )
    return incident, problems


def _status_lines(body: Body, path: str, known: frozenset[str] | None, problems: list[Problem]) -> None:
    """Take the status lines out of the updates' text, into their settings."""
    statuslines.misplaced(
        body.summary,
        body.summary_line,
        path,
        "a status line belongs in an update, below its '## ...' heading; "
        "the statuses from the start are the front matter's 'components'",
        problems,
    )
    for index, raw in enumerate(body.updates):
        text, settings = statuslines.extract(raw.body, raw.body_line, path, known, problems)
        if settings or text is not raw.body:
            body.updates[index] = replace(raw, body=text, settings=settings)


def _settings_while_resolved(updates: tuple[Update, ...], path: str, problems: list[Problem]) -> None:
    """At resolution every component is operational: a resolved update cannot say otherwise."""
    for update in updates:
        if update.status != "Resolved":
            continue
        for setting in update.settings:
            if setting.status != ComponentStatus.OPERATIONAL:
                problems.append(
                    Problem(
                        path,
                        setting.line,
                        f"component '{setting.component}' cannot be {setting.status} once the incident is resolved: "
                        "at resolution every component is operational (reopen it with an Investigating update first)",
                    )
                )


def _with_summary_line(meta: FileMeta, line: int, repeats: Repeats) -> FileMeta:
    return repeats.one(replace(meta, key_lines=repeats.pairs(meta.key_lines), summary_line=line))


def _show(moment: datetime, zone: tzinfo = UTC) -> str:
    """A time as an author would write it: the wall clock in the site's zone, the zone named."""
    local = moment.astimezone(zone)
    seconds = ":%S" if local.second else ""
    return local.strftime(f"%Y-%m-%d %H:%M{seconds}") + " " + zone_label(moment, zone)


def _incident_components(
    fields: _Fields, known: frozenset[str] | None
) -> tuple[tuple[str, ComponentStatus], ...] | None:
    found = fields.require("components")
    if found is None:
        return None
    node = found.value
    pairs: list[tuple[str, ComponentStatus]] = []
    allowed = tuple(str(s) for s in INCIDENT_COMPONENT_STATUSES)
    ok = True
    if isinstance(node, YList):
        for item in node.items:
            component_id = fields.component_id(item, known)
            if component_id is None:
                ok = False
            else:
                pairs.append((component_id, ComponentStatus.PARTIAL_OUTAGE))
    elif isinstance(node, YMap):
        for key, entry in node.entries.items():
            component_id = fields.component_id(YScalar(key, entry.key_line), known)
            value = entry.value
            if isinstance(value, YScalar) and value.is_null:
                status = str(ComponentStatus.PARTIAL_OUTAGE)
            elif isinstance(value, YScalar) and value.text.strip() in allowed:
                status = value.text.strip()
            else:
                shown = value.text if isinstance(value, YScalar) else describe(value)
                fields.error(
                    entry.key_line, f"status of component '{key}' must be one of {', '.join(allowed)}; found '{shown}'"
                )
                ok = False
                continue
            if component_id is None:
                ok = False
            else:
                pairs.append((component_id, ComponentStatus(status)))
    else:
        fields.error(
            found.key_line,
            f"'components' must be a list of component ids or a mapping of id to status, found {describe(node)}",
        )
        return None
    if ok and not pairs:
        fields.error(found.key_line, "'components' is empty: name at least one affected component")
        return None
    seen: set[str] = set()
    for component_id, _ in pairs:
        if component_id in seen:
            fields.error(found.key_line, f"component '{component_id}' is listed twice")
            ok = False
        seen.add(component_id)
    return tuple(pairs) if ok else None


def _previous_estimates(fields: _Fields) -> tuple[datetime, ...]:
    found = fields.entry("previous_estimates")
    if found is None:
        return ()
    if not isinstance(found.value, YList):
        fields.error(found.key_line, f"'previous_estimates' must be a list of times, found {describe(found.value)}")
        return ()
    times = [fields.time_of(item, "previous_estimates") for item in found.value.items]
    return tuple(t for t in times if t is not None)


def _step_texts(data: YMap) -> list[str]:
    """The texts of the prevention steps as written, to convert them in one batch."""
    found = data.entries.get("prevention")
    node = found.value if found else None
    items = node.items if isinstance(node, YList) else (node,) if isinstance(node, YScalar) else ()
    texts = []
    for item in items:
        if isinstance(item, YMap) and "step" in item.entries:
            item = item.entries["step"].value
        if isinstance(item, YScalar):
            texts.append(item.text.strip())
    return texts


def _prevention(fields: _Fields, repeats: Repeats) -> tuple[PreventionStep, ...]:
    found = fields.entry("prevention")
    if found is None:
        return ()
    node = found.value
    if isinstance(node, YScalar):
        node = YList((node,), node.line)
    if not isinstance(node, YList):
        fields.error(found.key_line, f"'prevention' must be a list of steps, found {describe(node)}")
        return ()
    steps: list[PreventionStep] = []
    anchors: set[str] = set()
    for number, item in enumerate(node.items, start=1):
        done: datetime | None = None
        done_day: date | None = None
        step_id: str | None = None
        if isinstance(item, YScalar):
            text, line = item.text.strip(), item.line
            if not fields.whole(item, "prevention") or not fields.markdown(item, "prevention"):
                continue
        elif isinstance(item, YMap):
            for key, entry in item.entries.items():
                if key not in PREVENTION_KEYS:
                    fields.error(
                        entry.key_line,
                        f"unknown key '{key}' in a prevention step: {did_you_mean(key, PREVENTION_KEYS)}",
                    )
            step = item.entries.get("step")
            if step is None or not isinstance(step.value, YScalar) or step.value.is_null:
                fields.error(item.line, "a prevention step needs 'step: <what will be done>'")
                continue
            text, line = step.value.text.strip(), step.key_line
            if not fields.whole(step.value, "step") or not fields.markdown(step.value, "step"):
                continue
            if "done" in item.entries:
                done_node = item.entries["done"].value
                if isinstance(done_node, YScalar) and not done_node.is_null:
                    try:
                        done = parse_date_or_time(done_node.text, fields.zone)
                        done_day = written_day(done_node.text)
                    except ValueError as exc:
                        fields.error(done_node.line, f"'done': {exc}")
                elif not isinstance(done_node, YScalar):
                    fields.error(done_node.line, f"'done' must be a date or a time, found {describe(done_node)}")
            if "id" in item.entries:
                id_node = item.entries["id"].value
                if isinstance(id_node, YScalar) and SLUG.match(id_node.text.strip()):
                    step_id = id_node.text.strip()
                else:
                    shown = id_node.text if isinstance(id_node, YScalar) else describe(id_node)
                    fields.error(
                        item.entries["id"].key_line, f"prevention step id must be a lowercase slug, found '{shown}'"
                    )
        else:
            fields.error(item.line, f"a prevention step must be text or a mapping with 'step', found {describe(item)}")
            continue
        if not text:
            fields.error(line, "a prevention step must not be empty")
            continue
        anchor = f"prevention-{step_id or number}"
        if anchor in anchors:
            fields.error(line, f"two prevention steps share the id '{step_id or number}'")
            continue
        anchors.add(anchor)
        steps.append(
            PreventionStep(
                repeats.one(text),
                repeats.one(markup.to_inline_html(text)),
                repeats.one(markup.to_plain(text)),
                done,
                anchor,
                line,
                done_day,
            )
        )
    return tuple(steps)


def parse_maintenance(
    data: bytes,
    file_id: str,
    path: str,
    zone: tzinfo,
    components: frozenset[str] | None,
    repeats: Repeats = NO_REPEATS,
) -> tuple[Maintenance | None, list[Problem]]:
    """Parse one maintenance file; never raises for bad input."""
    return _never_raising(_parse_maintenance, data, file_id, path, zone, components, repeats)


def _parse_maintenance(
    data: bytes, file_id: str, path: str, zone: tzinfo, components: frozenset[str] | None, repeats: Repeats
) -> tuple[Maintenance | None, list[Problem]]:
    problems: list[Problem] = []
    name_ok, front = _read(data, file_id, path, problems)
    if front is None:
        return None, problems
    statuses = (*MAINTENANCE_STATUSES, "Update")
    body = split_body(front.body, front.body_line, path, statuses, zone, problems)
    for text, line in [(body.summary, body.summary_line), *((u.body, u.body_line) for u in body.updates)]:
        statuslines.misplaced(
            text, line, path, "a maintenance window's components have no statuses: remove this status line", problems
        )
    if front.data is None:
        return None, problems
    fields = _Fields(front.data, path, zone, problems)
    fields.unknown(MAINTENANCE_KEYS)
    title = fields.text("title", required=True)
    start = fields.time("start", required=True)
    end = fields.time("end", required=True)
    description = fields.text("description", markdown=True)
    cancelled = False
    found = fields.entry("cancelled")
    if found is not None:
        value = found.value.text.strip().lower() if isinstance(found.value, YScalar) else ""
        if value in ("true", "yes"):
            cancelled = True
        elif value not in ("false", "no"):
            fields.error(found.key_line, f"'cancelled' must be true or false, found {describe(found.value)}")
    affected: list[str] = []
    comp = fields.require("components")
    if comp is not None:
        node = comp.value
        if isinstance(node, YScalar):
            node = YList((node,), node.line)
        if isinstance(node, YList):
            for item in node.items:
                component_id = fields.component_id(item, components)
                if component_id is not None:
                    if component_id in affected:
                        fields.error(item.line, f"component '{component_id}' is listed twice")
                    affected.append(component_id)
            if not node.items:
                fields.error(comp.key_line, "'components' is empty: name at least one component")
        else:
            fields.error(comp.key_line, f"'components' must be a list of component ids, found {describe(node)}")
    meta = fields.meta()
    if start is not None and end is not None and end <= start:
        fields.error(
            front.data.entries["end"].key_line, f"end {_show(end, zone)} is not after start {_show(start, zone)}"
        )
    if problems or title is None or start is None or end is None or not name_ok:
        return None, problems
    updates = build_updates(body.updates, "Scheduled", repeats)
    maintenance = Maintenance(
        id=file_id,
        path=path,
        title=title,
        components=repeats.one(tuple(affected)),
        start=start,
        end=end,
        updates=updates,
        description=description,
        description_html=markup.to_html(description) if description else None,
        cancelled=cancelled,
        digest=_digest(data),
        meta=_with_summary_line(meta, body.summary_line, repeats),
    )
    return maintenance, problems


def problems_at(item: Incident | Maintenance, now: datetime, zone: tzinfo = UTC) -> list[Problem]:
    """What is wrong with an item at build time ``now``: updates in the future.

    ``zone`` is the site's: times in the message read as the author wrote them.
    """
    return _future(item.path, [(u.time, u.line, u.zone_given) for u in item.updates], now, zone)


def future_update_problems(data: bytes, path: str, kind: str, zone: tzinfo, now: datetime) -> list[Problem]:
    """Updates in the future in a file that failed to parse: every error in one run."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        return []
    front = split_front_matter(text, path)
    statuses = INCIDENT_STATUSES if kind == "incidents" else (*MAINTENANCE_STATUSES, "Update")
    body = split_body(front.body, front.body_line, path, statuses, zone, [])
    return _future(path, [(u.time, u.line, u.zone_given) for u in body.updates], now, zone)


def _future(path: str, updates: list[tuple[datetime, int, bool]], now: datetime, zone: tzinfo) -> list[Problem]:
    problems = []
    for moment, line, zone_given in updates:
        if moment > now:
            hint = "" if zone_given else " (no zone given, so it is read in the site's time zone)"
            problems.append(
                Problem(
                    path,
                    line,
                    f"update at {_show(moment, zone)} is after the build time {_show(now, zone)}: "
                    f"is the time zone right?{hint}",
                )
            )
    return problems
