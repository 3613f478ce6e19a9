"""Which objects a page links to, so that they can go up before it.

Only links inside the site count: relative ones (``../style.css``,
``incidents/x/``) and root-relative ones (``/feed.xml``), with a folder meaning
its ``index.html``.  Absolute URLs, fragments, ``mailto:`` and the like are
left out, as are links that climb above the site's root.
"""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

_ATTRIBUTES = frozenset({"href", "src", "poster", "data"})


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in _ATTRIBUTES:
                self.found.append(value)
            elif name == "srcset":
                self.found += [part.split()[0] for part in value.split(",") if part.split()]


def is_page(key: str) -> bool:
    return key.lower().endswith((".html", ".htm"))


def page_links(key: str, body: bytes) -> set[str]:
    """The keys that the page ``key`` links to."""
    collector = _Collector()
    collector.feed(body.decode("utf-8", errors="replace"))
    collector.close()
    folder = posixpath.dirname(key)
    targets: set[str] = set()
    for link in collector.found:
        target = resolve(folder, link.strip())
        if target is not None and target != key:
            targets.add(target)
    return targets


def resolve(folder: str, link: str) -> str | None:
    """The key a link from a page in ``folder`` points to, or ``None``."""
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not parts.path:
        return None
    path = unquote(parts.path)
    joined = path if path.startswith("/") else posixpath.join("/", folder, path)
    normal = posixpath.normpath(joined)
    if normal.startswith("//"):
        normal = normal[1:]
    if path.endswith("/") or normal == "/":
        normal = normal.rstrip("/") + "/index.html"
    key = normal.lstrip("/")
    if not key or key.startswith("../"):
        return None
    return key
