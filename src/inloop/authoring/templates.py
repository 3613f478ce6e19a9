"""Incident templates: ``templates/incidents/<name>.md`` and ``templates/maintenance/<name>.md``.

A template is a normal incident (or maintenance) file whose title, cause,
description, summary and updates may hold placeholders, ``${name}``.  Its
first update is the one written; later sections keep texts for later
(``Monitoring``: what the alert receiver posts when an alert clears,
``Resolved``: when it resolves one itself, ``Update``: when more alerts
join).  Filling one in gives the text of a new file; the caller writes it
like any other (:func:`inloop.authoring.create.new_incident`).

Values are text from outside (an alert, ``--var``): in Markdown they are
escaped so that Markdown reads them as plain words, never as HTML or markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from ..errors import UsageError
from ..model import INCIDENT_STATUSES, MAINTENANCE_STATUSES, Kind, SiteConfig
from .edit import Document, FrontMatterEditor
from .markers import key_mark, summary_mark, update_mark
from .site import shown_path
from .values import SEPARATOR, format_time, join_names

FOLDERS: dict[Kind, str] = {"incident": "templates/incidents", "maintenance": "templates/maintenance"}
#: Front-matter keys whose values may hold placeholders; the Markdown ones get Markdown escaping.
TEXT_KEYS = ("title", "cause", "description")
MARKDOWN_KEYS = ("cause", "description")
#: Placeholder names that may be missing (an alert without that label): they become "".
OPTIONAL_PREFIXES = ("labels.", "annotations.")

_PLACEHOLDER = re.compile(r"\$(?P<escaped>\$)?\{(?P<name>[^{}\n]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_][A-Za-z0-9_.-]*)?")
_HEADING = re.compile(r"^##\s+(?P<when>.+?)\s+[—–|·-]\s+(?P<status>[A-Za-z][A-Za-z ]*?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]|])")
_LIST_NUMBER = re.compile(r"^(\d+)([.)])")


def one_line(value: str) -> str:
    """A value on one line: control characters and runs of spaces become one space."""
    return " ".join(_CONTROL.sub(" ", value).split())


def markdown_text(value: str) -> str:
    """``value`` written so that Markdown shows it as it is: no HTML, no markup, one line.

    ``&``, ``<`` and ``>`` become entities; the characters of inline markup
    get a backslash; what could start a block (a heading, a list, a quote,
    an underline) does not, at the start of the value.
    """
    text = one_line(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    if text[:1] in ("#", "-", "+", "!", "."):
        text = "\\" + text
    elif text[:1] in ("=", ":"):
        text = f"&#{ord(text[0])};" + text[1:]
    else:
        text = _LIST_NUMBER.sub(r"\1\\\2", text)
    return text


@dataclass(frozen=True, slots=True)
class Section:
    """One update of a template: its status, its text and the line of its heading."""

    status: str
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Template:
    kind: Kind
    name: str
    shown: str  # the file, as messages show it
    front: str  # the front matter, without its '---' lines
    summary: str
    summary_line: int
    sections: tuple[Section, ...]

    @property
    def first(self) -> Section:
        return self.sections[0]

    def later(self, status: str) -> Section | None:
        """The text a template keeps for a later update with ``status``, if any."""
        return next((s for s in self.sections[1:] if s.status == status), None)


def template_path(source: Path, kind: Kind, name: str) -> Path:
    return source / FOLDERS[kind] / f"{name}.md"


def template_names(source: Path, kind: Kind) -> list[str]:
    folder = source / FOLDERS[kind]
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.md") if not p.name.startswith("."))


def load_template(source: Path, shown_source: str, kind: Kind, name: str) -> Template:
    """Read ``templates/<kind>/<name>.md``; a missing or broken one is a clean error."""
    from inloop.read.config import did_you_mean

    relative = f"{FOLDERS[kind]}/{name}.md"
    shown = shown_path(shown_source, relative)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name) or name.endswith(".md"):
        raise UsageError(f"bad template name '{name}': give the file's name without .md, such as 'outage'")
    path = template_path(source, kind, name)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        names = template_names(source, kind)
        hint = did_you_mean(name, names) if names else f"there are none in {shown_path(shown_source, FOLDERS[kind])}/"
        raise UsageError(f"no template '{name}' ({shown}): {hint}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {shown}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{shown}:1: not UTF-8 text") from None
    return parse_template(text, kind, name, shown)


def parse_template(text: str, kind: Kind, name: str, shown: str) -> Template:
    """The parts of a template's text; a mistake is ``shown:line: message``."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or lines[0].rstrip() != "---":
        raise UsageError(f"{shown}:1: a template starts with front matter: '---', the keys, '---'")
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if close is None:
        raise UsageError(f"{shown}:1: the front matter is not closed with '---'")
    front = "\n".join(lines[1:close]) + "\n"
    try:
        yaml.compose(front, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = 2 + (mark.line if mark is not None else 0)
        raise UsageError(f"{shown}:{at}: the front matter is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    statuses = INCIDENT_STATUSES if kind == "incident" else (*MAINTENANCE_STATUSES, "Update")
    summary: list[str] = []
    summary_line = 0
    sections: list[Section] = []
    current: tuple[str, int] | None = None
    chunk: list[str] = []
    fence: str | None = None

    def close_chunk() -> None:
        body = "\n".join(chunk).strip()
        if current is None:
            summary.append(body)
        else:
            sections.append(Section(current[0], body, current[1]))
        chunk.clear()

    for index in range(close + 1, len(lines)):
        line = lines[index]
        number = index + 1
        fenced = _FENCE.match(line)
        if fenced and (fence is None or fenced.group(1)[0] == fence[0]):
            fence = fenced.group(1) if fence is None else None
        if fence is None and line.startswith("## "):
            heading = _HEADING.match(line)
            wanted = next((s for s in statuses if heading and s.lower() == heading["status"].lower()), None)
            if heading is None or wanted is None:
                raise UsageError(
                    f"{shown}:{number}: an update heading of a template is '## ${{time}} {SEPARATOR} Status' "
                    f"with a status of {', '.join(statuses)}"
                )
            close_chunk()
            current = (wanted, number)
            continue
        if current is None and not summary_line and line.strip():
            summary_line = number
        chunk.append(line)
    close_chunk()
    if not sections:
        raise UsageError(f"{shown}:1: no update: add '## ${{time}} {SEPARATOR} Investigating' and its text")
    first = sections[0]
    allowed_first = ("Investigating", "Identified", "Monitoring") if kind == "incident" else ("Scheduled",)
    if first.status not in allowed_first:
        raise UsageError(f"{shown}:{first.line}: the first update must be {' or '.join(allowed_first)}")
    return Template(kind, name, shown, front, summary[0] if summary else "", summary_line, tuple(sections))


@dataclass(frozen=True, slots=True)
class Fill:
    """What is known when a template is filled in."""

    moment: datetime
    seconds: bool = False
    title: str | None = None  # given by a person: not a default
    values: Mapping[str, str] = field(default_factory=dict)
    components: Sequence[tuple[str, str | None]] = ()  # replace the template's, when given
    impact: str | None = None
    status: str | None = None
    message: str | None = None  # given by a person: replaces the first update's text
    window: tuple[datetime, datetime] | None = None  # a maintenance window's start and end
    lenient: bool = False  # see :func:`substitute`


def substitute(text: str, values: Mapping[str, str], where: str, *, markdown: bool, lenient: bool = False) -> str:
    """``text`` with every ``${name}`` replaced by its value (escaped for Markdown if ``markdown``).

    ``lenient`` (an alert's values): a label or annotation the alert does not
    have is empty, not an error; the alert must not be lost for want of one.
    """

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "${" + match["name"] + "}"
        name = match["name"].strip()
        if not _NAME.fullmatch(name):
            raise UsageError(f"{where}: '{match.group()}' is not a placeholder: write ${{name}}, such as ${{summary}}")
        if name in values:
            value = values[name]
        elif lenient and name.startswith(OPTIONAL_PREFIXES):
            value = ""
        else:
            known = ", ".join(f"${{{k}}}" for k in sorted(values) if not k.startswith(OPTIONAL_PREFIXES))
            raise UsageError(
                f"{where}: no value for ${{{name}}}: give it with --var {name}=VALUE (the values known: {known})"
            )
        return markdown_text(value) if markdown else one_line(value)

    return _PLACEHOLDER.sub(replace, text)


@dataclass(frozen=True, slots=True)
class Filled:
    text: str
    title: str
    status: str
    components: tuple[str, ...]
    default_message: bool  # the first update's text is the template's


def _component_ids(editor: FrontMatterEditor) -> list[str]:
    if not editor.has("components"):
        return []
    node = editor.entries["components"][1]
    if isinstance(node, yaml.MappingNode):
        return [str(k.value) for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
    if isinstance(node, yaml.SequenceNode):
        return [str(i.value) for i in node.value if isinstance(i, yaml.ScalarNode)]
    if isinstance(node, yaml.ScalarNode):
        return [str(node.value)]
    return []


def _placeholders_only_in_text(template: Template, editor: FrontMatterEditor) -> None:
    """A placeholder outside the text keys (in ``impact``, say) is a mistake of the template."""
    allowed: set[int] = set()
    for key in TEXT_KEYS:
        if key in editor.entries:
            start, end = editor.span(editor.entries[key][1])
            allowed.update(range(editor.doc.line_of(start), editor.doc.line_of(max(start, end - 1)) + 1))
    for number, line in enumerate(editor.doc.text.split("\n"), start=1):
        if "${" in line and number not in allowed and not line.lstrip().startswith("#"):
            raise UsageError(
                f"{template.shown}:{number}: placeholders may be used in {', '.join(TEXT_KEYS)}, "
                "the summary and the updates, nowhere else"
            )


def _replace_key(editor: FrontMatterEditor, key: str, rows: list[str]) -> None:
    """Write ``key:`` with ``rows`` below it, in place of the key's lines, or at the end."""
    text = f"{key}:\n" + "".join(row + "\n" for row in rows)
    if key not in editor.entries:
        editor._make(editor.end, editor.end, text)
        return
    key_node, value = editor.entries[key]
    start = editor.doc.line_start(editor.doc.line_of(editor.start(key_node)))
    _, end = editor.span(value)
    editor._make(start, editor.doc.after_line(editor.doc.line_of(max(end - 1, start))), text)


def _without_comment_lines(editor: FrontMatterEditor) -> FrontMatterEditor:
    """The front matter without its comment lines: notes about the template, not about an incident."""
    inside: set[int] = set()
    for _, value in editor.entries.values():
        start, end = editor.span(value)
        inside.update(range(editor.doc.line_of(start), editor.doc.line_of(max(start, end - 1)) + 1))
    lines = editor.doc.text.split("\n")
    kept = [
        line
        for number, line in enumerate(lines, start=1)
        if number == 1 or number in inside or not line.lstrip().startswith("#")
    ]
    return FrontMatterEditor(Document("\n".join(kept).encode("utf-8")))


def fill(template: Template, config: SiteConfig, how: Fill) -> Filled:
    """The text of a new file from ``template``, with the marks of its default text."""
    front_line = 2
    editor = FrontMatterEditor(Document(("---\n" + template.front + "---\n").encode("utf-8")))
    _placeholders_only_in_text(template, editor)
    editor = _without_comment_lines(editor)
    if how.components:
        if template.kind == "incident":
            rows = [f"  {cid}: {status or 'partial_outage'}" for cid, status in how.components]
        else:
            rows = [f"  - {cid}" for cid, _ in how.components]
        _replace_key(editor, "components", rows)
    if template.kind == "incident" and (how.impact is not None or not editor.has("impact")):
        editor.set_inline("impact", how.impact or "minor")
    window: dict[str, str] = {}
    if how.window is not None:
        window = {"start": format_time(how.window[0]), "end": format_time(how.window[1])}
        for key, value in window.items():
            editor.set_inline(key, value)
    ids = _component_ids(editor)
    unknown = [cid for cid in ids if cid not in config.component_ids]
    if unknown:
        raise UsageError(
            f"{template.shown}:{front_line + editor.entries['components'][0].start_mark.line}: "
            f"unknown component '{unknown[0]}' (this site has: {', '.join(config.component_ids)})"
        )
    if not ids:
        raise UsageError(
            f"{template.shown}:1: no components: name them in the template's 'components:' or with --component"
        )
    names = [config.component(cid).name for cid in ids]
    values: dict[str, str] = {
        **how.values,
        "time": format_time(how.moment, how.seconds),
        "components": join_names(names),
        "component_ids": ", ".join(ids),
        **window,
    }
    defaults: list[str] = []  # the keys whose value is the template's
    if how.title is not None:
        editor.set_text("title", how.title)
    elif not editor.has("title"):
        raise UsageError(f"{template.shown}:1: no title: give the template a 'title:' or the command a TITLE")
    else:
        defaults.append("title")
    for key in TEXT_KEYS:
        if not editor.has(key) or (key == "title" and how.title is not None):
            continue
        node = editor.entries[key][1]
        if not isinstance(node, yaml.ScalarNode):
            continue
        where = f"{template.shown}:{front_line + node.start_mark.line}"
        raw = str(node.value)
        filled = substitute(raw, values, where, markdown=key in MARKDOWN_KEYS, lenient=how.lenient)
        if filled != raw:
            editor.set_text(key, filled)
        if key != "title":
            defaults.append(key)
    title = str(editor.entries["title"][1].value) if editor.has("title") else ""
    values["title"] = title
    status = how.status or template.first.status
    if how.message is not None:
        message = how.message
    else:
        where = f"{template.shown}:{template.first.line}"
        message = substitute(template.first.text, values, where, markdown=True, lenient=how.lenient)
    summary = ""
    if template.summary:
        where = f"{template.shown}:{template.summary_line}"
        summary = substitute(template.summary, values, where, markdown=True, lenient=how.lenient)
    heading = f"## {format_time(how.moment, how.seconds)} {SEPARATOR} {status}"
    body = [summary, "", heading, message] if summary else [heading, message]
    text = editor.doc.text + "\n" + "\n".join(body).rstrip("\n") + "\n"
    marked = _mark(text, editor, defaults, summary, how, message if how.message is None else None)
    return Filled(marked, title, status, tuple(ids), how.message is None)


def _mark(text: str, editor: FrontMatterEditor, keys: list[str], summary: str, how: Fill, message: str | None) -> str:
    """``text`` with a mark on each key of ``keys`` and for the default summary and update text."""
    lines = text.split("\n")
    final = FrontMatterEditor(Document(text.encode("utf-8")))
    for key in keys:
        if key not in final.entries:
            continue
        key_node, value = final.entries[key]
        index = 1 + int(key_node.start_mark.line)
        lines[index] = lines[index].rstrip() + key_mark(str(value.value))
    extra: list[str] = []
    if summary:
        extra.append(summary_mark(summary))
    if message is not None:
        extra.append(update_mark(how.moment, message))
    close = final.close_line - 1
    return "\n".join([*lines[:close], *extra, *lines[close:]])


def later_text(template: Template, status: str, values: Mapping[str, str]) -> str | None:
    """The text a template keeps for a later update with ``status``, filled in (an alert's values)."""
    section = template.later(status)
    if section is None or not section.text.strip():
        return None
    return substitute(section.text, values, f"{template.shown}:{section.line}", markdown=True, lenient=True)
