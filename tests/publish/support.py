"""A fabricated built site, and a link checker for what a store holds.

The site is written by hand rather than built, so that these tests depend only
on the publishing engine: it has every kind of file a build makes, and its
pages link the way the built pages do (pages to the stylesheet, the home page
to incidents, history and feeds; incident pages back to home and history).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Callable, Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

Files = dict[str, bytes]


def _css(version: str) -> tuple[str, bytes]:
    data = f"/* version {version} */\nbody {{ font-family: sans-serif; }}\n".encode()
    return f"style.{hashlib.sha256(data).hexdigest()[:10]}.css", data


def _page(title: str, css: str, root: str, links: list[str], version: str) -> bytes:
    anchors = "\n".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{title}</title>"
        f'<link rel=stylesheet href="{root}{css}">'
        f'<link rel=alternate type="application/rss+xml" href="{root}feed.xml">'
        f"</head><body><h1>{title}</h1><p>version {version}</p>"
        f'<img src="{root}badge.svg" alt="status">'
        f"<ul>\n{anchors}\n</ul></body></html>\n"
    ).encode()


def site_files(
    *,
    incidents: int = 1,
    version: str = "1",
    components: Sequence[str] = ("api",),
    per_page: int = 1000,
) -> Files:
    """Every file of a built site, by key.

    ``version`` changes every page and the stylesheet's name.  Incident ``i``
    affects component ``components[i % len(components)]`` and links to its
    page; the history lists ``per_page`` incidents a page, newest first.
    """
    css, css_data = _css(version)
    ids = [f"2026-11-{i:04d}-outage" for i in range(1, incidents + 1)]
    files: Files = {css: css_data}
    files["badge.svg"] = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="90" height="20"><text>ok {version}</text></svg>\n'
    ).encode()
    files["favicon.png"] = b"\x89PNG\r\n\x1a\n" + version.encode()
    files["feed.xml"] = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>v{version}</title>'
        + "".join(f"<item><link>incidents/{i}/</link></item>" for i in ids)
        + "</channel></rss>\n"
    ).encode()
    files["atom.xml"] = (
        f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>v{version}</title></feed>\n'
    ).encode()
    files["feed.json"] = json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": f"v{version}", "items": []}
    ).encode()
    files["api/v2/summary.json"] = json.dumps({"version": version, "incidents": ids}).encode()
    files["maintenance.ics"] = (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//{version}//EN\r\nEND:VCALENDAR\r\n"
    ).encode()
    for n, incident in enumerate(ids):
        component = components[n % len(components)]
        files[f"incidents/{incident}/index.html"] = _page(
            f"Incident {incident}",
            css,
            "../../",
            ["../../", "../../history/", f"../../components/{component}/"],
            version,
        )
    files["maintenance/2026-12-01-db/index.html"] = _page(
        "Maintenance", css, "../../", ["../../", "../../maintenance.ics"], version
    )
    for component in components:
        files[f"components/{component}/index.html"] = _page(
            f"Component {component}", css, "../../", ["../../", "../../history/"], version
        )
    newest = ids[::-1]
    chunks = [newest[i : i + per_page] for i in range(0, len(newest), per_page)] or [[]]
    for number, chunk in enumerate(chunks, start=1):
        root = "../" if number == 1 else "../../"
        links = [root, *(f"{root}incidents/{i}/" for i in chunk)]
        if number > 1:
            links.append(f"{root}history/" if number == 2 else f"../{number - 1}/")
        if number < len(chunks):
            links.append(f"{number + 1}/" if number == 1 else f"../{number + 1}/")
        key = "history/index.html" if number == 1 else f"history/{number}/index.html"
        files[key] = _page(f"History {number}", css, root, links, version)
    home_links = [
        "history/",
        "feed.xml",
        "atom.xml",
        "feed.json",
        "api/v2/summary.json",
        "maintenance.ics",
        "maintenance/2026-12-01-db/",
        *(f"components/{c}/" for c in components),
        *(f"incidents/{i}/" for i in newest[:10]),
    ]
    files["index.html"] = _page("Status", css, "", home_links, version)
    files["404.html"] = _page("Not found", css, "/", [], version)
    return files


def write_site(root: Path, files: Mapping[str, bytes]) -> Path:
    """Write ``files`` into ``root`` (removing what is not listed), plus the build's own files."""
    if root.exists():
        for path in sorted(root.rglob("*"), reverse=True):
            key = path.relative_to(root).as_posix()
            if path.is_file() and key not in files:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    for key, data in files.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    # Never published: the build's record and local state.
    (root / ".inloop-build.json").write_text('{"record": true}\n')
    (root / ".inloop").mkdir(exist_ok=True)
    (root / ".inloop" / "notify-state.json").write_text("{}\n")
    return root


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def links_of(key: str, body: bytes) -> set[str]:
    """The keys a page links to (folders as their ``index.html``), same site only."""
    parser = _Links()
    parser.feed(body.decode("utf-8"))
    base = "/" + key
    targets: set[str] = set()
    for link in parser.links:
        parts = urlsplit(link)
        if parts.scheme or parts.netloc:
            continue
        path = parts.path if parts.path.startswith("/") else posixpath.dirname(base) + "/" + parts.path
        normal = posixpath.normpath(path) + ("/" if path.endswith("/") else "")
        target = normal.lstrip("/")
        if target == "" or target.endswith("/"):
            target += "index.html"
        targets.add(target)
    return targets


def broken_links(present: Mapping[str, bytes]) -> list[str]:
    """``page -> target`` for every link from a present page to an absent object."""
    return sorted(
        f"{key} -> {target}"
        for key, body in present.items()
        if key.endswith(".html")
        for target in links_of(key, body)
        if target not in present
    )


def read_all(keys: list[str], get: Callable[[str], bytes | None]) -> dict[str, bytes]:
    """The objects that exist among ``keys``, by key."""
    found = {}
    for key in keys:
        body = get(key)
        if body is not None:
            found[key] = body
    return found
