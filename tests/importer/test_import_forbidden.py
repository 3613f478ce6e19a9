"""Characters XML 1.0 forbids never reach an imported file: the site refuses them, and an import must build.

A Statuspage API document can hold any of them as JSON escapes (NUL, BEL,
ESC, U+FFFE, even half of a surrogate pair); a feed can hold them as
character references, which feedparser's lenient parser cannot even encode.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from inloop.importer import import_feed
from inloop.importer.writer import render_config, yaml_string
from inloop.xmlsafe import FORBIDDEN

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
NOW_TEXT = "2024-06-10 12:00 UTC"
#: JSON escapes, as a hostile or broken API would send them
HOSTILE = "\\u0000\\u0007\\u001b\\ufffe\\uffff\\udfff\\ud800"  # low before high: two lone halves


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def written_text(site: Path) -> str:
    return "".join(p.read_text("utf-8") for p in sorted(site.rglob("*")) if p.suffix in (".md", ".toml"))


def front_matter(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("\n---\n", 1)[0][4:])


def api_document() -> bytes:
    h = HOSTILE
    text = f"""{{
      "page": {{"id": "p", "name": "Example{h} Status", "url": "https://status.example.com"}},
      "incidents": [{{
        "id": "abc{h}", "name": "Out{h}age [31m", "impact": "major{h}",
        "components": [{{"name": "Web{h} app"}}, {{"name": "{h}"}}],
        "incident_updates": [
          {{"status": "resolved{h}", "body": "Fixed{h}.", "display_at": "2024-01-02T04:04:00Z{h}"}},
          {{"status": "investigating", "body": "We are{h}\\nlooking.", "display_at": "2024-01-02T03:04:00Z"}}
        ],
        "postmortem_body": "Cause{h}: a bad deploy.", "postmortem_published_at": "2024-01-03T10:00:00Z"
      }}]
    }}"""
    assert "\x00" not in text and "\ud800" in json.loads(text)["incidents"][0]["name"]
    return text.encode("ascii")


def test_an_api_document_full_of_forbidden_characters_imports_and_builds(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    source = tmp_path / "incidents.json"
    source.write_bytes(api_document())
    site = tmp_path / "site"
    report = import_feed(str(source), site, now=NOW)
    assert report.incidents_written == 1, report.lines()
    assert FORBIDDEN.search(written_text(site)) is None
    path = site / "content" / "incidents" / "abc.md"
    assert front_matter(path) == {
        "title": "Outage [31m",
        "impact": "major",
        "components": ["web-app"],
        "imported": {"source": "https://status.example.com/incidents/abc"},
    }
    body = path.read_text("utf-8").split("\n---\n", 1)[1]
    # the API's newline is a line break
    assert "## 2024-01-02 03:04 UTC \u2014 Investigating\nWe are  \nlooking.\n" in body
    assert "## 2024-01-02 04:04 UTC \u2014 Resolved\nFixed.\n" in body
    assert "Cause: a bad deploy." in body
    config = tomllib.loads((site / "inloop.toml").read_text("utf-8"))
    assert (config["title"], config["components"]) == ("Example Status", [{"id": "web-app", "name": "Web app"}])
    done = run_cli(["build", "--source", str(site), "--now", NOW_TEXT])
    assert (done.exit_code, done.stderr) == (0, "")
    before = snapshot(site)
    again = import_feed(str(source), site, now=NOW)
    assert again.written == [] and snapshot(site) == before


@pytest.mark.parametrize(
    "reference", ["&#xD800;", "&#xdfff;", "&#x1B;", "&#0;", "&#xFFFE;", "&#x110000;", "&#99999999999;"]
)
def test_a_feed_with_forbidden_character_references_imports_and_builds(
    tmp_path: Path, run_cli: Callable[..., Any], reference: str
) -> None:
    item = (
        f"<item><title>Out{reference}age\x07</title><link>https://status.example.com/incidents/a\x1bbc</link>"
        "<pubDate>Tue, 02 Jan 2024 04:04:00 +0000</pubDate><description>&lt;p&gt;&lt;small&gt;Jan  2, 04:04 UTC"
        f"&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Resolved&lt;/strong&gt; - Fixed{reference}\x00.&lt;/p&gt;"
        "</description></item>"
    )
    feed = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Example{reference} Status'
        "</title><link>https://status.example.com\x1b</link><description>x</description>"
        f"{item}</channel></rss>\n"
    )
    source = tmp_path / "history.rss"
    source.write_bytes(feed.encode("utf-8"))
    site = tmp_path / "site"
    report = import_feed(str(source), site, now=NOW)
    assert report.incidents_written == 1, report.lines()
    assert FORBIDDEN.search(written_text(site)) is None
    path = site / "content" / "incidents" / "abc.md"
    assert front_matter(path)["title"] == "Outage"
    assert front_matter(path)["imported"]["source"] == "https://status.example.com/incidents/abc"
    assert "\u2014 Resolved\nFixed." in path.read_text("utf-8")
    assert tomllib.loads((site / "inloop.toml").read_text("utf-8"))["title"] == "Example Status"
    done = run_cli(["build", "--source", str(site), "--now", NOW_TEXT])
    assert (done.exit_code, done.stderr) == (0, "")
    before = snapshot(site)
    assert import_feed(str(source), site, now=NOW).written == [] and snapshot(site) == before


def test_the_writer_drops_forbidden_characters_from_every_value() -> None:
    """The last line: whatever reaches the writer, the files it renders hold none."""
    assert yaml_string("Out\x00age\x1b\ud800\ufffe") == "Outage"
    quoted = yaml_string("a: b\x07\uffff")
    assert yaml.safe_load("k: " + quoted) == {"k": "a: b"} and FORBIDDEN.search(quoted) is None
    config = render_config(
        title="Ex\x00ample",
        base_url="https://status.example.com/\x1b",
        timezone="UTC",
        components=[("api", "A\udfffPI\x07")],
        source="feed\x00.rss",
        since=NOW.date(),
    )
    assert FORBIDDEN.search(config) is None
    loaded = tomllib.loads(config)
    assert (loaded["title"], loaded["components"]) == ("Example", [{"id": "api", "name": "API"}])
