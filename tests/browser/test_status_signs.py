"""A status is never told by colour alone: text, and a shape of its own with a title, in light, dark
and forced-colors mode."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser

#: Each status sign on the home page: its status, its visible label, its title, and its shape.
SIGNS = """() => [...document.querySelectorAll('.status, .overall h1')].map(sign => {
    const icon = sign.querySelector('svg.icon');
    const shape = icon ? [...icon.children].filter(c => c.tagName !== 'title').map(c => c.outerHTML).join('') : '';
    const style = icon ? getComputedStyle(icon) : null;
    return {
        status: [...icon.classList].find(c => c.startsWith('icon-')),
        label: sign.innerText.trim(),
        title: icon ? icon.querySelector('title').textContent : null,
        shape: shape,
        fill: style ? style.fill : null,
        color: getComputedStyle(sign).color,
        width: icon ? icon.getBoundingClientRect().width : 0,
    };
})"""


@pytest.mark.parametrize("mode", ["light", "dark", "forced-colors"])
def test_every_status_has_text_and_its_own_shape(js_page: Page, visit: Callable[..., Page], mode: str) -> None:
    page = visit(js_page, "home", scheme="dark" if mode == "dark" else "light", width=375)
    if mode == "forced-colors":
        page.emulate_media(forced_colors="active")
    try:
        signs = page.evaluate(SIGNS)
        shapes: dict[str, str] = {}
        for sign in signs:
            assert sign["label"] and sign["label"] == sign["title"], sign  # the words, shown and as the title
            assert sign["width"] >= 14, sign  # the shape is there and visible
            assert sign["fill"] not in ("none", "rgba(0, 0, 0, 0)"), sign
            shapes.setdefault(sign["status"], sign["shape"])
            assert shapes[sign["status"]] == sign["shape"], "one status, one shape"
        assert len(shapes) >= 4  # the example shows operational, maintenance, degraded, partial
        assert len(set(shapes.values())) == len(shapes), "two statuses share a shape"
        if mode == "forced-colors":
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert all(sign["fill"] != background for sign in signs)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / "home-forced-colors-375.png", full_page=True)
    finally:
        page.emulate_media(forced_colors="none")
