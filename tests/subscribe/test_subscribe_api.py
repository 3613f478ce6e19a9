"""The Statuspage-compatible API: valid against the schemas, and right for a real client's reading."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from schema_validation import assert_valid
from subscribe_sites import ACTIVE_NO_UPDATES, MADEUP_INCIDENTS, MADEUP_MAINTENANCE, RESOLVED, Site, run_build

FILES = {
    "summary.json": "statuspage/summary",
    "status.json": "statuspage/status",
    "components.json": "statuspage/components",
    "incidents.json": "statuspage/incidents",
    "incidents/unresolved.json": "statuspage/incidents-unresolved",
    "scheduled-maintenances.json": "statuspage/scheduled-maintenances",
    "scheduled-maintenances/upcoming.json": "statuspage/scheduled-maintenances-upcoming",
    "scheduled-maintenances/active.json": "statuspage/scheduled-maintenances-active",
}
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$")


class StatuspageClient:
    """Reads the files the way status aggregators and chat bots read Statuspage's API v2."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def get(self, path: str) -> Any:
        return self.site.json("api/v2/" + path)

    def indicator(self) -> tuple[str, str]:
        summary = self.get("summary.json")
        return summary["status"]["indicator"], summary["status"]["description"]

    def component_statuses(self) -> dict[str, str]:
        return {c["name"]: c["status"] for c in self.get("components.json")["components"] if not c["group"]}

    def groups(self) -> dict[str, list[str]]:
        components = self.get("components.json")["components"]
        names = {c["id"]: c["name"] for c in components}
        found: dict[str, list[str]] = {}
        for component in components:
            if component["group_id"]:
                found.setdefault(names[component["group_id"]], []).append(component["name"])
        return found

    def open_incidents(self) -> list[tuple[str, str, str]]:
        """(name, impact, latest update's status) of each unresolved incident."""
        incidents = self.get("incidents/unresolved.json")["incidents"]
        return [(i["name"], i["impact"], i["incident_updates"][0]["status"]) for i in incidents]

    def upcoming(self) -> list[str]:
        return [m["name"] for m in self.get("scheduled-maintenances/upcoming.json")["scheduled_maintenances"]]

    def active(self) -> list[str]:
        return [m["name"] for m in self.get("scheduled-maintenances/active.json")["scheduled_maintenances"]]


def walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from walk(inner, name)
    elif isinstance(value, list):
        for inner in value:
            yield from walk(inner, key)
    else:
        yield key, value


@pytest.fixture(params=["example", "madeup"])
def site(request: pytest.FixtureRequest) -> Site:
    found: Site = request.getfixturevalue(request.param)
    return found


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_file_is_valid_against_its_schema(site: Site, name: str) -> None:
    assert_valid(FILES[name], site.json("api/v2/" + name))


def test_every_timestamp_has_milliseconds_and_an_offset(site: Site) -> None:
    for name in FILES:
        for key, value in walk(site.json("api/v2/" + name)):
            if key.endswith(("_at", "_for", "_until")) and value is not None:
                assert STAMP.match(value), (name, key, value)


def test_no_update_status_reaches_the_api(site: Site) -> None:
    for name in FILES:
        statuses = {value for key, value in walk(site.json("api/v2/" + name)) if key == "status"}
        assert "update" not in statuses
        assert all(s == s.lower() for s in statuses)


def test_incident_updates_are_newest_first_with_stable_ids(site: Site) -> None:
    for item in site.json("api/v2/incidents.json")["incidents"]:
        times = [datetime.fromisoformat(u["created_at"].replace("Z", "+00:00")) for u in item["incident_updates"]]
        assert times == sorted(times, reverse=True)
        for update in item["incident_updates"]:
            assert update["id"].startswith(item["id"] + "-update-")
            assert update["incident_id"] == item["id"]
            assert update["display_at"] == update["created_at"]
        assert item["shortlink"] == f"{site.base_url}incidents/{item['id']}/"


# -- a client on the example site ------------------------------------------------------


