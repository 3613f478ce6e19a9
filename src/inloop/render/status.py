"""What the site says at build time: statuses, bars, lists and pages of history.

Pure functions of the config, the content and ``now``.  They are computed once
a build and handed to every page, so no template ever walks every incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from inloop.model import ComponentStatus, Content, Impact, Incident, Maintenance, SiteConfig
from inloop.times import localize

BAR_DAYS = 90
RECENT_DAYS = 14

OVERALL_SENTENCES = {
    ComponentStatus.OPERATIONAL: "All systems operational",
    ComponentStatus.UNDER_MAINTENANCE: "Under maintenance",
    ComponentStatus.DEGRADED_PERFORMANCE: "Degraded performance",
    ComponentStatus.PARTIAL_OUTAGE: "Partial outage",
    ComponentStatus.MAJOR_OUTAGE: "Major outage",
}

Item = Incident | Maintenance


@dataclass(frozen=True, slots=True)
class BarDay:
    day: date
    impact: Impact | None  # worst impact of incidents active that day; None: no incident
    incidents: tuple[str, ...]
    maintenance: bool

    @property
    def level(self) -> str:
        return "ok" if self.impact is None else str(self.impact)


@dataclass(frozen=True, slots=True)
class HistoryPage:
    number: int
    count: int
    items: tuple[Item, ...]


def component_statuses(config: SiteConfig, content: Content, now: datetime) -> dict[str, ComponentStatus]:
    """Each component's status at ``now``: the worst that an open incident or a window in progress gives it."""
    statuses = {c.id: ComponentStatus.OPERATIONAL for c in config.components}
    for window in content.maintenance:
        if window.in_progress(now):
            for cid in window.components:
                if cid in statuses and statuses[cid].rank < ComponentStatus.UNDER_MAINTENANCE.rank:
                    statuses[cid] = ComponentStatus.UNDER_MAINTENANCE
    for incident in unresolved(content):
        for cid, status in incident.component_statuses_at(now).items():
            if cid in statuses and statuses[cid].rank < status.rank:
                statuses[cid] = status
    return statuses


def overall_status(statuses: dict[str, ComponentStatus]) -> ComponentStatus:
    return max(statuses.values(), key=lambda s: s.rank, default=ComponentStatus.OPERATIONAL)


def unresolved(content: Content) -> list[Incident]:
    return [i for i in content.incidents if not i.resolved]


def maintenance_in_progress(content: Content, now: datetime) -> list[Maintenance]:
    return sorted((m for m in content.maintenance if m.in_progress(now)), key=lambda m: (m.start, m.id))


def maintenance_upcoming(content: Content, now: datetime) -> list[Maintenance]:
    return sorted((m for m in content.maintenance if m.upcoming(now)), key=lambda m: (m.start, m.id))


def recent_incidents(content: Content, now: datetime, days: int = RECENT_DAYS) -> list[Incident]:
    since = now - timedelta(days=days)
    return [i for i in content.incidents if i.active_between(since, now, now)]


def local_day_start(day: date, config: SiteConfig) -> datetime:
    return localize(datetime.combine(day, time()), config.zone)


def bar_days(now: datetime, config: SiteConfig) -> list[tuple[date, datetime, datetime]]:
    today = now.astimezone(config.zone).date()
    days = []
    for back in range(BAR_DAYS - 1, -1, -1):
        day = today - timedelta(days=back)
        days.append((day, local_day_start(day, config), local_day_start(day + timedelta(days=1), config)))
    return days


def bars(config: SiteConfig, content: Content, now: datetime) -> dict[str, tuple[BarDay, ...]]:
    """A 90-day bar for every component, in one pass over the recent incidents."""
    days = bar_days(now, config)
    window_start = days[0][1]
    worst: dict[str, list[Impact | None]] = {c.id: [None] * BAR_DAYS for c in config.components}
    names: dict[str, list[list[str]]] = {c.id: [[] for _ in range(BAR_DAYS)] for c in config.components}
    maint: dict[str, list[bool]] = {c.id: [False] * BAR_DAYS for c in config.components}
    for incident in content.incidents:
        end = incident.end or now
        if end < window_start or incident.start > now:
            continue
        for index, (_, day_start, day_end) in enumerate(days):
            if incident.start < day_end and end >= day_start:
                for cid in incident.component_ids:
                    if cid not in worst:
                        continue
                    current = worst[cid][index]
                    if current is None or current.rank < incident.impact.rank:
                        worst[cid][index] = incident.impact
                    names[cid][index].append(incident.id)
    for window in content.maintenance:
        if window.cancelled or window.end < window_start or window.start > now:
            continue
        for index, (_, day_start, day_end) in enumerate(days):
            if window.start < day_end and window.end > day_start:
                for cid in window.components:
                    if cid in maint:
                        maint[cid][index] = True
    return {
        cid: tuple(
            BarDay(days[i][0], worst[cid][i], tuple(sorted(names[cid][i])), maint[cid][i]) for i in range(BAR_DAYS)
        )
        for cid in worst
    }


def history_items(content: Content) -> list[Item]:
    """Incidents and maintenance windows, newest first."""
    items: list[Item] = [*content.incidents, *content.maintenance]
    items.sort(key=lambda i: (i.start, i.kind, i.id), reverse=True)
    return items


def history_index(content: Content, component_ids: Sequence[str]) -> tuple[list[Item], dict[str, list[Item]]]:
    """Everything newest first, and each component's share of it, in one pass."""
    items = history_items(content)
    per_component: dict[str, list[Item]] = {cid: [] for cid in component_ids}
    for item in items:
        for cid in item.component_ids:
            found = per_component.get(cid)
            if found is not None:
                found.append(item)
    return items, per_component


def paginate(items: Sequence[Item], size: int) -> list[HistoryPage]:
    count = max(1, -(-len(items) // size))
    return [HistoryPage(n + 1, count, tuple(items[n * size : (n + 1) * size])) for n in range(count)]


def group_by_month(items: Sequence[Item], config: SiteConfig) -> list[tuple[date, list[Item]]]:
    groups: list[tuple[date, list[Item]]] = []
    for item in items:
        local = item.start.astimezone(config.zone)
        month = date(local.year, local.month, 1)
        if not groups or groups[-1][0] != month:
            groups.append((month, []))
        groups[-1][1].append(item)
    return groups


def last_updated(items: Sequence[Item]) -> datetime | None:
    """The time of the latest update among ``items``: a page's "last updated"."""
    times = [i.updates[-1].time for i in items if i.updates]
    return max(times) if times else None


def incident_duration(incident: Incident, now: datetime) -> timedelta:
    return (incident.end or now) - incident.start


def next_change(config: SiteConfig, content: Content, now: datetime) -> datetime:
    """The next moment at which the output changes although no file did.

    A new day in the site's zone (the 90-day bars), a maintenance window
    starting or ending, an incident leaving the 14-day list, a prevention step's
    follow-up coming due, an update's time arriving.
    """
    local_today = now.astimezone(config.zone).date()
    candidates = [local_day_start(local_today + timedelta(days=1), config)]
    for window in content.maintenance:
        candidates += [window.start, window.end]
        candidates += [u.time for u in window.updates]
    for incident in content.incidents:
        if incident.end is not None:
            candidates.append(incident.end + timedelta(days=RECENT_DAYS))
        candidates += [s.done for s in incident.prevention if s.done is not None]
        candidates += [u.time for u in incident.updates]
    return min(c for c in candidates if c > now)
