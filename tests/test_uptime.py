"""Uptime from the status timelines: hand-computed downtime minutes and percentages, and ``[uptime]``'s errors."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inloop.model import ComponentStatus, Content, Incident, Maintenance, SiteConfig
from inloop.read.config import load_config, validate_config
from inloop.read.content import parse_incident, parse_maintenance
from inloop.render.uptime import Uptime, day_level, round_down_percent, round_minutes

NOW = datetime.fromisoformat("2026-11-26T12:00:00+00:00")

CONFIG = """\
title = "Test"
base_url = "https://status.test.example/"
timezone = "{zone}"
{uptime}
[[components]]
id = "api"
name = "Public API"
group = "Platform"

[[components]]
id = "dashboard"
name = "Dashboard"
group = "Platform"

[[components]]
id = "email"
name = "Email"
"""

#: api: partial 10:00-10:30, major 10:30-11:00, operational from 11:00; dashboard degraded 10:30-11:30.
STORY = """\
---
title: Search fails
impact: major
components:
  api: partial_outage
---

## 2026-11-26 10:00 UTC — Investigating
The API fails.

## 2026-11-26 10:30 UTC — Identified
Components: api → major_outage, dashboard → degraded_performance

It got worse.

## 2026-11-26 11:00 UTC — Monitoring
Components: api → operational

The API works again.

## 2026-11-26 11:30 UTC — Resolved
All good.
"""

#: api major 10:15-10:45, overlapping STORY.
OVERLAP = """\
---
title: Second failure
impact: critical
components:
  api: major_outage
---

## 2026-11-26 10:15 UTC — Investigating
Down.

