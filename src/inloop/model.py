"""The status site as frozen data: what the readers produce, what renderers read.

Everything here is plain and immutable, so pages can be rendered in any order,
in other processes, and cached by the digest of what they were made from.
Derived values (an incident's status, its end) are properties, never stored
twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from operator import attrgetter
from typing import Any, Literal, NamedTuple, TypeVar

_Class = TypeVar("_Class", bound=type)


def pickled_as_tuples(cls: _Class) -> _Class:
    """Pickle a frozen slots dataclass as the tuple of its fields' values.

    What ``dataclasses`` gives such a class looks its fields up again for
    every object: half the time of sending parsed items between processes
    and of storing them in the cache.  Derived fields (``init=False``) are
    kept, so unpickling runs no ``__post_init__``, as before.
    """
    names = tuple(f.name for f in fields(cls))
    values = attrgetter(*names)
    setter = object.__setattr__

    def __getstate__(self: Any) -> tuple[Any, ...]:
        state = values(self)
        return state if len(names) > 1 else (state,)

    def __setstate__(self: Any, state: tuple[Any, ...]) -> None:
        for name, value in zip(names, state, strict=True):
            setter(self, name, value)

    setattr(cls, "__getstate__", __getstate__)  # noqa: B010 - mypy knows neither on a bare type
    setattr(cls, "__setstate__", __setstate__)  # noqa: B010
    return cls


class Impact(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Impact).index(self)


class ComponentStatus(StrEnum):
    """Ordered from best to worst: ``max(..., key=rank)`` is the worst."""

    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"

    @property
    def rank(self) -> int:
        return list(ComponentStatus).index(self)

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ComponentStatus.OPERATIONAL: "Operational",
    ComponentStatus.UNDER_MAINTENANCE: "Under maintenance",
    ComponentStatus.DEGRADED_PERFORMANCE: "Degraded performance",
    ComponentStatus.PARTIAL_OUTAGE: "Partial outage",
    ComponentStatus.MAJOR_OUTAGE: "Major outage",
}

#: A status inside a sentence: "API: partial outage → operational".
STATUS_WORDS = {
    ComponentStatus.OPERATIONAL: "operational",
    ComponentStatus.UNDER_MAINTENANCE: "under maintenance",
    ComponentStatus.DEGRADED_PERFORMANCE: "degraded performance",
    ComponentStatus.PARTIAL_OUTAGE: "partial outage",
    ComponentStatus.MAJOR_OUTAGE: "major outage",
}

#: Statuses an author may give a component in an incident.
INCIDENT_COMPONENT_STATUSES = (
    ComponentStatus.OPERATIONAL,
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE,
)

INCIDENT_STATUSES = ("Investigating", "Identified", "Monitoring", "Update", "Resolved")
MAINTENANCE_STATUSES = ("Scheduled", "In progress", "Verifying", "Completed")

Kind = Literal["incident", "maintenance"]


@pickled_as_tuples
@dataclass(frozen=True, slots=True)
class Component:
    id: str
    name: str
    group: str | None = None
    description: str | None = None


@pickled_as_tuples
@dataclass(frozen=True, slots=True)
class FileMeta:
    """What the linter and importer need from a file beyond the page's facts."""

    key_lines: tuple[tuple[str, int], ...] = ()
    check_disable: tuple[str, ...] = ()
    imported: tuple[tuple[str, str], ...] = ()
    summary_line: int = 0

    def line_of(self, key: str) -> int:
        for name, line in self.key_lines:
            if name == key:
                return line
        return 1


class StatusSetting(NamedTuple):
    """One entry of an update's status line (``Components: api → operational``)."""

    component: str
    status: ComponentStatus
    line: int  # where it is written, for error messages


class StatusChange(NamedTuple):
    """A component's status changing during an incident: one step of its timeline."""

    time: datetime
    component: str
    old: ComponentStatus
    new: ComponentStatus
    anchor: str | None  # the update it happens at; None: at the incident's start (the front matter)
    stated: bool  # named by that update's status line; else implied (the start, resolving, reopening)


@pickled_as_tuples
@dataclass(frozen=True, slots=True)
class Update:
    """One timestamped update; ``status`` is effective (an ``Update`` inherits)."""

    time: datetime
    written_status: str  # as written, normalised: "Update", "In progress", ...
    status: str  # effective: never "Update"
    body: str  # Markdown source, without its status lines
    html: str
    line: int
    anchor: str  # "update-20261120T140200Z", suffixed if two share a second
    zone_given: bool = True
    settings: tuple[StatusSetting, ...] = ()  # its status lines' entries, in the order written


