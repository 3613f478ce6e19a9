"""Component status through an incident: status lines, the timeline, and every page that states a status."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from inloop.errors import Problem
from inloop.model import ComponentStatus, Incident, StatusChange
from inloop.read.content import parse_incident, parse_maintenance

OP = ComponentStatus.OPERATIONAL
DEGRADED = ComponentStatus.DEGRADED_PERFORMANCE
PARTIAL = ComponentStatus.PARTIAL_OUTAGE
MAJOR = ComponentStatus.MAJOR_OUTAGE
KNOWN = frozenset({"api", "dashboard", "email"})
PATH = "content/incidents/t.md"


def utc(clock: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-26T{clock}:00+00:00")


def parse(text: str, known: frozenset[str] | None = KNOWN) -> tuple[Incident | None, list[Problem]]:
    return parse_incident(text.encode("utf-8"), "t", PATH, ZoneInfo("Europe/Berlin"), known)


def parsed(text: str) -> Incident:
    incident, problems = parse(text)
    assert problems == [] and incident is not None, problems
    return incident


def messages(text: str) -> list[str]:
    incident, problems = parse(text)
    assert incident is None
    return [f"{p.path}:{p.line}: {p.message}" for p in sorted(problems)]


FRONT = "---\ntitle: Search fails\nimpact: major\ncomponents:\n  api: partial_outage\n---\n"  # 6 lines

#: The API breaks, gets worse and takes the dashboard with it, recovers at Monitoring; then it is resolved.
STORY = (
    FRONT
    + """\
## 2026-11-26 10:00 UTC — Investigating
The API fails.

## 2026-11-26 10:30 UTC — Identified
Components: api → major_outage, dashboard → degraded_performance

It got worse.

## 2026-11-26 11:00 UTC — Monitoring
The API works again; the dashboard is still slow.

