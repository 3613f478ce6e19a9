"""Incident and maintenance files: the format, and every mistake as an exact ``path:line: message``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inloop.model import ComponentStatus, Impact, Incident, Maintenance
from inloop.read.content import content_files, ignored_path, parse_incident, parse_maintenance, problems_at

BERLIN = ZoneInfo("Europe/Berlin")
COMPONENTS = frozenset({"api", "dashboard", "email"})
PATH = "content/incidents/x.md"
MPATH = "content/maintenance/m.md"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HEADING = "'## YYYY-MM-DD HH:MM[:SS] [UTC|Z|+HH:MM] — Status'"
TIME_HINT = "'YYYY-MM-DD HH:MM[:SS] [UTC|Z|+HH:MM]' or ISO 8601"

FRONT = "title: API errors\nimpact: major\ncomponents: [api]\n"
BODY = "## 2026-11-20 14:02 UTC — Investigating\nLooking into it.\n"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def incident_text(front: str = FRONT, body: str = BODY) -> str:
    return f"---\n{front}---\n{body}"


def parse(text: str | bytes, file_id: str = "x", path: str = PATH) -> tuple[Incident | None, list[str]]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    incident, problems = parse_incident(data, file_id, path, BERLIN, COMPONENTS)
    return incident, [str(p) for p in sorted(problems)]


def ok(text: str, file_id: str = "x") -> Incident:
    incident, problems = parse(text, file_id)
    assert problems == []
    assert incident is not None
    return incident


def errors(text: str | bytes, file_id: str = "x") -> list[str]:
    incident, problems = parse(text, file_id)
    assert incident is None
    return problems


def parse_window(text: str, file_id: str = "m") -> tuple[Maintenance | None, list[str]]:
    window, problems = parse_maintenance(text.encode(), file_id, MPATH, BERLIN, COMPONENTS)
    return window, [str(p) for p in sorted(problems)]


# -- a good incident -----------------------------------------------------------

FULL = """\
---
title: Elevated error rates on the API
impact: major
components:
  api: partial_outage
  dashboard: degraded_performance
cause: >
  A load balancer configuration change took half of the
  API servers out of rotation.
estimate: 2026-11-20 15:30 UTC
next_update: 2026-11-20 15:00 UTC
prevention:
  - Load balancer changes now need a second reviewer.
  - step: Alert when fewer than 80% of API servers are healthy.
    done: 2026-11-27
  - step: Run a **game day** for load balancer failures.
    done: 2026-11-28 10:00
    id: game-day
postmortem: https://acme.example/blog/api-errors-postmortem
---
Optional summary paragraph.

## 2026-11-20 14:02 UTC — Investigating
We are seeing elevated error rates on the API and are looking into it.

## 2026-11-20 14:40 UTC — Identified
The load balancer change is the cause.

