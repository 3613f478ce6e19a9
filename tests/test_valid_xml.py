"""Characters XML 1.0 forbids: refused with their line in what authors write, never in any file inloop writes.

Every feed, badge and sitemap is read with a strict XML parser (expat through
``xml.dom.minidom``), which rejects a NUL, BEL or ESC where feed readers
would give up on the whole feed.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import xml.dom.minidom
from collections.abc import Callable
from datetime import datetime
from gettext import NullTranslations
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inloop.model import ComponentStatus, Content, SiteConfig
from inloop.read.config import validate_config
from inloop.read.content import parse_incident, parse_maintenance
from inloop.render import badges, feeds, sitefiles
from inloop.render.calendar import calendar
from inloop.render.formatting import Formatter

SITES = Path(__file__).resolve().parent / "sites"
NOW = "2026-11-26 12:00 UTC"
BERLIN = ZoneInfo("Europe/Berlin")
HOSTILE = "N\x00U\x07L\x1bE\x0b\x0c\x1f\ufffe\uffff\ud800\udfffnd"
#: What XML 1.0 forbids, and what HTML calls a parse error among them.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_files(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*") if p.suffix in (".xml", ".svg") and p.is_file())


def assert_well_formed(site: Path) -> None:
    """Every XML and SVG file parses strictly; no page holds a character XML forbids."""
    found = xml_files(site)
    assert any(p.name == "feed.xml" for p in found) and any(p.name == "badge.svg" for p in found)
    assert any(p.name == "sitemap.xml" for p in found) and any(p.name == "atom.xml" for p in found)
    for path in found:
        xml.dom.minidom.parseString(path.read_bytes())  # raises ExpatError on a forbidden character
    for path in site.rglob("*"):
        if path.suffix in (".html", ".json", ".ics", ".txt") and path.is_file():
            assert FORBIDDEN.search(path.read_text("utf-8")) is None, path


def test_every_xml_file_of_the_example_site_is_well_formed(example_site: Path) -> None:
    assert_well_formed(example_site)


def test_every_xml_file_of_the_fixture_sites_is_well_formed(
    copy_fixture_site: Callable[[str], Path], build: Callable[..., Path]
) -> None:
    built = [name for name in sorted(p.name for p in SITES.iterdir()) if not name.startswith("bad_")]
    assert built
    for name in built:
        assert_well_formed(build(copy_fixture_site(name)))


# -- authors' files: refused with the line ---------------------------------------------------------------


def test_control_characters_in_a_content_file_are_refused_line_by_line() -> None:
    text = (
        "---\n"
        'title: "Outage\\e[31m"\n'
        "impact: major\n"
        "components: [api]\n"
        'cause: "half \\ud800 a pair"\n'
        "---\n"
        "Summary with a bell \x07 in it.\n"
        "## 2026-11-20 14:02 UTC — Investigating\n"
        "A NUL \x00 and \ufffe here.\n"
    )
    _, problems = parse_incident(text.encode(), "x", "x.md", BERLIN, frozenset({"api"}))
    assert [str(p) for p in problems] == [
        "x.md:7: the line holds U+0007 (a control character), which feeds, badges and pages cannot carry: remove it",
        "x.md:9: the line holds U+0000 (a control character), which feeds, badges and pages cannot carry: remove it",
        "x.md:2: the value holds U+001B (a control character), which feeds, badges and pages cannot carry: remove it",
        "x.md:5: the value holds U+D800 (half of a surrogate pair, not a character), which feeds, badges and pages "
        "cannot carry: remove it",
    ]


def test_control_characters_in_a_maintenance_file_are_refused() -> None:
    text = '---\ntitle: "Window\\a"\ncomponents: [api]\nstart: 2026-12-01 10:00\nend: 2026-12-01 11:00\n---\n'
    _, problems = parse_maintenance(text.encode(), "w", "w.md", BERLIN, frozenset({"api"}))
    assert [str(p) for p in problems] == [
        "w.md:2: the value holds U+0007 (a control character), which feeds, badges and pages cannot carry: remove it"
    ]


def test_control_characters_in_the_config_are_refused_with_their_key_and_line(
    make_site: Callable[..., Path], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    config = (
        'title = "Status \\u001b[1m"\n'
        'base_url = "https://status.example.com/"\n'
        'description = "ok"\n'
        "\n"
        "[[components]]\n"
        'id = "api"\n'
        'name = "API \\u0000"\n'
    )
    site = make_site(tmp_path / "s", config=config)
    result = run_cli(["build", "--source", str(site), "--now", NOW])
    assert result.exit_code == 1
    assert result.error_lines == [
        f"{site}/inloop.toml:1: 'title' holds U+001B (a control character), which feeds, badges and pages "
        "cannot carry: remove it",
        f"{site}/inloop.toml:7: 'name' holds U+0000 (a control character), which feeds, badges and pages "
        "cannot carry: remove it",
        "build failed: 2 errors; the site was not changed",
    ]


# -- what inloop writes: never a forbidden character -----------------------------------------------------


def hostile_config() -> SiteConfig:
    text = 'title = "T"\nbase_url = "https://s.example/"\n[[components]]\nid = "api"\nname = "API"\n'
    result = validate_config(
        {"title": "T", "base_url": "https://s.example/", "components": [{"id": "api", "name": "API"}]}, text, "c", "d"
    )
    assert result.config is not None
    component = dataclasses.replace(result.config.components[0], name=f"API {HOSTILE}")
    return dataclasses.replace(result.config, title=f"Site {HOSTILE}", description=HOSTILE, components=(component,))


def hostile_content() -> Content:
    text = b"---\ntitle: T\nimpact: major\ncomponents: [api]\n---\n## 2026-11-20 14:02 UTC - Investigating\nLook.\n"
    incident, problems = parse_incident(text, "x", "x.md", BERLIN, frozenset({"api"}))
    assert incident is not None and not problems
    update = dataclasses.replace(incident.updates[0], body=HOSTILE, html=f"<p>{HOSTILE}</p>")
    incident = dataclasses.replace(incident, title=f"Title {HOSTILE}", updates=(update,))
    window_text = b"---\ntitle: W\ncomponents: [api]\nstart: 2026-12-01 10:00\nend: 2026-12-01 11:00\n---\n"
    window, problems = parse_maintenance(window_text, "w", "w.md", BERLIN, frozenset({"api"}))
    assert window is not None and not problems
    window = dataclasses.replace(window, title=f"W {HOSTILE}", description=HOSTILE)
    return Content((incident,), (window,))


@pytest.mark.parametrize("file_name", ["feed.xml", "atom.xml", "feed.json"])
def test_feeds_drop_forbidden_characters_that_reach_them(file_name: str) -> None:
    config, content, translations = hostile_config(), hostile_content(), NullTranslations()
    now = datetime.fromisoformat("2026-11-26T12:00:00+00:00")
    made = feeds.entries(config, content, Formatter(BERLIN, "en", translations), translations, now)
    assert any(HOSTILE in entry.title for entry in made)
    data = feeds.render(file_name, config, made, feeds.feed_info(config, translations, "site"))
    text = data.decode("utf-8")
    assert FORBIDDEN.search(text) is None
    assert "Title NULEnd" in text
    if file_name != "feed.json":
        xml.dom.minidom.parseString(data)


def test_badges_drop_forbidden_characters() -> None:
    drawn = badges.status_svg(f"Site {HOSTILE}", f"up {HOSTILE}", ComponentStatus.OPERATIONAL)
    document = xml.dom.minidom.parseString(drawn)
    assert document.getElementsByTagName("title")[0].firstChild.data == "Site NULEnd: up NULEnd"  # type: ignore[union-attr]
    endpoint = badges.endpoint_json(f"Site {HOSTILE}", "up", ComponentStatus.OPERATIONAL).decode("utf-8")
    assert FORBIDDEN.search(endpoint) is None and "Site NULEnd" in endpoint


def test_the_sitemap_and_the_calendar_drop_forbidden_characters() -> None:
    config = dataclasses.replace(hostile_config(), base_url=f"https://s.example/{HOSTILE}/")
    sitemap = sitefiles.sitemap(config, [("index.html", None)])
    xml.dom.minidom.parseString(sitemap)
    assert b"https://s.example/NULEnd/" in sitemap
    ics = calendar(hostile_config(), hostile_content(), NullTranslations(), datetime.fromisoformat("2026-11-26T12:00Z"))
    assert FORBIDDEN.search(ics.decode("utf-8")) is None
    assert b"SUMMARY:W NULEnd" in ics


def test_a_site_title_reaching_every_output_is_refused_before_anything_is_written(
    example_copy: Path, run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    config = example_copy / "inloop.toml"
    text = config.read_text("utf-8")
    config.write_text(re.sub(r'(?m)^title = "', 'title = "\\\\u0007', text, count=1), "utf-8")
    result = run_cli(["build", "--source", str(example_copy), "--now", NOW, "--output", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.error_lines == [
        f"{example_copy}/inloop.toml:4: 'title' holds U+0007 (a control character), which feeds, badges and pages "
        "cannot carry: remove it",
        "build failed: 1 error; the site was not changed",
    ]
    assert not (tmp_path / "out").exists()
    shutil.rmtree(example_copy)
