"""A Statuspage-compatible API: the public v2 JSON files, written once per build.

Status aggregators, chat bots, dashboards and client libraries already read
Atlassian Statuspage's ``/api/v2/*.json``; these files have the same names,
fields, nesting, enums and ordering, so they work against an inloop site
unchanged.  The mapping from inloop's model is documented in the README
("Subscribe and integrate"); the choices are made here and nowhere else.

Every file carries ``page.updated_at``, the build time, so they are all made
again on every build: one :class:`StatuspageApi` serves all of them, and works
out what they share only once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from inloop import slugs
from inloop.model import ComponentStatus, Content, Incident, Maintenance, SiteConfig, StatusChange
from inloop.render import status as derive

API_DIR = "api/v2/"
#: The files, by their path under ``api/v2/``.
FILES = (
    "summary.json",
    "status.json",
    "components.json",
    "incidents.json",
    "incidents/unresolved.json",
    "scheduled-maintenances.json",
    "scheduled-maintenances/upcoming.json",
    "scheduled-maintenances/active.json",
)
#: incidents.json and scheduled-maintenances.json hold the latest 50, as Statuspage's do.
LIMIT = 50

#: Statuspage's words for its indicator, kept as Statuspage writes them: clients show them as they are.
STATUS_DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
    "maintenance": "Service Under Maintenance",
}
#: The indicator of each overall status: the page's headline and the API name one state, each in its words.
INDICATORS = {
    ComponentStatus.OPERATIONAL: "none",
    ComponentStatus.UNDER_MAINTENANCE: "maintenance",
    ComponentStatus.DEGRADED_PERFORMANCE: "minor",
    ComponentStatus.PARTIAL_OUTAGE: "major",
    ComponentStatus.MAJOR_OUTAGE: "critical",
}

Json = dict[str, Any]


def stable_id(text: str, length: int = 12) -> str:
    """A Statuspage-like id (``kctbh9vrtdwd``): base 36 of a hash of ``text``."""
    number = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:10], "big")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    for _ in range(length):
        number, rest = divmod(number, 36)
        out.append(digits[rest])
    return "".join(out)


def page_id(config: SiteConfig) -> str:
    """Derived from ``base_url`` alone, so it stays while the site stays where it is."""
    return stable_id(config.base_url)


def group_ids(config: SiteConfig) -> dict[str, str]:
    """An id for each component group, from its name (``group-platform``), never an existing id."""
    taken = set(config.component_ids)
    found: dict[str, str] = {}
    for group, _ in config.groups:
        if group is None:
            continue
        slug = slugs.slug(group) or stable_id(group, 8)
        candidate, number = f"group-{slug}", 1
        while candidate in taken:
            number += 1
            candidate = f"group-{slug}-{number}"
        taken.add(candidate)
        found[group] = candidate
    return found


def timestamp(moment: datetime, config: SiteConfig) -> str:
    """ISO 8601 with milliseconds and the site zone's offset, ``Z`` for UTC: as Statuspage writes them."""
    local = moment.astimezone(config.zone)
    text = local.isoformat(timespec="milliseconds")
    if local.utcoffset() == timedelta(0):
        text = text[: -len("+00:00")] + "Z"
    return text


def api_status(status: str) -> str:
    """``In progress`` → ``in_progress``: Statuspage's enums are lower-case words joined by ``_``."""
    return status.lower().replace(" ", "_")


def status_indicator(statuses: dict[str, ComponentStatus]) -> str:
    """The indicator of the blended component status, as Statuspage defines it.

    The worst status of any component (what the page's headline and the badge
    say) decides it, so the API never reports another state than the page.
    """
    return INDICATORS[derive.overall_status(statuses)]


def maintenance_status(window: Maintenance, now: datetime) -> str:
    """``scheduled``, ``in_progress``, ``verifying`` or ``completed`` (cancelled and overdue windows too)."""
    if window.in_progress(now):
        return api_status(window.state(now))
    if window.upcoming(now):
        return "scheduled"
    return "completed"


