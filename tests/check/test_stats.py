"""``inloop stats`` and :func:`estimate_accuracy` on a small made-up history."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from check_texts import Checked

from inloop.check.stats import estimate_accuracy
from inloop.model import Content

Site = Callable[..., Path]
Lint = Callable[..., Checked]

#: major, api; started 09:50, first update 10 minutes later; resolved after 70 minutes,
#: 15 minutes after its estimate; one prevention step done, one open; longest silence 30 minutes.
A = """\
---
title: API errors
impact: major
started: 2026-11-10 09:50 UTC
components: [api]
cause: A bad release.
estimate: 2026-11-10 10:45 UTC
prevention:
  - step: Releases go to one server first.
    done: 2026-11-12
  - Alerts on error rates per release.
---
## 2026-11-10 10:00 UTC — Investigating
Errors.

## 2026-11-10 10:30 UTC — Identified
A release.

## 2026-11-10 11:00 UTC — Resolved
Fixed.
"""

#: major, api and dashboard; 2 hours to resolve, before its *first* estimate (moved later):
#: met, 30 minutes early; longest silence 90 minutes.
B = """\
---
title: API and dashboard errors
impact: major
components: [api, dashboard]
cause: A full disk.
previous_estimates: [2026-11-15 10:30 UTC]
estimate: 2026-11-15 11:00 UTC
prevention:
  - step: Disk alerts at 70%.
    done: 2026-11-16
---
## 2026-11-15 08:00 UTC — Investigating
Errors.

## 2026-11-15 09:30 UTC — Identified
A full disk.

## 2026-11-15 10:00 UTC — Resolved
Fixed.
"""

#: minor, dashboard; started 13:55; resolved 25 minutes later, 10 minutes before the estimate;
#: a postmortem note two days later counts neither as time to resolve nor as silence.
C = """\
---
title: Dashboard slow
impact: minor
started: 2026-11-20 13:55 UTC
components: [dashboard]
cause: A slow query.
estimate: 2026-11-20 14:30 UTC
---
## 2026-11-20 14:00 UTC — Investigating
Slow.

## 2026-11-20 14:20 UTC — Resolved
Fixed.

## 2026-11-22 10:00 UTC — Update
The postmortem is out.
"""

#: minor, api, in June: outside the 90 days of the estimates, inside the tables.
D = """\
---
title: API slow
impact: minor
components: [api]
cause: A slow query.
estimate: 2026-06-01 11:00 UTC
prevention:
  - step: An index.
    done: 2026-06-05
---
## 2026-06-01 10:00 UTC — Investigating
Slow.

## 2026-06-01 11:00 UTC — Resolved
Fixed.
"""

#: critical, api, still open: 20 minutes from 'started' to the first update.
E = """\
---
title: API down
impact: critical
started: 2026-11-26 10:40 UTC
components: [api]
---
## 2026-11-26 11:00 UTC — Investigating
The API is down.
"""

HISTORY = {
    "2026-11-10-api-errors": A,
    "2026-11-15-api-dashboard-errors": B,
    "2026-11-20-dashboard-slow": C,
    "2026-06-01-api-slow": D,
    "2026-11-26-api-down": E,
}

TABLE = """\
impact    incidents  first update  time to resolve    longest silence  prevention open  prevention done
none              0  –             –                  –                              0                0
minor             2  5 minutes     42 minutes         60 minutes                     0                1
major             2  10 minutes    1 hour 35 minutes  90 minutes                     1                2
critical          1  20 minutes    –                  –                              0                0

component   incidents  first update  time to resolve  longest silence  prevention open  prevention done
Public API          4  15 minutes    70 minutes       90 minutes                     1                3
Dashboard           2  5 minutes     72 minutes       90 minutes                     0                1
Imported            0  –             –                –                              0                0

first update: median time from 'started:' to the first update (incidents with 'started:');
time to resolve: median; longest silence: the longest gap between updates while unresolved.

First estimates met in the last 90 days: 2 of 3 (67%); median error 15 minutes.
"""


def test_stats_table(site: Site, lint: Lint) -> None:
    site(incidents=HISTORY)
    result = lint(command="stats")
    assert result.exit_code == 0
    assert "\n".join(result.lines) + "\n" == TABLE


def test_stats_json(site: Site, lint: Lint) -> None:
    site(incidents=HISTORY)
    result = lint("--json", command="stats")
    data = json.loads("\n".join(result.lines))
    assert data["now"] == "2026-11-26T12:00:00Z"
    assert data["first_estimates"] == {
        "days": 90,
        "incidents": 3,
        "met": 2,
        "share_met": 0.6667,
        "median_error_seconds": 900,
    }
    major = data["by_impact"][2]
    assert major == {
        "impact": "major",
        "incidents": 2,
        "median_first_update_seconds": 600,
        "median_time_to_resolve_seconds": 5700,
        "longest_silence_seconds": 5400,
        "prevention_open": 1,
        "prevention_done": 2,
    }
    assert [row["impact"] for row in data["by_impact"]] == ["none", "minor", "major", "critical"]
    assert data["by_component"][0] == {
        "component": "api",
        "name": "Public API",
        "incidents": 4,
        "median_first_update_seconds": 900,
        "median_time_to_resolve_seconds": 4200,
        "longest_silence_seconds": 5400,
        "prevention_open": 1,
        "prevention_done": 3,
    }
    assert data["by_component"][2]["median_time_to_resolve_seconds"] is None


def test_stats_with_no_estimates(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-down": E})
    assert lint(command="stats").lines[-1] == (
        "First estimates: no incident with an estimate was resolved in the last 90 days."
    )
    data = json.loads("\n".join(lint("--json", command="stats").lines))
    assert data["first_estimates"] == {
        "days": 90,
        "incidents": 0,
        "met": 0,
        "share_met": None,
        "median_error_seconds": None,
    }


def test_stats_stops_at_build_errors(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-down": E.replace("impact: critical", "impact: severe")})
    result = lint(command="stats")
    assert result.exit_code == 1
    assert result.lines == []
    assert result.errors[-1] == "stats stopped: 1 error to fix first ('inloop build' reports the same)"


def _content(site: Site) -> Content:
    from inloop.build.builder import Builder

    root = site(incidents=HISTORY)
    return Builder(root).load(datetime(2026, 11, 26, 12, tzinfo=UTC)).content


def test_estimate_accuracy(site: Site) -> None:
    content = _content(site)
    accuracy = estimate_accuracy(content, datetime(2026, 11, 26, 12, tzinfo=UTC), UTC)
    assert accuracy is not None
    assert (accuracy.days, accuracy.incidents, accuracy.met) == (90, 3, 2)
    assert accuracy.since == datetime(2026, 8, 29, tzinfo=UTC)
    assert accuracy.share == pytest.approx(2 / 3)
    assert accuracy.median_error == timedelta(minutes=15)


def test_estimate_accuracy_window_and_none(site: Site) -> None:
    content = _content(site)
    june = estimate_accuracy(content, datetime(2026, 6, 2, tzinfo=UTC), UTC)
    assert june is not None and (june.incidents, june.met, june.median_error) == (1, 1, timedelta(0))
    assert estimate_accuracy(content, datetime(2026, 5, 1, tzinfo=UTC), UTC) is None
