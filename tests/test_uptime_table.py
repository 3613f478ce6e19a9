"""The day table that every uptime figure is read from, against the figures computed the plain way.

:class:`~inloop.render.uptime.DayTable` cuts each set of components' trouble
at the day boundaries once and sums in whole numbers; here each day and month
is computed on its own, in exact fractions, straight from the spans, for
random stretches of trouble around the changes of daylight saving time.
``INLOOP_HYPOTHESIS_EXAMPLES`` raises the number of random sites (default 40).
"""

from __future__ import annotations

import os
import tomllib
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inloop.model import ComponentStatus, Content, SiteConfig
from inloop.read.config import validate_config
from inloop.render.status import local_day_start
from inloop.render.uptime import (
    Segment,
    Uptime,
    month_starts,
    next_month,
    percent_of,
    round_down_percent,
    round_minutes,
    round_units,
    weights_of,
    worst_spans,
)

EXAMPLES = int(os.environ.get("INLOOP_HYPOTHESIS_EXAMPLES", "40"))
NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
CONFIG = """\
title = "Test"
base_url = "https://status.test.example/"
timezone = "Europe/Berlin"
[uptime]
since = {since}
weights = {{partial_outage = 0.3, degraded_performance = 0.15}}
[[components]]
id = "api"
name = "API"
[[components]]
id = "web"
name = "Web"
"""
STATUSES = [
    ComponentStatus.MAJOR_OUTAGE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.UNDER_MAINTENANCE,
]
#: From the end of September to the build time: the change back to winter time (25 October) lies inside.
EARLIEST = datetime(2026, 9, 20, tzinfo=UTC)


@given(st.integers(0, 10**12), st.integers(1, 10**9))
@settings(max_examples=EXAMPLES * 5)
def test_whole_number_rounding_is_the_fractions_rounding(units: int, unit: int) -> None:
    assert round_units(units, unit) == round_minutes(Fraction(units, unit))
    assert percent_of(unit - units, unit) == round_down_percent(max(Fraction(0), Fraction(unit - units, unit)))


def config(since: str) -> SiteConfig:
    text = CONFIG.format(since=since)
    result = validate_config(tomllib.loads(text), text, "inloop.toml", "digest")
    assert result.config is not None, result.problems
    return result.config


#: A component and a stretch of trouble of one incident (a few open ones: still holding at the build time).
trouble_of = st.tuples(
    st.sampled_from(["api", "web"]),
    st.builds(
        lambda start, minutes, status, still_open, number: Segment(
            EARLIEST + timedelta(minutes=start),
            None if still_open else EARLIEST + timedelta(minutes=start + minutes),
            status,
            f"i{number}",
        ),
        st.integers(0, 45 * 24 * 60),
        st.integers(1, 4 * 24 * 60),
        st.sampled_from(STATUSES),
        st.sampled_from([False, False, False, True]),
        st.integers(0, 30),
    ),
)


def reference_day(
    trouble: list[Segment], weights: dict[ComponentStatus, Fraction], day: date, since: datetime, site: SiteConfig
) -> tuple[float | None, tuple[str, ...]]:
    """A day's downtime minutes and incidents, the plain way."""
    day_start = local_day_start(day, site)
    day_end = local_day_start(day + timedelta(days=1), site)
    incidents = tuple(
        sorted({s.incident for s in trouble if s.start < min(day_end, NOW) and (s.end is None or s.end > day_start)})
    )
    if day_end <= since:
        return None, incidents
    lost = downtime(trouble, weights, max(day_start, since), min(day_end, NOW))
    return (round_minutes(lost) if lost else 0.0), incidents


def downtime(
    trouble: list[Segment], weights: dict[ComponentStatus, Fraction], start: datetime, end: datetime
) -> Fraction:
    total = Fraction(0)
    for span in worst_spans(trouble, NOW):
        overlap = min(span.end, end) - max(span.start, start)
        if overlap > timedelta(0):
            total += weights[span.status] * Fraction(overlap // timedelta(microseconds=1), 60_000_000)
    return total


@given(st.lists(trouble_of, max_size=12), st.sampled_from(["2026-09-01", "2026-10-10", "2026-10-25", "2026-11-03"]))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_each_day_and_month_is_what_the_plain_sums_give(trouble: list[tuple[str, Segment]], since: str) -> None:
    site = config(since)
    uptime = Uptime(site, Content((), ()), NOW)
    uptime.segments = {cid: [s for of, s in trouble if of == cid] for cid in ("api", "web")}
    weights = weights_of(site)
    for ids in (("api",), ("web",), ("api", "web")):
        chosen = [s for cid in ids for s in uptime.segments[cid]]
        day = date(2026, 8, 25)
        while day <= NOW.astimezone(site.zone).date() + timedelta(days=1):
            found = uptime.day(ids, day)
            assert (found.downtime_minutes, found.incidents) == reference_day(chosen, weights, day, uptime.since, site)
            day += timedelta(days=1)
        for first in [date(2026, 8, 1), *month_starts(uptime.since, NOW, site), date(2026, 12, 1)]:
            month = uptime.month(ids, first)
            start = max(local_day_start(first, site), uptime.since)
            end = min(local_day_start(next_month(first), site), NOW)
            if end <= start:
                assert month.uptime is None
                continue
            minutes = Fraction((end - start) // timedelta(microseconds=1), 60_000_000)
            lost = downtime(chosen, weights, start, end)
            assert month.downtime_minutes == round_minutes(lost)
            assert month.uptime == round_down_percent(max(Fraction(0), (minutes - lost) / minutes))
