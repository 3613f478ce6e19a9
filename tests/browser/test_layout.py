"""Every page kind, light and dark, at 320, 375 and 1280 px: no sideways scrolling, the key content visible.

Each combination leaves a full-page screenshot in ``tests/artifacts/`` (ignored by git).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from .conftest import ARTIFACTS, KINDS, SCHEMES, WIDTHS

pytestmark = pytest.mark.browser

#: What must be visible on each kind of page (CSS selectors), with JavaScript on or off.
KEY_CONTENT = {
    "home": [
        ".overall h1",
        "#now-heading",
        ".incident-summary .facts",
        "#components-heading",
        ".component .status",
        ".component .bar-uptime",
        "#maintenance-heading",
        "#recent-heading",
        ".site-footer time",
    ],
    "incident": ["h1", ".incident .meta", ".facts", ".updates .update-heading time", ".site-footer time"],
    "history-1": ["h1", ".month h2", ".item a", ".pager"],
    "history-2": ["h1", ".month h2", ".item a", ".pager a[rel=prev]"],
    "component": ["h1", ".component-status .status", ".bar-uptime", ".month h2", ".item a"],
    "maintenance": ["h1", ".maintenance-window .meta", ".facts time", ".update-heading"],
    "uptime": ["h1", ".uptime-summary li", ".uptime-component h2 a", ".bar-uptime", "table.calendar td[class]"],
    "uptime-component": ["h1", ".bar-uptime", "table.calendar td[class]", ".day-list a"],
    "404": ["h1", "main a"],
}

#: The text that tells each kind apart.
HEADINGS = {
    "home": "Partial outage",
    "incident": "Search failing or slow for some customers",
    "history-1": "History",
    "history-2": "History",
    "component": "Search",
    "maintenance": "Moving SMS sending to new servers",
    "uptime": "Uptime",
    "uptime-component": "Uptime of Search",
    "404": "Page not found",
}


def check_page(page: Page, kind: str) -> None:
    """No horizontal overflow anywhere; the key content and the heading visible; a status in the title."""
    overflow = page.evaluate(
        """() => {
            const root = document.documentElement;
            const wide = [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > root.clientWidth + 0.5
                             && getComputedStyle(e).position !== 'absolute')
                .map(e => e.tagName + '.' + e.className);
            return {scroll: root.scrollWidth, client: root.clientWidth, wide: wide.slice(0, 5)};
        }"""
    )
    assert overflow["scroll"] <= overflow["client"], f"{kind}: page wider than the window: {overflow}"
    assert not overflow["wide"], f"{kind}: elements stick out: {overflow['wide']}"
    for selector in KEY_CONTENT[kind]:
        first = page.locator(selector).first
        assert first.count() == 1, f"{kind}: nothing matches {selector}"
        assert first.is_visible(), f"{kind}: {selector} is not visible"
        box = first.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0, f"{kind}: {selector} has no size"
    assert HEADINGS[kind] in page.locator("h1").first.inner_text()


@pytest.mark.parametrize("width", [320, *WIDTHS])
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("kind", list(KINDS))
def test_page_fits_and_shows_its_content(
    js_page: Page, visit: Callable[..., Page], kind: str, scheme: str, width: int
) -> None:
    page = visit(js_page, kind, scheme=scheme, width=width)
    page.wait_for_selector("html[data-local-times]", state="attached")
    check_page(page, kind)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(255, 255, 255)") is (scheme == "light"), background
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{kind}-{scheme}-{width}.png", full_page=True, animations="disabled")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", list(KINDS))
def test_without_javascript_the_same_facts_are_there(
    no_js_page: Page, visit: Callable[..., Page], kind: str, width: int
) -> None:
    page = visit(no_js_page, kind, width=width)
    check_page(page, kind)
    assert page.evaluate("document.documentElement.hasAttribute('data-local-times')") is False
    for slot in page.locator(".local").all():  # the local-time lines take no room without a script
        assert not slot.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{kind}-nojs-{width}.png", full_page=True, animations="disabled")


@pytest.mark.parametrize("width", [320, *WIDTHS])
def test_home_page_reads_in_order(js_page: Page, visit: Callable[..., Page], width: int) -> None:
    """Status sentence, what is wrong now, components, maintenance, recent incidents: top to bottom."""
    page = visit(js_page, "home", width=width)
    order = [".overall", "section.now", "section.components", "section.maintenance", "section.recent"]
    tops = [page.locator(selector).bounding_box() for selector in order]
    assert all(box is not None for box in tops)
    ys = [box["y"] for box in tops if box is not None]
    assert ys == sorted(ys), dict(zip(order, ys, strict=True))
    assert tops[0] is not None and tops[0]["y"] < 200, "the overall status is not at the top"
    facts = page.locator(".incident-summary .facts dt").all_inner_texts()
    assert facts == [
        "What is wrong",
        "When it will work again",
        "Next update",
        "What we are doing so it does not happen again",
    ]


def test_tab_title_carries_the_status(js_page: Page, visit: Callable[..., Page]) -> None:
    assert visit(js_page, "home").title() == "Partial outage – Acme Status"
    assert visit(js_page, "incident").title().startswith("Identified: ")
    assert visit(js_page, "component").title().startswith("Partial outage: Search")
    assert visit(js_page, "maintenance").title().startswith("In progress: ")


def test_skip_link_and_focus_ring(js_page: Page, visit: Callable[..., Page]) -> None:
    page = visit(js_page, "home", width=375)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert skip.is_visible()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, "the skip link stays off screen when focused"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    page.keyboard.press("Tab")  # the next stop is inside main: the skip link moved the focus
    inside = page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert inside
    ring = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; })()"
    )
    assert ring == ["solid", "3px"]


@pytest.mark.parametrize("kind", ["home", "incident"])
def test_print_stylesheet(js_page: Page, visit: Callable[..., Page], kind: str) -> None:
    """Printed: black on white, the facts kept, the navigation, bars and subscribe links left out."""
    page = visit(js_page, kind, width=800)
    page.emulate_media(media="print")
    try:
        assert page.locator("h1").first.is_visible()
        assert page.locator(".facts").first.is_visible()
        for hidden in (".site-header nav", ".bar", ".local", ".subscribe"):
            for element in page.locator(hidden).all():
                assert not element.is_visible(), hidden
        colours = page.evaluate(
            "[getComputedStyle(document.body).color, getComputedStyle(document.body).backgroundColor]"
        )
        assert colours == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]
        ARTIFACTS.mkdir(exist_ok=True)
        page.pdf(path=ARTIFACTS / f"{kind}-print.pdf", format="A4")
    finally:
        page.emulate_media(media="screen")


MAIN_TEXT = """() => {
    const main = document.querySelector('main').cloneNode(true);
    main.querySelectorAll('.local').forEach(slot => slot.remove());
    return main.textContent.replace(/\\s+/g, ' ').trim();
}"""


@pytest.mark.parametrize("kind", list(KINDS))
def test_javascript_adds_nothing_but_local_times(
    js_page: Page, no_js_page: Page, visit: Callable[..., Page], kind: str
) -> None:
    with_script = visit(js_page, kind)
    with_script.wait_for_selector("html[data-local-times]", state="attached")
    without = visit(no_js_page, kind)
    text = without.evaluate(MAIN_TEXT)
    assert len(text) > 50
    assert with_script.evaluate(MAIN_TEXT) == text
