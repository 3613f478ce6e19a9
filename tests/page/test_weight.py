"""The example's home page with everything it loads: under 50 KB gzipped, one stylesheet, no web fonts,
nothing from another host."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

BUDGET = 50 * 1024


class _Resources(HTMLParser):
    """What a browser fetches to show the page: stylesheets, icons, scripts, images, frames."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stylesheets: list[str] = []
        self.fetched: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link":
            rel = values.get("rel", "").split()
            if "stylesheet" in rel:
                self.stylesheets.append(values["href"])
            if {"stylesheet", "icon", "preload", "modulepreload", "manifest"} & set(rel):
                self.fetched.append(values["href"])
        elif tag in ("script", "img", "iframe", "video", "audio", "source", "embed") and values.get("src"):
            self.fetched.append(values["src"])
        elif tag == "object" and values.get("data"):
            self.fetched.append(values["data"])


def resources(page: Path) -> _Resources:
    found = _Resources()
    found.feed(page.read_text("utf-8"))
    return found


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def test_home_page_weighs_under_50_kb(example_site: Path) -> None:
    home = example_site / "index.html"
    found = resources(home)
    sizes = {"index.html": gzipped(home.read_bytes())}
    for url in found.fetched:
        assert not urlsplit(url).scheme and not url.startswith("//"), f"fetched from elsewhere: {url}"
        sizes[url] = gzipped((example_site / url).read_bytes())
    sizes["live.json"] = gzipped((example_site / "live.json").read_bytes())  # the script asks for it
    css = [url for url in found.fetched if url.endswith(".css")]
    for url in css:  # what a stylesheet loads in turn
        text = (example_site / url).read_text("utf-8")
        for inner in re.findall(r"url\(\s*['\"]?([^'\")]+)", text):
            assert inner.startswith("data:"), f"{url} loads {inner}"
    total = sum(sizes.values())
    assert total < BUDGET, f"{total} bytes gzipped: {sizes}"
    assert set(sizes) >= {"index.html", *found.fetched}
    print(f"home page with its assets: {total} bytes gzipped -6 ({sizes})")


def test_one_stylesheet_no_web_fonts(example_site: Path) -> None:
    for page in example_site.rglob("*.html"):
        found = resources(page)
        assert len(found.stylesheets) == 1, page
        assert re.fullmatch(r"(\.\./)*style\.[0-9a-f]{10}\.css|/style\.[0-9a-f]{10}\.css", found.stylesheets[0])
    stylesheets = list(example_site.glob("*.css"))
    assert len(stylesheets) == 1
    css = stylesheets[0].read_text("utf-8")
    assert "@font-face" not in css and "@import" not in css
    assert not [p for p in example_site.rglob("*") if p.suffix in (".woff", ".woff2", ".ttf", ".otf", ".eot")]


def test_no_page_loads_anything_from_another_host(example_site: Path) -> None:
    for page in example_site.rglob("*.html"):
        for url in resources(page).fetched:
            assert not urlsplit(url).netloc, f"{page.relative_to(example_site)} loads {url}"
