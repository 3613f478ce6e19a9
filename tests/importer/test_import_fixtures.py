"""Every item of every real feed and API document we have imports into a site that builds.

The fixtures are those in tests/fixtures/real and, when it is there, the team's
shared folder (``../shared/fixtures`` from the repository, or
``INLOOP_SHARED_FIXTURES``): RSS, Atom and Statuspage API JSON, found by walking
them, so that a fixture added later is covered without a change here.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest

from inloop.importer import import_feed

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 1, tzinfo=UTC)
NOW_TEXT = "2026-12-01 00:00 UTC"
SUFFIXES = {".rss", ".atom", ".xml", ".json"}


def fixture_folders() -> list[Path]:
    candidates = [
        REPO / "tests" / "fixtures" / "real",  # not all of tests/fixtures: alert payloads are JSON too
        REPO.parent / "shared" / "fixtures",
        REPO.parents[1] / "shared" / "fixtures",
    ]
    if os.environ.get("INLOOP_SHARED_FIXTURES"):
        candidates.append(Path(os.environ["INLOOP_SHARED_FIXTURES"]))
    return [folder for folder in candidates if folder.is_dir()]


def fixture_files() -> list[Path]:
    found: dict[bytes, Path] = {}
    for folder in fixture_folders():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in SUFFIXES:
                found.setdefault(path.read_bytes(), path)  # the same file in two folders: once
    return sorted(found.values())


def item_count(path: Path) -> int:
    """How many incidents and maintenance windows the file holds, read without the importer."""
    if path.suffix == ".json":
        document = json.loads(path.read_text(encoding="utf-8"))
        ids = {record["id"] for key in ("incidents", "scheduled_maintenances") for record in document.get(key, [])}
        if isinstance(document.get("incident"), dict):
            ids.add(document["incident"]["id"])
        return len(ids)
    return len(feedparser.parse(path.read_bytes()).entries)


FILES = fixture_files()


def test_the_fixtures_are_found() -> None:
    names = {path.name for path in FILES}
    assert {
        "statuspage-streamyard-history.rss",
        "statuspage-parse-2014-history.rss",
        "githubstatus-incidents.json",
    } <= names


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_every_item_imports_into_a_site_that_builds(path: Path, tmp_path: Path, run_cli: Any) -> None:
    site = tmp_path / "site"
    report = import_feed(str(path), site, now=NOW)
    assert report.incidents_written + report.maintenance_written == item_count(path)
    assert not [w for w in report.warnings if w.startswith("left out")]
    assert report.written  # summary.json of a quiet day still gives the page's components
    result = run_cli(["build", "--source", str(site), "--now", NOW_TEXT])
    assert (result.exit_code, result.stderr) == (0, "")
    for written in report.written:
        if written.suffix == ".md":
            folder = "incidents" if written.parent.name == "incidents" else "maintenance"
            assert (site / "site" / folder / written.stem / "index.html").is_file()
    again = import_feed(str(path), site, now=NOW)
    assert again.written == []
