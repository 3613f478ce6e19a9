"""Uptime from the incidents' status timelines: downtime minutes and percentages.

A component's downtime in a period is the minutes it spent in each status
times that status's weight (``[uptime] weights``: a major outage counts whole,
a partial outage 0.3 of a minute); maintenance is never downtime.  Minutes in
which several incidents, or several components of a group, are down count
once, at the worst status of that minute.  Nothing before ``[uptime] since``
is known, so a period counts only from there, and only up to the build time.

Sums are exact (whole microseconds times the weights' common denominator),
so the rounding is the only approximation: percentages rounded down to two
decimals (any downtime is never 100.00), minutes rounded half up to two
decimals.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import NamedTuple, Protocol

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
_MICROSECOND = timedelta(microseconds=1)
_NO_TIME = timedelta(0)
#: Every status from best to worst, and each one's place in that order (``ComponentStatus.rank``, looked up once).
_STATUSES = list(ComponentStatus)
_RANKS = {status: status.rank for status in _STATUSES}


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


def round_units(units: int, unit: int) -> float:
    """``round_minutes(Fraction(units, unit))`` in whole numbers (``units`` >= 0)."""
    return (200 * units + unit) // (2 * unit) / 100


def percent_of(up: int, period: int) -> float:
    """``round_down_percent(Fraction(up, period))`` in whole numbers (``period`` > 0), never below 0."""
    return max(0, up) * 10000 // period / 100


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
            rank = _RANKS[segment.status]
            events += [(segment.start, 1, rank), (end, -1, rank)]
    events.sort()
    counts = [0] * len(_STATUSES)
    spans: list[Span] = []
    held: tuple[datetime, datetime, int] | None = None  # the span being made: start, end, rank
    last = len(events) - 1
    for index, (moment, delta, rank) in enumerate(events):
        counts[rank] += delta
        if index == last:
            break
        following = events[index + 1][0]
        if following == moment:
            continue
        worst = len(counts) - 1
        while worst and not counts[worst]:
            worst -= 1
        if held is not None and held[1] == moment and held[2] == worst:
            held = (held[0], following, worst)  # the same status goes on
            continue
        if held is not None:
            spans.append(Span(held[0], held[1], _STATUSES[held[2]]))
        held = (moment, following, worst) if worst else None
    if held is not None:
        spans.append(Span(held[0], held[1], _STATUSES[held[2]]))
    return spans


class DayIncidents(Protocol):
    def get(self, index: int, default: tuple[str, ...], /) -> tuple[str, ...]: ...


def _day_incidents(
    segments: Sequence[Segment],
    bounds: Sequence[datetime],
    now: datetime,
    shared: dict[tuple[str, ...], tuple[str, ...]],
) -> dict[int, tuple[str, ...]]:
    """The incidents that gave a component a status other than operational on each day, by the day's number."""
    count = len(bounds) - 1
    found: dict[int, set[str]] = {}
    for segment in segments:
        if segment.start >= now:
            continue
        index = max(bisect.bisect_right(bounds, segment.start) - 1, 0)
        while index < count and (segment.end is None or bounds[index] < segment.end):
            found.setdefault(index, set()).add(segment.incident)
            index += 1
    return {index: shared.setdefault(ids := tuple(sorted(names)), ids) for index, names in found.items()}


class _Together:
    """The incidents of each day of some components together: those of each one's table, made when asked.

    A group's or the whole site's days are shown only for the last 90 days.
    """

    def __init__(self, members: Sequence[DayTable], shared: dict[tuple[str, ...], tuple[str, ...]]) -> None:
        self.members = members
        self.shared = shared
        self._found: dict[int, tuple[str, ...]] = {}

    def get(self, index: int, default: tuple[str, ...], /) -> tuple[str, ...]:
        found = self._found.get(index)
        if found is None:
            names = {name for member in self.members for name in member.incidents.get(index, ())}
            found = self._found[index] = self.shared.setdefault(ids := tuple(sorted(names)), ids) if names else ()
        return found or default