Components: api -> operational
"""
)
RESOLVED = STORY + "\n## 2026-11-26 11:30 UTC — Resolved\nAll good.\n"


# -- reading status lines ----------------------------------------------------------------


def test_status_lines_are_read_and_taken_out_of_the_text() -> None:
    incident = parsed(STORY)
    first, identified, monitoring = incident.updates
    assert first.settings == ()
    assert [(s.component, s.status, s.line) for s in identified.settings] == [
        ("api", MAJOR, 11),
        ("dashboard", DEGRADED, 11),
    ]
    assert [(s.component, s.status, s.line) for s in monitoring.settings] == [("api", OP, 18)]
    assert identified.body == "It got worse."
    assert identified.html.strip() == "<p>It got worse.</p>"
    assert monitoring.body == "The API works again; the dashboard is still slow."
    assert incident.component_ids == ("api", "dashboard")


@pytest.mark.parametrize(
    "line",
    [
        "Components: api → major_outage",
        "components: api -> major_outage",
        "Component:api→Major Outage",
        "   COMPONENTS :  api  ->  major-outage ,",
    ],
)
def test_forms_of_a_status_line(line: str) -> None:
    incident = parsed(FRONT + f"## 2026-11-26 10:00 UTC — Investigating\n{line}\nText.\n")
    assert [(s.component, s.status) for s in incident.updates[0].settings] == [("api", MAJOR)]
    assert incident.updates[0].body == "Text."


@pytest.mark.parametrize(
    "body",
    [
        "Component: the API gateway, in Frankfurt.",  # no arrow: prose, as before
        "Intro.\n\n```\nComponents: api → operational\n```",  # code
        "Intro.\n\n    Components: api → operational",  # indented code
        "- Components: api → operational",  # a list item
        "We moved traffic: api -> backup.",  # an arrow, but not a status line
    ],
)
def test_what_is_not_a_status_line(body: str) -> None:
    incident = parsed(FRONT + f"## 2026-11-26 10:00 UTC — Investigating\n{body}\n")
    assert incident.updates[0].settings == ()
    assert incident.updates[0].body == body


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Components: apu → operational", ["unknown component 'apu': did you mean 'api'?"]),
        ("Components: API → operational", ["unknown component 'API': did you mean 'api'?"]),
        ("Components: billing → operational",
         ["unknown component 'billing': expected one of 'api', 'dashboard', 'email'"]),
        ("Components: api → down", ["unknown status 'down' for component 'api': expected one of operational, "
                                    "degraded_performance, partial_outage, major_outage"]),
        ("Components: api → major_outag", ["unknown status 'major_outag' for component 'api': "
                                           "did you mean 'major_outage'?"]),
        ("Components: api → degraded", ["unknown status 'degraded' for component 'api': "
                                        "did you mean 'degraded_performance'?"]),
        ("Components: api → under_maintenance", ["unknown status 'under_maintenance' for component 'api': "
                                                 "expected one of operational, degraded_performance, "
                                                 "partial_outage, major_outage"]),
        ("Components: api → operational, email", ["'email' in a status line: expected 'ID → STATUS', "
                                                  "such as 'api → operational'"]),
        ("Components: api →", ["'api →' in a status line: expected 'ID → STATUS', such as 'api → operational'"]),
        ("Components: api → operational, api -> major_outage", ["component 'api' is given twice in this update"]),
        ("Components: apu → down",
         ["unknown component 'apu': did you mean 'api'?",
          "unknown status 'down' for component 'apu': expected one of operational, degraded_performance, "
          "partial_outage, major_outage"]),
    ],
)  # fmt: skip
def test_bad_status_lines(line: str, expected: list[str]) -> None:
    text = FRONT + f"## 2026-11-26 10:00 UTC — Investigating\nText.\n\n{line}\n"
    assert messages(text) == [f"{PATH}:10: {message}" for message in expected]


def test_every_bad_line_is_reported_at_its_own_line() -> None:
    text = FRONT + (
        "## 2026-11-26 10:00 UTC — Investigating\nComponents: apu → operational\nText.\n\n"
        "## 2026-11-26 10:30 UTC — Update\nMore.\nComponent: dashboard → broken\n"
    )
    assert messages(text) == [
        f"{PATH}:8: unknown component 'apu': did you mean 'api'?",
        f"{PATH}:13: unknown status 'broken' for component 'dashboard': expected one of operational, "
        "degraded_performance, partial_outage, major_outage",
    ]


def test_a_status_line_in_the_summary_is_an_error() -> None:
    text = FRONT + "Components: api → operational\n\n## 2026-11-26 10:00 UTC — Investigating\nText.\n"
    assert messages(text) == [
        f"{PATH}:7: a status line belongs in an update, below its '## ...' heading; "
        "the statuses from the start are the front matter's 'components'"
    ]


def test_a_resolved_update_cannot_leave_a_component_down() -> None:
    text = STORY + "\n## 2026-11-26 11:30 UTC — Resolved\nComponents: dashboard → partial_outage\n"
    assert messages(text) == [
        f"{PATH}:21: component 'dashboard' cannot be partial_outage once the incident is resolved: "
        "at resolution every component is operational (reopen it with an Investigating update first)"
    ]
    later = RESOLVED + "\n## 2026-11-26 11:45 UTC — Update\nComponents: email → major_outage\nPostmortem.\n"
    assert messages(later)[0].startswith(f"{PATH}:24: component 'email' cannot be major_outage once")
    fine = parsed(STORY + "\n## 2026-11-26 11:30 UTC — Resolved\nComponents: dashboard → operational\n")
    assert fine.resolved


def test_a_maintenance_window_has_no_status_lines() -> None:
    text = (
        "---\ntitle: W\ncomponents: [api]\nstart: 2026-11-26 10:00 UTC\nend: 2026-11-26 11:00 UTC\n---\n"
        "## 2026-11-26 09:00 UTC — Scheduled\nComponents: api → under_maintenance\n"
    )
    window, problems = parse_maintenance(text.encode(), "w", "w.md", UTC, KNOWN)
    assert window is None
    assert [str(p) for p in problems] == [
        "w.md:8: a maintenance window's components have no statuses: remove this status line"
    ]


def test_without_known_components_any_id_is_read() -> None:
    incident, problems = parse(FRONT + "## 2026-11-26 10:00 UTC — Investigating\nComponents: x → operational\n", None)
    assert problems == [] and incident is not None
    assert incident.component_ids == ("api", "x")


# -- the timeline ----------------------------------------------------------------------


def test_the_timeline_of_changes() -> None:
    incident = parsed(RESOLVED)
    identified, monitoring, resolved = (u.anchor for u in incident.updates[1:])
    assert incident.status_changes == (
        StatusChange(utc("10:00"), "api", OP, PARTIAL, None, False),
        StatusChange(utc("10:30"), "api", PARTIAL, MAJOR, identified, True),
        StatusChange(utc("10:30"), "dashboard", OP, DEGRADED, identified, True),
        StatusChange(utc("11:00"), "api", MAJOR, OP, monitoring, True),
        StatusChange(utc("11:30"), "dashboard", DEGRADED, OP, resolved, False),
    )
    assert incident.latest_components == (("api", OP), ("dashboard", OP))


@pytest.mark.parametrize(
    ("clock", "api", "dashboard"),
    [
        ("09:59", OP, OP),  # before the start
        ("10:00", PARTIAL, OP),  # the front matter, from the start
        ("10:29", PARTIAL, OP),
        ("10:30", MAJOR, DEGRADED),  # at the update
        ("10:59", MAJOR, DEGRADED),
        ("11:00", OP, DEGRADED),  # recovered at Monitoring, still open
        ("11:29", OP, DEGRADED),
        ("11:30", OP, OP),  # resolved
        ("23:00", OP, OP),
    ],
)
def test_status_at_any_moment(clock: str, api: ComponentStatus, dashboard: ComponentStatus) -> None:
    incident = parsed(RESOLVED)
    assert incident.component_statuses_at(utc(clock)) == {"api": api, "dashboard": dashboard}
    just_before = utc(clock) - timedelta(microseconds=1)
    assert set(incident.component_statuses_at(just_before)) == {"api", "dashboard"}


def test_started_before_the_first_update() -> None:
    front = FRONT.replace("impact: major\n", "impact: major\nstarted: 2026-11-26 09:40 UTC\n")
    incident = parsed(front + "## 2026-11-26 10:00 UTC — Investigating\nText.\n")
    assert incident.start == utc("09:40")
    assert incident.component_statuses_at(utc("09:45")) == {"api": PARTIAL}
    assert incident.component_statuses_at(utc("09:39")) == {"api": OP}


def test_reopening_brings_back_the_statuses_held_before() -> None:
    incident = parsed(RESOLVED + "\n## 2026-11-26 12:00 UTC — Investigating\nIt is back.\n")
    assert not incident.resolved
    assert incident.component_statuses_at(utc("11:45")) == {"api": OP, "dashboard": OP}
    assert incident.component_statuses_at(utc("12:00")) == {"api": OP, "dashboard": DEGRADED}
    assert incident.latest_components == (("api", OP), ("dashboard", DEGRADED))


def test_no_status_lines_keep_the_front_matter_statuses_until_resolved() -> None:
    incident = parsed(FRONT + "## 2026-11-26 10:00 UTC — Investigating\nA\n\n## 2026-11-26 11:00 UTC — Monitoring\nB\n")
    assert incident.component_statuses_at(utc("11:30")) == {"api": PARTIAL}
    assert incident.status_changes == (StatusChange(utc("10:00"), "api", OP, PARTIAL, None, False),)


def test_a_status_line_that_changes_nothing_is_no_change() -> None:
    incident = parsed(FRONT + "## 2026-11-26 10:00 UTC — Investigating\nComponents: api → partial_outage\nA\n")
    assert incident.updates[0].settings != ()
    assert incident.changes_at(incident.updates[0]) == ()


def test_updates_written_newest_first_give_the_same_timeline() -> None:
    blocks = ["## " + block.strip().removeprefix("## ") for block in RESOLVED[len(FRONT) :].split("\n\n## ")]
    assert len(blocks) == 4
    newest_first = parsed(FRONT + "\n\n".join(reversed(blocks)) + "\n")
    assert [u.time for u in newest_first.updates] == [utc("10:00"), utc("10:30"), utc("11:00"), utc("11:30")]
    assert newest_first.status_changes == parsed(RESOLVED).status_changes


def test_the_timeline_survives_pickling() -> None:
    incident = parsed(RESOLVED)
    again = pickle.loads(pickle.dumps(incident))
    assert again == incident
    assert again.status_changes == incident.status_changes
    assert again.component_statuses_at(utc("11:10")) == {"api": OP, "dashboard": DEGRADED}


# -- the built site --------------------------------------------------------------------

NOW = "2026-11-26 12:00 UTC"


@pytest.fixture(scope="module")
def story_site(
    tmp_path_factory: pytest.TempPathFactory, make_site: Callable[..., Path], build: Callable[..., Path]
) -> Path:
    """The story's site, built once: the tests only read it."""
    source = make_site(tmp_path_factory.mktemp("story") / "src", incidents={"2026-11-26-search": STORY})
    return build(source, now=NOW)


