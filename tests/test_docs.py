"""The README and the documentation site: what a visitor needs first, and docs that cannot drift.

``mkdocs build --strict`` itself runs in scripts/test (a broken link, a missing anchor or a
page left out of the nav fails there); these tests hold what it cannot see.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import click
import yaml

from inloop.alerts.settings import ALERTS_KEYS, RULE_KEYS
from inloop.check.settings import PHRASE_LISTS
from inloop.notify.settings import NOTIFY_KEYS, SMTP_KEYS, WEBHOOK_KEYS
from inloop.publish.settings import PublishSettings
from inloop.read import config
from inloop.subscriptions.settings import KEYS as SUBSCRIPTIONS_KEYS

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
README = REPO / "README.md"

#: The Quick start's two commands, exactly: a fresh clone must run them as they are.
SERVE_COMMAND = (
    'python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/inloop serve --now "2026-11-26 12:00 UTC"'
)
TEST_COMMAND = "./scripts/test"


def nav_pages() -> list[str]:
    """Every page of mkdocs.yml's nav, as a path under docs/."""
    found: list[str] = []

    def walk(entry: object) -> None:
        if isinstance(entry, str):
            found.append(entry)
        elif isinstance(entry, list):
            for item in entry:
                walk(item)
        elif isinstance(entry, dict):
            for value in entry.values():
                walk(value)

    walk(yaml.safe_load((REPO / "mkdocs.yml").read_text("utf-8"))["nav"])
    return found


def code_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.M | re.S)


def test_the_readme_is_at_most_250_lines() -> None:
    lines = README.read_text("utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move the details into docs/"


def test_the_readme_keeps_the_two_commands_exactly() -> None:
    blocks = code_blocks(README.read_text("utf-8"))
    assert SERVE_COMMAND + "\n" in blocks
    assert TEST_COMMAND + "\n" in blocks


def test_the_readme_shows_a_screenshot_that_exists() -> None:
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README.read_text("utf-8"))
    assert images, "the README shows no screenshot"
    for image in images:
        assert (REPO / image).is_file(), image


def test_the_readme_links_to_every_page_of_the_docs() -> None:
    links = set(re.findall(r"\]\((docs/[^)#]+\.md)(?:#[^)]*)?\)", README.read_text("utf-8")))
    missing = [page for page in nav_pages() if f"docs/{page}" not in links]
    assert missing == [], "README.md links to no docs page of these"
    for link in links:
        assert (REPO / link).is_file(), link


def test_every_page_in_docs_is_in_the_nav() -> None:
    """mkdocs warns about omitted pages only when they are built; notes/ is left out on purpose."""
    pages = sorted(
        path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md") if path.relative_to(DOCS).parts[0] != "notes"
    )
    assert pages == sorted(nav_pages())


def test_the_commands_page_is_made_from_the_click_group() -> None:
    text = (DOCS / "commands.md").read_text("utf-8")
    directive = re.search(r"^::: mkdocs-click\n((?:    :\w+: .*\n)+)", text, flags=re.M)
    assert directive, "docs/commands.md has no mkdocs-click block"
    options = dict(re.findall(r":(\w+): (.*)", directive.group(1)))
    module = __import__(options["module"], fromlist=[options["command"]])
    group = getattr(module, options["command"])
    assert isinstance(group, click.Group)
    assert options["prog_name"] == "inloop"


def _documented_keys(page: str) -> set[str]:
    """The keys in the first column of the tables of a page."""
    return set(re.findall(r"^\| `([a-z_]+)` \|", (DOCS / page).read_text("utf-8"), flags=re.M))


def test_the_configuration_page_lists_every_key_of_inloop_toml() -> None:
    keys = {
        *config.TOP_KEYS,
        *config.COMPONENT_KEYS,
        *config.CHECK_KEYS,
        *PHRASE_LISTS,
        *NOTIFY_KEYS,
        *SMTP_KEYS,
        *WEBHOOK_KEYS,
        *ALERTS_KEYS,
        *RULE_KEYS,
        *(field.name for field in dataclasses.fields(PublishSettings)),
        *SUBSCRIPTIONS_KEYS,
    }
    tables = {
        *("components", "check", "phrases", "notify", "publish", "smtp", "webhooks", "alerts", "subscriptions"),
        "uptime",
    }
    missing = sorted(keys - tables - _documented_keys("configuration.md"))
    assert missing == [], "docs/configuration.md has no row for these keys"
