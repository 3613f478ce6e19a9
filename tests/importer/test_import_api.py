"""Statuspage API documents (incidents.json, one incident, scheduled maintenances) import too."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from inloop.errors import UsageError
from inloop.importer import import_feed

API = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "statuspage-api"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def front_matter(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("\n---\n", 1)[0][4:])


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_one_incident(tmp_path: Path) -> None:
    site = tmp_path / "site"
    report = import_feed(str(API / "githubstatus-incident-lc8s9rtyjmgq.json"), site, now=NOW)
    assert report.incidents_written == 1
    path = site / "content" / "incidents" / "lc8s9rtyjmgq.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        "---\n"
        "title: Incident with GitHub Actions\n"
        "impact: major\n"
        "components:\n"
        "  - actions\n"
        "imported:\n"
        "  source: https://www.githubstatus.com/incidents/lc8s9rtyjmgq\n"
        "---\n\n"
        "## 2021-08-10 20:09:04 UTC \u2014 Investigating\n"
    )
    assert text.endswith("## 2021-08-10 23:10:51 UTC \u2014 Resolved\nThis incident has been resolved.\n")
    config = tomllib.loads((site / "inloop.toml").read_text(encoding="utf-8"))
    assert (config["title"], config["base_url"]) == ("GitHub", "https://www.githubstatus.com/")
    assert config["components"] == [{"id": "actions", "name": "Actions"}]
    # impact and components come from the source: nothing is a default
    assert report.default_component_items == 0 and report.default_impact_items == 0


def test_incidents_json(tmp_path: Path) -> None:
    site = tmp_path / "site"
    source = API / "githubstatus-incidents.json"
    records = json.loads(source.read_text(encoding="utf-8"))["incidents"]
    report = import_feed(str(source), site, now=NOW)
    assert report.incidents_written == len(records) == 50
    without_components = sum(1 for record in records if not record["components"])
    assert report.default_component_items == without_components
    assert report.default_impact_items == 0
    config = tomllib.loads((site / "inloop.toml").read_text(encoding="utf-8"))
    names = {c["name"] for record in records for c in record["components"]}
    assert {c["name"] for c in config["components"]} == names | {"Imported"}
    for record in records:
        front = front_matter(site / "content" / "incidents" / f"{record['id']}.md")
        assert front["impact"] == record["impact"]
        assert len(front["components"]) == max(1, len(record["components"]))
    before = snapshot(site)
    again = import_feed(str(source), site, now=NOW)
    assert again.written == [] and len(again.skipped) == 50
    assert snapshot(site) == before


def test_scheduled_maintenance_uses_its_announced_window(tmp_path: Path) -> None:
    document = {
        "page": {"id": "p", "name": "Acme", "url": "https://status.acme.example"},
        "scheduled_maintenances": [
            {
                "id": "m1",
                "name": "Database <b>upgrade</b>",
                "status": "scheduled",
                "impact": "maintenance",
                "scheduled_for": "2024-07-01T02:00:00.000Z",
                "scheduled_until": "2024-07-01T04:00:00.000Z",
                "components": [{"name": "API"}],
                "incident_updates": [
                    {
                        "status": "scheduled",
                        "body": "Read-only for two hours.\n<script>alert(1)</script>",
                        "created_at": "2024-06-01T09:00:00.000Z",
                        "display_at": "2024-06-01T09:00:00.000Z",
                    }
                ],
            }
        ],
    }
    source = tmp_path / "scheduled.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    site = tmp_path / "site"
    report = import_feed(str(source), site, now=datetime(2024, 6, 10, tzinfo=UTC))
    assert report.maintenance_written == 1 and report.guessed == []
    assert (site / "content" / "maintenance" / "m1.md").read_text(encoding="utf-8") == (
        "---\n"
        "title: Database upgrade\n"
        "components:\n"
        "  - api\n"
        "start: 2024-07-01 02:00 UTC\n"
        "end: 2024-07-01 04:00 UTC\n"
        "imported:\n"
        "  source: https://status.acme.example/incidents/m1\n"
        "---\n\n"
        "## 2024-06-01 09:00 UTC \u2014 Scheduled\nRead-only for two hours.\n"
    )


def test_a_json_document_that_is_no_statuspage_api_is_an_error(tmp_path: Path) -> None:
    source = tmp_path / "other.json"
    source.write_text('{"hello": "world"}', encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        import_feed(str(source), tmp_path / "site", now=NOW)
    assert str(caught.value) == (
        f"cannot import {source}: not a Statuspage API document "
        "(expected incidents.json, scheduled-maintenances.json or one incident)"
    )
    source.write_text("{broken", encoding="utf-8")
    with pytest.raises(UsageError, match=r"^cannot import .*: not valid JSON \("):
        import_feed(str(source), tmp_path / "site", now=NOW)


def test_summary_json_gives_the_page_its_components(tmp_path: Path, run_cli: Any) -> None:
    """A quiet day's summary.json has no incidents, but it lists the page's components:
    a new site gets them, in the page's order, and builds."""
    site = tmp_path / "site"
    source = API / "githubstatus-summary.json"
    report = import_feed(str(source), site, now=NOW)
    assert report.incidents_written == 0 and report.config_created
    config = tomllib.loads((site / "inloop.toml").read_text(encoding="utf-8"))
    page = json.loads(source.read_text(encoding="utf-8"))["components"]
    assert [c["name"] for c in config["components"]] == [c["name"] for c in sorted(page, key=lambda c: c["position"])]
    assert config["components"][:2] == [
        {"id": "git-operations", "name": "Git Operations"},
        {"id": "webhooks", "name": "Webhooks"},
    ]
    result = run_cli(["build", "--source", str(site), "--now", "2026-12-01 00:00 UTC"])
    assert (result.exit_code, result.stderr) == (0, "")
    # the incidents that follow use the same ids, and add nothing
    before = (site / "inloop.toml").read_bytes()
    import_feed(str(API / "githubstatus-incident-lc8s9rtyjmgq.json"), site, now=NOW)
    assert (site / "inloop.toml").read_bytes() == before
    assert front_matter(site / "content" / "incidents" / "lc8s9rtyjmgq.md")["components"] == ["actions"]


def test_groups_of_the_page_are_kept(tmp_path: Path) -> None:
    document = {
        "page": {"id": "p", "name": "Acme", "url": "https://status.acme.example"},
        "components": [
            {"id": "g", "name": "Platform", "group": True, "position": 1},
            {"id": "a", "name": "API", "group": False, "group_id": "g", "position": 2},
            {"id": "w", "name": "Web", "group": False, "group_id": None, "position": 3},
        ],
        "incidents": [],
        "scheduled_maintenances": [],
    }
    source = tmp_path / "summary.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    import_feed(str(source), tmp_path / "site", now=NOW)
    assert (
        (tmp_path / "site" / "inloop.toml")
        .read_text(encoding="utf-8")
        .endswith(
            '[[components]]\nid = "api"\nname = "API"\ngroup = "Platform"\n\n[[components]]\nid = "web"\nname = "Web"\n'
        )
    )
