"""The error overlay of ``inloop serve``, read in chromium in both colour schemes (issue 16).

In light mode it was white text on a near-white box (the site's ``pre``
background), with the page header showing through.  axe leaves text over a
translucent layer undecided, so this test works the contrast out itself:
at points on each text of the overlay it takes every layer the browser
stacks there (``elementsFromPoint``), composites their background colours
and opacities over the white canvas, puts the text's own colour over that,
and asks for WCAG AA (4.5:1).
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page
from watch.support import Served, copy_example, start_serve

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

RGBA = tuple[float, float, float, float]

#: For each text of the overlay, at a few points on it: the layers there, bottom first, and the text.
LAYERS = """(selector) => {
  const element = document.querySelector(selector);
  const opacity = (e) => {
    let o = 1;
    for (let n = e; n; n = n.parentElement) o *= +getComputedStyle(n).opacity;
    return o;
  };
  const box = element.getBoundingClientRect();
  const points = [[box.left + 4, box.top + 4], [box.left + box.width / 2, box.top + box.height / 2],
                  [box.left + 4, box.bottom - 4], [box.right - 4, box.top + 4]];
  return points.map(([x, y]) => {
    const stack = document.elementsFromPoint(x, y);
    const below = stack.slice(stack.indexOf(element)).reverse();
    return {
      layers: below.map((e) => [getComputedStyle(e).backgroundColor, opacity(e)]),
      text: [getComputedStyle(element).color, opacity(element)],
      top: stack.length ? stack[0].closest("#inloop-errors") !== null : false,
    };
  });
}"""


def parse(color: str) -> RGBA:
    found = re.fullmatch(r"rgba?\((\d+(?:\.\d+)?), (\d+(?:\.\d+)?), (\d+(?:\.\d+)?)(?:, (\d*\.?\d+))?\)", color)
    assert found is not None, f"a colour this test cannot read: {color}"
    red, green, blue, alpha = found.groups()
    return float(red), float(green), float(blue), float(alpha) if alpha is not None else 1.0


def over(top: RGBA, bottom: RGBA) -> RGBA:
    """``top`` composited over an opaque ``bottom`` (source-over)."""
    alpha = top[3]
    return (
        top[0] * alpha + bottom[0] * (1 - alpha),
        top[1] * alpha + bottom[1] * (1 - alpha),
        top[2] * alpha + bottom[2] * (1 - alpha),
        1.0,
    )


def luminance(color: RGBA) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color[0]) + 0.7152 * channel(color[1]) + 0.0722 * channel(color[2])


def contrast(one: RGBA, other: RGBA) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def seen_contrast(sample: dict[str, Any]) -> float:
    """The contrast of the text against everything really behind it at one point."""
    behind: RGBA = (255.0, 255.0, 255.0, 1.0)  # the canvas
    for background, opacity in sample["layers"]:
        red, green, blue, alpha = parse(background)
        behind = over((red, green, blue, alpha * opacity), behind)
    red, green, blue, alpha = parse(sample["text"][0])
    text = over((red, green, blue, alpha * sample["text"][1]), behind)
    return contrast(text, behind)


def test_the_contrast_arithmetic() -> None:
    """The sums behind the assertion below, checked against known values."""
    assert contrast((0, 0, 0, 1), (255, 255, 255, 1)) == pytest.approx(21.0)
    assert contrast((118, 118, 118, 1), (255, 255, 255, 1)) == pytest.approx(4.54, abs=0.01)
    half = {"layers": [["rgb(255, 255, 255)", 1.0], ["rgba(0, 0, 0, 0.5)", 1.0]], "text": ["rgb(255, 255, 255)", 1.0]}
    assert seen_contrast(half) == pytest.approx(contrast((255, 255, 255, 1), (127.5, 127.5, 127.5, 1)))
    faded = {"layers": [["rgb(0, 0, 0)", 1.0]], "text": ["rgb(255, 255, 255)", 0.0]}
    assert seen_contrast(faded) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``inloop serve`` on a copy of the example whose last rebuild failed: every page shows the overlay."""
    source = copy_example(tmp_path_factory.mktemp("overlay") / "acme")
    served = start_serve(source)
    incident = source / "content" / "incidents" / "2026-09-15-api-latency.md"
    incident.write_text(incident.read_text("utf-8").replace("impact: minor", "impact: tiny"), "utf-8")
    assert served.process.line() == "rebuild failed: 1 error, kept the last good site"
    yield served
    served.process.stop(signal.SIGINT)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["", "incidents/2026-11-26-search-failures/", "no/such/page/"])
def test_the_overlay_text_reads_in_both_schemes(
    broken: Served, contexts: Callable[..., Page], scheme: str, path: str
) -> None:
    page = contexts("overlay")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.goto(f"http://127.0.0.1:{broken.port}{broken.mount}{path}", wait_until="load")
    overlay = page.locator("#inloop-errors")
    assert overlay.is_visible()
    assert "Rebuild failed: 1 error" in overlay.inner_text()
    found = {}
    for selector in ("#inloop-errors h2", "#inloop-errors pre", "#inloop-errors p"):
        samples = page.evaluate(LAYERS, selector)
        assert all(sample["top"] for sample in samples), f"{selector}: something is drawn above the overlay"
        found[selector] = round(min(seen_contrast(sample) for sample in samples), 2)
    assert {selector: ratio for selector, ratio in found.items() if ratio < 4.5} == {}  # AA for every text


def test_the_overlay_hides_the_page_header(broken: Served, contexts: Callable[..., Page]) -> None:
    """The header's words must not show through: the overlay's background at the header is opaque."""
    page = contexts("overlay")
    page.emulate_media(color_scheme="light")
    page.goto(f"http://127.0.0.1:{broken.port}{broken.mount}", wait_until="load")
    header = page.locator(".site-header .brand").bounding_box()
    assert header is not None
    stack = page.evaluate(
        "([x, y]) => document.elementsFromPoint(x, y).map((e) => [e.id, getComputedStyle(e).backgroundColor])",
        [header["x"] + 2, header["y"] + 2],
    )
    assert stack[0][0] == "inloop-errors" and parse(stack[0][1])[3] == 1.0