def test_client_on_the_example_site(example: Site) -> None:
    client = StatuspageClient(example)
    assert client.indicator() == ("major", "Partial System Outage")
    assert client.get("status.json")["status"] == client.get("summary.json")["status"]
    statuses = client.component_statuses()
    assert statuses["Search"] == "partial_outage"
    assert statuses["Dashboard"] == "degraded_performance"
    assert statuses["SMS notifications"] == "under_maintenance"
    assert statuses["Public API"] == "operational"
    assert client.groups() == {
        "Platform": ["Public API", "Dashboard", "Webhooks"],
        "Data": ["Database", "Search", "File storage"],
        "Communication": ["Email delivery", "SMS notifications"],
    }
    assert client.open_incidents() == [("Search failing or slow for some customers", "major", "identified")]
    incidents = client.get("incidents.json")["incidents"]
    assert len(incidents) == 12
    assert incidents[0]["name"] == "Search failing or slow for some customers"
    assert incidents[0]["incident_updates"][0]["status"] == "identified"
    assert all(i["status"] == "resolved" for i in incidents[1:])
    assert client.active() == ["Moving SMS sending to new servers"]
    assert client.upcoming() == ["Webhook delivery upgrade"]
    summary = client.get("summary.json")
    assert [m["name"] for m in summary["scheduled_maintenances"]] == client.active() + client.upcoming()
    page = summary["page"]
    assert page["name"] == "Acme Status"
    assert page["url"] == "https://status.acme.example"
    assert page["time_zone"] == "Europe/Berlin"
    assert page["updated_at"] == "2026-11-26T13:00:00.000+01:00"


def test_example_incident_fields(example: Site) -> None:
    [search] = StatuspageClient(example).get("incidents/unresolved.json")["incidents"]
    assert search["id"] == "2026-11-26-search-failures"
    assert search["started_at"] == "2026-11-26T11:38:00.000+01:00"  # started: 10:38 UTC
    assert search["created_at"] == "2026-11-26T11:42:00.000+01:00"  # the first update
    assert search["updated_at"] == "2026-11-26T12:34:00.000+01:00"
    assert search["monitoring_at"] is None and search["resolved_at"] is None
    assert search["incident_updates"][0]["body"].startswith("One of our search servers failed")
    assert [c["id"] for c in search["components"]] == ["search", "dashboard"]
    assert search["components"][0]["group_id"] == "group-data"


# -- a client on a made-up site ----------------------------------------------------------


def test_client_on_a_site_with_a_critical_incident_and_active_maintenance(madeup: Site) -> None:
    client = StatuspageClient(madeup)
    assert client.indicator() == ("critical", "Major Service Outage")
    assert client.open_incidents() == [("Database cluster down", "critical", "identified")]
    assert client.component_statuses() == {
        "Public API": "major_outage",
        "Dashboard": "partial_outage",
        "Email <delivery> & more": "under_maintenance",
        "Documentation": "operational",
    }
    assert client.groups() == {"Platform": ["Public API", "Dashboard"], "Communication": ["Email <delivery> & more"]}
    assert client.active() == ["Moving email sending"]
    assert client.upcoming() == ["Dashboard upgrade"]  # the cancelled window is left out


def test_components_and_groups(madeup: Site) -> None:
    components = StatuspageClient(madeup).get("components.json")["components"]
    by_id = {c["id"]: c for c in components}
    platform = by_id["group-platform"]
    assert platform["group"] is True and platform["components"] == ["api", "dashboard"]
    assert platform["status"] == "major_outage"  # the worst of its members
    assert platform["group_id"] is None
    assert by_id["api"]["group_id"] == "group-platform" and by_id["api"]["group"] is False
    assert by_id["docs"]["group_id"] is None
    assert by_id["dashboard"]["description"] == "The web app" and by_id["api"]["description"] is None
    assert [c["position"] for c in components] == list(range(1, len(components) + 1))
    assert [c["id"] for c in components] == [
        "group-platform",
        "api",
        "dashboard",
        "group-communication",
        "email",
        "docs",
    ]
    assert by_id["api"]["updated_at"] == "2026-11-26T06:40:00.000-05:00"  # its latest update


def test_incident_mapping(madeup: Site) -> None:
    client = StatuspageClient(madeup)
    [down] = client.get("incidents/unresolved.json")["incidents"]
    updates = down["incident_updates"]
    assert [u["status"] for u in updates] == ["identified", "investigating", "investigating"]
    assert updates[1]["id"] == "2026-11-26-database-down-update-20261126T112000Z"
    assert updates[2]["body"] == "The API and the dashboard **fail** for everyone."  # the Markdown source
    first = {a["code"]: (a["old_status"], a["new_status"]) for a in updates[-1]["affected_components"]}
    assert first == {"api": ("operational", "major_outage"), "dashboard": ("operational", "partial_outage")}
    latest = {a["code"]: (a["old_status"], a["new_status"]) for a in updates[0]["affected_components"]}
    assert latest == {"api": ("major_outage", "major_outage"), "dashboard": ("partial_outage", "partial_outage")}
    assert updates[0]["affected_components"][0]["name"] == "Public API"
    assert updates[0]["deliver_notifications"] is False and updates[0]["tweet_id"] is None
    assert down["reminder_intervals"] is None

    resolved = next(i for i in client.get("incidents.json")["incidents"] if i["id"] == "2026-11-20-api-errors")
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] == "2026-11-20T10:12:00.000-05:00"
    assert resolved["monitoring_at"] == "2026-11-20T09:40:00.000-05:00"
    last = resolved["incident_updates"][0]["affected_components"]
    assert [(a["old_status"], a["new_status"]) for a in last] == [("partial_outage", "operational")]
    assert resolved["components"][0]["status"] == "major_outage"  # the component as it is now


