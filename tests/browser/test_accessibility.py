"""axe-core (bundled by axe-playwright-python, offline) on every page kind, in both colour schemes.

WCAG 2.0, 2.1 and 2.2 A and AA: no violation, and no colour contrast that axe
could not decide (an ``incomplete`` result), which would hide a failure.
With JavaScript off axe cannot run (it needs timers); the pages then differ
only in the local-time lines, which take no room.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Page

from .conftest import KINDS, SCHEMES

pytestmark = pytest.mark.browser

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations", "incomplete"]}

_axe = Axe()


def describe(results: list[dict[str, Any]]) -> str:
    lines = []
    for rule in results:
        for node in rule["nodes"][:5]:
            lines.append(f"{rule['id']}: {node['target']} {node.get('failureSummary') or node.get('any')}")
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("kind", list(KINDS))
def test_axe_finds_nothing(js_page: Page, visit: Callable[..., Page], kind: str, scheme: str) -> None:
    page = visit(js_page, kind, scheme=scheme, width=1280)
    page.wait_for_selector("html[data-local-times]", state="attached")
    response = _axe.run(page, options=OPTIONS).response
    assert response["violations"] == [], describe(response["violations"])
    unsure = [rule for rule in response["incomplete"] if rule["id"] == "color-contrast"]
    assert unsure == [], describe(unsure)
