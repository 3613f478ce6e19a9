"""Every surface names the same state, each in its documented words (docs/page.md).

The page's headline and the site's badge say the worst component status in
inloop's words; the API's ``status`` is that same state in Statuspage's
indicator and words, which Statuspage clients know.  A component's status
reads the same on the home page, its own page and its badge, and is the
API's enum of those words.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

#: state: (page headline and site badge, API indicator, API description)
DOCUMENTED = {
    "operational": ("All systems operational", "none", "All Systems Operational"),
    "under_maintenance": ("Under maintenance", "maintenance", "Service Under Maintenance"),
    "degraded_performance": ("Degraded performance", "minor", "Minor Service Outage"),
    "partial_outage": ("Partial outage", "major", "Partial System Outage"),
    "major_outage": ("Major outage", "critical", "Major Service Outage"),
}
COMPONENT_WORDS = {
    "operational": "Operational",
    "under_maintenance": "Under maintenance",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}

CONFIG = """\
title = "Words Status"
base_url = "https://status.words.example/"
timezone = "Europe/Berlin"

[[components]]
id = "api"
name = "Public API"
group = "Platform"

[[components]]
id = "email"
name = "Email"
"""


def incident(impact: str, status: str) -> str:
    return (
        f"---\ntitle: Something is off\nimpact: {impact}\ncomponents:\n  api: {status}\n---\n"
        "## 2026-11-26 11:30 UTC — Investigating\nWe are looking into it.\n"
    )


WINDOW = "---\ntitle: Moving email\ncomponents: [email]\nstart: 2026-11-26 11:00 UTC\nend: 2026-11-26 14:00 UTC\n---\n"


def shown_text(tag: Tag | None) -> str:
    """What a reader reads in ``tag``: its words without the hidden status sign's title."""
    assert tag is not None
    return "".join(tag.find_all(string=True, recursive=False)).strip()


def words(site: Path) -> dict[str, object]:
    home = BeautifulSoup((site / "index.html").read_text("utf-8"), "html.parser")
    heading = home.select_one("#overall-heading span")
    assert heading is not None
    badge = json.loads((site / "badge.json").read_text("utf-8"))
    svg = BeautifulSoup((site / "badge.svg").read_text("utf-8"), "html.parser")
    svg_root = svg.find("svg")
    assert svg_root is not None
    status = json.loads((site / "api" / "v2" / "summary.json").read_text("utf-8"))["status"]
    assert status == json.loads((site / "api" / "v2" / "status.json").read_text("utf-8"))["status"]
    return {
        "page": heading.get_text(strip=True),
        "badge": badge["message"],
        "badge.svg": str(svg_root["aria-label"]).removeprefix("Words Status: "),
        "indicator": status["indicator"],
        "description": status["description"],
    }


@pytest.mark.parametrize(
    ("impact", "component_status", "state"),
    [
        # An impact that says more or less than the components: the components decide, everywhere.
        ("critical", "degraded_performance", "degraded_performance"),
        ("none", "degraded_performance", "degraded_performance"),
        ("minor", "partial_outage", "partial_outage"),
        ("major", "major_outage", "major_outage"),
        ("minor", "operational", "operational"),
    ],
)
def test_page_badge_and_api_name_the_same_state_in_their_documented_words(
    tmp_path: Path,
    make_site: Callable[..., Path],
    build: Callable[..., Path],
    impact: str,
    component_status: str,
    state: str,
) -> None:
    site = build(make_site(tmp_path / "s", config=CONFIG, incidents={"off": incident(impact, component_status)}))
    headline, indicator, description = DOCUMENTED[state]
    assert words(site) == {
        "page": headline,
        "badge": headline,
        "badge.svg": headline,
        "indicator": indicator,
        "description": description,
    }


def test_maintenance_alone_reads_under_maintenance_everywhere(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path]
) -> None:
    site = build(make_site(tmp_path / "s", config=CONFIG, maintenance={"move": WINDOW}))
    assert words(site) == {
        "page": "Under maintenance",
        "badge": "Under maintenance",
        "badge.svg": "Under maintenance",
        "indicator": "maintenance",
        "description": "Service Under Maintenance",
    }


@pytest.mark.parametrize("component_status", ["degraded_performance", "partial_outage", "major_outage"])
def test_a_component_reads_the_same_on_its_pages_its_badge_and_in_the_api(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path], component_status: str
) -> None:
    site = build(make_site(tmp_path / "s", config=CONFIG, incidents={"off": incident("minor", component_status)}))
    expected = COMPONENT_WORDS[component_status]
    home = BeautifulSoup((site / "index.html").read_text("utf-8"), "html.parser")
    rows = {
        shown_text(row.select_one(".component-head a")): shown_text(row.select_one(".status"))
        for row in home.select("li.component")
    }
    assert rows == {"Public API": expected, "Email": "Operational"}
    own = BeautifulSoup((site / "components" / "api" / "index.html").read_text("utf-8"), "html.parser")
    assert shown_text(own.select_one(".component-status .status")) == expected
    assert json.loads((site / "components" / "api" / "badge.json").read_text("utf-8"))["message"] == expected
    components = json.loads((site / "api" / "v2" / "components.json").read_text("utf-8"))["components"]
    api = next(c for c in components if c["id"] == "api")
    assert api["status"] == component_status
    assert api["status"] == expected.lower().replace(" ", "_")
