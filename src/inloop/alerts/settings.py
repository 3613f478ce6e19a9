"""The ``[alerts]`` table of ``inloop.toml``, validated with the line of every mistake.

The token never lives in the file: ``token_env`` names the environment
variable that holds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inloop.read.config import CONFIG_NAME, TomlLines, did_you_mean

from ..errors import BuildError, Problem, UsageError
from ..model import Impact, SiteConfig

ALERTS_KEYS = ("token_env", "flap_seconds", "then", "publish_to", "rules")
RULE_KEYS = ("match", "components", "impact", "template", "auto_resolve")
THEN = ("build", "publish")
COMPONENT_STATUSES = ("degraded_performance", "partial_outage", "major_outage")
DEFAULT_FLAP_SECONDS = 300
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label condition: equal to ``value``, or (``~regex``) fully matched by a regular expression."""

    label: str
    value: str
    pattern: re.Pattern[str] | None = None

    def matches(self, labels: dict[str, str]) -> bool:
        found = labels.get(self.label)
        if found is None:
            return False
        if self.pattern is not None:
            return self.pattern.fullmatch(found) is not None
        return found == self.value


@dataclass(frozen=True, slots=True)
class AlertRule:
    number: int  # 1-based, as [[alerts.rules]] #N in messages
    match: tuple[Matcher, ...]
    components: tuple[tuple[str, str], ...]
    impact: str = "minor"
    template: str | None = None
    auto_resolve: bool = False

    def matches(self, labels: dict[str, str]) -> bool:
        return all(m.matches(labels) for m in self.match)


