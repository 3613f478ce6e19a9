"""``import_feed``: a status page's history feed becomes an inloop site."""

from __future__ import annotations

import functools
import html
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from inloop.errors import UsageError
from inloop.importer import ImportReport, import_feed
from inloop.importer.writer import CLOSED_ON_IMPORT

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
SRC = Path(__file__).resolve().parents[2] / "src"

#: Runs inloop from the source tree, whatever is installed.
BUILD_COMMAND = "from inloop.cli.main import main; main()"


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()
    }


def headings(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("## ")]


def front_matter(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("\n---\n", 1)[0][4:])


def do_import(source: Path | str, site: Path, **options: Any) -> ImportReport:
    options.setdefault("now", NOW)
    return import_feed(str(source), site, **options)


# --- the real feeds ---------------------------------------------------------------


def test_streamyard_rss(feeds_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    report = do_import(feeds_dir / "statuspage-streamyard-history.rss", site)
    incidents = sorted((site / "content" / "incidents").iterdir())
    assert len(incidents) == 17
    assert report.incidents_written == 17
    assert report.maintenance_written == 0
    assert report.skipped == [] and report.stale == [] and report.guessed == []
    assert report.warnings == []
    assert sorted(report.written) == sorted([*incidents, site / "inloop.toml"])
    assert not (site / "content" / "maintenance").exists()
    assert (site / "content" / "incidents" / "l4222m9bmd6k.md").read_text(encoding="utf-8") == (
        "---\n"
        "title: Networking issues\n"
        "impact: minor\n"
        "components:\n"
        "  - imported\n"
        "imported:\n"
        "  source: https://status.streamyard.com/incidents/l4222m9bmd6k\n"
        "  component: imported\n"
        "  impact: minor\n"
        "---\n"
        "\n"
        "## 2024-02-08 08:29 UTC \u2014 Investigating\n"
        "Some users are experiencing networking issues right now. We are investigating.\n"
        "\n"
        "## 2024-02-08 09:00 UTC \u2014 Update\n"
        "The issues have been resolved.\n"
        "\n"
        "## 2024-02-08 09:00 UTC \u2014 Resolved\n"
        "This incident has been resolved.\n"
    )
    assert headings(site / "content" / "incidents" / "hf2t8jywhv8f.md") == [
        "## 2023-07-12 20:14 UTC \u2014 Investigating",
        "## 2023-07-12 20:42 UTC \u2014 Resolved",
    ]
    assert front_matter(site / "content" / "incidents" / "hf2t8jywhv8f.md") == {
        "title": "On-Air Issues",
        "impact": "minor",
        "components": ["imported"],
        "imported": {
            "source": "https://status.streamyard.com/incidents/hf2t8jywhv8f",
            "component": "imported",
            "impact": "minor",
        },
    }
    assert (site / "inloop.toml").read_text(encoding="utf-8") == (
        f"# Written by `inloop import` from {feeds_dir / 'statuspage-streamyard-history.rss'}\n"
        "# Edit the title, the components and their names; see the README for every setting.\n"
        'title = "StreamYard Status"\n'
        'base_url = "https://status.streamyard.com/"\n'
        'timezone = "UTC"\n'
        "\n"
        "[check]\n"
        "# Incidents resolved before this day are imported history: the rules about\n"
        "# resolved incidents leave them alone.\n"
        "since = 2024-06-10\n"
        "\n"
        "[[components]]\n"
        'id = "imported"\n'
        'name = "Imported"\n'
    )


def test_streamyard_rss_and_atom_write_the_same_files(feeds_dir: Path, tmp_path: Path) -> None:
    do_import(feeds_dir / "statuspage-streamyard-history.rss", tmp_path / "rss")
    do_import(feeds_dir / "statuspage-streamyard-history.atom", tmp_path / "atom")
    rss = tmp_path / "rss" / "content"
    atom = tmp_path / "atom" / "content"
    assert sorted(p.name for p in rss.rglob("*.md")) == sorted(p.name for p in atom.rglob("*.md"))
    for path in rss.rglob("*.md"):
        assert path.read_bytes() == (atom / path.relative_to(rss)).read_bytes()


def test_parse_2014_rss(feeds_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    report = do_import(feeds_dir / "statuspage-parse-2014-history.rss", site, source_timezone="America/Los_Angeles")
    incidents = site / "content" / "incidents"
    assert len(list(incidents.iterdir())) == 17 == report.incidents_written
    assert report.warnings == []
    # hand-checked: "Jan  1, 08:17 PST" = 16:17 UTC; in August "PST" means Los Angeles time (PDT)
    assert headings(incidents / "lzf7mjchpy20.md") == [
        "## 2014-01-01 16:17 UTC \u2014 Investigating",
        "## 2014-01-01 17:00 UTC \u2014 Identified",
        "## 2014-01-01 17:09 UTC \u2014 Resolved",
    ]
    assert headings(incidents / "ctfv4ldyy165.md") == [
        "## 2013-08-20 12:04 UTC \u2014 Investigating",
        "## 2013-08-20 12:13 UTC \u2014 Update",
        "## 2013-08-20 12:42 UTC \u2014 Resolved",
    ]
    config = tomllib.loads((site / "inloop.toml").read_text(encoding="utf-8"))
    assert config["title"] == "Parse Status"
    assert config["base_url"] == "http://status.parse.com/"
    assert config["timezone"] == "America/Los_Angeles"
    assert config["components"] == [{"id": "imported", "name": "Imported"}]
    # today in the page's zone: 2024-06-10 00:30 UTC is still June 9 in Los Angeles
    late = do_import(
        feeds_dir / "statuspage-parse-2014-history.rss",
        tmp_path / "late",
        source_timezone="America/Los_Angeles",
        now=datetime(2024, 6, 10, 0, 30, tzinfo=UTC),
    )
    assert late.incidents_written == 17
    assert tomllib.loads((tmp_path / "late" / "inloop.toml").read_text(encoding="utf-8"))["check"] == {
        "since": date(2024, 6, 9)
    }


def test_postmortem_becomes_an_update_with_its_markdown(feeds_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    do_import(feeds_dir / "statuspage-parse-2014-history.rss", site, source_timezone="America/Los_Angeles")
    path = site / "content" / "incidents" / "p9hy357zjvb3.md"
    assert headings(path) == [
        "## 2013-12-24 16:58 UTC \u2014 Investigating",
        "## 2013-12-24 19:21 UTC \u2014 Resolved",
        "## 2013-12-26 18:22 UTC \u2014 Update",
    ]
    text = path.read_text(encoding="utf-8")
    postmortem = text.split("## 2013-12-26 18:22 UTC \u2014 Update\n", 1)[1]
    assert postmortem.startswith("# Summary of the December 24 Parse Service Disruption\n\nWe would like to share")
    assert "\n\n- Adding extensive debug output" in postmortem
    assert "\n- Add functionality to automatically report this type of error" in postmortem
    assert postmortem.endswith(
        "please reach out to us through our [Help & Community](https://parse.com/help) portal.\n"
    )


def test_december_update_of_a_january_item_is_in_the_previous_year(feeds_dir: Path, tmp_path: Path) -> None:
    feed = tmp_path / "history.rss"
    original = (feeds_dir / "statuspage-parse-2014-history.rss").read_text(encoding="utf-8")
    # the item published on Wed, 01 Jan 2014 gets a first update on Dec 31
    changed = original.replace("Jan  1, 08:17 PST", "Dec 31, 10:00 PST", 1)
    assert changed != original
    feed.write_text(changed, encoding="utf-8")
    site = tmp_path / "site"
    do_import(feed, site, source_timezone="America/Los_Angeles")
    assert headings(site / "content" / "incidents" / "lzf7mjchpy20.md")[0] == (
        "## 2013-12-31 18:00 UTC \u2014 Investigating"
    )


# --- running twice, existing files -----------------------------------------------------


def test_second_run_skips_everything_and_changes_no_byte(feeds_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    do_import(feeds_dir / "statuspage-streamyard-history.rss", site)
    before = snapshot(site)
    again = do_import(feeds_dir / "statuspage-streamyard-history.rss", site)
    assert again.written == []
    assert len(again.skipped) == 17
    assert again.config_path is None
    assert snapshot(site) == before
    # the Atom feed of the same page finds the same incidents
    atom = do_import(feeds_dir / "statuspage-streamyard-history.atom", site)
    assert atom.written == [] and len(atom.skipped) == 17
    assert snapshot(site) == before
    assert again.lines()[-1] == (
        f"imported 0 incidents and 0 maintenance windows from "
        f"{feeds_dir / 'statuspage-streamyard-history.rss'}; skipped 17 that exist"
    )


def test_renamed_and_edited_files_are_found_by_their_source(feeds_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    do_import(feeds_dir / "statuspage-streamyard-history.rss", site)
    incidents = site / "content" / "incidents"
    renamed = incidents / "2024-02-08-networking.md"
    (incidents / "l4222m9bmd6k.md").rename(renamed)
    edited = incidents / "hf2t8jywhv8f.md"
    edited.write_text("hand-edited, not even front matter any more\n", encoding="utf-8")
    before = snapshot(site)
    report = do_import(feeds_dir / "statuspage-streamyard-history.rss", site)
    assert report.written == []
    assert renamed in report.skipped and edited in report.skipped
    assert snapshot(site) == before


# --- inloop.toml -------------------------------------------------------------------


def test_existing_config_gets_the_component_appended(feeds_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    original = (
        b'title = "Acme Status"  # ours\r\nbase_url = "https://status.acme.example/"\r\n\r\n'
        b'[[components]]\r\nid = "api"\r\nname = "API"'  # no newline at the end
    )
    (site / "inloop.toml").write_bytes(original)
    report = do_import(feeds_dir / "statuspage-streamyard-history.rss", site, component="legacy")
    data = (site / "inloop.toml").read_bytes()
    assert data == original + (b'\r\n\r\n[[components]]\r\nid = "legacy"\r\nname = "Legacy"\r\n')
    assert report.component_added == "legacy"
    assert report.warnings == [
        f"{site / 'inloop.toml'} sets no [check] since: the rules about resolved incidents will hold the "
        "imported history to them; add 'since = 2024-06-10' to [check] if they should not"
    ]
    assert "added component 'legacy' to " + str(site / "inloop.toml") in report.lines()
    assert front_matter(site / "content" / "incidents" / "l4222m9bmd6k.md")["components"] == ["legacy"]
    # present now: left alone
    before = (site / "inloop.toml").read_bytes()
    do_import(feeds_dir / "statuspage-parse-2014-history.rss", site, component="legacy")
    assert (site / "inloop.toml").read_bytes() == before


def test_config_that_cannot_take_the_component_is_an_error(feeds_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "inloop.toml").write_text('title = "X"\ncomponents = [{id = "api", name = "API"}]\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"cannot add component 'imported' to .*add it by hand"):
        do_import(feeds_dir / "statuspage-streamyard-history.rss", site)
    (site / "inloop.toml").write_text('title = "X\n', encoding="utf-8")
    with pytest.raises(UsageError, match="is not valid TOML"):
        do_import(feeds_dir / "statuspage-streamyard-history.rss", site)
    assert not (site / "content").exists()


# --- reading from a URL, and failures ----------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def feed_server(feeds_dir: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(feeds_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_import_from_a_url(feed_server: str, feeds_dir: Path, tmp_path: Path) -> None:
    report = do_import(f"{feed_server}/statuspage-streamyard-history.atom", tmp_path / "web")
    assert report.incidents_written == 17
    do_import(feeds_dir / "statuspage-streamyard-history.atom", tmp_path / "file")
    for path in (tmp_path / "file" / "content").rglob("*.md"):
        relative = path.relative_to(tmp_path / "file")
        assert (tmp_path / "web" / relative).read_bytes() == path.read_bytes()


def test_404_is_a_usage_error(feed_server: str, tmp_path: Path) -> None:
    url = f"{feed_server}/missing.rss"
    with pytest.raises(UsageError) as raised:
        do_import(url, tmp_path / "site")
    assert str(raised.value) == f"cannot fetch {url}: HTTP 404 File not found"
    assert not (tmp_path / "site").exists()


def test_refused_connection_is_a_usage_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nobody listens there
    with pytest.raises(UsageError, match=f"cannot fetch http://127.0.0.1:{port}/h.rss: "):
        do_import(f"http://127.0.0.1:{port}/h.rss", tmp_path / "site")


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.rss"
    with pytest.raises(UsageError) as raised:
        do_import(missing, tmp_path / "site")
    assert str(raised.value) == f"cannot read {missing}: no such file"
    with pytest.raises(UsageError, match="it is a directory"):
        do_import(tmp_path, tmp_path / "site")
    with pytest.raises(UsageError, match="give a file or an http"):
        do_import("ftp://example.com/history.rss", tmp_path / "site")
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"component": "Legacy API"}, "component id 'Legacy API' is not a lowercase slug"),
        ({"impact": "huge"}, "impact 'huge' is not one of none, minor, major, critical"),
        ({"source_timezone": "Mars/Olympus"}, "source time zone 'Mars/Olympus' is not an IANA"),
    ],
)
def test_bad_options_are_usage_errors(feeds_dir: Path, tmp_path: Path, options: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        do_import(feeds_dir / "statuspage-streamyard-history.rss", tmp_path / "site", **options)


# --- stale incidents, maintenance, ids ------------------------------------------------


def _unresolved_feed(feeds_dir: Path, tmp_path: Path) -> Path:
    """The streamyard feed with the Resolved update of l4222m9bmd6k taken out."""
    text = (feeds_dir / "statuspage-streamyard-history.rss").read_text(encoding="utf-8")
    resolved = (
        "&lt;p&gt;&lt;small&gt;Feb &lt;var data-var=&apos;date&apos;&gt; 8&lt;/var&gt;, "
        "&lt;var data-var=&apos;time&apos;&gt;09:00&lt;/var&gt; UTC&lt;/small&gt;&lt;br&gt;"
        "&lt;strong&gt;Resolved&lt;/strong&gt; - This incident has been resolved.&lt;/p&gt;"
    )
    assert text.count(resolved) == 1
    path = tmp_path / "unresolved.rss"
    path.write_text(text.replace(resolved, ""), encoding="utf-8")
    return path


def test_stale_incidents_are_listed(feeds_dir: Path, tmp_path: Path) -> None:
    feed = _unresolved_feed(feeds_dir, tmp_path)
    site = tmp_path / "site"
    report = do_import(feed, site)
    path = site / "content" / "incidents" / "l4222m9bmd6k.md"
    assert [(s.path, s.status, s.closed) for s in report.stale] == [(path, "Investigating", False)]
    assert report.lines()[-3:] == [
        "incidents never resolved at the source, last updated more than 30 days ago:",
        f"  {path}: last update 2024-02-08 09:00 UTC (Investigating)",
        "  resolve them by hand, or delete them and import again with --resolve-stale to close them",
    ]
    assert headings(path)[-1] == "## 2024-02-08 09:00 UTC \u2014 Update"
    # within 30 days of the last update it is not stale
    recent = do_import(feed, tmp_path / "recent", now=datetime(2024, 3, 1, tzinfo=UTC))
    assert recent.stale == []


def test_resolve_stale_closes_them(feeds_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    now = datetime(2024, 6, 10, 12, 34, 56, tzinfo=UTC)
    report = do_import(_unresolved_feed(feeds_dir, tmp_path), site, resolve_stale=True, now=now)
    path = site / "content" / "incidents" / "l4222m9bmd6k.md"
    assert [(s.path, s.closed) for s in report.stale] == [(path, True)]
    assert path.read_text(encoding="utf-8").endswith(
        "## 2024-02-08 09:00 UTC \u2014 Update\nThe issues have been resolved.\n\n"
        f"## 2024-06-10 12:34 UTC \u2014 Resolved\n{CLOSED_ON_IMPORT}\n"
    )
    assert report.lines()[-1] == (
        f"  {path}: last update 2024-02-08 09:00 UTC (Investigating); closed with a Resolved update"
    )


def test_maintenance_windows(make_feed: Any, tmp_path: Path) -> None:
    published = "Sun, 07 Nov 2021 12:01:00 +0000"
    full = make_feed.item(
        "Database maintenance",
        "https://status.example.com/incidents/m1",
        published,
        [
            ("Nov  7, 12:01 UTC", "Completed", "Done."),
            ("Nov  7, 10:00 UTC", "Verifying", "Checking."),
            ("Nov  7, 08:00 UTC", "In progress", "Started."),
            ("Nov  7, 07:30 UTC", "Update", "Starting soon."),
            ("Nov  2, 09:29 UTC", "Scheduled", "Read-only on <b>Sunday</b>."),
        ],
    )
    announced = make_feed.item(
        "Network upgrade",
        "https://status.example.com/maintenances/M2",
        published,
        [("Nov  3, 10:00 UTC", "Scheduled", "Next week.")],
    )
    site = tmp_path / "site"
    report = do_import(make_feed.rss([full, announced]), site)
    maintenance = site / "content" / "maintenance"
    assert report.maintenance_written == 2 and report.incidents_written == 0
    assert (maintenance / "m1.md").read_text(encoding="utf-8") == (
        "---\n"
        "title: Database maintenance\n"
        "components:\n"
        "  - imported\n"
        "start: 2021-11-07 08:00 UTC\n"
        "end: 2021-11-07 12:01 UTC\n"
        "imported:\n"
        "  source: https://status.example.com/incidents/m1\n"
        "  component: imported\n"
        "---\n"
        "\n"
        "## 2021-11-02 09:29 UTC \u2014 Scheduled\nRead-only on **Sunday**.\n\n"
        "## 2021-11-07 07:30 UTC \u2014 Scheduled\nStarting soon.\n\n"
        "## 2021-11-07 08:00 UTC \u2014 In progress\nStarted.\n\n"
        "## 2021-11-07 10:00 UTC \u2014 Verifying\nChecking.\n\n"
        "## 2021-11-07 12:01 UTC \u2014 Completed\nDone.\n"
    )
    # one time known: a window must end after it starts, so it lasts the documented default
    guessed_front = front_matter(maintenance / "m2.md")
    assert (guessed_front["start"], guessed_front["end"]) == ("2021-11-03 10:00 UTC", "2021-11-03 11:00 UTC")
    assert [(g.path, g.start_guessed, g.end_default) for g in report.guessed] == [(maintenance / "m2.md", True, True)]
    assert (
        f"  {maintenance / 'm2.md'}: start guessed; end set to the default, 1 hour after the start "
        "(the source gives one time) (start 2021-11-03 10:00 UTC, end 2021-11-03 11:00 UTC)"
    ) in report.lines()


def test_colliding_ids_get_suffixes_and_rss_and_atom_agree(make_feed: Any, tmp_path: Path) -> None:
    def item(link: str, when: str, title: str) -> Any:
        published = f"{when[4:6].strip()} Feb 2024 10:00:00 +0000"
        return make_feed.item(
            title,
            link,
            f"Thu, {published}",
            [(when, "Resolved", title)],
            atom_published=f"2024-02-{int(when[4:6]):02d}T10:00:00Z",
        )

    items = [  # newest first, as feeds list them
        item("https://status.example.com/incidents/ABC", "Feb  9, 10:00 UTC", "Newer"),
        item("https://status.example.com/incidents/abc", "Feb  8, 10:00 UTC", "Older"),
    ]
    rss_site, atom_site = tmp_path / "rss", tmp_path / "atom"
    do_import(make_feed.rss(items), rss_site)
    do_import(make_feed.atom(items), atom_site)
    for site in (rss_site, atom_site):
        incidents = site / "content" / "incidents"
        assert sorted(p.name for p in incidents.iterdir()) == ["abc-2.md", "abc.md"]
        assert front_matter(incidents / "abc.md")["title"] == "Older"
        assert front_matter(incidents / "abc-2.md")["title"] == "Newer"


def test_titles_that_need_quoting_read_back(make_feed: Any, tmp_path: Path) -> None:
    titles = [
        "Errors: API & dashboard",
        "- dash",
        "yes",
        "#1 outage",
        "2024-02-08",
        "'quoted'",
        'Say "hi"',
        "back\\slash",
        "100%",
        "[bracket]",
        "null",
        "a #comment",
    ]
    items = [
        make_feed.item(
            title,
            f"https://s.example.com/incidents/t{n}",
            "Thu, 08 Feb 2024 10:00:00 +0000",
            [("Feb  8, 10:00 UTC", "Resolved", "x")],
        )
        for n, title in enumerate(titles)
    ]
    site = tmp_path / "site"
    do_import(make_feed.rss(items), site)
    for n, title in enumerate(titles):
        assert front_matter(site / "content" / "incidents" / f"t{n}.md")["title"] == title


def test_feed_without_a_link_needs_a_config(tmp_path: Path) -> None:
    feed = tmp_path / "h.rss"
    update = html.escape("<p><small>Feb  8, 10:00 UTC</small><br><strong>Resolved</strong> - Fixed.</p>")
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<item><title>Down</title><pubDate>Thu, 08 Feb 2024 10:00:00 +0000</pubDate>"
        f"<description>{update}</description></item></channel></rss>",
        encoding="utf-8",
    )
    with pytest.raises(UsageError, match="cannot tell the status page's address"):
        do_import(feed, tmp_path / "site")


# --- the imported site builds ------------------------------------------------------------


def _build(site: Path, now: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-c", BUILD_COMMAND, "build", "--source", str(site), "--now", now],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(
    not (SRC / "inloop" / "build.py").exists() or not (SRC / "inloop" / "cli.py").exists(),
    reason="inloop build is not written yet",
)
@pytest.mark.parametrize(
    ("feed", "zone"),
    [
        ("statuspage-streamyard-history.rss", "UTC"),
        ("statuspage-streamyard-history.atom", "UTC"),
        ("statuspage-parse-2014-history.rss", "America/Los_Angeles"),
    ],
)
def test_imported_site_builds(feeds_dir: Path, tmp_path: Path, feed: str, zone: str) -> None:
    site = tmp_path / "site"
    do_import(feeds_dir / feed, site, source_timezone=zone)
    result = _build(site, "2024-06-10 12:00 UTC")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for incident in (site / "content" / "incidents").iterdir():
        assert (site / "site" / "incidents" / incident.stem / "index.html").is_file()


@pytest.mark.skipif(
    not (SRC / "inloop" / "build.py").exists() or not (SRC / "inloop" / "cli.py").exists(),
    reason="inloop build is not written yet",
)
def test_imported_maintenance_and_closed_incidents_build(feeds_dir: Path, make_feed: Any, tmp_path: Path) -> None:
    site = tmp_path / "site"
    do_import(_unresolved_feed(feeds_dir, tmp_path), site, resolve_stale=True)
    window = make_feed.item(
        "Database maintenance",
        "https://status.streamyard.com/maintenances/m1",
        "Sun, 07 Jan 2024 12:01:00 +0000",
        [
            ("Jan  7, 12:01 UTC", "Completed", "Done."),
            ("Jan  7, 08:00 UTC", "In progress", "Started."),
            ("Jan  2, 09:29 UTC", "Scheduled", "Read-only on Sunday."),
        ],
    )
    do_import(make_feed.rss([window]), site)
    shutil.rmtree(site / "site", ignore_errors=True)
    result = _build(site, "2024-06-10 12:00 UTC")
    assert result.returncode == 0, result.stderr
    assert (site / "site" / "maintenance" / "m1" / "index.html").is_file()


def test_config_does_not_keep_secrets_of_the_url(feed_server: str, tmp_path: Path) -> None:
    port = feed_server.rsplit(":", 1)[1]
    url = f"http://127.0.0.1:{port}/statuspage-streamyard-history.rss?token=secret"
    do_import(url, tmp_path / "site")
    config = (tmp_path / "site" / "inloop.toml").read_text(encoding="utf-8")
    assert config.startswith(
        f"# Written by `inloop import` from http://127.0.0.1:{port}/statuspage-streamyard-history.rss\n"
    )
    assert "secret" not in config