@dataclass(frozen=True, slots=True)
class _Step:
    """An update as the API sees it: real, or the synthetic ``scheduled`` one of a bare window."""

    id: str
    time: datetime
    written: str
    status: str  # effective, as inloop names it ("In progress")
    body: str
    anchor: str = ""  # the update's, on its page


def _steps(item: Incident | Maintenance) -> list[_Step]:
    """The updates of ``item``, oldest first; a window without any gets one ``scheduled`` at its start."""
    if not item.updates and isinstance(item, Maintenance):
        return [_Step(f"{item.id}-scheduled", item.start, "Scheduled", "Scheduled", item.description or "")]
    return [_Step(f"{item.id}-{u.anchor}", u.time, u.written_status, u.status, u.body, u.anchor) for u in item.updates]


def incident_statuses(incident: Incident) -> list[dict[str, ComponentStatus]]:
    """After each update, the status of each component the incident names by then.

    The front matter's components are named from the first update on, with
    the statuses they have from the start; a status line adds its components.
    """
    by_update: dict[str | None, list[StatusChange]] = {}
    for change in incident.status_changes:
        by_update.setdefault(change.anchor, []).append(change)
    current = {cid: ComponentStatus.OPERATIONAL for cid, _ in incident.components}
    made = []
    for index, update in enumerate(incident.updates):
        for setting in update.settings:
            current.setdefault(setting.component, ComponentStatus.OPERATIONAL)
        at_start = by_update.get(None, []) if index == 0 else []
        for change in [*at_start, *by_update.get(update.anchor, ())]:
            current[change.component] = change.new
        made.append(dict(current))
    return made


def _latest(steps: list[_Step], written: str) -> datetime | None:
    times = [s.time for s in steps if s.written == written]
    return max(times) if times else None


def _first_and_changed(content: Content, now: datetime) -> tuple[datetime, dict[str, datetime]]:
    """The site's first record, and when each component last changed (its updated_at)."""
    first: datetime | None = None
    changed: dict[str, datetime] = {}
    items: list[Incident | Maintenance] = [*content.incidents, *content.maintenance]
    for item in items:
        updates = item.updates
        if updates and updates[-1].time <= now:  # the usual case: updates are sorted and in the past
            earliest, latest = updates[0].time, updates[-1].time
            if isinstance(item, Incident) and item.start < earliest:
                earliest = item.start
        else:
            moments = [u.time for u in updates if u.time <= now]
            if isinstance(item, Incident):
                moments.append(item.start)
            elif not updates:
                moments += [t for t in (item.start, item.end) if t <= now]
            moments = [m for m in moments if m <= now]
            if not moments:
                continue
            earliest, latest = min(moments), max(moments)
        if first is None or earliest < first:
            first = earliest
        for cid in item.component_ids:
            if cid not in changed or changed[cid] < latest:
                changed[cid] = latest
    return (first if first is not None else now), changed


