"""Autodiscovery links and the visible Subscribe sections, in parsed HTML."""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urljoin

from bs4 import BeautifulSoup
from subscribe_sites import Site

SITE_FEEDS = {
    "feed.xml": "application/rss+xml",
    "atom.xml": "application/atom+xml",
    "feed.json": "application/feed+json",
}


def page(site: Site, name: str) -> BeautifulSoup:
    return BeautifulSoup(site.text(name), "html.parser")


def resolve(name: str, href: str) -> str:
    """A relative link of page ``name`` as a path inside the site."""
    return urljoin("https://x.invalid/" + name, href).removeprefix("https://x.invalid/")


def alternates(site: Site, name: str) -> dict[str, str]:
    """The feeds a page announces: {path inside the site: MIME type}."""
    found = {}
    for link in page(site, name).find_all("link", rel="alternate"):
        href = str(link["href"])
        target = href.removeprefix("/") if name == "404.html" else resolve(name, href)
        found[target] = str(link["type"])
        assert link.get("title"), (name, href)
    return found


def html_pages(site: Site) -> list[str]:
    return site.files("**/*.html")


def test_every_page_announces_the_site_feeds(example: Site) -> None:
    for name in html_pages(example):
        found = alternates(example, name)
        for feed, mime in SITE_FEEDS.items():
            assert found.get(feed) == mime, (name, feed)
        for target in found:
            assert example.path(target).is_file(), (name, target)


def test_component_pages_announce_their_own_feeds(example: Site) -> None:
    for name in example.files("components/*/**/index.html"):
        component = PurePosixPath(name).parts[1]
        found = alternates(example, name)
        own = {k for k in found if k.startswith("components/")}
        assert own == {f"components/{component}/{feed}" for feed in SITE_FEEDS}, name
        assert not any(k.startswith("maintenance/") for k in found)


def test_maintenance_pages_announce_maintenance_feeds(example: Site) -> None:
    for name in example.files("maintenance/*/index.html"):
        found = alternates(example, name)
        assert {k for k in found if k.startswith("maintenance/")} == {f"maintenance/{f}" for f in SITE_FEEDS}
    for name in ("index.html", "history/index.html", "incidents/2026-11-26-search-failures/index.html"):
        assert set(alternates(example, name)) == set(SITE_FEEDS), name


def test_index_has_a_subscribe_section(example: Site) -> None:
    soup = page(example, "index.html")
    section = soup.find(id="subscribe")
    assert section is not None and section.name == "section"
    assert section.find("h2").get_text(strip=True) == "Subscribe"  # type: ignore[union-attr]
    links = {resolve("index.html", str(a["href"])): a for a in section.find_all("a")}
    expected = [
        *SITE_FEEDS,
        *(f"maintenance/{f}" for f in SITE_FEEDS),
        "maintenance.ics",
        "api/v2/summary.json",
        "badge.svg",
        "badge.json",
    ]
    for target in expected:
        assert target in links, target
        assert example.path(target).is_file(), target
        item = links[target].parent
        assert item is not None and item.name == "li"
        explanation = item.get_text(" ", strip=True)
        assert len(explanation) > len(links[target].get_text(strip=True)) + 20, target  # a line that explains
    assert "webcal://status.acme.example/maintenance.ics" in links


def test_component_page_subscribe_section(example: Site) -> None:
    name = "components/search/index.html"
    section = page(example, name).find(id="subscribe")
    assert section is not None
    targets = {resolve(name, str(a["href"])) for a in section.find_all("a")}
    for target in [
        *(f"components/search/{f}" for f in SITE_FEEDS),
        "components/search/badge.svg",
        "components/search/badge.json",
    ]:
        assert target in targets
        assert example.path(target).is_file()
    assert "Only incidents and maintenance that affect Search." in section.get_text(" ", strip=True)


def test_footer_links_to_the_subscribe_section(example: Site) -> None:
    for name in ("incidents/2026-11-26-search-failures/index.html", "history/page/2/index.html"):
        footer = page(example, name).find("footer")
        hrefs = [resolve(name, str(a["href"])) for a in footer.find_all("a")]  # type: ignore[union-attr]
        assert "#subscribe" in hrefs and "feed.xml" in hrefs
