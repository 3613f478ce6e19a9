"""Feeds, calendar, API and badges: a rebuild after a change equals a cold build, byte for byte.

The builder re-renders a file only when its key changes, and may take the
bytes of an unchanged key from its cache; so a key that misses something
these files depend on shows up here as a stale file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from subscribe_sites import CANCELLED, MADEUP_INCIDENTS, MADEUP_MAINTENANCE, OPEN_CRITICAL, run_build, write_site

OURS = ("feed.xml", "atom.xml", "feed.json", "maintenance.ics", "badge.svg", "badge.json", "api/v2/")


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def cold(source: Path, tmp_path: Path, now: str, name: str) -> dict[str, bytes]:
    fresh = tmp_path / f"{name}-source"
    shutil.copytree(source, fresh, ignore=shutil.ignore_patterns(".*"))
    return files(run_build(fresh, tmp_path / f"{name}-site", now))


def assert_same(warm: dict[str, bytes], fresh: dict[str, bytes]) -> None:
    assert sorted(warm) == sorted(fresh)
    stale = [name for name in warm if warm[name] != fresh[name]]
    assert not stale, stale
    assert any(name.endswith(OURS) or name.startswith("api/v2/") for name in warm)


def test_rebuild_after_content_changes_equals_a_cold_build(tmp_path: Path) -> None:
    source = write_site(tmp_path / "source", MADEUP_INCIDENTS, MADEUP_MAINTENANCE)
    output = tmp_path / "site"
    run_build(source, output)
    resolved_now = OPEN_CRITICAL + "\n## 2026-11-26 11:55 UTC — Resolved\nThe database has disk again.\n"
    renamed = CANCELLED.replace("title: API gateway swap", "title: API gateway replacement")
    write_site(
        source,
        {**MADEUP_INCIDENTS, "2026-11-26-database-down": resolved_now},
        {**MADEUP_MAINTENANCE, "2026-12-05-gateway-swap": renamed},
    )
    run_build(source, output)
    assert_same(files(output), cold(source, tmp_path, "2026-11-26 12:00 UTC", "cold"))


def test_rebuild_at_a_later_time_equals_a_cold_build(tmp_path: Path) -> None:
    source = write_site(tmp_path / "source", MADEUP_INCIDENTS, MADEUP_MAINTENANCE)
    output = tmp_path / "site"
    run_build(source, output, "2026-11-26 12:00 UTC")
    run_build(source, output, "2026-12-11 00:00 UTC")  # a follow-up comes due, windows end
    later = files(output)
    assert_same(later, cold(source, tmp_path, "2026-12-11 00:00 UTC", "cold"))
    assert b"Follow-up: Double the disk" in later["feed.xml"]


def test_rebuild_with_a_new_config_equals_a_cold_build(tmp_path: Path) -> None:
    source = write_site(tmp_path / "source", MADEUP_INCIDENTS, MADEUP_MAINTENANCE)
    output = tmp_path / "site"
    run_build(source, output)
    config = (source / "inloop.toml").read_text(encoding="utf-8")
    config = config.replace('title = "Beta Status"', 'title = "Gamma Status"').replace('"Public API"', '"REST API"')
    (source / "inloop.toml").write_text(config, encoding="utf-8")
    run_build(source, output)
    warm = files(output)
    assert_same(warm, cold(source, tmp_path, "2026-11-26 12:00 UTC", "cold"))
    assert b"Gamma Status" in warm["badge.svg"] and b"REST API" in warm["components/api/badge.svg"]
