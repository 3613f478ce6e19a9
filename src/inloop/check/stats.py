"""``inloop stats``: how well incidents were handled, per impact and per component.

Pure functions of the content and ``now``.  :func:`estimate_accuracy` is
also what the history page shows: the share of first estimates met over the
last 90 days, and the median error.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from inloop.model import Content, Impact, Incident, SiteConfig
from inloop.times import localize, utc_stamp

ESTIMATE_DAYS = 90
#: Restored less than this after the estimate still counts as on time
#: (the pages say "restored at the estimated time" within a minute).
ON_TIME = timedelta(minutes=1)


def restored_at(incident: Incident) -> datetime | None:
    """When the incident was resolved: the update that resolved it, not a later note.

    An ``Update`` posted after ``Resolved`` (a postmortem link days later)
    keeps the status ``Resolved`` but does not move the restoration.
    """
    if not incident.resolved:
        return None
    moment = incident.updates[-1].time
    for update in reversed(incident.updates):
        if update.status != "Resolved":
            break
        moment = update.time
    return moment


def time_to_resolve(incident: Incident) -> timedelta | None:
    restored = restored_at(incident)
    return None if restored is None else restored - incident.start


def first_update_delay(incident: Incident) -> timedelta | None:
    """From ``started:`` to the first update; ``None`` without ``started:``."""
    if incident.started is None:
        return None
    return incident.updates[0].time - incident.started


def longest_silence(incident: Incident) -> timedelta | None:
    """The longest gap between two updates while the incident was open."""
    gaps = [
        later.time - earlier.time
        for earlier, later in zip(incident.updates, incident.updates[1:], strict=False)
        if earlier.status != "Resolved"
    ]
    return max(gaps, default=None)


def median_duration(spans: Iterable[timedelta]) -> timedelta | None:
    seconds = [span.total_seconds() for span in spans]
    if not seconds:
        return None
    return timedelta(seconds=round(statistics.median(seconds)))


# -- estimates ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EstimateAccuracy:
    """How restoration compared with the *first* estimate, over recent incidents."""

    days: int  # the window: the last ``days`` days in the site's zone, today included
    since: datetime  # the window's start
    incidents: int  # resolved in the window with an estimate
    met: int  # of those, restored by their first estimate
    median_error: timedelta  # median of |restored - first estimate|

    @property
    def share(self) -> float:
        """The share met, 0 to 1."""
        return self.met / self.incidents


def estimate_window_start(now: datetime, zone: tzinfo, days: int = ESTIMATE_DAYS) -> datetime:
    """The start of the local day ``days - 1`` days before today: the same days as the 90-day bars."""
    today = now.astimezone(zone).date()
    return localize(datetime.combine(today - timedelta(days=days - 1), time()), zone)


def estimate_met(incident: Incident) -> bool | None:
    """Whether it was restored by its first estimate; ``None`` when that cannot be said."""
    restored, first = restored_at(incident), incident.first_estimate
    if restored is None or first is None:
        return None
    return restored - first < ON_TIME


def estimate_accuracy(
    content: Content, now: datetime, zone: tzinfo, days: int = ESTIMATE_DAYS
) -> EstimateAccuracy | None:
    """The share of first estimates met over the last ``days`` days, and the median error.

    Counts incidents restored in the window (in the site's ``zone``, up to
    ``now``) that had an estimate; the first estimate is
    ``previous_estimates[0]``, else ``estimate``.  ``None`` when there are none.
    """
    since = estimate_window_start(now, zone, days)
    met = 0
    errors: list[timedelta] = []
    for incident in content.incidents:
        restored, first = restored_at(incident), incident.first_estimate
        if restored is None or first is None or not since <= restored <= now:
            continue
        errors.append(abs(restored - first))
        met += bool(estimate_met(incident))
    median = median_duration(errors)
    if median is None:
        return None
    return EstimateAccuracy(days, since, len(errors), met, median)


# -- per impact and per component ----------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupStats:
    key: str  # the impact or the component id
    label: str  # how the table shows it
    incidents: int
    median_first_update: timedelta | None
    median_time_to_resolve: timedelta | None
    longest_silence: timedelta | None
    prevention_open: int
    prevention_done: int


@dataclass(frozen=True, slots=True)
class SiteStats:
    now: datetime
    by_impact: tuple[GroupStats, ...]
    by_component: tuple[GroupStats, ...]
    estimates: EstimateAccuracy | None


def group_stats(key: str, label: str, incidents: Sequence[Incident], now: datetime) -> GroupStats:
    silences = [s for s in (longest_silence(i) for i in incidents) if s is not None]
    steps = [step for incident in incidents for step in incident.prevention]
    done = sum(1 for step in steps if step.done is not None and step.done <= now)
    return GroupStats(
        key=key,
        label=label,
        incidents=len(incidents),
        median_first_update=median_duration(d for d in (first_update_delay(i) for i in incidents) if d is not None),
        median_time_to_resolve=median_duration(d for d in (time_to_resolve(i) for i in incidents) if d is not None),
        longest_silence=max(silences, default=None),
        prevention_open=len(steps) - done,
        prevention_done=done,
    )


def site_stats(config: SiteConfig, content: Content, now: datetime) -> SiteStats:
    """Every impact (in order) and every component (in the config's order), even with no incident."""
    incidents = [i for i in content.incidents if i.start <= now]
    by_impact = tuple(
        group_stats(str(impact), str(impact), [i for i in incidents if i.impact == impact], now) for impact in Impact
    )
    by_component = tuple(
        group_stats(c.id, c.name, [i for i in incidents if c.id in i.component_ids], now) for c in config.components
    )
    return SiteStats(now, by_impact, by_component, estimate_accuracy(content, now, config.zone))


# -- output -------------------------------------------------------------------

COLUMNS = (
    "incidents",
    "first update",
    "time to resolve",
    "longest silence",
    "prevention open",
    "prevention done",
)


def _cells(row: GroupStats, words: Callable[[timedelta], str]) -> list[str]:
    def shown(span: timedelta | None) -> str:
        return "–" if span is None else words(span)

    return [
        str(row.incidents),
        shown(row.median_first_update),
        shown(row.median_time_to_resolve),
        shown(row.longest_silence),
        str(row.prevention_open),
        str(row.prevention_done),
    ]


def _table(title: str, rows: Sequence[GroupStats], words: Callable[[timedelta], str]) -> list[str]:
    header = [title, *COLUMNS]
    body = [[row.label, *_cells(row, words)] for row in rows]
    widths = [max(len(line[col]) for line in [header, *body]) for col in range(len(header))]
    numeric = {1, 5, 6}

    def render(line: list[str]) -> str:
        cells = [
            cell.rjust(widths[col]) if col in numeric else cell.ljust(widths[col]) for col, cell in enumerate(line)
        ]
        return "  ".join(cells).rstrip()

    return [render(header), *(render(line) for line in body)]


def estimate_sentence(accuracy: EstimateAccuracy | None, words: Callable[[timedelta], str]) -> str:
    if accuracy is None:
        return f"First estimates: no incident with an estimate was resolved in the last {ESTIMATE_DAYS} days."
    percent = round(accuracy.share * 100)
    return (
        f"First estimates met in the last {accuracy.days} days: {accuracy.met} of {accuracy.incidents} "
        f"({percent}%); median error {words(accuracy.median_error)}."
    )


def stats_table(stats: SiteStats, words: Callable[[timedelta], str]) -> str:
    """The text ``inloop stats`` prints; ``words`` is ``Formatter.duration``."""
    lines = [
        *_table("impact", stats.by_impact, words),
        "",
        *_table("component", stats.by_component, words),
        "",
        "first update: median time from 'started:' to the first update (incidents with 'started:');",
        "time to resolve: median; longest silence: the longest gap between updates while unresolved.",
        "",
        estimate_sentence(stats.estimates, words),
    ]
    return "\n".join(lines) + "\n"


def _seconds(span: timedelta | None) -> int | None:
    return None if span is None else int(span.total_seconds())


def _group_json(row: GroupStats, key_name: str) -> dict[str, object]:
    data: dict[str, object] = {key_name: row.key}
    if key_name == "component":
        data["name"] = row.label
    data.update(
        {
            "incidents": row.incidents,
            "median_first_update_seconds": _seconds(row.median_first_update),
            "median_time_to_resolve_seconds": _seconds(row.median_time_to_resolve),
            "longest_silence_seconds": _seconds(row.longest_silence),
            "prevention_open": row.prevention_open,
            "prevention_done": row.prevention_done,
        }
    )
    return data


def stats_json(stats: SiteStats) -> str:
    """The JSON ``inloop stats --json`` prints: durations in whole seconds, ``null`` when unknown."""
    accuracy = stats.estimates
    estimates: dict[str, object] = {
        "days": ESTIMATE_DAYS if accuracy is None else accuracy.days,
        "incidents": 0 if accuracy is None else accuracy.incidents,
        "met": 0 if accuracy is None else accuracy.met,
        "share_met": None if accuracy is None else round(accuracy.share, 4),
        "median_error_seconds": None if accuracy is None else _seconds(accuracy.median_error),
    }
    data = {
        "now": utc_stamp(stats.now),
        "by_impact": [_group_json(row, "impact") for row in stats.by_impact],
        "by_component": [_group_json(row, "component") for row in stats.by_component],
        "first_estimates": estimates,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