@dataclass(frozen=True, slots=True)
class AlertSettings:
    token_env: str | None
    rules: tuple[AlertRule, ...] = ()
    flap_seconds: int = DEFAULT_FLAP_SECONDS
    then: str = "build"
    publish_to: str | None = None


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    names = {str: "a string", int: "a whole number", float: "a number", list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def read_alert_settings(source: Path, shown_source: str, config: SiteConfig) -> AlertSettings:
    """``[alerts]`` of the site's config; every mistake is a ``path:line`` problem (:class:`BuildError`)."""
    from ..authoring.site import shown_path

    shown_config = shown_path(shown_source, CONFIG_NAME)
    raw = dict(config.raw_tables).get("alerts")
    if raw is None:
        raise UsageError(
            f"{shown_config} has no [alerts] table: 'inloop receive' needs token_env and [[alerts.rules]] "
            "(see 'inloop init' for an example)"
        )
    try:
        text = (source / CONFIG_NAME).read_text("utf-8")
    except OSError:
        text = ""
    reader = _Reader(shown_config, TomlLines(text), source, shown_source, config)
    settings = reader.read(raw if isinstance(raw, dict) else {})
    if reader.problems:
        raise BuildError(reader.problems)
    return settings


class _Reader:
    def __init__(self, path: str, lines: TomlLines, source: Path, shown_source: str, config: SiteConfig) -> None:
        self.path = path
        self.lines = lines
        self.source = source
        self.shown_source = shown_source
        self.config = config
        self.problems: list[Problem] = []

    def error(self, message: str, *key: str) -> None:
        self.problems.append(Problem(self.path, self.lines.line("alerts", *key), message))

    def read(self, raw: dict[str, Any]) -> AlertSettings:
        for key in raw:
            if key not in ALERTS_KEYS:
                self.error(f"unknown key '{key}' in [alerts]: {did_you_mean(key, ALERTS_KEYS)}", key)
        token_env = raw.get("token_env")
        if token_env is None:
            self.error("[alerts] needs 'token_env': the name of the environment variable that holds the token")
        elif not isinstance(token_env, str) or not _ENV_NAME.fullmatch(token_env):
            self.error(
                f"'token_env' must be the name of an environment variable, such as \"INLOOP_ALERTS_TOKEN\", "
                f"found {token_env!r}"
                if isinstance(token_env, str)
                else f"found {_type_name(token_env)}",
                "token_env",
            )
            token_env = None
        flap = raw.get("flap_seconds", DEFAULT_FLAP_SECONDS)
        if isinstance(flap, bool) or not isinstance(flap, int) or flap < 0:
            self.error(f"'flap_seconds' must be a whole number of seconds, 0 or more, found {flap!r}", "flap_seconds")
            flap = DEFAULT_FLAP_SECONDS
        then = raw.get("then", "build")
        if then not in THEN:
            self.error(f'\'then\' must be "build" or "publish", found {then!r}', "then")
            then = "build"
        publish_to = raw.get("publish_to")
        if publish_to is not None and (not isinstance(publish_to, str) or not publish_to.strip()):
            self.error(
                f"'publish_to' must be a folder or s3://bucket/prefix, found {_type_name(publish_to)}", "publish_to"
            )
            publish_to = None
        if then == "publish" and publish_to is None and "publish_to" not in raw:
            self.error("then = \"publish\" needs 'publish_to': a folder or s3://bucket/prefix", "then")
        rules = raw.get("rules", [])
        found: list[AlertRule] = []
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            self.error("'rules' must be an array of tables ([[alerts.rules]])", "rules")
        else:
            for index, table in enumerate(rules):
                rule = self.rule(index, table)
                if rule is not None:
                    found.append(rule)
        if isinstance(rules, list) and not rules:
            self.error("[alerts] has no [[alerts.rules]]: without one, every alert is ignored")
        return AlertSettings(
            token_env if isinstance(token_env, str) else None, tuple(found), flap, str(then), publish_to
        )

    def rule(self, index: int, table: dict[str, Any]) -> AlertRule | None:
        where = ("rules", str(index))
        label = f"[[alerts.rules]] #{index + 1}"
        before = len(self.problems)
        for key in table:
            if key not in RULE_KEYS:
                self.error(f"{label}: unknown key '{key}': {did_you_mean(key, RULE_KEYS)}", *where, key)
        matchers = self.matchers(table.get("match"), label, where)
        components = self.components(table.get("components"), label, where)
        impact = table.get("impact", "minor")
        if impact not in tuple(str(i) for i in Impact):
            self.error(
                f"{label}: 'impact' must be one of none, minor, major, critical, found {impact!r}", *where, "impact"
            )
        template = table.get("template")
        if template is not None:
            self.template(template, label, where)
        auto_resolve = table.get("auto_resolve", False)
        if not isinstance(auto_resolve, bool):
            self.error(f"{label}: 'auto_resolve' must be true or false, found {_type_name(auto_resolve)}", *where)
        if len(self.problems) > before:
            return None
        return AlertRule(index + 1, matchers, components, str(impact), template, bool(auto_resolve))

    def matchers(self, raw: object, label: str, where: tuple[str, ...]) -> tuple[Matcher, ...]:
        if raw is None:
            self.error(f"{label} needs 'match': a table of labels, such as match = {{ service = \"api\" }}", *where)
            return ()
        if not isinstance(raw, dict):
            self.error(f"{label}: 'match' must be a table of labels, found {_type_name(raw)}", *where, "match")
            return ()
        found: list[Matcher] = []
        for name, value in raw.items():
            if not _LABEL.fullmatch(name):
                self.error(f"{label}: '{name}' is not a label name", *where, "match")
            elif not isinstance(value, str):
                self.error(
                    f"{label}: the value of '{name}' must be a string, found {_type_name(value)}", *where, "match"
                )
            elif value.startswith("~"):
                try:
                    found.append(Matcher(name, value, re.compile(value[1:])))
                except re.error as exc:
                    self.error(f"{label}: '{value}' is not a valid regular expression: {exc}", *where, "match")
            else:
                found.append(Matcher(name, value))
        return tuple(found)

    def components(self, raw: object, label: str, where: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        example = 'components = { api = "major_outage" }'
        if not isinstance(raw, dict) or not raw:
            self.error(f"{label} needs 'components': a table of component ids and statuses, such as {example}", *where)
            return ()
        found: list[tuple[str, str]] = []
        for cid, status in raw.items():
            if cid not in self.config.component_ids:
                self.error(
                    f"{label}: unknown component '{cid}': {did_you_mean(cid, list(self.config.component_ids))}",
                    *where,
                    "components",
                )
            elif status not in COMPONENT_STATUSES:
                self.error(
                    f"{label}: the status of '{cid}' must be one of {', '.join(COMPONENT_STATUSES)}, found {status!r}",
                    *where,
                    "components",
                )
            else:
                found.append((str(cid), str(status)))
        return tuple(found)

    def template(self, name: object, label: str, where: tuple[str, ...]) -> None:
        from ..authoring.templates import load_template

        if not isinstance(name, str):
            self.error(f"{label}: 'template' must be a name, found {_type_name(name)}", *where, "template")
            return
        try:
            load_template(self.source, self.shown_source, "incident", name)
        except UsageError as exc:
            self.error(f"{label}: {exc}", *where, "template")
