"""Turn imported feed items into inloop files, and the site's ``inloop.toml``.

Everything here renders text, except :func:`write_new`, which writes a content
file and never replaces one that exists, and :func:`replace_file`, used only
for an ``inloop.toml`` that got a component appended.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from ..xmlsafe import strip_forbidden
from .feed import MAINTENANCE_STATUSES, FeedItem, FeedUpdate

__all__ = [
    "CLOSED_ON_IMPORT",
    "DEFAULT_MAINTENANCE_LENGTH",
    "MaintenanceWindow",
    "append_components",
    "component_ids",
    "component_name",
    "config_components",
    "existing_sources",
    "floor_minute",
    "format_time",
    "has_check_since",
    "maintenance_window",
    "render_config",
    "render_incident",
    "render_maintenance",
    "replace_file",
    "site_base_url",
    "site_title",
    "write_new",
    "yaml_string",
]

CLOSED_ON_IMPORT = "Closed on import: the status page this incident was imported from never marked it resolved."
#: How long a maintenance window lasts when its source gives only one time (a window must end after it starts).
DEFAULT_MAINTENANCE_LENGTH = timedelta(hours=1)

_SEPARATOR = "\u2014"  # em dash, as in the README's example
_YAML_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_PLAIN_UNSAFE = re.compile(r"^[\s\-?:,\[\]{}#&*!|>'\"%@`]|:\s|\s#|:$|\s$|[\x00-\x1f\x7f]")


def format_time(moment: datetime) -> str:
    """``2024-03-05 14:02 UTC`` (with seconds only when there are some)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC" if utc.second else "%Y-%m-%d %H:%M UTC")


def yaml_string(value: str) -> str:
    """A YAML scalar that reads back as ``value`` without what XML 1.0 forbids: plain when that is safe.

    The site refuses those characters in content files, even escaped; an
    import must always build, so they go here, whatever the source.
    """
    value = strip_forbidden(value)
    if value and not _PLAIN_UNSAFE.search(value):
        try:
            if yaml.safe_load(f"k: {value}") == {"k": value}:
                return value
        except yaml.YAMLError:
            pass
    quoted = json.dumps(value, ensure_ascii=False)

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"

    return _YAML_NON_PRINTABLE.sub(escape, quoted)


def _imported_block(source: str, component: str | None, impact: str | None) -> list[str]:
    """``imported:``: the source, and the defaults written for what it did not say (and only
    those: a value the user chose, or the source gave, is no default to point out)."""
    lines = ["imported:", f"  source: {yaml_string(source)}"]
    if component is not None:
        lines.append(f"  component: {yaml_string(component)}")
    if impact is not None:
        lines.append(f"  impact: {yaml_string(impact)}")
    return lines


def _heading(update_time: datetime, status: str) -> str:
    return f"## {format_time(update_time)} {_SEPARATOR} {status}"


def _body(updates: Iterable[tuple[datetime, str, str]]) -> str:
    parts = []
    for moment, status, text in updates:
        text = strip_forbidden(text)  # the site refuses them in a content file: they go, whatever the source
        parts.append(_heading(moment, strip_forbidden(status)) + ("\n" + text if text.strip() else "") + "\n")
    return "\n".join(parts)


def render_incident(
    item: FeedItem,
    *,
    components: Sequence[str],
    impact: str,
    closed_at: datetime | None = None,
    default_component: str | None = None,
    default_impact: str | None = None,
) -> str:
    """The incident file: front matter, then the updates oldest first.  A Postmortem
    becomes an ``Update``; ``closed_at`` adds a final ``Resolved`` update.  The
    ``default_*`` values are recorded under ``imported:``."""
    updates = [
        (u.time, "Update" if u.status == "Postmortem" else u.status, u.text)
        for u in item.updates
        if u.status not in MAINTENANCE_STATUSES.values()
    ]
    if closed_at is not None:
        updates.append((closed_at, "Resolved", CLOSED_ON_IMPORT))
    front = [
        "---",
        f"title: {yaml_string(item.title)}",
        f"impact: {yaml_string(impact)}",
        "components:",
        *(f"  - {yaml_string(c)}" for c in components),
        *_imported_block(item.link, default_component, default_impact),
        "---",
    ]
    return "\n".join(front) + "\n\n" + _body(updates)


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    start: datetime
    end: datetime
    start_guessed: bool
    end_guessed: bool
    end_default: bool = False


