"""Every internal link and anchor of the built example site resolves.

A small standard-library checker: every ``href`` and ``src`` of every HTML
page, resolved against the page's own address under ``base_url``; an address
under ``base_url`` is internal and must name a file of the site (a folder
means its ``index.html``), and its ``#anchor`` an ``id`` on that page.
"""

from __future__ import annotations

import tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

REPO = Path(__file__).resolve().parents[2]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("href", "src"):
                self.links.append(value)
            elif name == "id":
                self.ids.add(value)
            elif name == "name" and tag == "a":
                self.ids.add(value)


def read(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text("utf-8"))
    return parser


def target_file(site: Path, base_url: str, url: str) -> Path | None:
    """The file an internal URL names, or None when the URL is outside the site."""
    if not url.startswith(base_url):
        return None
    inside = unquote(urlsplit(url).path)[len(urlsplit(base_url).path) :]
    path = site / inside
    return path / "index.html" if inside == "" or inside.endswith("/") else path


def broken_links(site: Path, base_url: str) -> list[str]:
    parsed = {path: read(path) for path in sorted(site.rglob("*.html"))}
    problems = []
    for page, found in parsed.items():
        relative = page.relative_to(site).as_posix()
        here = base_url + ("" if relative == "index.html" else relative.removesuffix("index.html"))
        if relative == "404.html":
            here = base_url + "some/missing/page/"  # its links must work at any depth
        for link in found.links:
            if link.startswith(("mailto:", "webcal:", "data:")):
                continue
            if link.startswith("#"):  # this very page, wherever it is served
                if link[1:] not in found.ids:
                    problems.append(f"{relative}: {link} -> no id '{link[1:]}' here")
                continue
            url, anchor = urldefrag(urljoin(here, link))
            target = target_file(site, base_url, url)
            if target is None:
                continue
            if not target.is_file():
                problems.append(f"{relative}: {link} -> missing {target.relative_to(site)}")
            elif anchor:
                ids = parsed[target].ids if target in parsed else set()
                if anchor not in ids:
                    problems.append(f"{relative}: {link} -> no id '{anchor}' in {target.relative_to(site)}")
    return problems


def test_every_internal_link_and_anchor_resolves(example_site: Path) -> None:
    base_url = tomllib.loads((REPO / "inloop.toml").read_text("utf-8"))["base_url"]
    pages = list(example_site.rglob("*.html"))
    assert len(pages) > 20
    assert broken_links(example_site, base_url) == []


def test_the_checker_finds_a_broken_link_and_a_broken_anchor(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text('<a href="a/">a</a> <a href="a/#here">here</a> <a id="top" href="#top">t</a>')
    (tmp_path / "404.html").write_text('<a href="#main">skip</a> <a href="/a/x.html">x</a>')
    (tmp_path / "a" / "index.html").write_text('<a href="../b/">b</a> <a href="../#nowhere">x</a> <p id="here">')
    (tmp_path / "a" / "x.html").write_text('<a href="https://other.example/">out</a> <a href="/a/">abs</a>')
    assert broken_links(tmp_path, "https://s.example/") == [
        "404.html: #main -> no id 'main' here",
        "a/index.html: ../b/ -> missing b/index.html",
        "a/index.html: ../#nowhere -> no id 'nowhere' in index.html",
    ]
