"""Uptime from the incidents' status timelines: downtime minutes and percentages.

A component's downtime in a period is the minutes it spent in each status
times that status's weight (``[uptime] weights``: a major outage counts whole,
a partial outage 0.3 of a minute); maintenance is never downtime.  Minutes in
which several incidents, or several components of a group, are down count
once, at the worst status of that minute.  Nothing before ``[uptime] since``
is known, so a period counts only from there, and only up to the build time.

Sums are exact (fractions of microseconds), so the rounding is the only
approximation: percentages rounded down to two decimals (any downtime is
never 100.00), minutes rounded half up to two decimals.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import NamedTuple

from inloop.model import ComponentStatus, Content, SiteConfig
from inloop.render.status import local_day_start

DAYS = 90
#: A day's level on the bars and the calendars: a little downtime is less than
#: LITTLE minutes, more is less than LOT minutes, a lot is LOT minutes or more.
LITTLE_MINUTES = 10
LOT_MINUTES = 60
LEVELS = ("none", "little", "more", "lot")
NO_DATA = "nodata"

_MICROSECONDS = 1_000_000
_MINUTE = Fraction(60 * _MICROSECONDS)
_NONE = Fraction(0)


class Segment(NamedTuple):
    """A stretch of time in which one incident gave one component a status other than operational."""

    start: datetime
    end: datetime | None  # None: it still holds at the build time
    status: ComponentStatus
    incident: str


class Span(NamedTuple):
    """A stretch of time in which the worst status of some components was ``status`` (never operational)."""

    start: datetime
    end: datetime
    status: ComponentStatus


@dataclass(frozen=True, slots=True)
class Day:
    date: date
    downtime_minutes: float | None  # None: before ``since``
    incidents: tuple[str, ...]  # the incidents that gave a component a status other than operational that day

    @property
    def level(self) -> str:
        """``nodata``, ``none``, ``little``, ``more`` or ``lot``: the colour of the day."""
        return day_level(self.downtime_minutes)


@dataclass(frozen=True, slots=True)
class Month:
    month: date  # its first day
    uptime: float | None  # None: no part of it after ``since`` and before the build time
    downtime_minutes: float


@dataclass(frozen=True, slots=True)
class Figures:
    """The uptime of a component, a group or the whole site."""

    id: str
    name: str
    uptime_90d: float | None
    months: tuple[Month, ...]  # every month since ``since``, newest first
    days: tuple[Day, ...]  # the 90 days ending today, oldest first

    @property
    def marked(self) -> tuple[Day, ...]:
        return marked_days(self.days)

    @property
    def any_without_data(self) -> bool:
        return any(day.downtime_minutes is None for day in self.days)


def marked_days(days: Iterable[Day]) -> tuple[Day, ...]:
    """The days to say in words, newest first: those with downtime or an incident."""
    return tuple(sorted((d for d in days if d.incidents or d.downtime_minutes), key=lambda d: d.date, reverse=True))


def day_level(minutes: float | None) -> str:
    if minutes is None:
        return NO_DATA
    if minutes <= 0:
        return "none"
    if minutes < LITTLE_MINUTES:
        return "little"
    if minutes < LOT_MINUTES:
        return "more"
    return "lot"


def round_down_percent(share: Fraction) -> float:
    """A share of 1 as a percentage with two decimals, rounded down."""
    return math.floor(share * 10000) / 100


def round_minutes(minutes: Fraction) -> float:
    return math.floor(minutes * 100 + Fraction(1, 2)) / 100


def weights_of(config: SiteConfig) -> dict[ComponentStatus, Fraction]:
    """The weights as exact fractions: 0.3 is three tenths, not the float nearest to it."""
    weights = {status: Fraction(0) for status in ComponentStatus}
    for status, weight in config.uptime_weights:
        weights[status] = Fraction(str(weight))
    weights[ComponentStatus.UNDER_MAINTENANCE] = Fraction(0)
    weights[ComponentStatus.OPERATIONAL] = Fraction(0)
    return weights


def since_of(config: SiteConfig, content: Content, now: datetime) -> datetime:
    """Where the data starts: ``[uptime] since``, else the day of the first incident or maintenance."""
    if config.uptime_since is not None:
        return local_day_start(config.uptime_since, config)
    starts = [i.start for i in content.incidents] + [m.start for m in content.maintenance]
    first = min(starts, default=now)
    return local_day_start(first.astimezone(config.zone).date(), config)


def segments(content: Content, component_ids: Iterable[str]) -> dict[str, list[Segment]]:
    """Each component's stretches of trouble, from every incident's status timeline."""
    found: dict[str, list[Segment]] = {cid: [] for cid in component_ids}
    for incident in content.incidents:
        holding: dict[str, tuple[datetime, ComponentStatus]] = {}
        for change in incident.status_changes:
            if change.component not in found:
                continue
            previous = holding.pop(change.component, None)
            if previous is not None and previous[0] < change.time:
                found[change.component].append(Segment(previous[0], change.time, previous[1], incident.id))
            if change.new != ComponentStatus.OPERATIONAL:
                holding[change.component] = (change.time, change.new)
        for cid, (start, status) in holding.items():
            found[cid].append(Segment(start, None, status, incident.id))
    return found


def worst_spans(segments: Iterable[Segment], now: datetime) -> list[Span]:
    """The worst status at each moment up to ``now``, as disjoint spans in time order."""
    events: list[tuple[datetime, int, int]] = []
    for segment in segments:
        end = now if segment.end is None else min(segment.end, now)
        if segment.start < end:
            rank = segment.status.rank
            events += [(segment.start, 1, rank), (end, -1, rank)]
    events.sort()
    counts = [0] * len(ComponentStatus)
    statuses = list(ComponentStatus)
    spans: list[Span] = []
    for index, (moment, delta, rank) in enumerate(events):
        counts[rank] += delta
        if index + 1 < len(events) and events[index + 1][0] == moment:
            continue
        if index + 1 == len(events):
            break
        worst = max((r for r, count in enumerate(counts) if count > 0), default=0)
        if worst == 0:
            continue
        following = events[index + 1][0]
        status = statuses[worst]
        if spans and spans[-1].end == moment and spans[-1].status == status:
            spans[-1] = Span(spans[-1].start, following, status)
        else:
            spans.append(Span(moment, following, status))
    return spans


class Timeline:
    """The worst-status spans of some components, to sum the downtime of any period quickly."""

    def __init__(self, spans: Sequence[Span], segments: Sequence[Segment], weights: dict[ComponentStatus, Fraction]):
        self.spans = spans
        self.ends = [span.end for span in spans]
        closed = sorted((s for s in segments if s.end is not None), key=lambda s: s.start)
        self.closed = closed
        self.starts = [s.start for s in closed]
        self.longest = max((s.end - s.start for s in closed if s.end is not None), default=timedelta(0))
        self.open = [s for s in segments if s.end is None]
        self.weights = weights

    def downtime(self, start: datetime, end: datetime) -> Fraction:
        """The weighted minutes of downtime in ``[start, end)``."""
        spans = self.spans
        first = bisect.bisect_right(self.ends, start)
        if first == len(spans) or spans[first].start >= end:
            return _NONE  # most days of most components
        total = Fraction(0)
        for index in range(first, len(spans)):
            span = spans[index]
            if span.start >= end:
                break
            overlap = min(span.end, end) - max(span.start, start)
            total += self.weights[span.status] * (overlap // timedelta(microseconds=1))
        return total / _MINUTE

    def incidents(self, start: datetime, end: datetime, now: datetime) -> tuple[str, ...]:
        """The incidents that gave one of the components a status other than operational in ``[start, end)``."""
        end = min(end, now)
        low = bisect.bisect_left(self.starts, start - self.longest)
        high = bisect.bisect_left(self.starts, end)
        if low == high and not self.open:
            return ()
        found = {s.incident for s in self.closed[low:high] if s.end is not None and s.end > start}
        found.update(s.incident for s in self.open if s.start < end)
        return tuple(sorted(found))


def uptime_share(timeline: Timeline, start: datetime, end: datetime) -> tuple[Fraction, Fraction] | None:
    """The share of ``[start, end)`` that was up, and the downtime minutes; None for an empty period."""
    if end <= start:
        return None
    minutes = Fraction((end - start) // timedelta(microseconds=1)) / _MINUTE
    downtime = timeline.downtime(start, end)
    return max(Fraction(0), (minutes - downtime) / minutes), downtime


def month_starts(since: datetime, now: datetime, config: SiteConfig) -> list[date]:
    """The first days of the months from ``since``'s to ``now``'s, newest first."""
    first = since.astimezone(config.zone).date().replace(day=1)
    last = now.astimezone(config.zone).date().replace(day=1)
    months = []
    while first <= last:
        months.append(first)
        first = next_month(first)
    return months[::-1]


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


class Uptime:
    """Every uptime figure of a site at a build time; each component's, group's and the overall."""

    def __init__(self, config: SiteConfig, content: Content, now: datetime) -> None:
        self.config = config
        self.now = now
        self.since = since_of(config, content, now)
        self.weights = weights_of(config)
        self.segments = segments(content, config.component_ids)
        self._timelines: dict[tuple[str, ...], Timeline] = {}
        self._components: list[Figures] | None = None
        self._month_days: dict[tuple[tuple[str, ...], date], tuple[Day, ...]] = {}
        self._bounds: dict[date, tuple[datetime, datetime]] = {}
        today = now.astimezone(config.zone).date()
        self.days = [today - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]

    def timeline(self, component_ids: Sequence[str]) -> Timeline:
        key = tuple(component_ids)
        if key not in self._timelines:
            chosen = [segment for cid in key for segment in self.segments.get(cid, [])]
            self._timelines[key] = Timeline(worst_spans(chosen, self.now), chosen, self.weights)
        return self._timelines[key]

    def clip(self, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        """``[start, end)`` without what lies before ``since`` or after the build time."""
        return max(start, self.since), min(end, self.now)

    def bounds(self, day: date) -> tuple[datetime, datetime]:
        """Where a day starts and ends in the site's zone; found once per day for every component."""
        found = self._bounds.get(day)
        if found is None:
            found = (local_day_start(day, self.config), local_day_start(day + timedelta(days=1), self.config))
            self._bounds[day] = found
        return found

    def day(self, component_ids: Sequence[str], day: date) -> Day:
        timeline = self.timeline(component_ids)
        day_start, day_end = self.bounds(day)
        incidents = timeline.incidents(day_start, day_end, self.now)
        if day_end <= self.since:
            return Day(day, None, incidents)
        start, end = self.clip(day_start, day_end)
        downtime = timeline.downtime(start, end) if start < end else _NONE
        return Day(day, round_minutes(downtime) if downtime else 0.0, incidents)

    def month_days(self, component_ids: Sequence[str], first: date) -> tuple[Day, ...]:
        """The days of a month up to today, for a calendar; computed once, as re-planned pages ask again."""
        key = (tuple(component_ids), first)
        found = self._month_days.get(key)
        if found is None:
            found = self._month_days[key] = self._days_of_month(component_ids, first)
        return found

    def _days_of_month(self, component_ids: Sequence[str], first: date) -> tuple[Day, ...]:
        today = self.now.astimezone(self.config.zone).date()
        days = []
        day = first
        while day.month == first.month and day <= today:
            days.append(self.day(component_ids, day))
            day += timedelta(days=1)
        return tuple(days)

    def month(self, component_ids: Sequence[str], first: date) -> Month:
        start, end = self.clip(local_day_start(first, self.config), local_day_start(next_month(first), self.config))
        figures = uptime_share(self.timeline(component_ids), start, end)
        if figures is None:
            return Month(first, None, 0.0)
        return Month(first, round_down_percent(figures[0]), round_minutes(figures[1]))

    def months(self, component_ids: Sequence[str]) -> tuple[Month, ...]:
        return tuple(self.month(component_ids, first) for first in month_starts(self.since, self.now, self.config))

    def uptime_90d(self, component_ids: Sequence[str]) -> float | None:
        start, end = self.clip(local_day_start(self.days[0], self.config), self.now)
        figures = uptime_share(self.timeline(component_ids), start, end)
        return None if figures is None else round_down_percent(figures[0])

    def figures(self, figure_id: str, name: str, component_ids: Sequence[str]) -> Figures:
        return Figures(
            figure_id,
            name,
            self.uptime_90d(component_ids),
            self.months(component_ids),
            tuple(self.day(component_ids, day) for day in self.days),
        )

    def components(self) -> list[Figures]:
        """Each component's figures, in ``inloop.toml``'s order; computed once."""
        if self._components is None:
            self._components = [self.figures(c.id, c.name, (c.id,)) for c in self.config.components]
        return self._components

    def component(self, component_id: str) -> Figures:
        return next(f for f in self.components() if f.id == component_id)

    def since_day(self) -> date:
        return self.since.astimezone(self.config.zone).date()

    def groups(self) -> list[tuple[str, tuple[str, ...]]]:
        """Each named group and its members' ids, in the order ``inloop.toml`` lists them."""
        return [(group, tuple(c.id for c in members)) for group, members in self.config.groups if group is not None]

    def overall_ids(self) -> tuple[str, ...]:
        return self.config.component_ids


def percent_text(value: float | None) -> str:
    """``99.93``: always two decimals (the value is already rounded down)."""
    return "–" if value is None else f"{value:.2f}"