def _text(node: Any) -> str:
    """The words a reader sees: an icon's title (its text for screen readers) left out."""
    for icon in node.select("svg"):
        icon.decompose()
    return " ".join(node.get_text(" ").split())


def test_the_incident_page_shows_each_change_at_its_update(story_site: Path) -> None:
    page = BeautifulSoup((story_site / "incidents/2026-11-26-search/index.html").read_text("utf-8"), "html.parser")
    changes = {
        update["id"]: [_text(li) for li in update.select(".status-changes li")] for update in page.select("li.update")
    }
    assert changes == {
        "update-20261126T110000Z": ["Public API: major outage → operational"],
        "update-20261126T103000Z": [
            "Public API: partial outage → major outage",
            "Dashboard: operational → degraded performance",
        ],
        "update-20261126T100000Z": [],
    }
    assert "Components:" not in page.get_text()
    affected = _text(page.select_one("dl.facts dd"))
    assert affected == "Public API ( Operational ) Dashboard ( Degraded performance )"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "Public API: schwerer Ausfall → betriebsbereit"),
        ("fr", "Public API\u00a0: panne majeure → opérationnel"),
        ("es", "Public API: interrupción grave → operativo"),
        ("ja", "Public API\uff1a大規模障害 → 正常稼働"),
        ("en", "Public API: major outage → operational"),
    ],
)
def test_the_change_in_every_language(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path], language: str, expected: str
) -> None:
    config = f"""\
title = "Test"
base_url = "https://status.test.example/"
timezone = "Europe/Berlin"
language = "{language}"

[[components]]
id = "api"
name = "Public API"

[[components]]
id = "dashboard"
name = "Dashboard"
"""
    site = build(make_site(tmp_path / "src", config=config, incidents={"2026-11-26-search": STORY}), now=NOW)
    page = BeautifulSoup((site / "incidents/2026-11-26-search/index.html").read_text("utf-8"), "html.parser")
    monitoring = page.select_one("#update-20261126T110000Z .status-changes li")
    assert monitoring is not None
    assert monitoring.get_text() == expected


