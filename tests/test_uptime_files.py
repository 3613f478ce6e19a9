"""``uptime.json``, the uptime badges and ``inloop stats --uptime`` of a built site, figures computed by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from schema_validation import assert_valid, errors
from site_support import CONFIG, CliResult

#: api: partial 10:00-10:30 UTC (0.3 x 30 = 9), major 10:30-11:00 (30), operational from 11:00.
SEARCH = """\
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

UPGRADE = """\
---
title: Mail upgrade
components: [email]
start: 2026-11-20 02:00 UTC
end: 2026-11-20 04:00 UTC
---
"""

#: 1 Nov 00:00 CET (31 Oct 23:00 UTC) to 26 Nov 12:00 UTC: 25 days and 13 hours.
NOVEMBER_MINUTES = 25 * 1440 + 13 * 60
API_UPTIME = 99.89  # (36780 - 39) / 36780 = 99.8939...%


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, make_site: Callable[..., Path], build: Callable[..., Path]) -> Path:
    """The source, built once: the tests read its output and run read-only commands on it."""
    source = make_site(
        tmp_path_factory.mktemp("uptime") / "source",
        config=CONFIG + "\n[uptime]\nsince = 2026-11-01\n",
        incidents={"2026-11-26-search": SEARCH},
        maintenance={"2026-11-20-mail": UPGRADE},
    )
    build(source)
    return source


def read(site: Path, name: str) -> Any:
    return json.loads((site / "site" / name).read_text("utf-8"))


def test_uptime_json(site: Path) -> None:
    document = read(site, "uptime.json")
    assert_valid("uptime", document)
    assert document["generated_at"] == "2026-11-26T12:00:00Z"
    assert document["since"] == "2026-11-01"
    assert document["weights"] == {"major_outage": 1.0, "partial_outage": 0.3, "degraded_performance": 0.0}
    api, dashboard, email = document["components"]
    assert (api["id"], api["name"], api["uptime_90d"]) == ("api", "Public API", API_UPTIME)
    assert NOVEMBER_MINUTES == 36780
    assert api["months"] == [{"month": "2026-11", "uptime": API_UPTIME, "downtime_minutes": 39.0}]
    days = api["days"]
    assert (days[0]["date"], days[-1]["date"]) == ("2026-08-29", "2026-11-26")
    # 29 Aug to 31 Oct are before 'since': 3 + 30 + 31 days without data
    assert [d["downtime_minutes"] for d in days[:64]] == [None] * 64
    assert days[-1] == {"date": "2026-11-26", "downtime_minutes": 39.0, "incidents": ["2026-11-26-search"]}
    assert [d["downtime_minutes"] for d in days[64:-1]] == [0.0] * 25
    assert dashboard["uptime_90d"] == 100.0  # degraded performance weighs 0
    assert dashboard["days"][-1]["incidents"] == ["2026-11-26-search"]
    assert email["uptime_90d"] == 100.0  # maintenance is never downtime
    assert email["days"][-7] == {"date": "2026-11-20", "downtime_minutes": 0.0, "incidents": []}


def test_the_schema_rejects_what_the_issue_rules_out(site: Path) -> None:
    document = read(site, "uptime.json")
    document["components"][0]["days"] = document["components"][0]["days"][1:]  # 89 days
    document["components"][1]["uptime_90d"] = 100.5
    document["components"][2]["months"][0]["month"] = "2026-13"
    assert len(list(errors("uptime", document))) == 3


def test_uptime_badges(site: Path) -> None:
    folder = site / "site" / "components"
    endpoint = read(site, "components/api/uptime.json")
    assert_valid("shields-endpoint", endpoint)
    assert endpoint == {"schemaVersion": 1, "label": "uptime", "message": "99.89%", "color": "#9a6700"}
    assert read(site, "components/email/uptime.json")["message"] == "100.00%"
    image = ElementTree.fromstring((folder / "api" / "uptime.svg").read_bytes())
    assert image.get("aria-label") == "uptime: 99.89%"
    texts = [t.text for t in image.iter("{http://www.w3.org/2000/svg}text")]
    assert "99.89%" in texts and "uptime" in texts


def test_a_site_with_no_data_yet_says_so(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path]
) -> None:
    source = make_site(tmp_path / "source", config=CONFIG + "\n[uptime]\nsince = 2027-01-01\n")
    build(source)
    document = read(source, "uptime.json")
    assert_valid("uptime", document)
    assert document["components"][0]["uptime_90d"] is None and document["components"][0]["months"] == []
    assert read(source, "components/api/uptime.json")["message"] == "no data"


def test_stats_uptime_json(site: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli(["stats", "--source", str(site), "--now", "2026-11-26 12:00 UTC", "--uptime", "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["month"] == "2026-11"
    assert report["components"][0] == {
        "id": "api",
        "name": "Public API",
        "uptime": API_UPTIME,
        "downtime_minutes": 39.0,
    }
    assert report["groups"] == [
        {"name": "Platform", "uptime": API_UPTIME, "downtime_minutes": 39.0},
        {"name": "Communication", "uptime": 100.0, "downtime_minutes": 0.0},
    ]
    assert report["overall"] == {"uptime": API_UPTIME, "downtime_minutes": 39.0}


def test_stats_uptime_table_for_a_month(site: Path, run_cli: Callable[..., CliResult]) -> None:
    args = ["stats", "--source", str(site), "--now", "2026-11-26 12:00 UTC", "--uptime"]
    table = run_cli([*args, "--month", "2026-11"]).stdout
    assert "uptime 2026-11 (since 2026-11-01)" in table
    assert any(line.split() == ["Public", "API", "99.89", "%", "39.00", "min"] for line in table.splitlines())
    october = run_cli([*args, "--month", "2026-10"])
    assert october.exit_code == 0
    assert any(line.split()[:3] == ["Public", "API", "no"] for line in october.stdout.splitlines())
    bad = run_cli([*args, "--month", "2026-13"])
    assert bad.exit_code == 2 and "expected a month as YYYY-MM, such as 2026-11, found '2026-13'" in bad.stderr
    alone = run_cli(["stats", "--source", str(site), "--month", "2026-11"])
    assert alone.exit_code == 2 and "--month goes with --uptime" in alone.stderr
