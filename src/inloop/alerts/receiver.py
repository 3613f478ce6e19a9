"""From alerts to incident files: match rules, group, open, update, clear.

Every file is written by the authoring code a person's command uses
(:func:`inloop.authoring.create.from_template` opens, :func:`inloop.authoring.post.post`
posts), so an alert makes the same file, with the same checks, as
``inloop new`` and ``inloop update``.  One webhook at a time: the lock
covers reading the state, writing the files and saving the state.

- A group is Alertmanager's (or Grafana's) ``groupKey``; otherwise the rule
  and the values of the labels it matches (a generic payload may name a ``group``).
- Firing: the first alert of a group opens an incident from its rule's
  template; new alerts add components or raise statuses with an update;
  repeats change nothing.
- Resolved: when every alert of the group has resolved, one ``Monitoring``
  update sets the components operational (``Resolved`` with ``auto_resolve``).
- Flapping: an alert firing again within ``flap_seconds`` of the group's
  last clearing changes nothing, and its next clearing posts nothing.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..authoring.create import from_template
from ..authoring.lookup import find
from ..authoring.post import Request, post
from ..authoring.site import load_site, parse_item
from ..authoring.templates import Template, later_text, load_template, parse_template
from ..authoring.values import format_time, join_names
from ..errors import UsageError
from ..model import Incident, SiteConfig
from .payloads import Alert, Batch
from .settings import AlertRule, AlertSettings
from .state import Group, State

RANK = {"operational": 0, "degraded_performance": 1, "partial_outage": 2, "major_outage": 3}
IMPACT_RANK = {"none": 0, "minor": 1, "major": 2, "critical": 3}

#: The template of a rule without one.  Its first update and cause quote the
#: alert's summary; its Monitoring text says that the alert has cleared.
BUILT_IN = """\
---
title: Problems with ${components}
cause: "Our monitoring reports: \u201c${summary}\u201d"
---

## ${time} \u2014 Investigating
Our monitoring reports a problem with ${components}: \u201c${summary}\u201d. We are investigating.

## ${time} \u2014 Update
Our monitoring also reports: \u201c${summary}\u201d.

## ${time} \u2014 Monitoring
The alert has cleared and ${components} should work normally again. We are monitoring to make sure it stays so.

