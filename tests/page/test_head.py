"""What every page says about itself (title, description, canonical URL, Open Graph, favicon), and
the files around the pages: sitemap.xml, robots.txt, live.json, the favicon setting."""

from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag

REPO = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((REPO / "inloop.toml").read_text("utf-8"))
BASE = CONFIG["base_url"]
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def pages(site: Path) -> dict[str, BeautifulSoup]:
    return {
        path.relative_to(site).as_posix(): BeautifulSoup(path.read_text("utf-8"), "html.parser")
        for path in sorted(site.rglob("*.html"))
    }


@pytest.fixture(scope="module")
def example_pages(example_site: Path) -> dict[str, BeautifulSoup]:
    """The example's pages, parsed once: the tests only read them."""
    return pages(example_site)


def meta(soup: BeautifulSoup, **attrs: str) -> str:
    wanted: dict[str, Any] = dict(attrs)
    tags = soup.find_all("meta", attrs=wanted)
    assert len(tags) == 1, attrs
    content = tags[0].get("content")
    assert isinstance(content, str)
    return content


def link_href(soup: BeautifulSoup, rel: str) -> str:
    tags = [t for t in soup.find_all("link") if rel in (t.get("rel") or [])]
    assert len(tags) == 1, rel
    href = tags[0].get("href")
    assert isinstance(href, str)
    return href


def test_every_page_names_itself(example_pages: dict[str, BeautifulSoup]) -> None:
    found = example_pages
    assert len(found) > 20
    for path, soup in found.items():
        assert soup.html is not None and soup.html.get("lang") == "en", path
        assert soup.title is not None
        title = soup.title.get_text()
        assert title.endswith(" – Acme Status") and len(title) > len(" – Acme Status"), path
        description = meta(soup, name="description")
        assert len(description) > 10, path
        canonical = link_href(soup, "canonical")
        assert canonical == BASE + path.removesuffix("index.html"), path
        assert meta(soup, property="og:title") == title
        assert meta(soup, property="og:description") == description
        assert meta(soup, property="og:url") == canonical
        assert meta(soup, property="og:site_name") == "Acme Status"
        expected_type = "article" if path.startswith(("incidents/", "maintenance/")) else "website"
        assert meta(soup, property="og:type") == expected_type, path
        assert meta(soup, name="color-scheme") == "light dark"
        assert re.fullmatch(r"(\.\./)*favicon\.[0-9a-f]{10}\.svg|/favicon\.[0-9a-f]{10}\.svg", link_href(soup, "icon"))
        assert not soup.find("meta", attrs={"http-equiv": True}), "no meta refresh, nor any http-equiv"
        robots = soup.find("meta", attrs={"name": "robots"})
        assert (robots is not None) is (path == "404.html"), path
    assert found["404.html"].find("meta", attrs={"name": "robots"}).get("content") == "noindex"  # type: ignore[union-attr]


def test_titles_and_descriptions_carry_the_status(example_pages: dict[str, BeautifulSoup]) -> None:
    found = example_pages
    home = found["index.html"]
    assert home.title is not None and home.title.get_text() == "Partial outage – Acme Status"
    assert meta(home, name="description") == "Partial outage · Live status of Acme's services"
    incident = found["incidents/2026-11-26-search-failures/index.html"]
    assert meta(incident, name="description") == (
        "Identified: Search failing or slow for some customers · Impact: Major · Started Nov 26, 2026, 11:38 CET"
    )
    component = found["components/search/index.html"]
    assert meta(component, name="description").startswith("Search: Partial outage · ")


def test_every_time_names_its_zone_and_has_a_reserved_local_line(example_pages: dict[str, BeautifulSoup]) -> None:
    """The server's text is complete; each local-time line follows the element whose times it gives.

    A moment names its zone; a day written alone (a prevention step's ``done: 2026-01-23``)
    is a date, shown without a clock.
    """
    days = 0
    for path, soup in example_pages.items():
        for time in soup.find_all("time"):
            stamp = str(time.get("datetime"))
            if re.fullmatch(r"\d{4}-\d\d-\d\d", stamp):
                days += 1
                assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", time.get_text()), (path, time.get_text())
                continue
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp), path
            assert re.search(r"\b(CET|CEST)$", time.get_text()), (path, time.get_text())
        for slot in soup.find_all(class_="local"):
            assert slot.get_text() == "", path
            owner = slot.find_previous_sibling()
            assert isinstance(owner, Tag), path
            assert owner.name == "time" or owner.find("time") is not None, (path, str(owner)[:80])
    assert days > 0  # the example writes most prevention steps' 'done' as a date


def sitemap(site: Path) -> dict[str, str | None]:
    root = ElementTree.fromstring((site / "sitemap.xml").read_bytes())
    assert root.tag == SITEMAP_NS + "urlset"
    found: dict[str, str | None] = {}
    for url in root:
        loc = url.find(SITEMAP_NS + "loc")
        assert loc is not None and loc.text
        lastmod = url.find(SITEMAP_NS + "lastmod")
        found[loc.text] = lastmod.text if lastmod is not None else None
    return found