def test_the_home_page_badges_and_component_pages_follow_the_change(story_site: Path) -> None:
    home = BeautifulSoup((story_site / "index.html").read_text("utf-8"), "html.parser")
    rows = {_text(row.select_one("a")): _text(row.select_one(".status")) for row in home.select(".component-head")}
    assert rows["Public API"] == "Operational"
    assert rows["Dashboard"] == "Degraded performance"
    assert rows["Email delivery"] == "Operational"
    latest = home.select_one(".incident-summary .latest")
    assert [_text(li) for li in latest.select(".status-changes li")] == ["Public API: major outage → operational"]
    badge = json.loads((story_site / "components/api/badge.json").read_text("utf-8"))
    assert badge["message"] == "Operational"
    assert json.loads((story_site / "components/dashboard/badge.json").read_text("utf-8"))["message"] == (
        "Degraded performance"
    )
    assert json.loads((story_site / "badge.json").read_text("utf-8"))["message"] == "Degraded performance"
    component = BeautifulSoup((story_site / "components/api/index.html").read_text("utf-8"), "html.parser")
    assert _text(component.select_one(".component-status")) == "Operational"
    status = json.loads((story_site / "api/v2/status.json").read_text("utf-8"))["status"]
    assert status == {"indicator": "minor", "description": "Minor Service Outage"}
    components = json.loads((story_site / "api/v2/components.json").read_text("utf-8"))["components"]
    assert {c["id"]: c["status"] for c in components if not c["group"]} == {
        "api": "operational",
        "dashboard": "degraded_performance",
        "email": "operational",
    }