def maintenance_window(
    updates: Sequence[FeedUpdate], scheduled: tuple[datetime, datetime | None] | None = None
) -> MaintenanceWindow:
    """Start at the first ``In progress``, end at the last ``Completed``; else the announced
    window (``scheduled``, from the API); else the first and last update (guessed).  A window
    whose end would not come after its start (one time known) lasts DEFAULT_MAINTENANCE_LENGTH."""
    starts = [u.time for u in updates if u.status == "In progress"]
    ends = [u.time for u in updates if u.status == "Completed"]
    announced_start, announced_end = scheduled if scheduled is not None else (None, None)
    start = starts[0] if starts else announced_start or updates[0].time
    end = ends[-1] if ends else announced_end or updates[-1].time
    start_guessed = not starts and announced_start is None
    end_guessed = not ends and announced_end is None
    if end <= start:
        return MaintenanceWindow(start, start + DEFAULT_MAINTENANCE_LENGTH, start_guessed, True, end_default=True)
    return MaintenanceWindow(start, end, start_guessed, end_guessed)


def render_maintenance(
    item: FeedItem, *, components: Sequence[str], window: MaintenanceWindow, default_component: str | None = None
) -> str:
    """The maintenance file.  Updates with an incident status keep the window's status
    before them (``Scheduled`` at first), since maintenance has only its own four."""
    status = "Scheduled"
    updates = []
    for update in item.updates:
        if update.status in MAINTENANCE_STATUSES.values():
            status = update.status
        updates.append((update.time, status, update.text))
    front = [
        "---",
        f"title: {yaml_string(item.title)}",
        "components:",
        *(f"  - {yaml_string(c)}" for c in components),
        f"start: {format_time(window.start)}",
        f"end: {format_time(window.end)}",
        *_imported_block(item.link, default_component, None),
        "---",
    ]
    return "\n".join(front) + "\n\n" + _body(updates)


# --- existing files ------------------------------------------------------------


def existing_sources(directories: Iterable[Path]) -> dict[str, Path]:
    """``imported.source`` -> file, for the Markdown files already in ``directories``.
    Files that cannot be read are passed over: they are never written to anyway."""
    found: dict[str, Path] = {}
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.md")):
            source = _imported_source(path)
            if source is not None:
                found.setdefault(source, path)
    return found