## ${time} \u2014 Resolved
The alert has cleared, and service to ${components} is restored.
"""
BUILT_IN_NAME = "(the built-in alert template)"
_BUILT_IN = parse_template(BUILT_IN, "incident", "built-in", BUILT_IN_NAME)


@dataclass(slots=True)
class Outcome:
    """What one webhook did: the HTTP status, a message, and the files written."""

    code: int
    message: str
    incidents: list[str] = field(default_factory=list)
    changed: list[Path] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)


def alert_values(alerts: list[Alert]) -> dict[str, str]:
    """The placeholders an alert fills: ``summary`` (every distinct one), its labels and annotations."""
    first = alerts[0]
    values = {
        "summary": "; ".join(dict.fromkeys(a.summary for a in alerts)),
        "description": first.annotations.get("description", ""),
        "alertname": first.labels.get("alertname", ""),
        "severity": first.labels.get("severity", ""),
        "status": first.status,
        "starts_at": first.starts_at,
    }
    values.update({f"labels.{k}": v for k, v in first.labels.items()})
    values.update({f"annotations.{k}": v for k, v in first.annotations.items()})
    return values


class Receiver:
    def __init__(
        self,
        source: Path,
        shown_source: str,
        settings: AlertSettings,
        clock: Callable[[], datetime],
        log: Callable[[str], None],
        commit: bool = False,
    ) -> None:
        self.source = source
        self.shown_source = shown_source
        self.settings = settings
        self.clock = clock
        self.log = log
        self.commit = commit
        self.lock = threading.Lock()
        self.state_path = State.path_for(source)

    # -- matching and grouping --------------------------------------------

    def rule_for(self, alert: Alert) -> AlertRule | None:
        """The first rule whose matchers all hold (like a route in Alertmanager)."""
        return next((rule for rule in self.settings.rules if rule.matches(alert.labels)), None)

    @staticmethod
    def group_key(batch: Batch, alert: Alert, rule: AlertRule) -> str:
        if batch.group_key is not None and batch.kind != "generic":
            return f"{batch.kind}:{batch.group_key}"
        labels = {m.label: alert.labels.get(m.label, "") for m in rule.match}
        named = f" group {batch.group_key}" if batch.group_key else ""
        return f"rule {rule.number}{named}: {json.dumps(labels, sort_keys=True, ensure_ascii=False)}"

    # -- one webhook --------------------------------------------------------

    def receive(self, batch: Batch) -> Outcome:
        with self.lock:
            return self._receive(batch)

    def _receive(self, batch: Batch) -> Outcome:
        matched: list[tuple[Alert, AlertRule]] = []
        for alert in batch.alerts:
            rule = self.rule_for(alert)
            if rule is None:
                self.log(f"{batch.kind}: no rule matches {alert.status} alert {alert.name} {_labels(alert)}: ignored")
            else:
                matched.append((alert, rule))
        if not matched:
            return Outcome(202, "no rule matches: nothing written")
        config = load_site(self.source, self.shown_source)
        state, note = State.load(self.state_path)
        if note:
            self.log(note)
        now = self.clock()
        groups: dict[str, list[tuple[Alert, AlertRule]]] = {}
        for alert, rule in matched:
            groups.setdefault(self.group_key(batch, alert, rule), []).append((alert, rule))
        outcome = Outcome(200, "")
        for key, items in groups.items():
            try:
                self._group(state, key, items, config, now, outcome)
            except UsageError as exc:
                outcome.code = 500
                outcome.actions.append(f"could not write: {exc}")
                self.log(f"{batch.kind}: group {key}: could not write: {exc}")
        state.save(self.state_path)
        outcome.message = "; ".join(outcome.actions) or "nothing changed"
        if self.commit and outcome.changed:
            commit_changes(self.source, outcome, matched[0][0], self.log)
        return outcome

    def _group(
        self,
        state: State,
        key: str,
        items: list[tuple[Alert, AlertRule]],
        config: SiteConfig,
        now: datetime,
        outcome: Outcome,
    ) -> None:
        firing = [(a, r) for a, r in items if a.status == "firing"]
        resolved = [a for a, _ in items if a.status == "resolved"]
        group = state.groups.get(key)
        incident = self._incident(group, config) if group is not None else None
        if firing:
            if group is None or incident is None:
                group = self._open(firing, config, now, outcome)
                state.groups[key] = group
                incident = self._incident(group, config)
            elif group.cleared_at is not None:
                self._fires_again(group, firing, incident, config, now, outcome, state, key)
            else:
                self._more(group, firing, incident, config, now, outcome)
        group = state.groups.get(key)
        if resolved and group is not None:
            for alert in resolved:
                group.firing.pop(alert.fingerprint, None)
            if not group.firing:
                if group.cleared_at is None:
                    self._clear(group, self._incident(group, config), config, now, outcome)
                group.cleared_at = now.isoformat()

    def _incident(self, group: Group | None, config: SiteConfig) -> Incident | None:
        """The group's incident as it is now; None if its file is gone (or no longer builds)."""
        if group is None:
            return None
        try:
            found = find(self.source, group.incident)
        except UsageError:
            return None
        if found.id != group.incident:
            return None
        try:
            data = found.path.read_bytes()
        except OSError:
            return None
        item, _ = parse_item("incident", data, found.id, found.path.as_posix(), config)
        return item if isinstance(item, Incident) else None

    def _template(self, name: str | None) -> Template:
        if name is None:
            return _BUILT_IN
        try:
            return load_template(self.source, self.shown_source, "incident", name)
        except UsageError as exc:
            self.log(f"the template '{name}' cannot be used ({exc}): using the built-in one")
            return _BUILT_IN

    def _values(
        self, alerts: list[Alert], group: Group, incident: Incident | None, config: SiteConfig, now: datetime
    ) -> dict[str, str]:
        values = alert_values(alerts)
        values["components"] = join_names(
            [config.component(c).name for c in group.components if c in config.component_ids]
        )
        values["component_ids"] = ", ".join(group.components)
        values["time"] = format_time(now.replace(second=0, microsecond=0))
        values["title"] = incident.title if incident is not None else ""
        return values

    def _text(self, group: Group, status: str, values: dict[str, str]) -> str:
        """A later update's text: the template's own, else the built-in one."""
        text = later_text(self._template(group.template), status, values)
        if text is None:
            text = later_text(_BUILT_IN, status, values)
        assert text is not None
        return text

    def _post(self, group: Group, request: Request, now: datetime, outcome: Outcome, action: str) -> None:
        post(self.source, self.shown_source, group.incident, request, now)
        path = find(self.source, group.incident).path
        if path not in outcome.changed:
            outcome.changed.append(path)
        if group.incident not in outcome.incidents:
            outcome.incidents.append(group.incident)
        outcome.actions.append(f"{group.incident}: {action}")
        self.log(f"{group.incident}: {action}")

    # -- the four things that can happen ----------------------------------

    def _open(
        self, firing: list[tuple[Alert, AlertRule]], config: SiteConfig, now: datetime, outcome: Outcome
    ) -> Group:
        rule = firing[0][1]
        components: dict[str, str] = {}
        impact = rule.impact
        for _, each in firing:
            _raise(components, dict(each.components))
            if IMPACT_RANK[each.impact] > IMPACT_RANK[impact]:
                impact = each.impact
        alerts = [a for a, _ in firing]
        template = self._template(rule.template)
        created = from_template(
            self.source,
            self.shown_source,
            config,
            now,
            template,
            None,
            components=list(components.items()),
            impact=impact,
            variables=alert_values(alerts),
            lenient=True,
        )
        summaries = list(dict.fromkeys(a.summary for a in alerts))
        group = Group(
            incident=created.id,
            rule=rule.number,
            template=rule.template,
            firing={a.fingerprint: a.summary for a in alerts},
            components=components,
            quoted=summaries,
            auto_resolve=rule.auto_resolve,
        )
        outcome.changed.append(created.path)
        outcome.incidents.append(created.id)
        outcome.actions.append(f"opened {created.id}")
        self.log(f"opened {created.shown} for {', '.join(dict.fromkeys(a.name for a in alerts))} (rule #{rule.number})")
        return group

    def _more(
        self,
        group: Group,
        firing: list[tuple[Alert, AlertRule]],
        incident: Incident,
        config: SiteConfig,
        now: datetime,
        outcome: Outcome,
    ) -> None:
        new = [(a, r) for a, r in firing if a.fingerprint not in group.firing]
        for alert, _ in firing:
            group.firing[alert.fingerprint] = alert.summary
        wanted: dict[str, str] = {}
        for _, rule in new:
            _raise(wanted, dict(rule.components))
        _raise(group.components, wanted)
        changes = _raises(incident, now, wanted)
        quotes = [s for s in dict.fromkeys(a.summary for a, _ in new) if s not in group.quoted]
        if not changes and not quotes:
            return
        group.quoted.extend(quotes)
        if incident.resolved:
            return
        alerts = [a for a, _ in new if a.summary in quotes] or [a for a, _ in new]
        values = self._values(alerts, group, incident, config, now)
        request = Request(
            self._text(group, "Update", values),
            components=tuple(f"{cid}={status}" for cid, status in changes.items()),
        )
        what = ", ".join(f"{cid} {status}" for cid, status in changes.items()) or "a new alert quoted"
        self._post(group, request, now, outcome, f"update ({what})")

    def _fires_again(
        self,
        group: Group,
        firing: list[tuple[Alert, AlertRule]],
        incident: Incident,
        config: SiteConfig,
        now: datetime,
        outcome: Outcome,
        state: State,
        key: str,
    ) -> None:
        assert group.cleared_at is not None
        quiet = now - datetime.fromisoformat(group.cleared_at)
        for alert, _ in firing:
            group.firing[alert.fingerprint] = alert.summary
        if quiet <= timedelta(seconds=self.settings.flap_seconds):
            outcome.actions.append(
                f"{group.incident}: firing again {int(quiet.total_seconds())} s after clearing: "
                "flapping, nothing posted"
            )
            self.log(outcome.actions[-1])
            return
        if incident.resolved:  # a person (or auto_resolve) said it is over: this is a new incident
            state.groups[key] = self._open(firing, config, now, outcome)
            return
        group.cleared_at = None
        for _, rule in firing:
            _raise(group.components, dict(rule.components))
        values = self._values([a for a, _ in firing], group, incident, config, now)
        request = Request(
            self._text(group, "Update", values),
            status="Investigating",
            components=tuple(f"{cid}={status}" for cid, status in _raises(incident, now, group.components).items()),
        )
        self._post(group, request, now, outcome, "firing again: Investigating")

    def _clear(
        self, group: Group, incident: Incident | None, config: SiteConfig, now: datetime, outcome: Outcome
    ) -> None:
        if incident is None or incident.resolved:
            outcome.actions.append(f"{group.incident}: every alert resolved (the incident is already resolved)")
            return
        values = _clear_values(group, incident, config, now)
        if group.auto_resolve:  # resolving sets every component operational: no status line needed
            request = Request(self._text(group, "Resolved", values), resolve=True)
            self._post(group, request, now, outcome, "every alert resolved: Resolved (auto_resolve)")
        else:
            affected = incident.component_statuses_at(now)
            operational = tuple(f"{cid}=operational" for cid, status in affected.items() if status != "operational")
            request = Request(self._text(group, "Monitoring", values), status="Monitoring", components=operational)
            self._post(group, request, now, outcome, "every alert resolved: Monitoring")