@pickled_as_tuples
@dataclass(frozen=True, slots=True)
class PreventionStep:
    text: str  # Markdown source
    html: str
    plain: str  # text without markup, for feed titles
    done: datetime | None  # a date alone is the start of that day in the site's zone
    anchor: str  # "prevention-1" or "prevention-<id>"
    line: int
    done_day: date | None = None  # the day, when 'done' was written as a date alone: shown without a clock


@pickled_as_tuples
@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    path: str  # as shown in error messages
    title: str
    impact: Impact
    components: tuple[tuple[str, ComponentStatus], ...]
    updates: tuple[Update, ...]  # oldest first
    summary: str = ""
    summary_html: str = ""
    cause: str | None = None
    cause_html: str | None = None
    estimate: datetime | None = None
    previous_estimates: tuple[datetime, ...] = ()
    next_update: datetime | None = None
    prevention: tuple[PreventionStep, ...] = ()
    postmortem: str | None = None
    started: datetime | None = None
    digest: str = ""  # hash of the source bytes: what every page made from it depends on
    meta: FileMeta = field(default_factory=lambda: FileMeta())

    kind: Kind = "incident"
    # Derived once, in __post_init__: pages and lists ask for these thousands of times.
    status: str = field(init=False)
    resolved: bool = field(init=False)
    start: datetime = field(init=False)
    end: datetime | None = field(init=False)  # when it was resolved; None while open
    #: The front matter's components, then those that status lines add, in the order they come.
    component_ids: tuple[str, ...] = field(init=False)
    #: Every change of a component's status, in time order, from the start (see :func:`status_timeline`).
    status_changes: tuple[StatusChange, ...] = field(init=False)

    def __post_init__(self) -> None:
        status = self.updates[-1].status
        resolved = status == "Resolved"
        end = None
        if resolved:  # the Resolved update, not a later postmortem Update
            end = self.updates[-1].time
            for update in reversed(self.updates):
                if update.status != "Resolved":
                    break
                if update.written_status == "Resolved":
                    end = update.time
        set_field = object.__setattr__
        set_field(self, "status", status)
        set_field(self, "resolved", resolved)
        set_field(self, "start", self.started if self.started is not None else self.updates[0].time)
        set_field(self, "end", end)
        ids, changes = status_timeline(self.start, self.components, self.updates)
        set_field(self, "component_ids", ids)
        set_field(self, "status_changes", changes)

    @property
    def latest(self) -> Update:
        return self.updates[-1]

    def component_statuses_at(self, moment: datetime) -> dict[str, ComponentStatus]:
        """Each component's status at ``moment``: as the latest update at or before it set it.

        Before the start every component is operational; from the start, as
        the front matter says; while resolved, operational again.
        """
        statuses = dict.fromkeys(self.component_ids, ComponentStatus.OPERATIONAL)
        for change in self.status_changes:
            if change.time > moment:
                break
            statuses[change.component] = change.new
        return statuses

    @property
    def latest_components(self) -> tuple[tuple[str, ComponentStatus], ...]:
        """Each component's status after the latest update, in ``component_ids`` order."""
        statuses = dict.fromkeys(self.component_ids, ComponentStatus.OPERATIONAL)
        for change in self.status_changes:
            statuses[change.component] = change.new
        return tuple(statuses.items())

    def changes_at(self, update: Update) -> tuple[StatusChange, ...]:
        """The changes that ``update``'s status lines made, as its page shows them."""
        if not update.settings:
            return ()
        return tuple(c for c in self.status_changes if c.anchor == update.anchor and c.stated)

    @property
    def first_estimate(self) -> datetime | None:
        if self.previous_estimates:
            return self.previous_estimates[0]
        return self.estimate

    def active_between(self, start: datetime, end: datetime, now: datetime) -> bool:
        """Whether the incident was open at some moment of ``[start, end)``."""
        finish = self.end if self.end is not None else now
        return self.start < end and finish >= start


def status_timeline(
    start: datetime, components: tuple[tuple[str, ComponentStatus], ...], updates: tuple[Update, ...]
) -> tuple[tuple[str, ...], tuple[StatusChange, ...]]:
    """An incident's components, and every change of their statuses.

    A component holds the status the front matter gives it from ``start``,
    until an update's status line sets another; a status line may add a
    component, which was operational until then.  While the incident is
    resolved every component is operational; reopened, each holds again the
    status it held before.
    """
    ids = [cid for cid, _ in components]
    held = dict(components)
    shown = dict(components)
    changes = [
        StatusChange(start, cid, ComponentStatus.OPERATIONAL, status, None, False)
        for cid, status in components
        if status != ComponentStatus.OPERATIONAL
    ]
    resolved = False
    for update in updates:
        now_resolved = update.status == "Resolved"
        if not update.settings and now_resolved == resolved:
            continue
        resolved = now_resolved
        stated: set[str] = set()
        for setting in update.settings:
            if setting.component not in held:
                ids.append(setting.component)
                shown[setting.component] = ComponentStatus.OPERATIONAL
            held[setting.component] = setting.status
            stated.add(setting.component)
        for cid in ids:
            new = ComponentStatus.OPERATIONAL if resolved else held[cid]
            if new != shown[cid]:
                changes.append(StatusChange(update.time, cid, shown[cid], new, update.anchor, cid in stated))
                shown[cid] = new
    return tuple(ids), tuple(changes)


