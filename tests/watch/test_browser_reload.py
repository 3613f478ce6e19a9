"""Live reload in a real browser: Debian's chromium driven by Playwright, against ``inloop serve``.

Skipped (with the reason) only when chromium is not installed and ``CI`` is
not set; see ``tests/browser_support.py``.  Every wait is on the page itself,
with a timeout.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .support import RESOLVED_ID, Served, save_in_place

pytestmark = [pytest.mark.timeout(90), pytest.mark.browser]

TIMEOUT_MS = 15_000
PAGE = f"/incidents/{RESOLVED_ID}/"


def has_text(page: Page, text: str) -> None:
    page.wait_for_function("text => document.body.innerText.includes(text)", arg=text, timeout=TIMEOUT_MS)


@pytest.fixture
def errors(page: Page) -> list[str]:
    """JavaScript errors on the page; the test ends with none."""
    found: list[str] = []
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def test_an_edit_reloads_the_open_page_with_the_new_text(page: Page, served: Served, errors: list[str]) -> None:
    page.goto(f"http://127.0.0.1:{served.port}{PAGE}")
    expect(page.locator("body")).to_contain_text("stayed normal for 30 minutes")
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))

    incident = served.source / "content" / "incidents" / f"{RESOLVED_ID}.md"
    text = incident.read_text("utf-8")
    save_in_place(incident, text.replace("for 30 minutes", "for 45 minutes, as the browser saw", 1))
    has_text(page, "for 45 minutes, as the browser saw")
    assert loads and loads[-1].endswith(PAGE)  # a reload, not a script patching the page

    # a second save reloads again: the page's new listener works too
    save_in_place(incident, text.replace("for 30 minutes", "for an hour, as the browser saw", 1))
    has_text(page, "for an hour, as the browser saw")
    assert errors == []


def test_a_broken_edit_shows_the_errors_over_the_page_and_a_fix_clears_them(
    page: Page, served: Served, errors: list[str]
) -> None:
    page.goto(f"http://127.0.0.1:{served.port}{PAGE}")
    expect(page.locator("#inloop-errors")).to_have_count(0)

    incident = served.source / "content" / "incidents" / f"{RESOLVED_ID}.md"
    text = incident.read_text("utf-8")
    save_in_place(incident, text.replace("impact: minor", "impact: tiny", 1))
    overlay = page.locator("#inloop-errors")
    expect(overlay).to_be_visible(timeout=TIMEOUT_MS)
    expect(overlay).to_contain_text("Rebuild failed: 1 error")
    expect(overlay).to_contain_text(f"acme/content/incidents/{RESOLVED_ID}.md:3: ")
    expect(page.locator("main")).to_contain_text("stayed normal for 30 minutes")  # the last good page, below

    save_in_place(incident, text.replace("for 30 minutes", "for 45 minutes, fixed", 1))
    has_text(page, "for 45 minutes, fixed")
    expect(overlay).to_have_count(0, timeout=TIMEOUT_MS)
    assert errors == []
