"""``inloop.toml``: read, validate, and say which line is wrong.

``tomllib`` keeps no positions, so :class:`TomlLines` scans the text for the
line of each key; every option is checked by its own small function with its
own message, in the manner of MkDocs' config options.  When the file is
broken, :func:`load_config` still returns what it could read (the time zone,
the component ids) so that content errors are reported in the same run.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from inloop.errors import Problem
from inloop.model import DEFAULT_UPTIME_WEIGHTS, Component, ComponentStatus, SiteConfig
from inloop.read.frontmatter import single_line_problems
from inloop.xmlsafe import first_forbidden, forbidden_message

if TYPE_CHECKING:
    from inloop.subscriptions.settings import SubscriptionSettings

CONFIG_NAME = "inloop.toml"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

TOP_KEYS = (
    "title",
    "base_url",
    "timezone",
    "language",
    "description",
    "contact",
    "feed_items",
    "history_page_size",
    "favicon",
    "components",
    "check",
    "notify",
    "publish",
    "alerts",
    "subscriptions",
    "uptime",
)
COMPONENT_KEYS = ("id", "name", "group", "description")
CHECK_KEYS = ("disable", "since", "max_silence_minutes", "prevention_days", "phrases", "template_text_minutes")


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """``: did you mean 'x'?`` or a list of what is allowed."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "expected one of " + ", ".join(f"'{c}'" for c in choices)


class TomlLines:
    """The line of each key in a TOML text, by table path and key."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
    _KEY = re.compile(
        r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
    )

    def __init__(self, text: str) -> None:
        self.keys: dict[tuple[str, ...], int] = {}
        self.tables: dict[tuple[str, ...], int] = {}
        counters: dict[str, int] = {}
        table: tuple[str, ...] = ()
        in_multiline: str | None = None
        for number, line in enumerate(text.split("\n"), start=1):
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            header = self._HEADER.match(line)
            if header:
                name = header.group(2).replace(" ", "")
                if header.group(1) == "[[":
                    index = counters.get(name, 0)
                    counters[name] = index + 1
                    table = (*name.split("."), str(index))
                else:
                    table = tuple(name.split("."))
                self.tables.setdefault(table, number)
                continue
            key = self._KEY.match(line)
            if key:
                parts = tuple(p.strip().strip("\"'") for p in key.group(1).split("."))
                for end in range(1, len(parts) + 1):  # a dotted key 'a.b = 1' also sets 'a'
                    self.keys.setdefault((*table, *parts[:end]), number)
                rest = line[key.end() :]
                for quote in ('"""', "'''"):
                    if rest.count(quote) == 1:
                        in_multiline = quote

    def line(self, *path: str) -> int:
        """The line of a key, else of its table, else 1."""
        for end in range(len(path), 0, -1):
            found = self.keys.get(path[:end]) or self.tables.get(path[:end])
            if found:
                return found
        return 1


@dataclass(slots=True)
class ConfigResult:
    """What could be read: a whole config, or enough to check content."""

    config: SiteConfig | None
    zone: tzinfo
    component_ids: frozenset[str] | None
    problems: list[Problem] = field(default_factory=list)
    path: str = CONFIG_NAME


def _type_name(value: object) -> str:
    return {
        str: "a string",
        int: "a whole number",
        float: "a number",
        bool: "true/false",
        list: "a list",
        dict: "a table",
        date: "a date",
        datetime: "a date and time",
    }.get(type(value), type(value).__name__)


class _Checker:
    def __init__(self, path: str, lines: TomlLines) -> None:
        self.path = path
        self.lines = lines
        self.problems: list[Problem] = []

    def error(self, message: str, *key: str) -> None:
        self.problems.append(Problem(self.path, self.lines.line(*key), message))

    def string(self, table: dict[str, Any], key: str, *where: str, required: bool = False) -> str | None:
        if key not in table:
            if required:
                line = self.lines.line(*where) if where else 1
                label = f"[[{where[0]}]] #{int(where[1]) + 1} " if len(where) == 2 else ""
                self.problems.append(Problem(self.path, line, f"{label}missing required key '{key}'"))
            return None
        value = table[key]
        if not isinstance(value, str):
            self.error(f"'{key}' must be a string, found {_type_name(value)}", *where, key)
            return None
        if required and not value.strip():
            self.error(f"'{key}' must not be empty", *where, key)
            return None
        return value

    def positive_int(self, table: dict[str, Any], key: str, default: int) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(f"'{key}' must be a whole number, found {_type_name(value)}", key)
            return default
        if value < 1:
            self.error(f"'{key}' must be at least 1, found {value}", key)
            return default
        return value

    def unknown_keys(self, table: dict[str, Any], allowed: tuple[str, ...], *where: str) -> None:
        for key in table:
            if key not in allowed:
                self.error(f"unknown key '{key}': {did_you_mean(key, allowed)}", *where, key)