def test_sitemap_lists_every_page_with_its_latest_update(
    example_site: Path, example_pages: dict[str, BeautifulSoup]
) -> None:
    entries = sitemap(example_site)
    html = example_pages
    expected = {BASE + path.removesuffix("index.html") for path in html if path != "404.html"}
    assert set(entries) == expected
    assert list(entries) == sorted(entries)
    for path, soup in html.items():
        if path == "404.html":
            continue
        shown = soup.select_one(".site-footer time")  # "Last updated": the latest update the page shows
        assert shown is not None, path
        assert entries[BASE + path.removesuffix("index.html")] == shown.get("datetime"), path
    assert entries[BASE] == "2026-11-26T11:34:00Z"


def test_robots_points_at_the_sitemap(example_site: Path) -> None:
    text = (example_site / "robots.txt").read_text("utf-8")
    assert text == f"User-agent: *\nDisallow:\n\nSitemap: {BASE}sitemap.xml\n"


def test_sitemap_and_live_version_follow_the_content_not_the_clock(
    example_copy: Path, build: Callable[..., Path], tmp_path: Path, example_site: Path
) -> None:
    first = example_site  # the example built at NOW
    later = build(example_copy, tmp_path / "two", "2026-11-26 12:40 UTC")
    assert (first / "sitemap.xml").read_bytes() == (later / "sitemap.xml").read_bytes()
    assert (first / "live.json").read_bytes() == (later / "live.json").read_bytes()
    live = json.loads((first / "live.json").read_text("utf-8"))
    assert live["status"] == "partial_outage" and re.fullmatch(r"[0-9a-f]{16}", live["version"])
    incident = example_copy / "content" / "incidents" / "2026-11-26-search-failures.md"
    text = incident.read_text("utf-8")
    incident.write_text(text + "\n## 2026-11-26 12:35 UTC — Monitoring\nSearch works again; we are watching it.\n")
    updated = build(example_copy, tmp_path / "three", "2026-11-26 12:40 UTC")
    assert json.loads((updated / "live.json").read_text("utf-8"))["version"] != live["version"]
    assert sitemap(updated)[BASE] == "2026-11-26T12:35:00Z"
    assert sitemap(updated)[BASE + "history/page/2/"] == sitemap(first)[BASE + "history/page/2/"]


# -- the favicon setting -----------------------------------------------------------------------------

SMALL = """\
title = "Test Status"
base_url = "https://status.test.example/sub/"
{favicon}

[[components]]
id = "api"
name = "Public API"
"""


def icon_of(site: Path, page: str) -> tuple[str, str | None]:
    soup = BeautifulSoup((site / page).read_text("utf-8"), "html.parser")
    tag = next(t for t in soup.find_all("link") if "icon" in (t.get("rel") or []))
    return str(tag.get("href")), tag.get("type")  # type: ignore[return-value]


def test_default_favicon_is_the_themes_svg(
    make_site: Callable[..., Path], build: Callable[..., Path], tmp_path: Path
) -> None:
    site = build(make_site(tmp_path / "s", config=SMALL.format(favicon="")))
    href, mime = icon_of(site, "components/api/index.html")
    assert re.fullmatch(r"\.\./\.\./favicon\.[0-9a-f]{10}\.svg", href) and mime == "image/svg+xml"
    assert (site / "components/api" / href).resolve().read_bytes().startswith(b"<svg")
    assert icon_of(site, "404.html")[0] == "/sub/" + href.removeprefix("../../")


def test_favicon_from_static(make_site: Callable[..., Path], build: Callable[..., Path], tmp_path: Path) -> None:
    source = make_site(
        tmp_path / "s",
        config=SMALL.format(favicon='favicon = "img/icon.png"'),
        files={"static/img/icon.png": b"\x89PNG"},
    )
    site = build(source)
    assert icon_of(site, "index.html") == ("img/icon.png", "image/png")
    assert icon_of(site, "history/index.html") == ("../img/icon.png", "image/png")
    assert (site / "img/icon.png").read_bytes() == b"\x89PNG"
    assert not list(site.glob("favicon.*.svg"))


def test_favicon_by_url(make_site: Callable[..., Path], build: Callable[..., Path], tmp_path: Path) -> None:
    config = SMALL.format(favicon='favicon = "https://cdn.test.example/brand/icon.ico"')
    site = build(make_site(tmp_path / "s", config=config))
    assert icon_of(site, "history/index.html") == ("https://cdn.test.example/brand/icon.ico", "image/x-icon")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("icon.png", "'favicon' names static/icon.png, which does not exist"),
        (
            "../icon.png",
            "'favicon' must be a file in the site's static/ folder (such as 'favicon.png') "
            "or an http or https URL, found '../icon.png'",
        ),
        (
            "/icon.png",
            "'favicon' must be a file in the site's static/ folder (such as 'favicon.png') "
            "or an http or https URL, found '/icon.png'",
        ),
        (
            "ftp://x.example/i.png",
            "'favicon' must be a file in the site's static/ folder (such as 'favicon.png') "
            "or an http or https URL, found 'ftp://x.example/i.png'",
        ),
    ],
)
def test_a_wrong_favicon_is_an_error_with_its_line(
    make_site: Callable[..., Path], run_cli: Callable[..., Any], tmp_path: Path, value: str, message: str
) -> None:
    source = make_site(tmp_path / "s", config=SMALL.format(favicon=f'favicon = "{value}"'))
    result = run_cli(["build", "--source", str(source), "--now", "2026-11-26 12:00 UTC"])
    assert result.exit_code == 1
    assert result.error_lines[0] == f"{source / 'inloop.toml'}:3: {message}"
    assert len(result.error_lines) == 2  # and the summary line
