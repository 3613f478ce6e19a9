"""The status embed's files: ``embed.js`` and the ``embed/`` page it reads.

What they say for each state of a site, that they stay small and leave the
host page's globals alone, and that builds write them deterministically and
keep them right when an incident changes (the browser side is in
tests/browser/test_embed.py).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

from inloop import i18n
from inloop.build.builder import Builder

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FILES = ("embed.js", "embed/index.html")


def incident(title: str, impact: str, started: str, *, resolved: bool = False, status: str = "major_outage") -> str:
    text = (
        f"---\ntitle: '{title}'\nimpact: {impact}\ncomponents:\n  api: {status}\n---\n"
        f"## {started} UTC — Investigating\nLooking.\n"
    )
    return text + ("\n## 2026-11-26 11:50 UTC — Resolved\nFixed.\n" if resolved else "")


MAINTENANCE = (
    "---\ntitle: Database move\ncomponents: [email]\nstart: 2026-11-26 11:00 UTC\nend: 2026-11-26 14:00 UTC\n---\n"
)


def message(site: Path) -> dict[str, Any]:
    page = BeautifulSoup((site / "embed" / "index.html").read_text("utf-8"), "html.parser")
    data = page.find(id="inloop-status")
    assert data is not None
    parsed: dict[str, Any] = json.loads(str(data["data-message"]))
    return parsed


def test_the_most_severe_open_incident_is_the_one_shown(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path]
) -> None:
    source = make_site(
        tmp_path / "s",
        incidents={
            "minor-new": incident("Slow dashboard", "minor", "2026-11-26 11:30", status="degraded_performance"),
            "critical-old": incident("API down", "critical", "2026-11-26 09:00"),
            "resolved": incident("Old trouble", "critical", "2026-11-26 10:00", resolved=True),
        },
        maintenance={"move": MAINTENANCE},
    )
    site = build(source)
    shown = message(site)
    assert shown == {
        "type": "inloop-status",
        "version": 1,
        "lang": "en",
        "label": "Test Status",
        "status": "major_outage",
        "text": "Major outage",
        "dismiss": "Dismiss",
        "item": {
            "kind": "incident",
            "id": "critical-old",
            "title": "API down",
            "state": "Investigating",
            "path": "incidents/critical-old/",
        },
    }
    page = BeautifulSoup((site / "embed" / "index.html").read_text("utf-8"), "html.parser")
    listed = [(a.get_text(), a["href"]) for a in page.select("main li a")]
    assert listed == [
        ("API down", "../incidents/critical-old/"),
        ("Slow dashboard", "../incidents/minor-new/"),
        ("Database move", "../maintenance/move/"),
    ]
    assert page.select_one("h1").get_text(" ", strip=True).endswith("Major outage")
    # A page like the others: in the sitemap, with the time of the latest update it shows.
    assert "<loc>https://status.test.example/embed/</loc><lastmod>2026-11-26T11:30:00Z</lastmod>" in (
        site / "sitemap.xml"
    ).read_text("utf-8")


def test_maintenance_alone_and_nothing_open(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path]
) -> None:
    source = make_site(tmp_path / "s", maintenance={"move": MAINTENANCE})
    shown = message(build(source))
    assert shown["status"] == "under_maintenance"
    assert shown["item"] == {
        "kind": "maintenance",
        "id": "move",
        "title": "Database move",
        "state": "In progress",
        "path": "maintenance/move/",
    }
    quiet = make_site(tmp_path / "q", incidents={"old": incident("Old", "major", "2026-11-26 10:00", resolved=True)})
    site = build(quiet)
    assert message(site)["item"] is None
    assert message(site)["text"] == "All systems operational"
    assert BeautifulSoup((site / "embed" / "index.html").read_text("utf-8"), "html.parser").select("main li") == []


GERMAN = """\
title = "Test Status"
base_url = "https://status.test.example/"
timezone = "Europe/Berlin"
language = "de"

[[components]]
id = "api"
name = "API"
"""


def test_in_the_sites_language(tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path]) -> None:
    source = make_site(
        tmp_path / "s",
        config=GERMAN,
        incidents={"down": incident("API gestört", "major", "2026-11-26 11:00")},
    )
    shown = message(build(source))
    german = i18n.translations("de", source).gettext
    english = ("Major outage", "Dismiss", "Investigating")
    assert (shown["lang"], shown["text"], shown["dismiss"], shown["item"]["state"]) == ("de", *map(german, english))
    assert shown["dismiss"] == "Ausblenden"
    assert not set(english) & {shown["text"], shown["item"]["state"]}


def test_a_title_cannot_leave_the_data_block(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path]
) -> None:
    title = "</script><script>alert(1)</script> & <!-- 'x'"
    source = make_site(
        tmp_path / "s", incidents={"evil": incident(title.replace("'", "''"), "major", "2026-11-26 11:00")}
    )
    site = build(source)
    html = (site / "embed" / "index.html").read_text("utf-8")
    assert html.count("<script") == 1  # the theme's script alone
    assert BeautifulSoup(html, "html.parser").find("b") is None
    assert message(site)["item"]["title"] == title


def test_the_script_is_small_and_adds_no_global(example_site: Path) -> None:
    script = (example_site / "embed.js").read_bytes()
    assert len(gzip.compress(script, compresslevel=9)) < 5 * 1024
    code = re.sub(r"/\*.*?\*/", "", script.decode("utf-8"), flags=re.DOTALL).strip()
    # One strict function expression, called at once: its names stay inside it, and strict mode
    # makes an assignment to an undeclared name an error instead of a new global.
    assert code.startswith('(function () {\n  "use strict";')
    assert code.endswith("})();")
    assert code.count('(function () {\n  "use strict";') == 1
    assert not re.search(r"\b(window|self|globalThis|top|parent)\s*\.\s*\w+\s*=[^=]", code)
    inner = code.splitlines()[1:-1]
    assert all(not line or line.startswith("  ") for line in inner), "a statement outside the function"
    assert "innerHTML" not in code and "insertAdjacentHTML" not in code and "document.write" not in code


def test_builds_write_the_files_deterministically(tmp_path: Path, example_copy: Path) -> None:
    outputs = []
    for name in ("one", "two"):
        Builder(example_copy, tmp_path / name, cache_dir=None).build(NOW)
        outputs.append({file: (tmp_path / name / file).read_bytes() for file in FILES})
    assert outputs[0] == outputs[1]


def test_rebuilds_keep_the_files_right(tmp_path: Path, make_site: Callable[..., Path]) -> None:
    """The watcher's builder, told what changed, gives the bytes of a cold build after every edit."""
    source = make_site(tmp_path / "s", incidents={"down": incident("API down", "major", "2026-11-26 11:00")})
    watched = Builder(source, tmp_path / "watched")
    watched.build(NOW)
    assert message(tmp_path / "watched")["item"]["title"] == "API down"
    path = source / "content" / "incidents" / "down.md"
    steps = [
        incident("API down hard", "major", "2026-11-26 11:00"),  # the title changes
        incident("API down hard", "major", "2026-11-26 11:00", resolved=True),  # resolved
        incident("API down again", "critical", "2026-11-26 11:00"),  # opened again
    ]
    for number, text in enumerate(steps):
        path.write_text(text, encoding="utf-8")
        watched.build(NOW, [str(path)])
        cold = tmp_path / f"cold-{number}"
        Builder(source, cold, cache_dir=None).build(NOW)
        for file in FILES:
            assert (tmp_path / "watched" / file).read_bytes() == (cold / file).read_bytes(), (number, file)
    assert message(tmp_path / "watched")["item"]["title"] == "API down again"
