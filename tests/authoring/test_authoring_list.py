"""``inloop list``: what is open now, one a line, or as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

INCIDENT = """\
---
title: {title}
impact: {impact}
components: [api]
---
## {start} — Investigating
A
{more}"""
WINDOW = """\
---
title: {title}
components: [email]
start: {start}
end: {end}
---
## 2026-11-20 09:00 UTC — Scheduled
Announced.
{more}"""
NOW = "2026-11-26 12:00 UTC"


def _site(site: Path) -> Path:
    incidents = site / "content" / "incidents"
    maintenance = site / "content" / "maintenance"
    resolved = "\n## 2026-11-25 09:30 UTC — Resolved\nB\n"
    for name, title, impact, start, more in [
        ("2026-11-26-old-open", "Old open", "minor", "2026-11-26 08:00 UTC",
         "\n## 2026-11-26 11:50 UTC — Identified\nC\n"),
        ("2026-11-26-new-open", "New open", "major", "2026-11-26 11:00 UTC", ""),
        ("2026-11-25-fixed", "Fixed", "critical", "2026-11-25 09:00 UTC", resolved),
        ("2026-11-24-fixed-earlier", "Fixed earlier", "none", "2026-11-24 09:00 UTC",
         resolved.replace("11-25", "11-24")),
    ]:  # fmt: skip
        text = INCIDENT.format(title=title, impact=impact, start=start, more=more)
        (incidents / f"{name}.md").write_text(text, "utf-8")
    for name, start, end, more in [
        ("2026-11-26-running", "2026-11-26 11:00 UTC", "2026-11-26 13:00 UTC",
         "\n## 2026-11-26 11:01 UTC — In progress\nStarted.\n"),
        ("2026-11-30-soon", "2026-11-30 07:00 UTC", "2026-11-30 08:00 UTC", ""),
        ("2026-11-27-sooner", "2026-11-27 07:00 UTC", "2026-11-27 08:00 UTC", ""),
        ("2026-11-21-past", "2026-11-21 07:00 UTC", "2026-11-21 08:00 UTC",
         "\n## 2026-11-21 08:00 UTC — Completed\nDone.\n"),
    ]:  # fmt: skip
        text = WINDOW.format(title=name[11:], start=start, end=end, more=more)
        (maintenance / f"{name}.md").write_text(text, "utf-8")
    return site


def test_list_open_items(site: Path, ok: Callable[..., Any]) -> None:
    result = ok(["list"], _site(site), now=NOW)
    assert result.stdout.splitlines() == [
        "2026-11-26-old-open  Identified     minor        2026-11-26 11:50 UTC / 12:50 CET  Old open",
        "2026-11-26-new-open  Investigating  major        2026-11-26 11:00 UTC / 12:00 CET  New open",
        "2026-11-26-running   In progress    maintenance  2026-11-26 11:01 UTC / 12:01 CET  running",
        "2026-11-27-sooner    Scheduled      maintenance  2026-11-20 09:00 UTC / 10:00 CET  sooner",
        "2026-11-30-soon      Scheduled      maintenance  2026-11-20 09:00 UTC / 10:00 CET  soon",
    ]


def test_list_all_adds_the_closed_newest_first(site: Path, ok: Callable[..., Any]) -> None:
    lines = ok(["list", "--all"], _site(site), now=NOW).stdout.splitlines()
    assert [line.split()[0] for line in lines] == [
        "2026-11-26-old-open",
        "2026-11-26-new-open",
        "2026-11-26-running",
        "2026-11-27-sooner",
        "2026-11-30-soon",
        "2026-11-25-fixed",
        "2026-11-24-fixed-earlier",
        "2026-11-21-past",
    ]
    assert lines[5].split()[1:3] == ["Resolved", "critical"]
    assert lines[7].split()[1:3] == ["Completed", "maintenance"]


def test_list_json(site: Path, ok: Callable[..., Any]) -> None:
    document = json.loads(ok(["list", "--json"], _site(site), now=NOW).stdout)
    assert document["version"] == 1
    assert document["now"] == "2026-11-26T12:00:00Z"
    assert [item["id"] for item in document["items"]] == [
        "2026-11-26-old-open",
        "2026-11-26-new-open",
        "2026-11-26-running",
        "2026-11-27-sooner",
        "2026-11-30-soon",
    ]
    assert document["items"][0] == {
        "id": "2026-11-26-old-open",
        "kind": "incident",
        "title": "Old open",
        "status": "Identified",
        "impact": "minor",
        "open": True,
        "last_update": "2026-11-26T11:50:00Z",
        "start": "2026-11-26T08:00:00Z",
        "end": None,
        "components": ["api"],
        "path": str(site / "content" / "incidents" / "2026-11-26-old-open.md"),
        "url": "https://status.test.example/incidents/2026-11-26-old-open/",
    }
    window = document["items"][2]
    assert (window["kind"], window["status"], window["impact"], window["open"]) == (
        "maintenance", "In progress", None, True,
    )  # fmt: skip
    assert (window["start"], window["end"]) == ("2026-11-26T11:00:00Z", "2026-11-26T13:00:00Z")
    everything = json.loads(ok(["list", "--json", "--all"], site, now=NOW).stdout)
    assert [item["open"] for item in everything["items"]] == [True] * 5 + [False] * 3


def test_list_empty(site: Path, ok: Callable[..., Any]) -> None:
    assert ok(["list"], site).stdout == "no open incidents, and no maintenance in progress or upcoming\n"
    assert ok(["list", "--all"], site).stdout == "no incidents or maintenance windows\n"
    assert json.loads(ok(["list", "--json"], site).stdout)["items"] == []


def test_list_reports_a_broken_file_and_lists_the_rest(site: Path, run_cli: Callable[..., Any]) -> None:
    _site(site)
    broken = site / "content" / "incidents" / "2026-11-26-new-open.md"
    broken.write_text(broken.read_text("utf-8").replace("impact: major", "impact: huge"), "utf-8")
    result = run_cli(["list", "--source", str(site), "--now", NOW])
    assert result.exit_code == 1
    assert [line.split()[0] for line in result.stdout.splitlines()][:2] == ["2026-11-26-old-open", "2026-11-26-running"]
    assert result.stderr == (
        f"{broken}:3: 'impact' must be one of none, minor, major, critical; found 'huge'\n"
        "error: 1 error in the content: the files with errors are not listed\n"
    )