@pickled_as_tuples
@dataclass(frozen=True, slots=True)
class Maintenance:
    id: str
    path: str
    title: str
    components: tuple[str, ...]
    start: datetime
    end: datetime
    updates: tuple[Update, ...]  # oldest first, may be empty
    description: str | None = None
    description_html: str | None = None
    cancelled: bool = False
    digest: str = ""
    meta: FileMeta = field(default_factory=lambda: FileMeta())

    kind: Kind = "maintenance"

    @property
    def component_ids(self) -> tuple[str, ...]:
        return self.components

    def state(self, now: datetime) -> str:
        """``Scheduled``, ``In progress``, ``Verifying``, ``Completed`` or ``Cancelled``."""
        if self.cancelled:
            return "Cancelled"
        if self.updates:
            return self.updates[-1].status
        if now < self.start:
            return "Scheduled"
        if now < self.end:
            return "In progress"
        return "Completed"

    def in_progress(self, now: datetime) -> bool:
        return self.state(now) in ("In progress", "Verifying")

    def upcoming(self, now: datetime) -> bool:
        return self.state(now) == "Scheduled" and self.end > now

    def finished(self, now: datetime) -> bool:
        return self.state(now) in ("Completed", "Cancelled") or (self.state(now) == "Scheduled" and self.end <= now)


#: ``[uptime] weights`` unless given: Statuspage's and Instatus' weighing of a partial outage.
DEFAULT_UPTIME_WEIGHTS = (
    (ComponentStatus.MAJOR_OUTAGE, 1.0),
    (ComponentStatus.PARTIAL_OUTAGE, 0.3),
    (ComponentStatus.DEGRADED_PERFORMANCE, 0.0),
)


@pickled_as_tuples
@dataclass(frozen=True, slots=True)
class SiteConfig:
    """``inloop.toml``, validated."""

    title: str
    base_url: str  # always ends with "/"
    timezone_name: str
    zone: tzinfo
    language: str
    description: str
    contact: str | None
    components: tuple[Component, ...]
    feed_items: int = 50
    history_page_size: int = 25
    favicon: str | None = None
    path: str = "inloop.toml"
    digest: str = ""
    check: tuple[tuple[str, object], ...] = ()
    #: [notify], [publish], [alerts], [subscriptions]: read by their own modules
    raw_tables: tuple[tuple[str, object], ...] = ()
    subscribe_url: str | None = None  # [subscriptions] url: where the sign-up form posts
    subscribe_languages: tuple[str, ...] = ()  # the languages the sign-up form offers
    #: ``[uptime] weights``: the share of a minute in each status that counts as downtime.
    uptime_weights: tuple[tuple[ComponentStatus, float], ...] = DEFAULT_UPTIME_WEIGHTS
    uptime_since: date | None = None  # ``[uptime] since``; None: the day of the first incident or maintenance

    def component(self, component_id: str) -> Component:
        for component in self.components:
            if component.id == component_id:
                return component
        raise KeyError(component_id)

    @property
    def component_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.components)

    @property
    def groups(self) -> tuple[tuple[str | None, tuple[Component, ...]], ...]:
        """The components as ``inloop.toml`` lists them: sections of (group, members).

        A group stands where its first member stands, with all its members;
        ungrouped components keep their own places, each run of them a section
        whose group is None.  So a component listed before every group is shown
        before them, and one listed after a group after it.
        """
        sections: list[tuple[str | None, list[Component]]] = []
        named: dict[str, list[Component]] = {}
        for component in self.components:
            group = component.group
            if group is not None and group in named:
                named[group].append(component)
            elif group is not None:
                named[group] = [component]
                sections.append((group, named[group]))
            elif sections and sections[-1][0] is None:
                sections[-1][1].append(component)
            else:
                sections.append((None, [component]))
        return tuple((group, tuple(members)) for group, members in sections)


@pickled_as_tuples
@dataclass(frozen=True, slots=True)
class Content:
    """Every incident and maintenance window, sorted newest first by start."""

    incidents: tuple[Incident, ...]
    maintenance: tuple[Maintenance, ...]


DAY = timedelta(days=1)
