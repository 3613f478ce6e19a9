"""The example site in Debian's chromium: one browser, a few long-lived pages, a plain local server.

The example is built once per session (the ``example_site`` fixture of
``tests/conftest.py``) and served by a threaded ``http.server`` on 127.0.0.1,
which answers a missing path with ``404.html`` the way a static host does.
``inloop serve`` is not used: it injects its live-reload script.

The browser's clock is fixed at the build time, so that relative times read
as they would at that moment ("26 minutes ago") and screenshots do not drift.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import browser_support
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

#: The build time of the example site, as the browser's clock.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

#: Where screenshots go (ignored by git).
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

#: One page of each kind, as a path under the site's root.
KINDS = {
    "home": "",
    "incident": "incidents/2026-11-26-search-failures/",
    "history-1": "history/",
    "history-2": "history/page/2/",
    "component": "components/search/",
    "maintenance": "maintenance/2026-11-26-sms-sending-move/",
    "uptime": "uptime/",
    "uptime-component": "uptime/search/",
    "404": "no/such/page/",
}
SCHEMES = ("light", "dark")
WIDTHS = (375, 1280)


@dataclass
class Served:
    """The local server: its root URL, what it was asked for, and answers a test may swap in."""

    url: str
    requested: list[str] = field(default_factory=list)
    overrides: dict[str, bytes] = field(default_factory=dict)


class _Handler(http.server.SimpleHTTPRequestHandler):
    served: Served

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.served.requested.append(path)
        override = self.served.overrides.get(path)
        if override is not None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(override)))
            self.end_headers()
            self.wfile.write(override)
            return
        super().do_GET()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A missing file gets the site's own 404 page, as on a static host."""
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def served(example_site: Path) -> Iterator[Served]:
    """The built example on a free port of 127.0.0.1."""
    handler: type[_Handler] = type("Handler", (_Handler,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(example_site)))
    server.daemon_threads = True
    found = Served(f"http://127.0.0.1:{server.server_address[1]}/")
    handler.served = found
    thread = threading.Thread(target=server.serve_forever, name="example-site-server", daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches Debian's chromium (see tests/browser_support.py)."""
    return browser_support.launch_args(browser_type_launch_args)


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    """A context in US English whose clock stands at the build time."""
    context = browser.new_context(**{"locale": "en-US", "timezone_id": "UTC", **options})
    context.clock.set_fixed_time(NOW)
    return context


@pytest.fixture(scope="session")
def contexts(browser: Browser) -> Iterator[Callable[..., Page]]:
    """``contexts(name, **options)`` → a page in its own context, made once and reused by every test."""
    made: dict[str, tuple[BrowserContext, Page]] = {}

    def get(name: str, **options: Any) -> Page:
        if name not in made:
            context = new_context(browser, **options)
            made[name] = (context, context.new_page())
        return made[name][1]

    yield get
    for context, _ in made.values():
        context.close()


@pytest.fixture
def visit(served: Served) -> Callable[..., Page]:
    """``visit(page, kind, scheme=..., width=...)``: open a page kind in a colour scheme and width."""

    def go(page: Page, kind: str, *, scheme: str = "light", width: int = 1280) -> Page:
        page.set_viewport_size({"width": width, "height": 800})
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        response = page.goto(served.url + KINDS[kind], wait_until="load")
        assert response is not None
        assert response.status == (404 if kind == "404" else 200), kind
        return page

    return go


@pytest.fixture
def js_page(contexts: Callable[..., Page]) -> Page:
    return contexts("js")


@pytest.fixture
def no_js_page(contexts: Callable[..., Page]) -> Page:
    return contexts("no-js", java_script_enabled=False)