def _check_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _zone(checker: _Checker, name: str | None) -> tuple[tzinfo, str]:
    if name is None:
        return UTC, "UTC"
    try:
        if not name or name.startswith("/") or ".." in name:
            raise ValueError(name)
        return zoneinfo.ZoneInfo(name), name
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = did_you_mean(name, sorted(zoneinfo.available_timezones()))
        if hint.startswith("expected"):
            hint = "expected an IANA name such as 'Europe/Berlin' or 'UTC'"
        checker.error(f"unknown time zone '{name}': {hint}", "timezone")
        return UTC, "UTC"


def _components(checker: _Checker, raw: object) -> tuple[tuple[Component, ...], bool]:
    """The components, and whether they could all be read."""
    if raw is None:
        checker.problems.append(Problem(checker.path, 1, "at least one [[components]] table is required"))
        return (), False
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        checker.error("'components' must be an array of tables ([[components]])", "components")
        return (), False
    if not raw:
        checker.error("at least one [[components]] table is required", "components")
        return (), False
    found: list[Component] = []
    first_line: dict[str, int] = {}
    complete = True
    for index, table in enumerate(raw):
        where = ("components", str(index))
        checker.unknown_keys(table, COMPONENT_KEYS, *where)
        component_id = checker.string(table, "id", *where, required=True)
        name = checker.string(table, "name", *where, required=True)
        group = checker.string(table, "group", *where)
        description = checker.string(table, "description", *where)
        if component_id is None or name is None:
            complete = False
            continue
        if not SLUG.match(component_id):
            checker.error(
                f"component id '{component_id}' must be a lowercase slug "
                "(letters a-z, digits and single '-' between them)",
                *where,
                "id",
            )
            complete = False
            continue
        line = checker.lines.line(*where, "id")
        if component_id in first_line:
            checker.error(
                f"duplicate component id '{component_id}' (first on line {first_line[component_id]})", *where, "id"
            )
            continue
        first_line[component_id] = line
        found.append(Component(component_id, name, group, description))
    return tuple(found), complete


