"""Imports that always build: what the source cannot say is a documented, valid default,
reported once per import; explicit options are no defaults; a re-import changes nothing."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from inloop.importer import DEFAULT_COMPONENT, DEFAULT_IMPACT, DEFAULT_MAINTENANCE_LENGTH, import_feed

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
NOW_TEXT = "2024-06-10 12:00 UTC"


def front_matter(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("\n---\n", 1)[0][4:])


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def built(run_cli: Any, site: Path) -> None:
    """The site builds with zero errors (and says nothing on stderr)."""
    result = run_cli(["build", "--source", str(site), "--now", NOW_TEXT])
    assert (result.exit_code, result.stderr) == (0, "")


def check_lines(run_cli: Any, site: Path) -> list[str]:
    """What ``inloop check`` says (it exits 1 when it warns, 0 when it does not)."""
    result = run_cli(["check", "--source", str(site), "--now", NOW_TEXT])
    lines = (result.stdout + result.stderr).splitlines()
    assert result.exit_code == (1 if any("warning" in line for line in lines) else 0), lines
    return lines


def test_the_defaults_are_documented_constants() -> None:
    assert (DEFAULT_COMPONENT, DEFAULT_IMPACT) == ("imported", "minor")
    assert DEFAULT_MAINTENANCE_LENGTH.total_seconds() == 3600


# --- a maintenance window with one time ----------------------------------------------


def test_a_maintenance_announced_with_one_time_builds(make_feed: Any, tmp_path: Path, run_cli: Any) -> None:
    published = "Sun, 07 Jan 2024 12:01:00 +0000"
    items = [
        make_feed.item(
            "Network upgrade",
            "https://status.example.com/maintenances/one",
            published,
            [("Jan  3, 10:00 UTC", "Scheduled", "Next week.")],
        ),
        make_feed.item(
            "Database move",
            "https://status.example.com/incidents/two",
            published,
            [("Jan  5, 08:00 UTC", "In progress", "Moving."), ("Jan  5, 08:00 UTC", "Completed", "Moved.")],
        ),
    ]
    site = tmp_path / "site"
    result = run_cli(["import", str(make_feed.rss(items)), "--source", str(site), "--now", NOW_TEXT])
    assert result.exit_code == 0, result.stderr
    maintenance = site / "content" / "maintenance"
    one, two = front_matter(maintenance / "one.md"), front_matter(maintenance / "two.md")
    assert (one["start"], one["end"]) == ("2024-01-03 10:00 UTC", "2024-01-03 11:00 UTC")
    assert (two["start"], two["end"]) == ("2024-01-05 08:00 UTC", "2024-01-05 09:00 UTC")
    lines = result.stdout.splitlines()
    assert lines[-3:] == [
        "maintenance windows whose start or end the source does not give (no In progress or "
        "Completed update, or one time only); a guessed time is the first or last update's, check them:",
        f"  {maintenance / 'one.md'}: start guessed; end set to the default, 1 hour after the start "
        "(the source gives one time) (start 2024-01-03 10:00 UTC, end 2024-01-03 11:00 UTC)",
        f"  {maintenance / 'two.md'}: end set to the default, 1 hour after the start "
        "(the source gives one time) (start 2024-01-05 08:00 UTC, end 2024-01-05 09:00 UTC)",
    ]
    built(run_cli, site)


# --- defaults, reported once; explicit options are none ----------------------------------


def test_defaults_are_recorded_and_reported_once(feeds_dir: Path, tmp_path: Path, run_cli: Any) -> None:
    site = tmp_path / "site"
    feed = feeds_dir / "statuspage-streamyard-history.rss"
    result = run_cli(["import", str(feed), "--source", str(site), "--now", NOW_TEXT])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-3:] == [
        f"imported 17 incidents and 0 maintenance windows from {feed}",
        "17 items got the default component 'imported' (the source names no components): set the real ones, "
        "'inloop check' lists them as imported-defaults; or import with --component",
        "17 incidents got the default impact 'minor' (the source does not say): set the real one, "
        "'inloop check' lists them as imported-defaults; or import with --impact",
    ]
    assert front_matter(site / "content" / "incidents" / "l4222m9bmd6k.md")["imported"] == {
        "source": "https://status.streamyard.com/incidents/l4222m9bmd6k",
        "component": "imported",
        "impact": "minor",
    }
    flagged = [line for line in check_lines(run_cli, site) if "imported-defaults" in line]
    assert len(flagged) == 34
    built(run_cli, site)


def test_explicit_component_and_impact_are_not_flagged(feeds_dir: Path, tmp_path: Path, run_cli: Any) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "inloop.toml").write_text(
        'title = "Acme"\nbase_url = "https://status.acme.example/"\n\n[check]\nsince = 2024-06-10\n\n'
        '[[components]]\nid = "streaming"\nname = "Streaming"\n',
        encoding="utf-8",
    )
    before = (site / "inloop.toml").read_bytes()
    feed = feeds_dir / "statuspage-streamyard-history.rss"
    args = ["import", str(feed), "--source", str(site), "--now", NOW_TEXT]
    result = run_cli([*args, "--component", "streaming", "--impact", "major"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"imported 17 incidents and 0 maintenance windows from {feed}"
    assert (site / "inloop.toml").read_bytes() == before  # its component exists: nothing to add
    path = site / "content" / "incidents" / "l4222m9bmd6k.md"
    assert front_matter(path)["imported"] == {"source": "https://status.streamyard.com/incidents/l4222m9bmd6k"}
    assert (front_matter(path)["components"], front_matter(path)["impact"]) == (["streaming"], "major")
    assert not [line for line in check_lines(run_cli, site) if "imported-defaults" in line]
    built(run_cli, site)


def test_only_the_option_not_given_is_a_default(feeds_dir: Path, tmp_path: Path, run_cli: Any) -> None:
    site = tmp_path / "site"
    feed = feeds_dir / "statuspage-streamyard-history.rss"
    result = run_cli(["import", str(feed), "--source", str(site), "--now", NOW_TEXT, "--component", "app"])
    assert result.exit_code == 0, result.stderr
    assert not any("default component" in line for line in result.stdout.splitlines())
    assert front_matter(site / "content" / "incidents" / "l4222m9bmd6k.md")["imported"] == {
        "source": "https://status.streamyard.com/incidents/l4222m9bmd6k",
        "impact": "minor",
    }
    flagged = [line for line in check_lines(run_cli, site) if "imported-defaults" in line]
    assert len(flagged) == 17 and all("impact is still 'minor'" in line for line in flagged)


# --- re-importing ----------------------------------------------------------------------


def test_a_reimport_adds_no_unused_component(feeds_dir: Path, tmp_path: Path, run_cli: Any) -> None:
    site = tmp_path / "site"
    feed = feeds_dir / "statuspage-streamyard-history.rss"
    import_feed(str(feed), site, now=NOW)
    # the author names the real component and drops the placeholder, as check asks
    config = site / "inloop.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('id = "imported"\nname = "Imported"', 'id = "app"\nname = "App"'),
        encoding="utf-8",
    )
    for path in (site / "content" / "incidents").iterdir():
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("  - imported\n", "  - app\n").replace("  component: imported\n", ""), "utf-8")
    before = snapshot(site)
    report = import_feed(str(feed), site, now=NOW)
    assert snapshot(site) == before
    assert report.written == [] and report.components_added == []
    assert report.lines()[-1] == f"imported 0 incidents and 0 maintenance windows from {feed}; skipped 17 that exist"
    assert 'id = "imported"' not in config.read_text(encoding="utf-8")
    built(run_cli, site)


def test_a_new_item_adds_the_component_it_uses(make_feed: Any, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    config = site / "inloop.toml"
    config.write_text('title = "X"\nbase_url = "https://x.example/"\n\n[[components]]\nid = "api"\nname = "API"\n')
    item = make_feed.item(
        "Down",
        "https://status.example.com/incidents/d1",
        "Thu, 08 Feb 2024 10:00:00 +0000",
        [("Feb  8, 10:00 UTC", "Resolved", "Fixed.")],
    )
    report = import_feed(str(make_feed.rss([item])), site, now=NOW)
    assert report.components_added == ["imported"]
    assert config.read_text(encoding="utf-8").endswith('\n[[components]]\nid = "imported"\nname = "Imported"\n')
    assert f"added component 'imported' to {config}" in report.lines()


def test_nothing_imported_writes_no_config(tmp_path: Path) -> None:
    feed = tmp_path / "empty.rss"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<link>https://status.example.com</link></channel></rss>",
        encoding="utf-8",
    )
    site = tmp_path / "site"
    report = import_feed(str(feed), site, now=NOW)
    assert not (site / "inloop.toml").exists()
    assert report.lines() == [
        f"wrote no {site / 'inloop.toml'}: nothing was imported that needs a component",
        f"imported 0 incidents and 0 maintenance windows from {feed}",
    ]


def test_updates_later_than_now_are_left_out(make_feed: Any, tmp_path: Path) -> None:
    item = make_feed.item(
        "Soon",
        "https://status.example.com/incidents/s1",
        "Thu, 08 Feb 2024 10:00:00 +0000",
        [("Jul  8, 2024, 10:00 UTC", "Investigating", "Later."), ("Feb  8, 10:00 UTC", "Investigating", "Now.")],
    )
    report = import_feed(str(make_feed.rss([item])), tmp_path / "site", now=NOW)
    assert report.incidents_written == 0
    assert report.warnings == [
        "left out https://status.example.com/incidents/s1: its update of 2024-07-08 10:00 UTC "
        "is later than now (2024-06-10 12:00 UTC)"
    ]


def test_an_item_without_dated_updates_is_imported_at_its_date(tmp_path: Path, run_cli: Any) -> None:
    body = html.escape("<p>We <b>fixed</b> it.</p>")
    feed = tmp_path / "blog.rss"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Acme status</title>'
        "<link>https://status.acme.example/</link>"
        f"<item><title>API errors</title><link>https://status.acme.example/posts/api</link>"
        f"<pubDate>Thu, 08 Feb 2024 10:00:00 +0000</pubDate><description>{body}</description></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    site = tmp_path / "site"
    report = import_feed(str(feed), site, now=NOW)
    assert (
        (site / "content" / "incidents" / "api.md")
        .read_text(encoding="utf-8")
        .endswith("---\n\n## 2024-02-08 10:00 UTC \u2014 Resolved\nWe **fixed** it.\n")
    )
    assert (
        "1 item had no dated updates: each got one final update (Resolved, or Completed for maintenance) "
        "at the item's own date, saying what the item says"
    ) in report.lines()
    built(run_cli, site)
