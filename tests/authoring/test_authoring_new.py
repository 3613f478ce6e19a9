"""``inloop new incident`` and ``inloop new maintenance``."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from text_unidecode import unidecode

from inloop.authoring.create import slugify

INCIDENTS = Path("content/incidents")
MAINTENANCE = Path("content/maintenance")


def test_new_incident_writes_the_whole_file(solo: Path, ok: Callable[..., Any]) -> None:
    result = ok(["new", "incident", "Payments are failing"], solo)
    path = solo / INCIDENTS / "2026-11-26-payments-are-failing.md"
    assert path.read_text("utf-8") == (
        "---\n"
        "title: Payments are failing\n"
        "impact: minor   # none | minor | major | critical\n"
        "components:   # id: degraded_performance | partial_outage | major_outage (operational once it works again)\n"
        "  app: partial_outage\n"
        "# cause: what is wrong, in words your customers understand\n"
        "# estimate: when you expect service to be restored, such as 2026-11-26 13:00 UTC\n"
        "# next_update: when you will post again, such as 2026-11-26 12:30 UTC\n"
        "# prevention:\n"
        "#   - what will change so that this does not happen again\n"
        "---\n"
        "\n"
        "## 2026-11-26 12:00 UTC — Investigating\n"
        "TODO\n"
    )
    lines = result.stdout.splitlines()
    assert lines[0] == f"created {solo / INCIDENTS / '2026-11-26-payments-are-failing.md'}"
    assert lines[1] == "reference: 2026-11-26-payments-are-failing"
    assert "https://status.solo.example/incidents/2026-11-26-payments-are-failing/" in result.stdout


def test_new_incident_builds(solo: Path, ok: Callable[..., Any], build: Callable[..., Path]) -> None:
    ok(["new", "incident", "Payments are failing", "--message", "Card payments fail."], solo)
    output = build(solo)
    page = output / "incidents" / "2026-11-26-payments-are-failing" / "index.html"
    assert "Card payments fail." in page.read_text("utf-8")


def test_new_incident_options(site: Path, ok: Callable[..., Any]) -> None:
    args = [
        "new", "incident", "API down", "--impact", "Major", "--component", "api=major_outage",
        "--component", "dashboard", "--status", "identified", "-m", "The API is down.\nWe know why.",
    ]  # fmt: skip
    ok(args, site)
    text = (site / INCIDENTS / "2026-11-26-api-down.md").read_text("utf-8")
    assert "impact: major   #" in text
    assert "\n  api: major_outage\n  dashboard: partial_outage\n" in text
    assert text.endswith("## 2026-11-26 12:00 UTC — Identified\nThe API is down.\nWe know why.\n")


def test_new_incident_date_is_in_the_sites_zone_and_heading_in_utc(site: Path, ok: Callable[..., Any]) -> None:
    ok(["new", "incident", "Late night", "-c", "api"], site, now="2026-11-26 23:30:45 UTC")
    path = site / INCIDENTS / "2026-11-27-late-night.md"  # already the 27th in Berlin
    assert path.read_text("utf-8").endswith("## 2026-11-26 23:30 UTC — Investigating\nTODO\n")


def test_new_incident_at_with_seconds(site: Path, ok: Callable[..., Any]) -> None:
    ok(["new", "incident", "Earlier", "-c", "api", "--at", "2026-11-26 12:41:30"], site, now="2026-11-26 12:50 UTC")
    text = (site / INCIDENTS / "2026-11-26-earlier.md").read_text("utf-8")
    assert "## 2026-11-26 11:41:30 UTC — Investigating\n" in text


def test_new_incident_needs_a_component_when_the_site_has_several(site: Path, fails: Callable[..., str]) -> None:
    message = fails(["new", "incident", "Broken"], site)
    assert message == "name the affected components with --component ID (this site has 3: api, dashboard, email)"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["-c", "apu"], "unknown component 'apu': did you mean 'api'?"),
        (["-c", "api=down"], "unknown component status 'down': expected one of operational, degraded_performance, "
         "partial_outage, major_outage"),
        (["-c", "api=major outage", "--impact", "majr"], "unknown impact 'majr': did you mean 'major'? "
         "expected one of none, minor, major, critical"),
        (["-c", "api", "--status", "identifed"], "unknown incident status 'identifed': did you mean 'identified'? "
         "expected one of Investigating, Identified, Monitoring for a new incident"),
        (["-c", "api", "-c", "api"], "component 'api' is given twice"),
        (["-c", "api=", "-m", "x"], "--component 'api=': the status after '=' is missing"),
        (["-c", "api", "-m", "  "],
         "--message is empty: say what customers notice, or leave --message out to write TODO"),
        (["-c", "api", "--at", "2026-11-26 14:00 UTC"], "--at 2026-11-26 14:00 UTC / 15:00 CET is in the future"),
    ],
)  # fmt: skip
def test_new_incident_errors(site: Path, fails: Callable[..., str], options: list[str], message: str) -> None:
    assert fails(["new", "incident", "Broken", *options], site) == message
    assert list((site / INCIDENTS).iterdir()) == []


def test_new_incident_never_overwrites(site: Path, ok: Callable[..., Any]) -> None:
    first = site / INCIDENTS / "2026-11-26-broken.md"
    first.write_text("someone's file", "utf-8")
    ok(["new", "incident", "Broken", "-c", "api"], site)
    ok(["new", "incident", "Broken!", "-c", "api"], site)
    assert first.read_text("utf-8") == "someone's file"
    assert (site / INCIDENTS / "2026-11-26-broken-2.md").is_file()
    assert (site / INCIDENTS / "2026-11-26-broken-3.md").is_file()
    # the next day, the plain name is free again
    ok(["new", "incident", "Broken", "-c", "api"], site, now="2026-11-27 12:00 UTC")
    assert (site / INCIDENTS / "2026-11-27-broken.md").is_file()


def test_new_incident_id_is_not_taken_from_a_maintenance_window(site: Path, ok: Callable[..., Any]) -> None:
    (site / MAINTENANCE / "2026-11-26-upgrade.md").write_text("x", "utf-8")
    ok(["new", "incident", "Upgrade", "-c", "api"], site)
    assert (site / INCIDENTS / "2026-11-26-upgrade-2.md").is_file()


def test_transliteration() -> None:
    expected = unidecode("Ärger mit Zahlungen").lower().replace(" ", "-")
    assert expected in ("aerger-mit-zahlungen", "arger-mit-zahlungen")
    assert slugify("Ärger mit Zahlungen", "incident") == expected
    assert slugify("Łódź: ошибка  API!", "incident") == "lodz-oshibka-api"
    assert slugify("!!! ??? ✓", "incident") == "incident"
    assert slugify("⚠️", "maintenance") == "maintenance"
    long = slugify("word " * 40, "incident")
    assert len(long) <= 60 and not long.endswith("-") and long.startswith("word-word")


def test_new_incident_transliterates_the_file_name(site: Path, ok: Callable[..., Any]) -> None:
    ok(["new", "incident", "Ärger mit Zahlungen", "-c", "api"], site)
    ok(["new", "incident", "???", "-c", "api"], site)
    names = sorted(p.name for p in (site / INCIDENTS).iterdir())
    slug = slugify("Ärger mit Zahlungen", "incident")
    assert names == sorted([f"2026-11-26-{slug}.md", "2026-11-26-incident.md"])
    text = (site / INCIDENTS / f"2026-11-26-{slug}.md").read_text("utf-8")
    assert "title: Ärger mit Zahlungen\n" in text


def test_new_incident_quotes_a_title_yaml_would_misread(site: Path, ok: Callable[..., Any]) -> None:
    ok(["new", "incident", "API: errors # 500", "-c", "api"], site)
    text = (site / INCIDENTS / "2026-11-26-api-errors-500.md").read_text("utf-8")
    assert 'title: "API: errors # 500"\n' in text


def _editor(tmp_path: Path, body: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(f"import sys\nwith open(sys.argv[1], 'a', encoding='utf-8') as f:\n    f.write({body!r})\n")
    wrapper = tmp_path / "editor"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return str(wrapper)


@pytest.mark.skipif(os.name != "posix", reason="the editor is a shell script")
def test_new_incident_edit_opens_the_editor(site: Path, tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    editor = _editor(tmp_path, "Added in the editor.\n")
    args = ["new", "incident", "Slow", "-c", "api", "--edit", "--source", str(site), "--now", "2026-11-26 12:00 UTC"]
    result = run_cli(args, env={"EDITOR": editor, "VISUAL": None})
    assert result.exit_code == 0, result.stderr
    path = site / INCIDENTS / "2026-11-26-slow.md"
    assert path.read_text("utf-8").endswith("TODO\nAdded in the editor.\n")
    assert result.stdout.splitlines()[-1] == f"edited {path}"


@pytest.mark.skipif(os.name != "posix", reason="the editor is a shell script")
def test_new_incident_edit_reports_a_broken_file(site: Path, tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    editor = _editor(tmp_path, "\n## yesterday — Investigating\n")
    args = ["new", "incident", "Slow", "-c", "api", "--edit", "--source", str(site), "--now", "2026-11-26 12:00 UTC"]
    result = run_cli(args, env={"EDITOR": editor, "VISUAL": None})
    assert result.exit_code == 1
    path = site / INCIDENTS / "2026-11-26-slow.md"
    assert result.stderr.splitlines() == [
        f"{path}:16: malformed update heading '## yesterday — Investigating': "
        "expected '## YYYY-MM-DD HH:MM[:SS] [UTC|Z|+HH:MM] — Status'",
        f"error: {path} has 1 error now: fix before building",
    ]


# -- maintenance ---------------------------------------------------------------


def test_new_maintenance_writes_the_whole_file(site: Path, ok: Callable[..., Any], build: Callable[..., Path]) -> None:
    args = ["new", "maintenance", "Database upgrade", "--start", "2026-12-03 07:00", "--end", "2h", "-c", "api", "-c",
            "email"]  # fmt: skip
    result = ok(args, site)
    path = site / MAINTENANCE / "2026-12-03-database-upgrade.md"
    assert path.read_text("utf-8") == (
        "---\n"
        "title: Database upgrade\n"
        "components:\n"
        "  - api\n"
        "  - email\n"
        "start: 2026-12-03 06:00 UTC\n"
        "end: 2026-12-03 08:00 UTC\n"
        "# description: what will change, and what customers will notice during the window\n"
        "---\n"
        "\n"
        "## 2026-11-26 12:00 UTC — Scheduled\n"
        "We will carry out maintenance on Public API and Email delivery on Thursday 3 December 2026 "
        "from 07:00 to 09:00 CET.\n"
    )
    assert "reference: 2026-12-03-database-upgrade" in result.stdout
    output = build(site)
    assert (output / "maintenance" / "2026-12-03-database-upgrade" / "index.html").is_file()


def test_new_maintenance_is_named_by_its_start_date(site: Path, ok: Callable[..., Any]) -> None:
    args = ["new", "maintenance", "Night work", "--start", "2026-12-05 23:30 UTC", "--end", "2026-12-06 01:00 UTC",
            "-c", "api", "--message", "Short outages possible.", "--description", "We move servers."]  # fmt: skip
    ok(args, site)
    text = (site / MAINTENANCE / "2026-12-06-night-work.md").read_text("utf-8")  # 00:30 on the 6th in Berlin
    assert "description: We move servers.\n" in text
    assert text.endswith("— Scheduled\nShort outages possible.\n")


def test_new_maintenance_sentence_across_days(site: Path, ok: Callable[..., Any]) -> None:
    args = ["new", "maintenance", "Move", "--start", "2026-12-05 22:00", "--end", "2026-12-06 02:00", "-c", "api"]
    ok(args, site)
    text = (site / MAINTENANCE / "2026-12-05-move.md").read_text("utf-8")
    assert text.endswith(
        "We will carry out maintenance on Public API from Saturday 5 December 2026 22:00 CET "
        "to Sunday 6 December 2026 02:00 CET.\n"
    )


def test_new_maintenance_one_component_site_needs_no_component(solo: Path, ok: Callable[..., Any]) -> None:
    ok(["new", "maintenance", "Upgrade", "--start", "2026-12-03 07:00", "--end", "30m"], solo)
    assert "  - app\n" in (solo / MAINTENANCE / "2026-12-03-upgrade.md").read_text("utf-8")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--start", "2026-12-03 07:00", "--end", "2026-12-03 06:00"],
         "--end 2026-12-03 05:00 UTC / 06:00 CET is not after --start 2026-12-03 06:00 UTC / 07:00 CET"),
        (["--start", "tomorrow", "--end", "1h"], "--start: cannot read time 'tomorrow'"),
        (["--start", "2026-12-03 07:00", "--end", "1h", "-c", "api=major_outage"],
         "a maintenance window's components have no status: give --component ID"),
    ],
)  # fmt: skip
def test_new_maintenance_errors(site: Path, fails: Callable[..., str], options: list[str], message: str) -> None:
    args = ["new", "maintenance", "Upgrade", *options]
    if "-c" not in options:
        args += ["-c", "api"]
    assert fails(args, site).startswith(message)


def test_no_site_here(tmp_path: Path, fails: Callable[..., str]) -> None:
    assert fails(["new", "incident", "Broken"], tmp_path) == (
        f"no {tmp_path}/inloop.toml: is this a status site? (give its folder with --source; 'inloop init' makes one)"
    )


def test_a_new_incident_cannot_start_resolved(
    site: Path, fails: Callable[..., str], run_cli: Callable[..., Any]
) -> None:
    """Issue 16, item 8: 'new incident --help' offered resolved as a first status."""
    assert fails(["new", "incident", "Broken", "-c", "api", "--status", "resolved"], site) == (
        "a new incident cannot start resolved: open it with Investigating, Identified or Monitoring, "
        "then resolve it with 'inloop resolve ID \"What we did\"'"
    )
    assert fails(["new", "incident", "Broken", "-c", "api", "--status", "update"], site) == (
        "unknown incident status 'update': expected one of Investigating, Identified, Monitoring for a new incident"
    )
    assert not (site / INCIDENTS).exists() or list((site / INCIDENTS).iterdir()) == []
    help_text = run_cli(["new", "incident", "--help"]).stdout
    assert "Investigating, Identified or Monitoring" in " ".join(help_text.split())
    assert "resolved" not in help_text.lower()


def test_new_incident_at_a_clock_time(site: Path, ok: Callable[..., Any], fails: Callable[..., str]) -> None:
    """Issue 16: '--at 16:45' at 16:31 must not mean yesterday."""
    assert fails(["new", "incident", "Late", "-c", "api", "--at", "16:45"], site, now="2026-12-06 15:31 UTC") == (
        '16:45 CET today is in the future; for yesterday write --at "2026-12-05 16:45"'
    )
    result = ok(["new", "incident", "Late", "-c", "api", "--at", "16:15"], site, now="2026-12-06 15:31 UTC")
    assert "first update: Investigating at 2026-12-06 15:15 UTC / 16:15 CET" in result.stdout
    assert (
        (site / INCIDENTS / "2026-12-06-late.md")
        .read_text("utf-8")
        .endswith("## 2026-12-06 15:15 UTC — Investigating\nTODO\n")
    )
