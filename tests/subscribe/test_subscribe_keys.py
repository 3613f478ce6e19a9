"""The planner's keys for feeds, calendar, API and badges, and the feed selection, on parsed content.

A key must change exactly when the bytes may: the build time enters the
calendar's and the API's keys (DTSTAMP, ``page.updated_at``), and the feeds'
only through which follow-ups have come due.
"""

from __future__ import annotations

import heapq
from datetime import UTC, datetime
from gettext import NullTranslations
from pathlib import Path

import pytest
from subscribe_sites import MADEUP_INCIDENTS, MADEUP_MAINTENANCE, RESOLVED, write_site

from inloop.model import Content, Incident, Maintenance, SiteConfig
from inloop.read.config import load_config
from inloop.read.content import parse_incident, parse_maintenance
from inloop.render import feeds
from inloop.render.formatting import Formatter
from inloop.render.pages import Planner, make_state
from inloop.render.templates import Templates

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def load(source: Path) -> tuple[SiteConfig, Content]:
    result = load_config(source, "inloop.toml")
    assert result.config is not None, result.problems
    config = result.config
    ids = frozenset(config.component_ids)
    incidents: list[Incident] = []
    windows: list[Maintenance] = []
    for path in sorted((source / "content" / "incidents").glob("*.md")):
        incident, problems = parse_incident(path.read_bytes(), path.stem, path.name, config.zone, ids)
        assert incident is not None, problems
        incidents.append(incident)
    for path in sorted((source / "content" / "maintenance").glob("*.md")):
        window, problems = parse_maintenance(path.read_bytes(), path.stem, path.name, config.zone, ids)
        assert window is not None, problems
        windows.append(window)
    incidents.sort(key=lambda i: (i.start, i.id), reverse=True)
    windows.sort(key=lambda m: (m.start, m.id), reverse=True)
    return config, Content(tuple(incidents), tuple(windows))


def keys(source: Path, now: datetime) -> dict[str, str]:
    """Each file's key as the persistent cache sees it (keys are compared by value between builds)."""
    config, content = load(source)
    translations = NullTranslations()
    planner = Planner(make_state(config, content, now, "style.css"), Templates(source, ".", translations), translations)
    return {page.path: repr(page.key) for page in planner.plan()}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_site(tmp_path / "source", MADEUP_INCIDENTS, MADEUP_MAINTENANCE)


def ours(found: dict[str, str]) -> dict[str, str]:
    names = ("feed.xml", "atom.xml", "feed.json", "badge.svg", "badge.json", "maintenance.ics")
    return {path: key for path, key in found.items() if path.endswith(names) or path.startswith("api/")}


def test_every_file_has_its_own_key(source: Path) -> None:
    found = ours(keys(source, NOW))
    assert len(found) == 3 * 6 + 2 * 5 + 1 + 8
    assert len(set(found.values())) == len(found)  # a shared key would let a cache hand one file's bytes to another


def test_feed_and_badge_keys_ignore_the_build_time(source: Path) -> None:
    before = ours(keys(source, NOW))
    later = ours(keys(source, datetime(2026, 11, 26, 12, 5, tzinfo=UTC)))
    for path, key in before.items():
        moved = path == "maintenance.ics" or path.startswith("api/")
        assert (later[path] != key) is moved, path


def test_a_follow_up_coming_due_changes_only_the_feeds_that_show_it(source: Path) -> None:
    write_site(
        source,
        {
            **MADEUP_INCIDENTS,
            "2026-11-20-api-errors": RESOLVED.replace("done: 2026-11-21", "done: 2026-11-26 12:03 UTC"),
        },
        MADEUP_MAINTENANCE,
    )
    before = ours(keys(source, NOW))
    later = ours(keys(source, datetime(2026, 11, 26, 12, 5, tzinfo=UTC)))
    changed = {p for p in before if before[p] != later[p] and not (p == "maintenance.ics" or p.startswith("api/"))}
    assert changed == {
        f"{folder}{name}" for folder in ("", "components/api/") for name in ("feed.xml", "atom.xml", "feed.json")
    }


FILLER = """\
---
title: Slow documentation search
impact: minor
components: [docs]
---
## {day} 10:00 UTC — Investigating
Search in the documentation is slow.

## {day} 11:00 UTC — Resolved
It is fast again.
"""


def test_an_edit_no_file_shows_leaves_the_api_alone(tmp_path: Path) -> None:
    old = RESOLVED.replace("2026-11-20", "2025-03-02")
    fillers = {f"2026-06-{day:02d}-docs": FILLER.format(day=f"2026-06-{day:02d}") for day in range(1, 30)}
    fillers |= {f"2026-07-{day:02d}-docs": FILLER.format(day=f"2026-07-{day:02d}") for day in range(1, 30)}
    incidents = {**MADEUP_INCIDENTS, **fillers, "2025-03-02-old": old}
    source = write_site(tmp_path / "source", incidents, MADEUP_MAINTENANCE)
    before = ours(keys(source, NOW))
    edited = old.replace("back to normal", "back to normal again")  # beyond the latest 50; no time changes
    write_site(source, {**incidents, "2025-03-02-old": edited}, MADEUP_MAINTENANCE)
    after = ours(keys(source, NOW))
    for name in ("summary.json", "incidents.json", "components.json"):
        assert before["api/v2/" + name] == after["api/v2/" + name], name
    moved = old.replace("## 2025-03-02 15:12 UTC", "## 2025-03-02 15:13 UTC")  # a time that no file shows...
    write_site(source, {**incidents, "2025-03-02-old": moved}, MADEUP_MAINTENANCE)
    assert before["api/v2/summary.json"] == ours(keys(source, NOW))["api/v2/summary.json"]
    earlier = old.replace("## 2025-03-02 14:02 UTC", "## 2025-03-01 14:02 UTC")  # ...and one that does: created_at
    write_site(source, {**incidents, "2025-03-02-old": earlier}, MADEUP_MAINTENANCE)
    assert before["api/v2/summary.json"] != ours(keys(source, NOW))["api/v2/summary.json"]


def brute_force(config: SiteConfig, content: Content, now: datetime, **options: object) -> list[str]:
    items: list[Incident | Maintenance] = [*content.incidents, *content.maintenance]
    found = [s for item in items for s in feeds.sources_of(item, now)]
    if options.get("maintenance_only"):
        found = [s for s in found if s.item.kind == "maintenance"]
    component = options.get("component")
    if component is not None:
        found = [s for s in found if component in s.item.component_ids]
    limit = options.get("limit")
    count = config.feed_items if limit is None else int(str(limit))
    return [s.id for s in heapq.nlargest(count, found, key=lambda s: s.order)]


@pytest.mark.parametrize("limit", [0, 1, 2, 5, 50])
def test_feed_index_picks_the_newest_entries(source: Path, limit: int) -> None:
    config, content = load(source)
    translations = NullTranslations()
    for now in (NOW, datetime(2026, 12, 31, tzinfo=UTC)):
        index = feeds.FeedIndex(config, content, Formatter(config.zone, "en", translations), translations, now)
        for component in (None, "api", "dashboard", "email", "docs"):
            for maintenance_only in (False, True):
                options = {"component": component, "maintenance_only": maintenance_only, "limit": limit}
                got = [s.id for s in index.sources(component=component, maintenance_only=maintenance_only, limit=limit)]
                assert got == brute_force(config, content, now, **options), options