## 2026-11-20 15:12 UTC — Resolved
Error rates are back to normal.
"""


def test_a_full_incident() -> None:
    incident = ok(FULL, "2026-11-20-api-errors")
    assert incident.id == "2026-11-20-api-errors"
    assert incident.path == PATH
    assert incident.title == "Elevated error rates on the API"
    assert incident.impact is Impact.MAJOR
    assert incident.components == (
        ("api", ComponentStatus.PARTIAL_OUTAGE),
        ("dashboard", ComponentStatus.DEGRADED_PERFORMANCE),
    )
    assert incident.cause == "A load balancer configuration change took half of the API servers out of rotation."
    assert incident.cause_html == (
        "<p>A load balancer configuration change took half of the API servers out of rotation.</p>"
    )
    assert incident.estimate == utc(2026, 11, 20, 15, 30)
    assert incident.next_update == utc(2026, 11, 20, 15, 0)
    assert incident.postmortem == "https://acme.example/blog/api-errors-postmortem"
    assert incident.summary == "Optional summary paragraph."
    assert incident.summary_html == "<p>Optional summary paragraph.</p>"
    assert [u.status for u in incident.updates] == ["Investigating", "Identified", "Resolved"]
    assert [u.line for u in incident.updates] == [23, 26, 29]
    assert incident.updates[0].body == "We are seeing elevated error rates on the API and are looking into it."
    assert incident.updates[0].html == "<p>We are seeing elevated error rates on the API and are looking into it.</p>"
    assert incident.status == "Resolved"
    assert incident.resolved
    assert incident.start == utc(2026, 11, 20, 14, 2)
    assert incident.end == utc(2026, 11, 20, 15, 12)
    assert incident.started is None
    assert problems_at(incident, NOW) == []


def test_prevention_steps() -> None:
    steps = ok(FULL).prevention
    assert [s.text for s in steps] == [
        "Load balancer changes now need a second reviewer.",
        "Alert when fewer than 80% of API servers are healthy.",
        "Run a **game day** for load balancer failures.",
    ]
    assert [s.anchor for s in steps] == ["prevention-1", "prevention-2", "prevention-game-day"]
    assert [s.line for s in steps] == [13, 14, 16]
    assert steps[0].done is None
    assert steps[1].done == utc(2026, 11, 26, 23, 0)  # a date: the start of that day in the site's zone
    assert steps[2].done == utc(2026, 11, 28, 9, 0)  # a time without zone: the site's zone
    assert [s.done_day for s in steps] == [None, date(2026, 11, 27), None]  # shown as written: a day
    assert steps[2].html == "Run a <strong>game day</strong> for load balancer failures."
    assert steps[2].plain == "Run a game day for load balancer failures."


def test_prevention_may_be_a_single_string() -> None:
    incident = ok(incident_text(FRONT + "prevention: Two reviewers for every change.\n"))
    assert [s.text for s in incident.prevention] == ["Two reviewers for every change."]


def test_a_minimal_unresolved_incident() -> None:
    incident = ok(incident_text())
    assert incident.status == "Investigating"
    assert not incident.resolved
    assert incident.end is None
    assert incident.cause is None and incident.estimate is None and incident.prevention == ()
    assert incident.summary == ""


# -- components ------------------------------------------------------------------


def test_components_as_a_list_are_partial_outages() -> None:
    incident = ok(incident_text("title: T\nimpact: minor\ncomponents:\n  - api\n  - email\n"))
    assert incident.components == (("api", ComponentStatus.PARTIAL_OUTAGE), ("email", ComponentStatus.PARTIAL_OUTAGE))


def test_components_as_a_mapping() -> None:
    front = "title: T\nimpact: critical\ncomponents:\n  api: major_outage\n  email: operational\n  dashboard:\n"
    incident = ok(incident_text(front))
    assert incident.components == (
        ("api", ComponentStatus.MAJOR_OUTAGE),
        ("email", ComponentStatus.OPERATIONAL),
        ("dashboard", ComponentStatus.PARTIAL_OUTAGE),  # no status given
    )


def test_component_ids_are_not_checked_when_the_config_is_broken() -> None:
    text = incident_text("title: T\nimpact: minor\ncomponents: [whatever]\n")
    incident, problems = parse_incident(text.encode(), "x", PATH, BERLIN, None)
    assert problems == []
    assert incident is not None and incident.component_ids == ("whatever",)


# -- update headings ---------------------------------------------------------------


@pytest.mark.parametrize("separator", ["—", "–", "-", "|", "·"])
def test_every_separator(separator: str) -> None:
    incident = ok(incident_text(body=f"## 2026-11-20 14:02 UTC {separator} Identified\nFound it.\n"))
    assert incident.updates[0].status == "Identified"
    assert incident.updates[0].time == utc(2026, 11, 20, 14, 2)


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("Investigating", "Investigating"),
        ("investigating", "Investigating"),
        ("IDENTIFIED", "Identified"),
        ("monitoring", "Monitoring"),
        ("rEsOlVeD", "Resolved"),
    ],
)
def test_status_in_any_letter_case(written: str, status: str) -> None:
    incident = ok(incident_text(body=f"## 2026-11-20 14:02 UTC — {written}\nx\n"))
    assert incident.updates[0].status == status
    assert incident.updates[0].written_status == status


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2026-11-20 14:02 UTC", utc(2026, 11, 20, 14, 2)),
        ("2026-11-20 14:02 Z", utc(2026, 11, 20, 14, 2)),
        ("2026-11-20 14:02 +01:00", utc(2026, 11, 20, 13, 2)),
        ("2026-11-20 14:02 -03:00", utc(2026, 11, 20, 17, 2)),
        ("2026-11-20 14:02", utc(2026, 11, 20, 13, 2)),  # the site's zone: CET
        ("2026-07-20 14:02", utc(2026, 7, 20, 12, 2)),  # the site's zone: CEST
        ("2026-11-20 14:02:09 UTC", utc(2026, 11, 20, 14, 2, 9)),
        ("2026-11-20T14:02Z", utc(2026, 11, 20, 14, 2)),
    ],
)
def test_heading_times(stamp: str, expected: datetime) -> None:
    incident = ok(incident_text(body=f"## {stamp} — Investigating\nx\n"))
    assert incident.updates[0].time == expected
    assert incident.updates[0].zone_given == (stamp not in ("2026-11-20 14:02", "2026-07-20 14:02"))


def test_closing_hashes_and_extra_spaces_in_headings() -> None:
    incident = ok(incident_text(body="##   2026-11-20 14:02 UTC   —   Identified   ##\nx\n"))
    assert incident.updates[0].status == "Identified"


def test_update_inherits_the_status_and_a_first_update_is_investigating() -> None:
    body = (
        "## 2026-11-20 14:02 UTC — Update\nfirst\n"
        "## 2026-11-20 14:30 UTC — Identified\nsecond\n"
        "## 2026-11-20 15:00 UTC — update\nthird\n"
    )
    incident = ok(incident_text(body=body))
    assert [u.written_status for u in incident.updates] == ["Update", "Identified", "Update"]
    assert [u.status for u in incident.updates] == ["Investigating", "Identified", "Identified"]
    assert incident.status == "Identified"


def test_updates_may_be_written_newest_first() -> None:
    oldest_first = (
        "## 2026-11-20 14:02 UTC — Investigating\none\n\n"
        "## 2026-11-20 14:40 UTC — Identified\ntwo\n\n"
        "## 2026-11-20 15:12 UTC — Resolved\nthree\n"
    )
    newest_first = (
        "## 2026-11-20 15:12 UTC — Resolved\nthree\n\n"
        "## 2026-11-20 14:40 UTC — Identified\ntwo\n\n"
        "## 2026-11-20 14:02 UTC — Investigating\none\n"
    )
    a, b = ok(incident_text(body=oldest_first)), ok(incident_text(body=newest_first))
    for incident in (a, b):
        assert [u.body for u in incident.updates] == ["one", "two", "three"]
        assert incident.status == "Resolved"
        assert incident.start == utc(2026, 11, 20, 14, 2)
    assert [u.anchor for u in a.updates] == [u.anchor for u in b.updates]
    assert [u.line for u in b.updates] == [12, 9, 6]


def test_a_reopened_incident_is_unresolved() -> None:
    body = (
        "## 2026-11-20 14:02 UTC — Investigating\nx\n"
        "## 2026-11-20 15:00 UTC — Resolved\nfixed\n"
        "## 2026-11-20 16:00 UTC — Investigating\nit is back\n"
    )
    incident = ok(incident_text(body=body))
    assert incident.status == "Investigating"
    assert not incident.resolved
    assert incident.end is None
    # resolved again later
    incident = ok(incident_text(body=body + "## 2026-11-20 17:00 UTC — Resolved\nfixed for good\n"))
    assert incident.resolved and incident.end == utc(2026, 11, 20, 17, 0)


def test_anchors_come_from_utc_time_with_a_suffix_for_the_same_second() -> None:
    body = (
        "## 2026-11-20 15:02 +01:00 — Investigating\nx\n"
        "## 2026-11-20 14:40:05 UTC — Identified\ny\n"
        "## 2026-11-20 14:40:05 UTC — Update\nz\n"
        "## 2026-11-20 14:40:05 UTC — Update\nw\n"
    )
    incident = ok(incident_text(body=body))
    assert [u.anchor for u in incident.updates] == [
        "update-20261120T140200Z",
        "update-20261120T144005Z",
        "update-20261120T144005Z-2",
        "update-20261120T144005Z-3",
    ]
    assert [u.body for u in incident.updates] == ["x", "y", "z", "w"]  # ties keep reading order


def test_started_moves_the_start() -> None:
    incident = ok(incident_text(FRONT + "started: 2026-11-20 14:50\n"))  # 13:50 UTC
    assert incident.started == utc(2026, 11, 20, 13, 50)
    assert incident.start == utc(2026, 11, 20, 13, 50)


def test_headings_inside_code_are_text() -> None:
    body = (
        "Summary.\n\n"
        "```\n## 2026-11-20 14:00 UTC — Resolved\n## not a heading\n```\n\n"
        "## 2026-11-20 14:02 UTC — Investigating\n"
        "Example:\n\n"
        "~~~~markdown\n## 2026-11-20 14:05 UTC — Resolved\n```\n## still code\n~~~~\n\n"
        "    ## indented code, not a heading\n"
    )
    incident = ok(incident_text(body=body))
    assert len(incident.updates) == 1
    assert incident.status == "Investigating"
    assert "## 2026-11-20 14:00 UTC — Resolved" in incident.summary
    assert "## 2026-11-20 14:05 UTC — Resolved" in incident.updates[0].body
    assert "<pre><code" in incident.updates[0].html


def test_level_three_headings_are_text() -> None:
    incident = ok(incident_text(body="## 2026-11-20 14:02 UTC — Investigating\n### What we know\nx\n"))
    assert "<h3>What we know</h3>" in incident.updates[0].html


def test_author_html_renders_as_written() -> None:
    body = '## 2026-11-20 14:02 UTC — Investigating\nSee <span class="note">this</span> & <em>that</em>.\n'
    incident = ok(incident_text(body=body))
    assert incident.updates[0].html == '<p>See <span class="note">this</span> &amp; <em>that</em>.</p>'


def test_crlf_and_bom_and_trailing_whitespace() -> None:
    text = "\ufeff" + incident_text().replace("\n", "\r\n")
    assert ok(text).title == "API errors"


# -- maintenance ---------------------------------------------------------------------

WINDOW = """\
---
title: Database upgrade
components:
  - api
  - dashboard