def test_maintenance_mapping(madeup: Site) -> None:
    client = StatuspageClient(madeup)
    [active] = client.get("scheduled-maintenances/active.json")["scheduled_maintenances"]
    assert active["status"] == "in_progress"
    assert active["impact"] == "maintenance"
    assert active["scheduled_for"] == "2026-11-26T06:30:00.000-05:00"
    assert active["scheduled_until"] == "2026-11-26T08:00:00.000-05:00"
    [synthetic] = active["incident_updates"]  # a window without updates gets one, at its start
    assert synthetic["status"] == "scheduled"
    assert synthetic["body"] == "Email may arrive up to 5 minutes late."
    assert synthetic["created_at"] == active["scheduled_for"]
    assert active["shortlink"] == "https://status.beta.example/sub/maintenance/2026-11-26-email-move/"
    every = {m["id"]: m for m in client.get("scheduled-maintenances.json")["scheduled_maintenances"]}
    assert every["2026-12-05-gateway-swap"]["status"] == "completed"  # cancelled
    assert [u["status"] for u in every["2026-12-05-gateway-swap"]["incident_updates"]] == ["scheduled", "scheduled"]
    summary = client.get("summary.json")
    assert [m["id"] for m in summary["scheduled_maintenances"]] == [
        "2026-11-26-email-move",
        "2026-12-02-dashboard-upgrade",
    ]


def test_indicator_for_maintenance_alone_and_for_nothing(site_factory: Callable[..., Site]) -> None:
    calm = site_factory({"2026-11-20-api-errors": RESOLVED}, {"2026-11-26-email-move": ACTIVE_NO_UPDATES})
    assert StatuspageClient(calm).indicator() == ("maintenance", "Service Under Maintenance")
    later = site_factory(
        {"2026-11-20-api-errors": RESOLVED}, {"2026-11-26-email-move": ACTIVE_NO_UPDATES}, now="2026-11-27 12:00 UTC"
    )
    assert StatuspageClient(later).indicator() == ("none", "All Systems Operational")
    [window] = StatuspageClient(later).get("scheduled-maintenances.json")["scheduled_maintenances"]
    assert window["status"] == "completed"
    assert window["resolved_at"] == "2026-11-26T08:00:00.000-05:00"


def test_page_id_is_stable_and_follows_base_url(madeup: Site, tmp_path: Path) -> None:
    page = madeup.json("api/v2/status.json")["page"]
    assert re.fullmatch(r"[0-9a-z]{12}", page["id"])
    source = tmp_path / "src"
    from subscribe_sites import write_site

    write_site(source, MADEUP_INCIDENTS, MADEUP_MAINTENANCE)
    later = Site(run_build(source, tmp_path / "later", "2026-11-28 12:00 UTC"), madeup.base_url)
    assert later.json("api/v2/status.json")["page"]["id"] == page["id"]
    assert later.json("api/v2/status.json")["page"]["updated_at"] == "2026-11-28T07:00:00.000-05:00"
    moved = run_build(source, tmp_path / "moved", "2026-11-26 12:00 UTC", "--base-url", "https://elsewhere.example/")
    other = Site(moved, "https://elsewhere.example/").json("api/v2/components.json")
    assert other["page"]["id"] != page["id"]
    assert {c["page_id"] for c in other["components"]} == {other["page"]["id"]}


def test_incidents_json_holds_the_latest_50(site_factory: Callable[..., Site]) -> None:
    incidents = {}
    for day in range(1, 56):
        month, date = divmod(day - 1, 28)
        stamp = f"2026-{month + 9:02d}-{date + 1:02d}"
        text = RESOLVED.replace("2026-11-20", stamp)
        incidents[f"{stamp}-incident"] = text
    site = site_factory(incidents, {})
    listed = site.json("api/v2/incidents.json")["incidents"]
    assert len(listed) == 50
    assert listed[0]["id"] == "2026-10-27-incident"
    assert [i["id"] for i in listed] == sorted((i["id"] for i in listed), reverse=True)
    assert_valid("statuspage/incidents", site.json("api/v2/incidents.json"))