def _check_table(checker: _Checker, raw: object) -> tuple[tuple[str, object], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        checker.error(f"'check' must be a table ([check]), found {_type_name(raw)}", "check")
        return ()
    checker.unknown_keys(raw, CHECK_KEYS, "check")
    from inloop.check.settings import check_table_problems  # the rule codes and [check]'s own checks

    for message, key in check_table_problems(raw):
        checker.error(message, "check", *key)
    return tuple(sorted(raw.items()))


UPTIME_KEYS = ("weights", "since")
WEIGHT_KEYS = ("major_outage", "partial_outage", "degraded_performance")


def _uptime_table(checker: _Checker, raw: object) -> dict[str, Any]:
    """``[uptime]``: the weights of each status (numbers from 0 to 1) and ``since`` (a date); checked."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        checker.error(f"'uptime' must be a table ([uptime]), found {_type_name(raw)}", "uptime")
        return {}
    checker.unknown_keys(raw, UPTIME_KEYS, "uptime")
    found: dict[str, Any] = {}
    since = raw.get("since")
    if since is not None:
        if isinstance(since, date) and not isinstance(since, datetime):
            found["uptime_since"] = since
        else:
            checker.error(
                f"'since' must be a date without quotes, such as 2026-01-01, found {_type_name(since)}",
                "uptime",
                "since",
            )
    weights = raw.get("weights")
    if weights is None:
        return found
    if not isinstance(weights, dict):
        checker.error(
            "'weights' must be a table such as {major_outage = 1.0, partial_outage = 0.3, "
            f"degraded_performance = 0.0}}, found {_type_name(weights)}",
            "uptime",
            "weights",
        )
        return found
    given = dict(DEFAULT_UPTIME_WEIGHTS)
    for key, value in weights.items():
        if key not in WEIGHT_KEYS:
            hint = (
                "maintenance is never downtime"
                if key == "under_maintenance"
                else "operational time is never downtime"
                if key == "operational"
                else did_you_mean(key, WEIGHT_KEYS)
            )
            checker.error(f"unknown status '{key}' in 'weights': {hint}", "uptime", "weights", key)
        elif isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            number = isinstance(value, int | float) and not isinstance(value, bool)
            shown = repr(value) if number else _type_name(value)
            checker.error(f"weight of '{key}' must be a number from 0 to 1, found {shown}", "uptime", "weights", key)
        else:
            given[ComponentStatus(key)] = float(value)
    found["uptime_weights"] = tuple(given.items())
    return found


def load_config(source: Path, shown: str) -> ConfigResult:
    """Read ``inloop.toml`` in ``source``; ``shown`` is its path for messages."""
    result = _load_config(source, shown)
    result.problems = single_line_problems(result.problems)
    return result


def _load_config(source: Path, shown: str) -> ConfigResult:
    path = source / CONFIG_NAME
    try:
        data_bytes = path.read_bytes()
    except FileNotFoundError:
        return ConfigResult(
            None,
            UTC,
            None,
            [
                Problem(
                    shown,
                    1,
                    f"no {CONFIG_NAME} here: is this a status site? "
                    "(give its folder with --source; 'inloop init' makes one)",
                )
            ],
            shown,
        )
    except OSError as exc:
        return ConfigResult(None, UTC, None, [Problem(shown, 1, f"cannot read {CONFIG_NAME}: {exc.strerror}")], shown)
    try:
        text = data_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data_bytes[: exc.start].count(b"\n") + 1
        byte = data_bytes[exc.start]
        message = f"not valid UTF-8 text (byte 0x{byte:02x} at offset {exc.start}): save the file as UTF-8"
        return ConfigResult(None, UTC, None, [Problem(shown, line, message)], shown)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(found.group(1)) if found else 1
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        message = re.sub(r"\s*\(at end of document\)", " (at end of file)", message)
        if message.startswith("Cannot overwrite a value"):
            message += " (is a key or table given twice?)"
        return ConfigResult(None, UTC, None, [Problem(shown, line, f"TOML syntax error: {message}")], shown)
    return validate_config(data, text, shown, hashlib.sha256(data_bytes).hexdigest(), static_dir=source / "static")


def _forbidden_characters(checker: _Checker, value: object, where: tuple[str, ...]) -> None:
    """An error for every string (keys too) holding a character that XML 1.0 forbids.

    TOML lets ``"\\u001b"`` through; the site title goes into every feed and
    badge, where one such character makes the file unreadable.
    """
    if isinstance(value, str):
        bad = first_forbidden(value)
        if bad is not None:
            name = next((part for part in reversed(where) if not part.isdigit()), "a value")
            checker.error(f"'{name}' {forbidden_message(value[bad])}", *where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _forbidden_characters(checker, key, where)
            _forbidden_characters(checker, item, (*where, key))
    elif isinstance(value, list):
        tables = all(isinstance(item, dict) for item in value)
        for index, item in enumerate(value):
            _forbidden_characters(checker, item, (*where, str(index)) if tables else where)


def _favicon(checker: _Checker, value: str | None, static_dir: Path | None) -> str | None:
    """``favicon``: an http(s) URL, or a file in the site's ``static/`` folder, by its path there."""
    if value is None or _check_url(value):
        return value
    if not value or "://" in value or value.startswith("/") or "\\" in value or ".." in value.split("/"):
        checker.error(
            f"'favicon' must be a file in the site's static/ folder (such as 'favicon.png') "
            f"or an http or https URL, found '{value}'",
            "favicon",
        )
        return None
    if static_dir is not None and not (static_dir / value).is_file():
        checker.error(f"'favicon' names static/{value}, which does not exist", "favicon")
        return None
    return value


def _subscriptions(
    checker: _Checker, data: dict[str, Any], text: str, language: str, static_dir: Path | None
) -> SubscriptionSettings | None:
    """``[subscriptions]``, checked here so that a build reports its mistakes too."""
    from inloop.errors import BuildError
    from inloop.subscriptions.settings import read_subscription_settings

    raw = data.get("subscriptions")
    try:
        return read_subscription_settings(raw, checker.path, text, language, static_dir.parent if static_dir else None)
    except BuildError as exc:
        checker.problems.extend(exc.problems)
        return None


def validate_config(
    data: dict[str, Any], text: str, shown: str, digest: str, *, static_dir: Path | None = None
) -> ConfigResult:
    """Check ``data``; ``static_dir`` is where a ``favicon`` path must exist (unchecked when None)."""
    checker = _Checker(shown, TomlLines(text))
    _forbidden_characters(checker, data, ())
    checker.unknown_keys(data, TOP_KEYS)
    title = checker.string(data, "title", required=True)
    base_url = checker.string(data, "base_url", required=True)
    if base_url is not None and not _check_url(base_url):
        checker.error(f"'base_url' must be an http or https URL with a host, found '{base_url}'", "base_url")
        base_url = None
    elif base_url is not None and (urlsplit(base_url).query or urlsplit(base_url).fragment or "?" in base_url):
        checker.error(f"'base_url' must not have a query or a fragment, found '{base_url}'", "base_url")
        base_url = None
    zone, zone_name = _zone(checker, checker.string(data, "timezone"))
    language = checker.string(data, "language") or "en"
    if not re.fullmatch(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*", language):
        checker.error(f"'language' must be a language tag such as 'en' or 'pt-BR', found '{language}'", "language")
    description = checker.string(data, "description") or ""
    contact = checker.string(data, "contact")
    if contact is not None and not (_check_url(contact) or re.fullmatch(r"mailto:[^@\s]+@[^@\s]+", contact)):
        checker.error(f"'contact' must be an http(s) URL or a mailto: address, found '{contact}'", "contact")
    favicon = _favicon(checker, checker.string(data, "favicon"), static_dir)
    feed_items = checker.positive_int(data, "feed_items", 50)
    page_size = checker.positive_int(data, "history_page_size", 25)
    components, complete = _components(checker, data.get("components"))
    check = _check_table(checker, data.get("check"))
    raw_tables: list[tuple[str, object]] = []
    subscriptions = _subscriptions(checker, data, text, language, static_dir)
    for table_name in ("notify", "publish", "alerts", "subscriptions"):
        if table_name in data:
            if not isinstance(data[table_name], dict):
                checker.error(f"'{table_name}' must be a table ([{table_name}])", table_name)
            else:
                raw_tables.append((table_name, data[table_name]))
    uptime = _uptime_table(checker, data.get("uptime"))
    component_ids = frozenset(c.id for c in components) if complete else None
    if checker.problems or title is None or base_url is None:
        return ConfigResult(None, zone, component_ids, checker.problems, shown)
    config = SiteConfig(
        title=title,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        timezone_name=zone_name,
        zone=zone,
        language=language,
        description=description,
        contact=contact,
        components=components,
        feed_items=feed_items,
        history_page_size=page_size,
        favicon=favicon,
        path=shown,
        digest=digest,
        check=check,
        raw_tables=tuple(raw_tables),
        subscribe_url=subscriptions.url if subscriptions else None,
        subscribe_languages=subscriptions.languages if subscriptions else (language,),
        **uptime,
    )
    return ConfigResult(config, zone, component_ids, [], shown)


def with_base_url(config: SiteConfig, base_url: str, check: Callable[[str], bool] = _check_url) -> SiteConfig:
    """The config with ``--base-url`` applied."""
    from dataclasses import replace

    if not check(base_url):
        raise ValueError(f"--base-url must be an http or https URL with a host, found '{base_url}'")
    normalised = base_url if base_url.endswith("/") else base_url + "/"
    return replace(
        config, base_url=normalised, digest=hashlib.sha256((config.digest + normalised).encode()).hexdigest()
    )