start: 2026-11-28 02:00
end: 2026-11-28 04:00
description: We're moving our database to a **new version**.
---
## 2026-11-20 10:00 UTC — Scheduled
We'll upgrade the database.
"""


def test_a_maintenance_window() -> None:
    window, problems = parse_window(WINDOW)
    assert problems == []
    assert window is not None
    assert window.id == "m"
    assert window.components == ("api", "dashboard")
    assert window.start == utc(2026, 11, 28, 1, 0)
    assert window.end == utc(2026, 11, 28, 3, 0)
    assert window.description_html == "<p>We're moving our database to a <strong>new version</strong>.</p>"
    assert [u.status for u in window.updates] == ["Scheduled"]
    assert window.state(NOW) == "Scheduled"
    assert window.upcoming(NOW)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (utc(2026, 11, 28, 0, 59), "Scheduled"),
        (utc(2026, 11, 28, 1, 0), "In progress"),
        (utc(2026, 11, 28, 2, 59), "In progress"),
        (utc(2026, 11, 28, 3, 0), "Completed"),
    ],
)
def test_a_window_without_updates_follows_the_clock(now: datetime, state: str) -> None:
    window, problems = parse_window(WINDOW.split("## ")[0])
    assert problems == []
    assert window is not None and window.updates == ()
    assert window.state(now) == state


def test_maintenance_statuses() -> None:
    body = (
        "## 2026-11-28 02:00 — In progress\na\n"
        "## 2026-11-28 02:30 — update\nb\n"
        "## 2026-11-28 02:48 — VERIFYING\nc\n"
        "## 2026-11-28 03:12 — completed\nd\n"
    )
    window, problems = parse_window(WINDOW.split("## ")[0] + body)
    assert problems == []
    assert window is not None
    assert [u.status for u in window.updates] == ["In progress", "In progress", "Verifying", "Completed"]
    assert window.state(utc(2026, 11, 28, 2, 0)) == "Completed"  # the latest update decides


def test_maintenance_components_may_be_one_id() -> None:
    window, problems = parse_window(WINDOW.replace("components:\n  - api\n  - dashboard\n", "components: api\n"))
    assert problems == []
    assert window is not None and window.components == ("api",)


# -- every mistake, exactly -------------------------------------------------------------


def front(extra: str = "", drop: str = "") -> str:
    lines = [line for line in FRONT.splitlines(keepends=True) if not drop or not line.startswith(drop)]
    return "".join(lines) + extra


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "title: x\n\n## 2026-11-20 14:02 UTC — Investigating\n",
            [f"{PATH}:1: no front matter: the file must start with a line '---'"],
            id="no-front-matter",
        ),
        pytest.param(
            "",
            [f"{PATH}:1: no front matter: the file must start with a line '---'"],
            id="empty-file",
        ),
        pytest.param(
            "---\ntitle: x\n\n## 2026-11-20 14:02 UTC — Investigating\n",
            [f"{PATH}:1: unclosed front matter: no closing '---' line after the opening one"],
            id="unclosed-front-matter",
        ),
        pytest.param(
            incident_text("title: API errors\nimpact: major\ncomponents: [api\n"),
            [
                f"{PATH}:4: YAML syntax error: expected ',' or ']', but got '<stream end>'; a value that starts "
                "with '[' is read as a YAML list, which must end with ']': if it is text, put it in quotes: "
                'components: "[api"'
            ],
            id="yaml-syntax",
        ),
        pytest.param(
            incident_text("title: API errors\nimpact: major\n  components: [api]\n"),
            [
                f"{PATH}:4: YAML syntax error: mapping values are not allowed here; this line is indented under "
                "'impact', so YAML reads it as more of that value: start 'components' in the same column as 'impact'"
            ],
            id="yaml-indentation",
        ),
        pytest.param(
            incident_text("- title\n- impact\n"),
            [f"{PATH}:2: front matter must be a mapping of keys, found a list"],
            id="front-matter-not-a-mapping",
        ),
        pytest.param(
            incident_text(front("title: again\n")),
            [f"{PATH}:5: duplicate key 'title' (first on line 2)"],
            id="duplicate-key",
        ),
        pytest.param(
            incident_text(front(drop="title")),
            [f"{PATH}:1: missing required key 'title'"],
            id="missing-title",
        ),
        pytest.param(
            incident_text(front(drop="impact")),
            [f"{PATH}:1: missing required key 'impact'"],
            id="missing-impact",
        ),
        pytest.param(
            incident_text(front(drop="components")),
            [f"{PATH}:1: missing required key 'components'"],
            id="missing-components",
        ),
        pytest.param(
            incident_text("title:\nimpact: major\ncomponents: [api]\n"),
            [f"{PATH}:2: required key 'title' has no value"],
            id="empty-title",
        ),
        pytest.param(
            incident_text("title: '  '\nimpact: major\ncomponents: [api]\n"),
            [f"{PATH}:2: 'title' must not be empty"],
            id="blank-title",
        ),
        pytest.param(
            incident_text("title: [a, b]\nimpact: major\ncomponents: [api]\n"),
            [f"{PATH}:2: 'title' must be text, found a list"],
            id="title-not-text",
        ),
        pytest.param(
            incident_text(front("titel: x\n")),
            [f"{PATH}:5: unknown key 'titel': did you mean 'title'?"],
            id="unknown-key-did-you-mean",
        ),
        pytest.param(
            incident_text(front("next-update: 2026-11-20 15:00\n")),
            [f"{PATH}:5: unknown key 'next-update': did you mean 'next_update'?"],
            id="unknown-key-dash",
        ),
        pytest.param(
            incident_text(front("severity: high\n")),
            [
                f"{PATH}:5: unknown key 'severity': expected one of 'title', 'impact', 'components', 'cause', "
                "'estimate', 'next_update', 'prevention', 'postmortem', 'started', 'previous_estimates', "
                "'check', 'imported'"
            ],
            id="unknown-key-nothing-close",
        ),
        pytest.param(
            incident_text("title: T\nimpact: huge\ncomponents: [api]\n"),
            [f"{PATH}:3: 'impact' must be one of none, minor, major, critical; found 'huge'"],
            id="impact-enum",
        ),
        pytest.param(
            incident_text("title: T\nimpact: Major\ncomponents: [api]\n"),
            [f"{PATH}:3: 'impact' must be one of none, minor, major, critical; found 'Major'"],
            id="impact-case",
        ),
        pytest.param(
            incident_text("title: T\nimpact: major\ncomponents:\n  api: down\n"),
            [
                f"{PATH}:5: status of component 'api' must be one of operational, degraded_performance, "
                "partial_outage, major_outage; found 'down'"
            ],
            id="component-status-enum",
        ),
        pytest.param(
            incident_text("title: T\nimpact: major\ncomponents:\n  api: under_maintenance\n"),
            [
                f"{PATH}:5: status of component 'api' must be one of operational, degraded_performance, "
                "partial_outage, major_outage; found 'under_maintenance'"
            ],
            id="component-status-maintenance",
        ),
        pytest.param(
            incident_text("title: T\nimpact: major\ncomponents: [api, dashbord]\n"),
            [f"{PATH}:4: unknown component 'dashbord': did you mean 'dashboard'?"],
            id="unknown-component-did-you-mean",
        ),
        pytest.param(
            incident_text("title: T\nimpact: major\ncomponents:\n  api: major_outage\n  e-mail: partial_outage\n"),
            [f"{PATH}:6: unknown component 'e-mail': did you mean 'email'?"],
            id="unknown-component-in-mapping",
        ),
        pytest.param(
            incident_text("title: T\nimpact: major\ncomponents: [billing]\n"),
            [f"{PATH}:4: unknown component 'billing': expected one of 'api', 'dashboard', 'email'"],
            id="unknown-component-nothing-close",
        ),
        pytest.param(
            incident_text("title: T\nimpact: major\ncomponents: api\n"),
            [f"{PATH}:4: 'components' must be a list of component ids or a mapping of id to status, found 'api'"],
            id="components-scalar",
        ),
        pytest.param(
            incident_text("title: T\nimpact: major\ncomponents: []\n"),
            [f"{PATH}:4: 'components' is empty: name at least one affected component"],
            id="components-empty",
        ),
        pytest.param(
            incident_text("title: T\nimpact: major\ncomponents: [api, api]\n"),
            [f"{PATH}:4: component 'api' is listed twice"],
            id="component-twice",
        ),
        pytest.param(
            incident_text(front("estimate: tomorrow\n")),
            [f"{PATH}:5: 'estimate': cannot read time 'tomorrow': expected {TIME_HINT}"],
            id="unparseable-estimate",
        ),
        pytest.param(
            incident_text(front("next_update: 2026-11-20 25:00\n")),
            [f"{PATH}:5: 'next_update': cannot read time '2026-11-20 25:00': hour must be in 0..23"],
            id="unparseable-next-update",
        ),
        pytest.param(
            incident_text(front("started: 2026-11-20\n")),
            [f"{PATH}:5: 'started': '2026-11-20' is a date without a time: expected {TIME_HINT}"],
            id="started-date-only",
        ),
        pytest.param(
            incident_text(front("estimate: [2026-11-20 15:00]\n")),
            [f"{PATH}:5: 'estimate' must be a time ({TIME_HINT}), found a list"],
            id="estimate-list",
        ),
        pytest.param(
            incident_text(front("estimate: 2026-11-20 14:00\n")),
            [f"{PATH}:5: estimate 2026-11-20 14:00 CET is before the incident started (2026-11-20 15:02 CET)"],
            id="estimate-before-start",
        ),
        pytest.param(
            incident_text(front("started: 2026-11-20 16:00\n")),
            [f"{PATH}:5: 'started' 2026-11-20 16:00 CET is after the first update (2026-11-20 15:02 CET)"],
            id="started-after-first-update",
        ),
        pytest.param(
            incident_text(front("postmortem: blog/post\n")),
            [f"{PATH}:5: 'postmortem' must be an http or https URL, found 'blog/post'"],
            id="postmortem-url",
        ),
        pytest.param(
            incident_text(front("prevention:\n  - step: Alerting\n    don: 2026-11-27\n")),
            [f"{PATH}:7: unknown key 'don' in a prevention step: did you mean 'done'?"],
            id="prevention-unknown-key",
        ),
        pytest.param(
            incident_text(front("prevention:\n  - step: Alerting\n    done: soon\n")),
            [f"{PATH}:7: 'done': cannot read date or time 'soon': expected YYYY-MM-DD or {TIME_HINT}"],
            id="prevention-done",
        ),
        pytest.param(
            incident_text(front("prevention:\n  - done: 2026-11-27\n")),
            [f"{PATH}:6: a prevention step needs 'step: <what will be done>'"],
            id="prevention-no-step",
        ),
        pytest.param(
            incident_text(front("prevention:\n  - step: a\n    id: Not A Slug\n")),
            [f"{PATH}:7: prevention step id must be a lowercase slug, found 'Not A Slug'"],
            id="prevention-id",
        ),
        pytest.param(
            incident_text(front("prevention:\n  - step: a\n    id: x\n  - step: b\n    id: x\n")),
            [f"{PATH}:8: two prevention steps share the id 'x'"],
            id="prevention-id-twice",
        ),
        pytest.param(
            incident_text(front("prevention:\n  - [a, b]\n")),
            [f"{PATH}:6: a prevention step must be text or a mapping with 'step', found a list"],
            id="prevention-list-in-list",
        ),
        pytest.param(
            incident_text(body="Just a summary, no update.\n"),
            [f"{PATH}:1: no updates: add at least one {HEADING} heading below the front matter"],
            id="no-update",
        ),
        pytest.param(
            incident_text(body=""),
            [f"{PATH}:1: no updates: add at least one {HEADING} heading below the front matter"],
            id="empty-body",
        ),
        pytest.param(
            incident_text(body=BODY + "\n## What happened\nx\n"),
            [f"{PATH}:9: malformed update heading '## What happened': expected {HEADING}"],
            id="malformed-heading",
        ),
        pytest.param(
            incident_text(body="## 2026-11-20 14:02 UTC Investigating\nx\n"),
            [f"{PATH}:6: malformed update heading '## 2026-11-20 14:02 UTC Investigating': expected {HEADING}"],
            id="heading-without-separator",
        ),
        pytest.param(
            incident_text(body="## 2026-11-20 14:02 UTC—Investigating\nx\n"),
            [f"{PATH}:6: malformed update heading '## 2026-11-20 14:02 UTC—Investigating': expected {HEADING}"],
            id="separator-without-spaces",
        ),
        pytest.param(
            incident_text(body="##\nx\n"),
            [f"{PATH}:6: malformed update heading '## ': expected {HEADING}"],
            id="empty-heading",
        ),
        pytest.param(
            incident_text(body="## 2026-11-20 14:02 UTC — Investigatin\nx\n"),
            [
                f"{PATH}:6: unknown update status 'Investigatin': "
                "expected one of Investigating, Identified, Monitoring, Update, Resolved"
            ],
            id="unknown-status",
        ),
        pytest.param(
            incident_text(body="## 2026-11-20 14:02 UTC — Completed\nx\n"),
            [
                f"{PATH}:6: unknown update status 'Completed': "
                "expected one of Investigating, Identified, Monitoring, Update, Resolved"
            ],
            id="maintenance-status-in-incident",
        ),
        pytest.param(
            incident_text(body="## 2026-11-31 14:02 UTC — Investigating\nx\n"),
            [
                f"{PATH}:6: bad time in update heading: cannot read time '2026-11-31 14:02 UTC': "
                "day is out of range for month"
            ],
            id="heading-bad-day",
        ),
        pytest.param(
            incident_text(body="## 2026-11-20 14:02 CET — Investigating\nx\n"),
            [
                f"{PATH}:6: bad time in update heading: cannot read time '2026-11-20 14:02 CET': zone 'CET' is "
                "not understood; write UTC, Z or an offset such as +01:00, or no zone for the site's time zone"
            ],
            id="heading-named-zone",
        ),
        pytest.param(
            incident_text(body="Summary\n---\n" + BODY),
            [
                f"{PATH}:6: a heading underlined with '---' is a level-2 heading; updates use {HEADING}, "
                "other headings '###'"
            ],
            id="setext-heading",
        ),
    ],
)
def test_incident_errors(text: str, expected: list[str]) -> None:
    assert errors(text) == expected


def test_many_errors_in_one_file_are_all_reported() -> None:
    text = (
        "---\n"
        "title: T\n"
        "impact: huge\n"
        "components: [apii]\n"
        "titel: y\n"
        "estimate: tomorrow\n"
        "---\n"
        "## 2026-11-20 14:02 — Investigatin\n"
        "## not an update\n"
        "## 2026-11-20 14:02 UTC — Resolved\n"
    )
    assert errors(text, "Bad_Name") == [
        f"{PATH}:1: file name 'Bad_Name.md' is not a lowercase slug: "
        "the name is the public reference, rename it to 'bad-name.md'",
        f"{PATH}:3: 'impact' must be one of none, minor, major, critical; found 'huge'",
        f"{PATH}:4: unknown component 'apii': did you mean 'api'?",
        f"{PATH}:5: unknown key 'titel': did you mean 'title'?",
        f"{PATH}:6: 'estimate': cannot read time 'tomorrow': expected {TIME_HINT}",
        f"{PATH}:8: unknown update status 'Investigatin': "
        "expected one of Investigating, Identified, Monitoring, Update, Resolved",
        f"{PATH}:9: malformed update heading '## not an update': expected {HEADING}",
    ]


def test_body_errors_are_reported_even_when_the_front_matter_is_broken() -> None:
    text = "---\ntitle: [x\n---\n## bad heading\n"
    assert errors(text) == [
        f"{PATH}:2: YAML syntax error: expected ',' or ']', but got '<stream end>'; a value that starts with '[' "
        "is read as a YAML list, which must end with ']': if it is text, put it in quotes: title: \"[x\"",
        f"{PATH}:4: malformed update heading '## bad heading': expected {HEADING}",
    ]


@pytest.mark.parametrize(
    ("file_id", "suggestion"),
    [
        ("API Errors", "api-errors"),
        ("2026_11_20_api", "2026-11-20-api"),
        ("störung", "storung"),
        ("-x-", "x"),
        ("a--b", "a-b"),
        ("___", "incident"),
    ],
)
def test_file_names_must_be_slugs(file_id: str, suggestion: str) -> None:
    assert errors(incident_text(), file_id) == [
        f"{PATH}:1: file name '{file_id}.md' is not a lowercase slug: "
        f"the name is the public reference, rename it to '{suggestion}.md'"
    ]


def test_a_file_that_is_not_utf8() -> None:
    data = incident_text().encode().replace(b"API errors", b"Caf\xe9")
    assert errors(data) == [
        f"{PATH}:1: not valid UTF-8 text (byte 0xe9 at offset 14): save the file as UTF-8",
    ]


def test_an_update_in_the_future() -> None:
    body = "## 2026-11-26 11:00 UTC — Investigating\nx\n## 2026-11-26 13:30 — Identified\ny\n"
    incident = ok(incident_text(body=body))
    assert [str(p) for p in problems_at(incident, NOW, BERLIN)] == [
        f"{PATH}:8: update at 2026-11-26 13:30 CET is after the build time 2026-11-26 13:00 CET: "
        "is the time zone right? (no zone given, so it is read in the site's time zone)"
    ]
    body = "## 2026-11-26 12:00:01 UTC — Investigating\nx\n"
    incident = ok(incident_text(body=body))
    assert [str(p) for p in problems_at(incident, NOW)] == [
        f"{PATH}:6: update at 2026-11-26 12:00:01 UTC is after the build time 2026-11-26 12:00 UTC: "
        "is the time zone right?"
    ]
    # exactly the build time is fine
    incident = ok(incident_text(body="## 2026-11-26 12:00 UTC — Investigating\nx\n"))
    assert problems_at(incident, NOW) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "---\ndescription: x\n---\n",
            [
                f"{MPATH}:1: missing required key 'components'",
                f"{MPATH}:1: missing required key 'end'",
                f"{MPATH}:1: missing required key 'start'",
                f"{MPATH}:1: missing required key 'title'",
            ],
            id="missing-keys",
        ),
        pytest.param(
            WINDOW.replace("end: 2026-11-28 04:00", "end: 2026-11-28 01:00"),
            [f"{MPATH}:7: end 2026-11-28 01:00 CET is not after start 2026-11-28 02:00 CET"],
            id="end-before-start",
        ),
        pytest.param(
            WINDOW.replace("end: 2026-11-28 04:00", "end: 2026-11-28 02:00"),
            [f"{MPATH}:7: end 2026-11-28 02:00 CET is not after start 2026-11-28 02:00 CET"],
            id="end-equals-start",
        ),
        pytest.param(
            WINDOW.replace("start: 2026-11-28 02:00", "start: Saturday night"),
            [f"{MPATH}:6: 'start': cannot read time 'Saturday night': expected {TIME_HINT}"],
            id="bad-start",
        ),
        pytest.param(
            WINDOW.replace("Scheduled", "Started"),
            [
                f"{MPATH}:10: unknown update status 'Started': "
                "expected one of Scheduled, In progress, Verifying, Completed, Update"
            ],
            id="unknown-status",
        ),
        pytest.param(
            WINDOW.replace("  - dashboard", "  - dashbaord"),
            [f"{MPATH}:5: unknown component 'dashbaord': did you mean 'dashboard'?"],
            id="unknown-component",
        ),
        pytest.param(
            WINDOW.replace("  - dashboard", "  - api"),
            [f"{MPATH}:5: component 'api' is listed twice"],
            id="component-twice",
        ),
        pytest.param(
            WINDOW.replace("components:\n  - api\n  - dashboard\n", "components: {api: x}\n"),
            [f"{MPATH}:3: 'components' must be a list of component ids, found a mapping"],
            id="components-mapping",
        ),
        pytest.param(
            WINDOW.replace("description:", "descripton:"),
            [f"{MPATH}:8: unknown key 'descripton': did you mean 'description'?"],
            id="unknown-key",
        ),
        pytest.param(
            WINDOW.replace("description: We're", "cancelled: maybe\ndescription: We're"),
            [f"{MPATH}:8: 'cancelled' must be true or false, found 'maybe'"],
            id="cancelled",
        ),
    ],
)
def test_maintenance_errors(text: str, expected: list[str]) -> None:
    window, problems = parse_window(text)
    assert window is None
    assert problems == expected


def test_maintenance_update_in_the_future() -> None:
    window, problems = parse_window(WINDOW.replace("2026-11-20 10:00 UTC", "2026-11-27 10:00 UTC"))
    assert problems == []
    assert window is not None
    assert [str(p) for p in problems_at(window, NOW, BERLIN)] == [
        f"{MPATH}:10: update at 2026-11-27 11:00 CET is after the build time 2026-11-26 13:00 CET: "
        "is the time zone right?"
    ]


def test_equal_words_and_shapes_of_two_items_are_kept_once_and_the_items_stay_equal() -> None:
    """A table of repeats given to the parser: equal texts and shapes are one object, shared as they are built."""
    from inloop.read.repeats import Repeats

    repeats = Repeats()
    second_text = FULL.replace("Elevated error rates", "Errors")
    first, _ = parse_incident(FULL.encode(), "2026-11-20-api-errors", PATH, BERLIN, COMPONENTS, repeats)
    second, _ = parse_incident(second_text.encode(), "second", PATH, BERLIN, COMPONENTS, repeats)
    assert first is not None and second is not None
    assert second.meta is first.meta  # the same keys on the same lines
    assert second.components is first.components
    for one, two in zip(first.updates, second.updates, strict=True):
        assert one.body is two.body and one.html is two.html and one.status is two.status
    for one, two in zip(first.prevention, second.prevention, strict=True):
        assert one.text is two.text and one.html is two.html and one.plain is two.plain
    # equal to the files parsed without a table, whose texts are their own
    alone = ok(second_text, "second")
    assert alone.updates[0].body is not first.updates[0].body
    assert first == ok(FULL, "2026-11-20-api-errors")
    assert second == alone
    assert second.title == "Errors on the API" and second.status == "Resolved"


def test_content_files_finds_what_a_sorted_recursive_glob_finds(tmp_path: Path) -> None:
    """Nested, hidden and dated folders, leftovers, links and a folder named like a file."""

    root = tmp_path / "content" / "incidents"
    for name in [
        "2026-11-20-a.md",
        "b.md",
        "B.md",
        "notes.txt",
        ".hidden.md",
        "draft.md~",
        "2026/11/c.md",
        "2026/.drafts/d.md",
        "archive/old/e.md",
        "#f.md#",
        "4913",
    ]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("---\ntitle: x\n---\n")
    (root / "folder.md").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "g.md").write_text("outside\n")
    (root / "linked-folder").symlink_to(tmp_path / "elsewhere")
    (root / "linked-file.md").symlink_to(tmp_path / "elsewhere" / "g.md")

    expected = [
        path for path in sorted(root.rglob("*.md")) if not ignored_path(path.relative_to(root).parts) and path.is_file()
    ]
    found = list(content_files(tmp_path, "incidents"))
    assert found == expected
    assert [p.relative_to(root).as_posix() for p in found] == [
        "2026/11/c.md",
        "2026-11-20-a.md",
        "B.md",
        "archive/old/e.md",
        "b.md",
        "linked-file.md",
    ]
    assert list(content_files(tmp_path, "maintenance")) == []


def test_the_ledgers_listing_gives_the_content_files_the_loader_would_find(tmp_path: Path) -> None:
    """A first build takes the content files from the ledger's listing of every input instead of walking again."""
    from inloop.build import ledger
    from inloop.build.loader import listed_content

    for kind, names in {
        "incidents": ["2026-11-20-a.md", "b.md", "B.md", "a-b.md", "a.md", "notes.txt", ".hidden.md", "draft.md~"],
        "maintenance": ["2026/11/c.md", "2026/.drafts/d.md", "a/x.md", "archive/old/e.md", "#f.md#", "4913"],
    }.items():
        root = tmp_path / "content" / kind
        for name in names:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text("---\ntitle: x\n---\n")
    (tmp_path / "content" / "incidents" / "folder.md").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "x.md").write_text("not content\n")
    listing = ledger.list_inputs(tmp_path)
    assert listing is not None
    expected = [(kind, path) for kind in ("incidents", "maintenance") for path in content_files(tmp_path, kind)]
    assert len(expected) == 8
    assert listed_content(tmp_path, [name for name, _, _ in listing.files]) == expected
