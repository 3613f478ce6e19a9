"""The small files around the pages: sitemap, robots.txt, favicon, script and ``live.json``.

Pure functions of the config and of what the planner knows; no I/O.  The
theme's script and default favicon are templates (a project can override
them like any other) served under a name that carries a hash of their bytes,
like the stylesheet, so that they can be cached for long.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape
from posixpath import splitext
from types import MappingProxyType
from urllib.parse import urlsplit

from inloop.model import SiteConfig
from inloop.times import utc_stamp
from inloop.xmlsafe import strip_forbidden

#: The theme's script and default favicon, as template names.
SCRIPT_TEMPLATE = "inloop.js"
FAVICON_TEMPLATE = "favicon.svg"
#: The file the script polls; its version changes when the site says something new.
LIVE_PATH = "live.json"
SITEMAP_PATH = "sitemap.xml"
ROBOTS_PATH = "robots.txt"

ICON_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


def hashed_name(name: str, data: bytes) -> str:
    """``inloop.js`` → ``inloop.<10 hex>.js``, the hash of ``data``."""
    stem, suffix = splitext(name)
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}{suffix}"


def is_url(favicon: str) -> bool:
    return urlsplit(favicon).scheme in ("http", "https")


@dataclass(frozen=True, slots=True)
class Favicon:
    """How pages link the icon: an address inside the site (``path``) or outside it (``url``)."""

    path: str | None
    url: str | None
    mime: str | None

    def href(self, root: str) -> str:
        return self.url if self.url is not None else root + (self.path or "")


@functools.lru_cache(maxsize=256)
def favicon_link(favicon: Favicon, root: str) -> Mapping[str, str | None]:
    """``favicon`` in the context of a page at ``root`` (``favicon.href``, ``favicon.mime``).

    The same object for every page at a root, so that ``shared()`` reuses ``_head.html``.
    """
    return MappingProxyType({"href": favicon.href(root), "mime": favicon.mime})


def favicon(config: SiteConfig, default_path: str) -> Favicon:
    """``favicon`` from inloop.toml (a file in ``static/`` or an http(s) URL), else the theme's."""
    chosen = config.favicon
    if chosen is None:
        return Favicon(default_path, None, ICON_TYPES[".svg"])
    suffix = splitext(urlsplit(chosen).path)[1].lower()
    if is_url(chosen):
        return Favicon(None, chosen, ICON_TYPES.get(suffix))
    return Favicon(chosen, None, ICON_TYPES.get(suffix))


def sitemap(config: SiteConfig, pages: Iterable[tuple[str, datetime | None]]) -> bytes:
    """``sitemap.xml``: every page's absolute URL, sorted, with the time of its latest update shown."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    urls = sorted((config.base_url + path.removesuffix("index.html"), updated) for path, updated in pages)
    for url, updated in urls:
        lastmod = f"<lastmod>{utc_stamp(updated)}</lastmod>" if updated is not None else ""
        lines.append(f"  <url><loc>{escape(strip_forbidden(url), quote=False)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots(config: SiteConfig) -> bytes:
    """``robots.txt``: everything may be crawled; the sitemap's absolute URL.

    Crawlers read robots.txt only at the root of a host: under a ``base_url``
    with a path, the file is made all the same, for a host that serves it there.
    """
    return f"User-agent: *\nDisallow:\n\nSitemap: {config.base_url}{SITEMAP_PATH}\n".encode()


def live(version_parts: object, status: str) -> bytes:
    """``live.json``: ``version`` changes exactly when the parts do; ``status`` is the overall status."""
    version = hashlib.sha256(repr(version_parts).encode()).hexdigest()[:16]
    return (json.dumps({"version": version, "status": status}, sort_keys=True) + "\n").encode()
