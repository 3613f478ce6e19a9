"""Components and groups are listed in inloop.toml's order: on the home page, in the API, in the config."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from inloop.read.config import load_config

#: Ungrouped components before, between and after groups; a group whose members are apart.
CONFIG = """\
title = "Order Status"
base_url = "https://status.order.example/"
timezone = "Europe/Berlin"

[[components]]
id = "website"
name = "Website"

[[components]]
id = "api"
name = "Public API"
group = "Platform"

[[components]]
id = "dashboard"
name = "Dashboard"
group = "Platform"

[[components]]
id = "cdn"
name = "CDN"

[[components]]
id = "docs"
name = "Documentation"

[[components]]
id = "email"
name = "Email"
group = "Communication"

[[components]]
id = "webhooks"
name = "Webhooks"
group = "Platform"

[[components]]
id = "status"
name = "Status emails"
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, make_site: Callable[..., Path], build: Callable[..., Path]) -> Path:
    """Built once: the tests only read it."""
    return build(make_site(tmp_path_factory.mktemp("order") / "order", config=CONFIG))


def test_the_config_lists_sections_in_file_order(tmp_path: Path, make_site: Callable[..., Path]) -> None:
    source = make_site(tmp_path / "order", config=CONFIG)
    config = load_config(source, "inloop.toml").config
    assert config is not None
    assert [(group, [c.id for c in members]) for group, members in config.groups] == [
        (None, ["website"]),
        ("Platform", ["api", "dashboard", "webhooks"]),
        (None, ["cdn", "docs"]),
        ("Communication", ["email"]),
        (None, ["status"]),
    ]


def test_the_home_page_lists_components_and_groups_in_file_order(site: Path) -> None:
    page = BeautifulSoup((site / "index.html").read_text("utf-8"), "html.parser")
    shown = []
    for group in page.select("section.components div.group"):
        heading = group.find("h3")
        shown.append(
            (
                heading.get_text(strip=True) if heading else None,
                [a.get_text(strip=True) for a in group.select("li.component .component-head a")],
            )
        )
    assert shown == [
        (None, ["Website"]),
        ("Platform", ["Public API", "Dashboard", "Webhooks"]),
        (None, ["CDN", "Documentation"]),
        ("Communication", ["Email"]),
        (None, ["Status emails"]),
    ]


@pytest.mark.parametrize("name", ["components.json", "summary.json"])
def test_the_api_lists_components_in_file_order_each_group_before_its_members(site: Path, name: str) -> None:
    components = json.loads((site / "api" / "v2" / name).read_text("utf-8"))["components"]
    assert [c["id"] for c in components] == [
        "website",
        "group-platform",
        "api",
        "dashboard",
        "webhooks",
        "cdn",
        "docs",
        "group-communication",
        "email",
        "status",
    ]
    assert [c["position"] for c in components] == list(range(1, 11))
    by_id = {c["id"]: c for c in components}
    assert by_id["group-platform"]["components"] == ["api", "dashboard", "webhooks"]
    assert [by_id[cid]["group_id"] for cid in ("website", "cdn", "docs", "status")] == [None] * 4
    assert by_id["webhooks"]["group_id"] == "group-platform"