class StatuspageApi:
    """The eight files of one site state, as JSON-ready dicts."""

    def __init__(
        self, config: SiteConfig, content: Content, now: datetime, statuses: dict[str, ComponentStatus]
    ) -> None:
        self.config = config
        self.content = content
        self.now = now
        self.statuses = statuses
        self.page_id = page_id(config)

    def ts(self, moment: datetime) -> str:
        return timestamp(moment, self.config)

    # -- page, status, components ---------------------------------------------

    @cached_property
    def page(self) -> Json:
        config = self.config
        return {
            "id": self.page_id,
            "name": config.title,
            "url": config.base_url.rstrip("/"),
            "time_zone": config.timezone_name,
            "updated_at": self.ts(self.now),
        }

    @cached_property
    def status(self) -> Json:
        indicator = status_indicator(self.statuses)
        return {"indicator": indicator, "description": STATUS_DESCRIPTIONS[indicator]}

    @cached_property
    def _times(self) -> tuple[datetime, dict[str, datetime]]:
        """The site's first record, and when each component last changed (its updated_at)."""
        return _first_and_changed(self.content, self.now)

    @cached_property
    def components(self) -> list[Json]:
        """Groups first in their place, each followed by its members, as Statuspage lists them."""
        config = self.config
        created, changed = self._times
        ids = group_ids(config)
        found: list[Json] = []

        def component(cid: str, name: str, status: ComponentStatus, updated: datetime, **more: Any) -> Json:
            return {
                "id": cid,
                "name": name,
                "status": str(status),
                "created_at": self.ts(created),
                "updated_at": self.ts(max(updated, created)),
                "position": len(found) + 1,
                "description": more.pop("description", None),
                "showcase": more.pop("showcase", True),
                "start_date": None,
                "group_id": more.pop("group_id", None),
                "page_id": self.page_id,
                "group": "components" in more,
                "only_show_if_degraded": False,
                **more,
            }

        for group, members in config.groups:
            group_id = ids.get(group) if group is not None else None
            if group is not None and group_id is not None:
                worst = max((self.statuses[m.id] for m in members), key=lambda s: s.rank)
                updated = max((changed.get(m.id, created) for m in members), default=created)
                found.append(
                    component(group_id, group, worst, updated, showcase=False, components=[m.id for m in members])
                )
            for member in members:
                found.append(
                    component(
                        member.id,
                        member.name,
                        self.statuses[member.id],
                        changed.get(member.id, created),
                        description=member.description,
                        group_id=group_id,
                    )
                )
        return found

    @cached_property
    def _component_by_id(self) -> dict[str, Json]:
        return {c["id"]: c for c in self.components}

    def _updates(
        self,
        item: Incident | Maintenance,
        steps: list[_Step],
        status_after: Callable[[int, _Step], dict[str, ComponentStatus]],
    ) -> list[Json]:
        """Updates newest first, each with the old and new status of every component ``item`` names by then."""
        made: list[Json] = []
        before: dict[str, ComponentStatus] = {}
        for index, step in enumerate(steps):
            affected = []
            for cid, new in status_after(index, step).items():
                affected.append(
                    {
                        "code": cid,
                        "name": self.config.component(cid).name,
                        "old_status": str(before.get(cid, ComponentStatus.OPERATIONAL)),
                        "new_status": str(new),
                    }
                )
                before[cid] = new
            stamp = self.ts(step.time)
            made.append(
                {
                    "id": step.id,
                    "status": api_status(step.status),
                    "body": step.body,
                    "incident_id": item.id,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "display_at": stamp,
                    "affected_components": affected,
                    "deliver_notifications": False,
                    "custom_tweet": None,
                    "tweet_id": None,
                }
            )
        made.reverse()
        return made

    def _components_of(self, item: Incident | Maintenance) -> list[Json]:
        return [self._component_by_id[cid] for cid in item.component_ids if cid in self._component_by_id]

    # -- incidents and maintenance ---------------------------------------------

    def incident(self, incident: Incident) -> Json:
        steps = _steps(incident)
        statuses = incident_statuses(incident)

        def status_after(index: int, step: _Step) -> dict[str, ComponentStatus]:
            return statuses[index]

        resolved_at = _latest(steps, "Resolved") if incident.resolved else None
        monitoring_at = _latest(steps, "Monitoring")
        return {
            "id": incident.id,
            "name": incident.title,
            "status": api_status(incident.status),
            "created_at": self.ts(steps[0].time),
            "updated_at": self.ts(steps[-1].time),
            "monitoring_at": self.ts(monitoring_at) if monitoring_at else None,
            "resolved_at": self.ts(resolved_at) if resolved_at else None,
            "impact": str(incident.impact),
            "shortlink": self.url(incident),
            "started_at": self.ts(incident.start),
            "page_id": self.page_id,
            "incident_updates": self._updates(incident, steps, status_after),
            "components": self._components_of(incident),
            "reminder_intervals": None,
        }

    def maintenance(self, window: Maintenance) -> Json:
        steps = _steps(window)

        def status_after(index: int, step: _Step) -> dict[str, ComponentStatus]:
            during = step.status in ("In progress", "Verifying")
            status = ComponentStatus.UNDER_MAINTENANCE if during else ComponentStatus.OPERATIONAL
            return dict.fromkeys(window.components, status)

        status = maintenance_status(window, self.now)
        resolved_at: datetime | None = None
        if status == "completed":
            resolved_at = _latest(steps, "Completed")
            if resolved_at is None and window.cancelled:
                resolved_at = steps[-1].time if window.updates else None
            elif resolved_at is None:
                resolved_at = window.end
        created = steps[0].time
        updated = max([steps[-1].time, *([resolved_at] if resolved_at else [])])
        return {
            "id": window.id,
            "name": window.title,
            "status": status,
            "created_at": self.ts(created),
            "updated_at": self.ts(updated),
            "monitoring_at": None,
            "resolved_at": self.ts(resolved_at) if resolved_at else None,
            "impact": "maintenance",
            "shortlink": self.url(window),
            "started_at": self.ts(created),
            "page_id": self.page_id,
            "incident_updates": self._updates(window, steps, status_after),
            "components": self._components_of(window),
            "reminder_intervals": None,
            "scheduled_for": self.ts(window.start),
            "scheduled_until": self.ts(window.end),
        }

    def url(self, item: Incident | Maintenance) -> str:
        folder = "incidents" if item.kind == "incident" else "maintenance"
        return f"{self.config.base_url}{folder}/{item.id}/"

    # -- the files ------------------------------------------------------------

    @cached_property
    def embedded(self) -> list[Incident | Maintenance]:
        """Every incident and window that some file shows, each once."""
        content, now = self.content, self.now
        found: dict[tuple[str, str], Incident | Maintenance] = {}
        groups: list[list[Incident] | list[Maintenance]] = [
            derive.unresolved(content),
            list(content.incidents[:LIMIT]),
            list(content.maintenance[:LIMIT]),
            derive.maintenance_in_progress(content, now),
            derive.maintenance_upcoming(content, now),
        ]
        for group in groups:
            for item in group:
                found[(item.kind, item.id)] = item
        return list(found.values())

    def inputs(self) -> tuple[object, ...]:
        """All that the files are made of besides the config: for the incremental builder's key.

        An edit to an old incident that no file shows, and that changes no
        component's ``updated_at``, leaves the files as they are.
        """
        created, changed = self._times
        return (
            self.now,
            sorted((cid, str(status)) for cid, status in self.statuses.items()),
            created,
            sorted(changed.items()),
            sorted((item.kind, item.id, item.digest) for item in self.embedded),
        )

    @cached_property
    def _unresolved(self) -> list[Json]:
        return [self.incident(i) for i in derive.unresolved(self.content)]

    @cached_property
    def _active(self) -> list[Json]:
        return [self.maintenance(m) for m in derive.maintenance_in_progress(self.content, self.now)]

    @cached_property
    def _upcoming(self) -> list[Json]:
        return [self.maintenance(m) for m in derive.maintenance_upcoming(self.content, self.now)]

    def document(self, name: str) -> Json:
        """The JSON of ``api/v2/<name>``."""
        page = self.page
        if name == "summary.json":
            return {
                "page": page,
                "components": self.components,
                "incidents": self._unresolved,
                "scheduled_maintenances": [*self._active, *self._upcoming],
                "status": self.status,
            }
        if name == "status.json":
            return {"page": page, "status": self.status}
        if name == "components.json":
            return {"page": page, "components": self.components}
        if name == "incidents.json":
            return {"page": page, "incidents": [self.incident(i) for i in self.content.incidents[:LIMIT]]}
        if name == "incidents/unresolved.json":
            return {"page": page, "incidents": self._unresolved}
        if name == "scheduled-maintenances.json":
            windows = self.content.maintenance[:LIMIT]
            return {"page": page, "scheduled_maintenances": [self.maintenance(m) for m in windows]}
        if name == "scheduled-maintenances/upcoming.json":
            return {"page": page, "scheduled_maintenances": self._upcoming}
        if name == "scheduled-maintenances/active.json":
            return {"page": page, "scheduled_maintenances": self._active}
        raise KeyError(name)

    def render(self, name: str) -> bytes:
        # Compact, as Statuspage serves it: json's C encoder only runs without indent (3x faster).
        return (json.dumps(self.document(name), ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