## 2026-11-26 10:45 UTC — Resolved
Up.
"""

WINDOW = """\
---
title: Upgrade
components: [api, email]
start: 2026-11-20 02:00 UTC
end: 2026-11-20 04:00 UTC
---
"""


def config(zone: str = "UTC", uptime: str = "") -> SiteConfig:
    text = CONFIG.format(zone=zone, uptime=uptime)
    result = validate_config(tomllib.loads(text), text, "inloop.toml", "digest")
    assert result.config is not None, result.problems
    return result.config


def incident(text: str, name: str, zone: str = "UTC") -> Incident:
    found, problems = parse_incident(
        text.encode(), name, f"content/incidents/{name}.md", ZoneInfo(zone), frozenset({"api", "dashboard", "email"})
    )
    assert found is not None, problems
    return found


def window(text: str, name: str = "upgrade") -> Maintenance:
    found, problems = parse_maintenance(
        text.encode(), name, f"content/maintenance/{name}.md", ZoneInfo("UTC"), frozenset({"api", "email"})
    )
    assert found is not None, problems
    return found


def content(*items: Incident | Maintenance) -> Content:
    incidents = tuple(sorted((i for i in items if isinstance(i, Incident)), key=lambda i: i.start, reverse=True))
    windows = tuple(i for i in items if isinstance(i, Maintenance))
    return Content(incidents, windows)


def outage(name: str, start: str, end: str, status: str = "major_outage", component: str = "api") -> Incident:
    text = (
        f"---\ntitle: {name}\nimpact: major\ncomponents:\n  {component}: {status}\n---\n\n"
        f"## {start} — Investigating\nDown.\n\n## {end} — Resolved\nUp.\n"
    )
    return incident(text, name)


def day_minutes(uptime: Uptime, ids: tuple[str, ...], day: str) -> float | None:
    return uptime.day(ids, date.fromisoformat(day)).downtime_minutes


# -- the weights and the timeline ---------------------------------------------------------------


def test_partial_outage_counts_three_tenths_and_statuses_change_midway() -> None:
    """30 min partial (9) + 30 min major (30); recovered at Monitoring, so nothing after 11:00."""
    uptime = Uptime(config(uptime="[uptime]\nsince = 2026-11-01\n"), content(incident(STORY, "story")), NOW)
    assert day_minutes(uptime, ("api",), "2026-11-26") == 39.0
    assert day_minutes(uptime, ("dashboard",), "2026-11-26") == 0.0  # degraded weighs 0
    assert uptime.day(("dashboard",), date(2026, 11, 26)).incidents == ("story",)
    # November up to the build time: 25.5 days = 36720 minutes; (36720 - 39) / 36720 = 99.8937...%
    (november,) = uptime.months(("api",))
    assert (november.month, november.uptime, november.downtime_minutes) == (date(2026, 11, 1), 99.89, 39.0)
    assert uptime.uptime_90d(("api",)) == 99.89
    assert uptime.uptime_90d(("email",)) == 100.0


def test_configured_weights() -> None:
    settings = "[uptime]\nsince = 2026-11-01\nweights = {partial_outage = 0.5, degraded_performance = 0.25}\n"
    uptime = Uptime(config(uptime=settings), content(incident(STORY, "story")), NOW)
    assert day_minutes(uptime, ("api",), "2026-11-26") == 15.0 + 30.0
    assert day_minutes(uptime, ("dashboard",), "2026-11-26") == 15.0  # 60 min degraded x 0.25


def test_overlapping_incidents_count_each_minute_once_at_the_worst_status() -> None:
    """api: partial 10:00-10:15 (4.5), major 10:15-11:00 (45) though two incidents cover 10:15-10:45."""
    uptime = Uptime(config(), content(incident(STORY, "story"), incident(OVERLAP, "overlap")), NOW)
    day = uptime.day(("api",), date(2026, 11, 26))
    assert (day.downtime_minutes, day.incidents) == (49.5, ("overlap", "story"))


def test_a_group_counts_each_minute_once_at_its_worst_component() -> None:
    """Platform: partial 10:00-10:30 (api), major 10:30-11:00 (api), degraded 11:00-11:30 (dashboard)."""
    settings = "[uptime]\nweights = {degraded_performance = 0.5}\n"
    uptime = Uptime(config(uptime=settings), content(incident(STORY, "story")), NOW)
    assert day_minutes(uptime, ("api",), "2026-11-26") == 39.0
    assert day_minutes(uptime, ("dashboard",), "2026-11-26") == 30.0
    # Not 39 + 30: from 10:30 to 11:00 the dashboard's degraded minutes lie under the API's major ones.
    assert day_minutes(uptime, ("api", "dashboard"), "2026-11-26") == 9.0 + 30.0 + 15.0
    assert uptime.groups() == [("Platform", ("api", "dashboard"))]
    # The overall figure likewise: email adds a major outage at 10:45-11:15, overlapping both.
    email = outage("mail", "2026-11-26 10:45 UTC", "2026-11-26 11:15 UTC", component="email")
    uptime = Uptime(config(uptime=settings), content(incident(STORY, "story"), email), NOW)
    # partial 10:00-10:30 (9), major 10:30-11:15 (45), degraded 11:15-11:30 (7.5)
    assert day_minutes(uptime, uptime.overall_ids(), "2026-11-26") == 61.5


def test_maintenance_is_never_downtime() -> None:
    uptime = Uptime(config(), content(window(WINDOW), incident(STORY, "story")), NOW)
    assert uptime.since == datetime.fromisoformat("2026-11-20T00:00:00+00:00")  # the window's day
    day = uptime.day(("api",), date(2026, 11, 20))
    assert (day.downtime_minutes, day.incidents, day.level) == (0.0, (), "none")
    assert uptime.uptime_90d(("email",)) == 100.0


def test_an_incident_still_open_counts_up_to_the_build_time() -> None:
    text = "---\ntitle: Open\nimpact: major\ncomponents:\n  email: major_outage\n---\n\n"
    text += "## 2026-11-26 11:00 UTC — Investigating\nDown.\n"
    uptime = Uptime(config(), content(incident(text, "open")), NOW)
    assert day_minutes(uptime, ("email",), "2026-11-26") == 60.0
    # since 2026-11-26 00:00: 720 minutes so far, 60 down: 91.666...% rounded down
    assert uptime.uptime_90d(("email",)) == 91.66


# -- since ---------------------------------------------------------------------------------------


def test_since_defaults_to_the_local_day_of_the_first_item_and_nothing_before_it_counts() -> None:
    """23:30 UTC on the 24th is 00:30 on the 25th in Berlin: the data starts at 25 Nov 00:00 CET."""
    first = outage("first", "2026-11-24 23:30 UTC", "2026-11-25 00:30 UTC")
    uptime = Uptime(config("Europe/Berlin"), content(first), NOW)
    assert uptime.since == datetime.fromisoformat("2026-11-24T23:00:00+00:00")
    assert day_minutes(uptime, ("api",), "2026-11-24") is None
    assert uptime.day(("api",), date(2026, 11, 24)).level == "nodata"
    assert day_minutes(uptime, ("api",), "2026-11-25") == 60.0
    days = uptime.figures("api", "Public API", ("api",)).days
    assert [d.downtime_minutes for d in days[-3:]] == [None, 60.0, 0.0]
    assert all(d.downtime_minutes is None for d in days[:-2])
    # 24 h on the 25th and 13 h (CET) on the 26th: 2220 minutes, 60 down
    assert uptime.uptime_90d(("api",)) == round_down_percent_of(2220 - 60, 2220)


def round_down_percent_of(up: int, period: int) -> float:
    from fractions import Fraction

    return round_down_percent(Fraction(up, period))


def test_a_configured_since_cuts_off_earlier_downtime() -> None:
    before = outage("before", "2026-11-09 10:00 UTC", "2026-11-09 12:00 UTC")
    after = outage("after", "2026-11-12 10:00 UTC", "2026-11-12 10:06 UTC")
    uptime = Uptime(config(uptime="[uptime]\nsince = 2026-11-10\n"), content(before, after), NOW)
    assert day_minutes(uptime, ("api",), "2026-11-09") is None
    (november,) = uptime.months(("api",))
    # 10 Nov 00:00 to 26 Nov 12:00: 16.5 days = 23760 minutes, 6 down
    assert (november.uptime, november.downtime_minutes) == (round_down_percent_of(23760 - 6, 23760), 6.0)
    assert november.uptime == 99.97


def test_a_since_after_the_build_time_leaves_no_data() -> None:
    uptime = Uptime(config(uptime="[uptime]\nsince = 2027-01-01\n"), content(), NOW)
    assert uptime.uptime_90d(("api",)) is None
    assert uptime.months(("api",)) == ()
    assert {d.downtime_minutes for d in uptime.figures("api", "API", ("api",)).days} == {None}


# -- months and days in a zone with daylight saving time -----------------------------------------


def test_october_in_berlin_has_a_25_hour_day() -> None:
    """October 2026 in Berlin: 1 Oct 00:00 CEST (30 Sep 22:00 UTC) to 1 Nov 00:00 CET (31 Oct 23:00 UTC)."""
    long = outage("long", "2026-09-30 21:00 UTC", "2026-11-01 00:00 UTC")
    uptime = Uptime(config("Europe/Berlin", "[uptime]\nsince = 2026-09-01\n"), content(long), NOW)
    months = {m.month: m for m in uptime.months(("api",))}
    assert [m.month for m in uptime.months(("api",))] == [date(2026, 11, 1), date(2026, 10, 1), date(2026, 9, 1)]
    assert (months[date(2026, 10, 1)].downtime_minutes, months[date(2026, 10, 1)].uptime) == (31 * 1440 + 60, 0.0)
    assert months[date(2026, 9, 1)].downtime_minutes == 60.0  # 30 Sep 23:00 to 24:00 CEST
    assert months[date(2026, 11, 1)].downtime_minutes == 60.0  # 1 Nov 00:00 to 01:00 CET
    assert day_minutes(uptime, ("api",), "2026-10-25") == 1500.0


def test_march_in_berlin_has_a_23_hour_day() -> None:
    """March 2026 in Berlin: 44580 minutes; 15 Mar 00:00 UTC to 31 Mar 22:00 UTC down: 24360 minutes."""
    spring = outage("spring", "2026-03-15 00:00 UTC", "2026-04-02 00:00 UTC")
    uptime = Uptime(config("Europe/Berlin", "[uptime]\nsince = 2026-03-01\n"), content(spring), NOW)
    march = next(m for m in uptime.months(("api",)) if m.month == date(2026, 3, 1))
    assert march.downtime_minutes == 24360.0
    assert march.uptime == 45.35  # (44580 - 24360) / 44580 = 45.356...%; with 31 x 24 h it would be 45.43
    assert [d.downtime_minutes for d in uptime.month_days(("api",), date(2026, 3, 1))][28] == 1380.0


def test_the_current_month_runs_up_to_the_build_time_and_a_month_starts_at_since() -> None:
    """since 2026-11-16: 10.5 days = 15120 minutes; 0.3 x 10 minutes of partial outage."""
    partial = outage("partial", "2026-11-20 08:00 UTC", "2026-11-20 08:10 UTC", "partial_outage")
    uptime = Uptime(config(uptime="[uptime]\nsince = 2026-11-16\n"), content(partial), NOW)
    (november,) = uptime.months(("api",))
    assert (november.uptime, november.downtime_minutes) == (99.98, 3.0)


# -- rounding --------------------------------------------------------------------------------------


def test_any_downtime_never_shows_100_percent() -> None:
    tiny = outage("tiny", "2026-11-20 08:00 UTC", "2026-11-20 08:00:01 UTC")
    uptime = Uptime(config(uptime="[uptime]\nsince = 2026-08-01\n"), content(tiny), NOW)
    assert uptime.uptime_90d(("api",)) == 99.99
    assert day_minutes(uptime, ("api",), "2026-11-20") == 0.02  # 1/60 minute
    assert uptime.uptime_90d(("email",)) == 100.0


def test_rounding_rules() -> None:
    from fractions import Fraction

    assert round_down_percent(Fraction(99999, 100000)) == 99.99
    assert round_down_percent(Fraction(1)) == 100.0
    assert round_minutes(Fraction(1, 3)) == 0.33
    assert round_minutes(Fraction(2, 3)) == 0.67
    assert [day_level(m) for m in (None, 0.0, 0.01, 9.99, 10.0, 59.99, 60.0)] == [
        "nodata",
        "none",
        "little",
        "little",
        "more",
        "more",
        "lot",
    ]


# -- [uptime] in inloop.toml ---------------------------------------------------------------------


def load_errors(tmp_path: Path, uptime: str) -> list[str]:
    (tmp_path / "inloop.toml").write_text(CONFIG.format(zone="UTC", uptime=uptime), encoding="utf-8")
    result = load_config(tmp_path, "inloop.toml")
    assert result.config is None
    return [f"{p.path}:{p.line}: {p.message}" for p in result.problems]


def test_uptime_settings_are_read(tmp_path: Path) -> None:
    site = config(uptime="[uptime]\nsince = 2026-01-15\nweights = {major_outage = 1, partial_outage = 0.5}\n")
    assert site.uptime_since == date(2026, 1, 15)
    assert dict(site.uptime_weights) == {
        ComponentStatus.MAJOR_OUTAGE: 1.0,
        ComponentStatus.PARTIAL_OUTAGE: 0.5,
        ComponentStatus.DEGRADED_PERFORMANCE: 0.0,
    }
    assert config().uptime_since is None


WEIGHTS_HINT = "{major_outage = 1.0, partial_outage = 0.3, degraded_performance = 0.0}"


@pytest.mark.parametrize(
    ("uptime", "expected"),
    [
        ("[uptime]\nsince = '2026-01-01'\n",
         "'since' must be a date without quotes, such as 2026-01-01, found a string"),
        ("[uptime]\nsince = 2026-01-01T10:00:00Z\n",
         "'since' must be a date without quotes, such as 2026-01-01, found a date and time"),
        ("[uptime]\nsinse = 2026-01-01\n", "unknown key 'sinse': did you mean 'since'?"),
        ("[uptime]\nweights = 0.3\n", f"'weights' must be a table such as {WEIGHTS_HINT}, found a number"),
        ("[uptime]\nweights = {partial_outage = 1.5}\n",
         "weight of 'partial_outage' must be a number from 0 to 1, found 1.5"),
        ("[uptime]\nweights = {partial_outage = '0.3'}\n",
         "weight of 'partial_outage' must be a number from 0 to 1, found a string"),
        ("[uptime]\nweights = {partial = 0.3}\n",
         "unknown status 'partial' in 'weights': did you mean 'partial_outage'?"),
        ("[uptime]\nweights = {under_maintenance = 1}\n",
         "unknown status 'under_maintenance' in 'weights': maintenance is never downtime"),
        ("[uptime.weights]\nmajor_outage = -1\n", "weight of 'major_outage' must be a number from 0 to 1, found -1"),
    ],
)  # fmt: skip
def test_uptime_settings_errors(tmp_path: Path, uptime: str, expected: str) -> None:
    assert load_errors(tmp_path, uptime) == [f"inloop.toml:5: {expected}"]


def test_uptime_must_be_a_table(tmp_path: Path) -> None:
    expected = "inloop.toml:4: 'uptime' must be a table ([uptime]), found a whole number"
    assert load_errors(tmp_path, "uptime = 3\n") == [expected]