def _raise(components: dict[str, str], more: dict[str, str]) -> None:
    for cid, status in more.items():
        if RANK[status] > RANK[components.get(cid, "operational")]:
            components[cid] = status


def _raises(incident: Incident, now: datetime, wanted: dict[str, str]) -> dict[str, str]:
    """The statuses of ``wanted`` worse than the incident's now (its timeline, not only its front matter)."""
    current = incident.component_statuses_at(now)
    return {cid: status for cid, status in wanted.items() if RANK[status] > RANK.get(current.get(cid, ""), 0)}


def _labels(alert: Alert) -> str:
    return "{" + ", ".join(f"{k}={v!r}" for k, v in sorted(alert.labels.items())) + "}"


def _clear_values(group: Group, incident: Incident, config: SiteConfig, now: datetime) -> dict[str, str]:
    names = [config.component(c).name for c in group.components if c in config.component_ids]
    return {
        "summary": "; ".join(group.quoted),
        "components": join_names(names),
        "component_ids": ", ".join(group.components),
        "time": format_time(now.replace(second=0, microsecond=0)),
        "title": incident.title,
        "status": "resolved",
    }


def commit_changes(source: Path, outcome: Outcome, alert: Alert, log: Callable[[str], None]) -> None:
    """``receive --commit``: commit the files one alert changed, with a message naming it."""
    paths = [p.relative_to(source).as_posix() for p in outcome.changed]
    message = f"inloop receive: {alert.name} {alert.status}: " + "; ".join(outcome.actions)
    for command in (["git", "add", "--", *paths], ["git", "commit", "-q", "-m", message, "--", *paths]):
        try:
            done = subprocess.run(command, cwd=source, capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log(f"--commit: {' '.join(command[:2])} failed: {exc}")
            return
        if done.returncode != 0:
            log(f"--commit: {' '.join(command[:2])} failed: {(done.stderr or done.stdout).strip()}")
            return
    log(f"committed {', '.join(paths)}: {message}")