def test_the_api_carries_each_change_in_affected_components(story_site: Path) -> None:
    incidents = json.loads((story_site / "api/v2/incidents.json").read_text("utf-8"))["incidents"]
    updates = incidents[0]["incident_updates"]  # newest first
    assert [u["status"] for u in updates] == ["monitoring", "identified", "investigating"]
    assert [u["affected_components"] for u in updates] == [
        [
            {"code": "api", "name": "Public API", "old_status": "major_outage", "new_status": "operational"},
            {"code": "dashboard", "name": "Dashboard", "old_status": "degraded_performance",
             "new_status": "degraded_performance"},
        ],
        [
            {"code": "api", "name": "Public API", "old_status": "partial_outage", "new_status": "major_outage"},
            {"code": "dashboard", "name": "Dashboard", "old_status": "operational",
             "new_status": "degraded_performance"},
        ],
        [{"code": "api", "name": "Public API", "old_status": "operational", "new_status": "partial_outage"}],
    ]  # fmt: skip
    assert updates[0]["body"] == "The API works again; the dashboard is still slow."
    assert [c["id"] for c in incidents[0]["components"]] == ["api", "dashboard"]


def test_the_api_at_resolution(tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path]) -> None:
    site = build(make_site(tmp_path / "src", incidents={"2026-11-26-search": RESOLVED}), now=NOW)
    updates = json.loads((site / "api/v2/incidents.json").read_text("utf-8"))["incidents"][0]["incident_updates"]
    assert updates[0]["status"] == "resolved"
    assert updates[0]["affected_components"] == [
        {"code": "api", "name": "Public API", "old_status": "operational", "new_status": "operational"},
        {"code": "dashboard", "name": "Dashboard", "old_status": "degraded_performance", "new_status": "operational"},
    ]


def test_the_feeds_state_the_change(story_site: Path) -> None:
    feed = feedparser.parse((story_site / "feed.xml").read_bytes())
    monitoring = next(e for e in feed.entries if e.title.startswith("[Monitoring]"))
    assert "Public API: major outage → operational" in monitoring.description
    items = json.loads((story_site / "feed.json").read_text("utf-8"))["items"]
    item = next(i for i in items if i["title"].startswith("[Monitoring]"))
    assert item["content_html"].startswith(
        '<ul class="status-changes"><li>Public API: major outage → operational</li></ul>'
        "<p>The API works again; the dashboard is still slow.</p>"
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["api", "API", "dashbord", "", " ", "→", "->", ",", ":", "operational", "major outage"]),
            st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=8),
        ),
        max_size=8,
    ),
    st.sampled_from(["Components:", "component :", "  COMPONENTS:", "Components"]),
)
def test_any_status_line_reads_or_fails_cleanly(parts: list[str], prefix: str) -> None:
    line = prefix + " " + " ".join(parts) + " → x"
    incident, problems = parse(FRONT + f"## 2026-11-26 10:00 UTC — Investigating\n{line}\nText.\n")
    assert (incident is None) == bool(problems)
    for problem in problems:
        assert problem.path == PATH and 1 <= problem.line <= 9


def test_a_new_status_line_is_more_than_a_text_edit() -> None:
    """The incremental builder may patch only the pages of an item whose shape is unchanged: not here."""
    from inloop.render.pages import shape

    plain = parsed(STORY.replace("Components: api -> operational\n", ""))
    assert shape(plain) != shape(parsed(STORY))
    assert shape(plain) == shape(parsed(STORY.replace("Components: api -> operational\n", "Another line.\n")))