class DayTable:
    """Some components' downtime and incidents on each day of a range, from one sweep over their trouble.

    The worst-status spans are cut at the day boundaries of the site's zone
    once, so that any day, month or 90 days is a look-up or a sum over the
    few days with downtime, and each day is made once for every page that
    shows it (the bars, the calendars, ``uptime.json``).
    """

    def __init__(
        self,
        spans: Sequence[Span],
        segments: Sequence[Segment],
        weights: dict[ComponentStatus, Fraction],
        first: date,
        bounds: Sequence[datetime],
        since: datetime,
        now: datetime,
        plain: list[Day | None] | None = None,
        shared: dict[tuple[str, ...], tuple[str, ...]] | None = None,
        members: Sequence[DayTable] | None = None,
    ) -> None:
        self.first = first
        self.bounds = bounds  # day n runs from bounds[n] to bounds[n + 1]
        self.since = since
        #: The days without downtime or incidents, shared by the tables of the same days.
        self.plain = plain
        count = len(bounds) - 1
        # In whole numbers: each weight times the weights' common denominator, each minute that many units.
        self.scale = scale = math.lcm(*(weight.denominator for weight in weights.values()))
        units = {status: int(weight * scale) for status, weight in weights.items()}
        self.unit = 60 * _MICROSECONDS * scale  # a minute of downtime
        weighted: dict[int, int] = {}
        for span in spans:
            weight, start = units[span.status], max(span.start, since)  # nothing before since is known
            index = max(bisect.bisect_right(bounds, start) - 1, 0)
            while weight and index < count and bounds[index] < span.end:
                overlap = min(span.end, bounds[index + 1]) - max(start, bounds[index])
                if overlap > _NO_TIME:
                    weighted[index] = weighted.get(index, 0) + weight * (overlap // _MICROSECOND)
                index += 1
        #: The weighted downtime of each day that has any, in units, by the day's number.
        self.downtime = dict(sorted(weighted.items()))
        self._down_days = list(self.downtime)
        self._running = list(itertools.accumulate(self.downtime.values(), initial=0))
        shared = shared if shared is not None else {}
        #: Each day's incidents; the same ids are one tuple (a long incident's days, a day in several tables).
        self.incidents: DayIncidents = (
            _Together(members, shared) if members is not None else _day_incidents(segments, bounds, now, shared)
        )
        self._days: list[Day | None] = [None] * count

    def __len__(self) -> int:
        return len(self._days)

    def day(self, index: int) -> Day:
        """Day ``index`` of the range; made once, and a day without downtime or incidents once for every table."""
        found = self._days[index]
        if found is None:
            downtime, incidents = self.downtime.get(index), self.incidents.get(index, ())
            plain = self.plain if not downtime and not incidents else None
            found = plain[index] if plain is not None else None
            if found is None:
                if self.bounds[index + 1] <= self.since:
                    minutes: float | None = None
                else:
                    minutes = round_units(downtime, self.unit) if downtime else 0.0
                found = Day(self.first + timedelta(days=index), minutes, incidents)
                if plain is not None:
                    plain[index] = found
            self._days[index] = found
        return found

    def downtime_between(self, start: datetime, end: datetime) -> int:
        """The downtime in ``[start, end)``, in units: both at a day's start, or ``end`` at the build time."""
        low = bisect.bisect_left(self._down_days, bisect.bisect_left(self.bounds, start))
        high = bisect.bisect_left(self._down_days, bisect.bisect_left(self.bounds, end))
        return self._running[high] - self._running[low]


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
    """Every uptime figure of a site at a build time; each component's, group's and the overall.

    Each set of components gets one :class:`DayTable` over the days from the
    first shown (the month of ``since``, or 90 days ago) to today; every
    figure is read from it.
    """

    def __init__(self, config: SiteConfig, content: Content, now: datetime) -> None:
        self.config = config
        self.now = now
        self.since = since_of(config, content, now)
        self.weights = weights_of(config)
        self.segments = segments(content, config.component_ids)
        self._tables: dict[tuple[str, ...], DayTable] = {}
        self._components: list[Figures] | None = None
        self.today = now.astimezone(config.zone).date()
        self.days = [self.today - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]
        self.first = min(self.since_day().replace(day=1), self.days[0])
        count = (self.today - self.first).days + 1
        self.bounds = [local_day_start(self.first + timedelta(days=n), config) for n in range(count + 1)]
        self._plain: list[Day | None] = [None] * count
        self._ids: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._keys: dict[int, tuple[object, str]] = {}

    def table(self, component_ids: Sequence[str]) -> DayTable:
        key = tuple(component_ids)
        found = self._tables.get(key)
        if found is None:
            chosen = [segment for cid in key for segment in self.segments.get(cid, [])]
            spans = worst_spans(chosen, self.now)
            # several components: each day's incidents are their tables', joined when a day is shown
            members = [self.table((cid,)) for cid in key] if len(key) > 1 else None
            found = DayTable(
                spans,
                chosen,
                self.weights,
                self.first,
                self.bounds,
                self.since,
                self.now,
                self._plain,
                self._ids,
                members,
            )
            self._tables[key] = found
        return found

    def clip(self, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        """``[start, end)`` without what lies before ``since`` or after the build time."""
        return max(start, self.since), min(end, self.now)

    def day_start(self, day: date) -> datetime:
        """Where a day starts in the site's zone."""
        index = (day - self.first).days
        return self.bounds[index] if 0 <= index < len(self.bounds) else local_day_start(day, self.config)

    def day(self, component_ids: Sequence[str], day: date) -> Day:
        index = (day - self.first).days
        table = self.table(component_ids)
        if 0 <= index < len(table):
            return table.day(index)
        # outside the days any page shows: a table of that day alone
        chosen = [segment for cid in component_ids for segment in self.segments.get(cid, [])]
        bounds = [self.day_start(day), self.day_start(day + timedelta(days=1))]
        alone = DayTable(worst_spans(chosen, self.now), chosen, self.weights, day, bounds, self.since, self.now)
        return alone.day(0)

    def month_days(self, component_ids: Sequence[str], first: date) -> tuple[Day, ...]:
        """The days of a month up to today, for a calendar."""
        last = min(next_month(first), self.today + timedelta(days=1))
        low, high = (first - self.first).days, (last - self.first).days
        table = self.table(component_ids)
        if low < 0:  # before any day a page shows
            return tuple(self.day(component_ids, first + timedelta(days=n)) for n in range(high - low))
        return tuple(table.day(index) for index in range(low, high))

    def share(self, component_ids: Sequence[str], start: datetime, end: datetime) -> tuple[float, float] | None:
        """The uptime percentage of ``[start, end)`` and its downtime minutes, rounded; None when nothing is known.

        ``start`` is a day's start and ``end`` a day's start or the build time.
        In whole numbers: the period and the downtime in the table's units.
        """
        start, end = self.clip(start, end)
        if end <= start:
            return None
        table = self.table(component_ids)
        period = (end - start) // _MICROSECOND * table.scale
        downtime = table.downtime_between(start, end)
        return percent_of(period - downtime, period), round_units(downtime, table.unit)

    def month(self, component_ids: Sequence[str], first: date) -> Month:
        figures = self.share(component_ids, self.day_start(first), self.day_start(next_month(first)))
        if figures is None:
            return Month(first, None, 0.0)
        return Month(first, *figures)

    def months(self, component_ids: Sequence[str]) -> tuple[Month, ...]:
        return tuple(self.month(component_ids, first) for first in month_starts(self.since, self.now, self.config))

    def uptime_90d(self, component_ids: Sequence[str]) -> float | None:
        figures = self.share(component_ids, self.day_start(self.days[0]), self.now)
        return None if figures is None else figures[0]

    def figures(self, figure_id: str, name: str, component_ids: Sequence[str]) -> Figures:
        return Figures(
            figure_id,
            name,
            self.uptime_90d(component_ids),
            self.months(component_ids),
            tuple(self.day(component_ids, day) for day in self.days),
        )

    def key_of(self, value: object) -> str:
        """A digest of figures (or anything this object made), for page keys: a short text instead of thousands
        of days, made once for every page that shows the same figures."""
        found = self._keys.get(id(value))
        if found is None or found[0] is not value:
            found = self._keys[id(value)] = (value, hashlib.sha256(repr(value).encode()).hexdigest()[:32])
        return found[1]

    def segments_key(self, component_id: str) -> str:
        """A digest of a component's stretches of trouble, for page keys; made once."""
        return self.key_of(self.segments.setdefault(component_id, []))

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