def _imported_source(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    match = re.match(r"---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|$)", text, re.DOTALL)
    if not match:
        return None
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    if isinstance(data, dict):
        imported = data.get("imported")
        if isinstance(imported, dict) and isinstance(imported.get("source"), str):
            return str(imported["source"])
    return None


def write_new(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it exists (False then).  The file appears whole
    or not at all: a temporary file is linked into place, which fails if ``path`` exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:  # no hard links here: exclusive create is the next best thing
            try:
                with path.open("x", encoding="utf-8", newline="\n") as handle:
                    handle.write(text)
            except FileExistsError:
                return False
        return True
    finally:
        tmp.unlink(missing_ok=True)


# --- inloop.toml ---------------------------------------------------------------


def _toml_string(value: str) -> str:
    """A TOML basic string of ``value`` without what XML 1.0 forbids (``inloop.toml`` refuses it)."""
    out = ['"']
    for char in strip_forbidden(value):
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def site_title(feed_title: str) -> str:
    """``StreamYard Status - Incident History`` -> ``StreamYard Status``."""
    title = re.sub(r"\s*[-\u2013\u2014|:]?\s*incident history\s*$", "", feed_title, flags=re.IGNORECASE).strip()
    return title or feed_title.strip() or "Status"


def site_base_url(*links: str) -> str | None:
    """``scheme://host/`` of the first http(s) link given."""
    for link in links:
        parts = urlsplit(link.strip())
        if parts.scheme.lower() in ("http", "https") and parts.hostname:
            host = parts.hostname.lower()
            if ":" in host:
                host = f"[{host}]"
            try:
                port = parts.port
            except ValueError:
                continue
            netloc = f"{host}:{port}" if port else host
            return f"{parts.scheme.lower()}://{netloc}/"
    return None


def component_name(component: str) -> str:
    return component.replace("-", " ").capitalize()


def _component_table(component: str, name: str, group: str | None = None, newline: str = "\n") -> str:
    lines = ["[[components]]", f"id = {_toml_string(component)}", f"name = {_toml_string(name)}"]
    if group:
        lines.append(f"group = {_toml_string(group)}")
    return newline.join([*lines, ""])


def _shown_source(source: str) -> str:
    """A URL without what may be secret in it (user, password, query); a path as given."""
    parts = urlsplit(source)
    if parts.scheme.lower() in ("http", "https") and parts.hostname:
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        return f"{parts.scheme}://{netloc}{parts.path}"
    return source


def _comment(text: str) -> str:
    """``text`` fit for a TOML comment: one line, nothing TOML or XML 1.0 forbids."""
    return strip_forbidden(text).replace("\r", " ").replace("\n", " ").replace("\x7f", "")


def render_config(
    *,
    title: str,
    base_url: str,
    timezone: str,
    components: Sequence[tuple[str, str]],
    source: str,
    since: date,
    groups: Mapping[str, str] | None = None,
) -> str:
    """A new ``inloop.toml`` that declares ``components`` ((id, name)), in ``groups`` (id -> group name)."""
    head = [
        f"# Written by `inloop import` from {_comment(_shown_source(source))}",
        "# Edit the title, the components and their names; see the README for every setting.",
        f"title = {_toml_string(title)}",
        f"base_url = {_toml_string(base_url)}",
        f"timezone = {_toml_string(timezone)}",
        "",
        "[check]",
        "# Incidents resolved before this day are imported history: the rules about",
        "# resolved incidents leave them alone.",
        f"since = {since.isoformat()}",
        "",
    ]
    groups = groups or {}
    return "\n".join(head) + "\n" + "\n".join(_component_table(c, name, groups.get(c)) for c, name in components)


def has_check_since(config_text: str) -> bool:
    """Whether an ``inloop.toml`` sets ``[check] since``; raises tomllib.TOMLDecodeError."""
    check = tomllib.loads(config_text).get("check")
    return isinstance(check, dict) and "since" in check


def config_components(config_text: str) -> list[tuple[str, str]]:
    """(id, name) of the components an ``inloop.toml`` declares; raises tomllib.TOMLDecodeError."""
    data = tomllib.loads(config_text)
    components = data.get("components", [])
    if not isinstance(components, list):
        return []
    return [(str(c["id"]), str(c.get("name", c["id"]))) for c in components if isinstance(c, dict) and "id" in c]


def component_ids(config_text: str) -> set[str]:
    """Component ids declared in an ``inloop.toml``; raises tomllib.TOMLDecodeError."""
    return {component_id for component_id, _ in config_components(config_text)}


def append_components(
    config_bytes: bytes, components: Sequence[tuple[str, str]], groups: Mapping[str, str] | None = None
) -> bytes:
    """``config_bytes`` with a ``[[components]]`` table for each (id, name) added at the end;
    every byte before them stays.  Raises ValueError when the result would not declare them
    (``components`` written as an inline array, say)."""
    newline = "\r\n" if b"\r\n" in config_bytes else "\n"
    result = config_bytes
    for component, name in components:
        if result and not result.endswith(b"\n"):
            result += newline.encode()
        table = _component_table(component, name, (groups or {}).get(component), newline)
        result += (newline + table).encode("utf-8")
    try:
        ids = component_ids(result.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValueError(str(error)) from None
    if any(component not in ids for component, _ in components):
        raise ValueError("the appended [[components]] table is not read as a component")
    return result


def replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        try:
            os.chmod(tmp_name, path.stat().st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def floor_minute(moment: datetime) -> datetime:
    return moment - timedelta(seconds=moment.second, microseconds=moment.microsecond)
