"""The status embed in another site's page: ``<script src=".../embed.js" async>`` across origins.

Two real HTTP servers on 127.0.0.1: the status site on one port, the host
page on another (so another origin), each test with a site of its own built
by the CLI and a fresh browser context (its own sessionStorage).  The browser
runs on the real clock: the built site's "now" is the test's.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from inloop.build.builder import Builder

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
#: The banner must be there this long after the host page started loading.
WITHIN_MS = 5000
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations", "incomplete"]}
#: A title that would be markup if the script used innerHTML.
TITLE = 'Search <b>failing</b> & "slow" <img src=x onerror=alert(1)>'

CONFIG = """\
title = "Acme Status"
base_url = "https://status.acme.example/"
timezone = "Europe/Berlin"

[[components]]
id = "api"
name = "API"

[[components]]
id = "search"
name = "Search"
"""


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") + " UTC"


def incident(title: str, start: datetime, *, impact: str = "major", resolved: bool = False) -> str:
    lines = [
        "---",
        f"title: '{title}'",
        f"impact: {impact}",
        "components:",
        "  search: major_outage" if impact != "minor" else "  api: degraded_performance",
        "---",
        f"## {stamp(start)} — Investigating",
        "We are looking into it.",
        "",
    ]
    if resolved:
        lines += [f"## {stamp(start + timedelta(minutes=30))} — Resolved", "Fixed.", ""]
    return "\n".join(lines)


class Server:
    """A plain static server on 127.0.0.1 that can stop and start again on the same port."""

    def __init__(self, folder: Path, headers: dict[str, dict[str, str]] | None = None) -> None:
        self.folder = folder
        self.headers = headers or {}  # extra response headers, by request path
        self.port = 0
        self.httpd: http.server.ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> Server:
        extra = self.headers

        class Handler(http.server.SimpleHTTPRequestHandler):
            def end_headers(self) -> None:
                for name, value in extra.get(self.path.split("?", 1)[0], {}).items():
                    self.send_header(name, value)
                super().end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), partial(Handler, directory=str(self.folder)))
        httpd.daemon_threads = True
        self.port = httpd.server_address[1]
        self.httpd = httpd
        self.thread = threading.Thread(target=httpd.serve_forever, name=f"embed-server-{self.port}", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.httpd is not None and self.thread is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(5)
            self.httpd = None


class StatusSite:
    """A status project, its built output, and the server of that output."""

    def __init__(self, root: Path) -> None:
        self.source = root / "status"
        self.output = root / "status-site"
        (self.source / "content" / "incidents").mkdir(parents=True)
        (self.source / "content" / "maintenance").mkdir(parents=True)
        (self.source / "inloop.toml").write_text(CONFIG, encoding="utf-8")
        self.builder = Builder(self.source, self.output, shown_source="status")  # the watcher's builder
        self.server = Server(self.output)

    def write(self, name: str, text: str) -> None:
        (self.source / "content" / "incidents" / f"{name}.md").write_text(text, encoding="utf-8")

    def build(self) -> None:
        self.builder.build(datetime.now(UTC).replace(microsecond=0))

    @property
    def url(self) -> str:
        return self.server.url


def host_page(status_url: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Acme app</title></head>
<body>
<main><h1>Acme app</h1><p>The product itself.</p></main>
<script src="{status_url}embed.js" async></script>
</body>
</html>
"""


#: The strict policy of the issue: only the status site's origin may give scripts and frames.
def strict_policy(status_url: str) -> str:
    origin = status_url.rstrip("/")
    return f"default-src 'none'; script-src {origin}; frame-src {origin}; style-src 'self'"


class Host:
    """The host app on its own server (another port, so another origin)."""

    def __init__(self, root: Path, status_url: str) -> None:
        self.folder = root / "host"
        self.folder.mkdir()
        (self.folder / "index.html").write_text(host_page(status_url), encoding="utf-8")
        (self.folder / "favicon.ico").write_bytes(b"")  # so that the browser's own request finds something
        (self.folder / "strict.html").write_text(host_page(status_url), encoding="utf-8")
        (self.folder / "plain.html").write_text(host_page(status_url).replace("<script", "<!-- "), encoding="utf-8")
        policy = {"Content-Security-Policy": strict_policy(status_url)}
        self.server = Server(self.folder, {"/strict.html": policy}).start()

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def status(tmp_path: Path) -> Iterator[StatusSite]:
    site = StatusSite(tmp_path)
    site.write("search-down", incident(TITLE, datetime.now(UTC) - timedelta(hours=1)))
    site.build()
    site.server.start()
    yield site
    site.server.stop()


@pytest.fixture
def host(tmp_path: Path, status: StatusSite) -> Iterator[Host]:
    made = Host(tmp_path, status.url)
    yield made
    made.server.stop()


class Watched:
    """A page whose console errors, page errors and CSP violations are kept."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"console {message.type}: {message.text} ({message.location.get('url')})")

    def open(self, url: str) -> Page:
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, url
        return self.page


@pytest.fixture
def browse(browser: Browser) -> Iterator[Callable[..., Watched]]:
    """``browse(color_scheme=...)`` → a watched page in a fresh context."""
    made: list[BrowserContext] = []

    def new(**options: Any) -> Watched:
        context = browser.new_context(locale="en-US", **options)
        made.append(context)
        return Watched(context)

    yield new
    for context in made:
        context.close()


#: Remembers the elements added to the body (the test's own global, not the script's).
RECORD_ADDED = """window.__added = [];
new MutationObserver(records => { for (const r of records) for (const n of r.addedNodes)
  if (n.nodeType === 1 && r.target === document.body) window.__added.push(n.nodeName); })
  .observe(document, {childList: true, subtree: true});"""
#: Remembers every CSP violation the page reports.
RECORD_VIOLATIONS = """window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"""


def banner(page: Page) -> Any:
    return page.get_by_role("region", name="Acme Status")


def wait_until_settled(page: Page) -> None:
    """The script has finished: it removed its element, or shows the banner."""
    page.wait_for_function(
        "() => { const h = document.querySelector('inloop-status');"
        " return !h || !!(h.shadowRoot && h.shadowRoot.querySelector('[role=region]')); }",
        timeout=WITHIN_MS,
    )


def test_an_open_incident_shows_a_banner_within_five_seconds(
    browse: Callable[..., Watched], host: Host, status: StatusSite
) -> None:
    watched = browse()
    started = datetime.now(UTC)
    page = watched.open(host.url)
    region = banner(page)
    expect(region).to_be_visible(timeout=WITHIN_MS)
    assert (datetime.now(UTC) - started).total_seconds() < WITHIN_MS / 1000
    expect(region.get_by_role("status")).to_contain_text("Major outage")
    link = region.get_by_role("link")
    expect(link).to_have_text(TITLE)  # the title as text, never as markup
    expect(link).to_have_attribute("href", f"{status.url}incidents/search-down/")
    assert page.evaluate("document.querySelector('inloop-status').shadowRoot.querySelectorAll('b, img').length") == 0
    expect(region.get_by_role("button", name="Dismiss")).to_be_visible()
    expect(region).to_have_attribute("lang", "en")
    assert watched.errors == []


def test_the_banner_leaves_once_the_incident_is_resolved_and_the_site_rebuilt(
    browse: Callable[..., Watched], host: Host, status: StatusSite
) -> None:
    watched = browse()
    page = watched.open(host.url)
    expect(banner(page)).to_be_visible(timeout=WITHIN_MS)
    status.write("search-down", incident(TITLE, datetime.now(UTC) - timedelta(hours=1), resolved=True))
    status.build()  # the watcher's builder, building incrementally
    page.reload(wait_until="load")
    wait_until_settled(page)
    assert page.locator("inloop-status").count() == 0, "an element is left in the host page"
    assert watched.errors == []


def test_maintenance_in_progress_shows_a_banner_too(
    browse: Callable[..., Watched], host: Host, status: StatusSite
) -> None:
    status.write("search-down", incident(TITLE, datetime.now(UTC) - timedelta(hours=3), resolved=True))
    now = datetime.now(UTC)
    (status.source / "content" / "maintenance" / "db-move.md").write_text(
        f"---\ntitle: Moving the database\ncomponents: [api]\nstart: {stamp(now - timedelta(hours=1))}\n"
        f"end: {stamp(now + timedelta(hours=2))}\n---\n",
        encoding="utf-8",
    )
    status.build()
    page = browse().open(host.url)
    region = banner(page)
    expect(region).to_be_visible(timeout=WITHIN_MS)
    expect(region.get_by_role("status")).to_contain_text("Under maintenance")
    expect(region.get_by_role("link")).to_have_text("Moving the database")


def test_dismissed_stays_dismissed_for_that_incident(
    browse: Callable[..., Watched], host: Host, status: StatusSite
) -> None:
    watched = browse()
    page = watched.open(host.url)
    region = banner(page)
    expect(region).to_be_visible(timeout=WITHIN_MS)
    region.get_by_role("button", name="Dismiss").click()
    expect(page.locator("inloop-status")).to_have_count(0)
    page.reload(wait_until="load")
    wait_until_settled(page)
    expect(page.locator("inloop-status")).to_have_count(0)
    # A new incident, more severe: shown again, although the first one was dismissed.
    status.write(
        "all-down", incident("Everything is down", datetime.now(UTC) - timedelta(minutes=5), impact="critical")
    )
    status.build()
    page.reload(wait_until="load")
    expect(banner(page).get_by_role("link")).to_have_text("Everything is down", timeout=WITHIN_MS)
    # Another session (a new tab's sessionStorage) shows it again.
    other = browse().open(host.url)
    expect(banner(other)).to_be_visible(timeout=WITHIN_MS)
    assert watched.errors == []


def test_nothing_is_shown_when_all_is_well(browse: Callable[..., Watched], host: Host, status: StatusSite) -> None:
    status.write("search-down", incident(TITLE, datetime.now(UTC) - timedelta(hours=3), resolved=True))
    status.build()
    watched = browse()
    page = watched.open(host.url)
    wait_until_settled(page)
    assert page.locator("inloop-status").count() == 0
    assert page.evaluate("document.querySelectorAll('iframe').length") == 0
    assert watched.errors == []


def test_nothing_and_no_error_when_the_status_site_goes_down(
    browse: Callable[..., Watched], host: Host, status: StatusSite
) -> None:
    """The script comes from the browser's cache (as a CDN or ``max-age`` gives it); the site is unreachable.

    Only the script: the ``embed/`` page a fresh build just wrote could
    otherwise come from the cache too (a Last-Modified a second old is fresh
    for a tenth of a second), and then its own stylesheet would fail to load.
    """
    status.server.headers["/embed.js"] = {"Cache-Control": "max-age=600"}
    status.server.headers["/embed/"] = status.server.headers["/embed/index.html"] = {"Cache-Control": "no-store"}
    watched = browse()
    watched.context.add_init_script(RECORD_ADDED)
    page = watched.open(host.url)
    expect(banner(page)).to_be_visible(timeout=WITHIN_MS)
    # The site goes down after the first visit, not during it: the frame's own files may still be on their way.
    page.wait_for_load_state("networkidle")
    status.server.stop()
    page.goto(host.url + "?again", wait_until="load")
    page.wait_for_function("() => !document.querySelector('inloop-status')", timeout=10000)
    assert page.evaluate("window.__added")[-1] == "INLOOP-STATUS", "the cached script did not run"
    assert watched.errors == []


def test_nothing_shown_when_the_status_site_is_down(
    browse: Callable[..., Watched], host: Host, status: StatusSite
) -> None:
    """Not even the script loads: the browser's own line about that request is the only one."""
    status.server.stop()
    watched = browse()
    page = watched.open(host.url)
    page.wait_for_timeout(WITHIN_MS)
    assert page.locator("inloop-status").count() == 0
    assert page.evaluate("document.body.innerText.trim()") == "Acme app\n\nThe product itself."
    assert watched.errors == [
        f"console error: Failed to load resource: net::ERR_CONNECTION_REFUSED ({status.url}embed.js)"
    ]


def test_works_under_a_strict_content_security_policy(browse: Callable[..., Watched], host: Host) -> None:
    watched = browse()
    watched.context.add_init_script(RECORD_VIOLATIONS)
    page = watched.open(host.url + "strict.html")
    region = banner(page)
    expect(region).to_be_visible(timeout=WITHIN_MS)
    # Styled: the stylesheet applied although the policy allows no inline style.
    assert region.evaluate("e => getComputedStyle(e).display") == "flex"
    assert region.evaluate("e => getComputedStyle(e.getRootNode().host).position") == "fixed"
    page.wait_for_timeout(300)
    assert page.evaluate("window.__violations") == []
    assert watched.errors == []


def test_no_global_is_added(browse: Callable[..., Watched], host: Host) -> None:
    without = browse().open(host.url + "plain.html")
    before = set(without.evaluate("Object.getOwnPropertyNames(window)"))
    page = browse().open(host.url)
    expect(banner(page)).to_be_visible(timeout=WITHIN_MS)
    after = set(page.evaluate("Object.getOwnPropertyNames(window)"))
    assert after - before == set()


COLOURS = {  # the banner's background and text, as embed.js sets them
    "light": ("rgb(255, 255, 255)", "rgb(27, 31, 36)"),
    "dark": ("rgb(28, 32, 37)", "rgb(232, 234, 237)"),
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_follows_the_host_pages_colour_scheme_and_axe_finds_nothing(
    browse: Callable[..., Watched], host: Host, scheme: str
) -> None:
    page = browse(color_scheme=scheme).open(host.url)
    region = banner(page)
    expect(region).to_be_visible(timeout=WITHIN_MS)
    colours = region.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]")
    assert tuple(colours) == COLOURS[scheme]
    response = Axe().run(page, options=AXE_OPTIONS).response
    assert response["violations"] == [], response["violations"]
    unsure = [rule for rule in response["incomplete"] if rule["id"] == "color-contrast"]
    assert unsure == [], unsure


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_embed_page_reads_on_its_own(browse: Callable[..., Watched], status: StatusSite, scheme: str) -> None:
    watched = browse(color_scheme=scheme, java_script_enabled=scheme == "light")
    page = watched.open(status.url + "embed/")
    expect(page.get_by_role("heading", level=1, name="Major outage")).to_be_visible()
    link = page.get_by_role("link", name=TITLE)
    expect(link).to_have_attribute("href", "../incidents/search-down/")
    if scheme == "light":  # axe needs JavaScript
        response = Axe().run(page, options=AXE_OPTIONS).response
        assert response["violations"] == [], response["violations"]
    assert watched.errors == []


def test_the_embed_page_is_valid_html(status: StatusSite) -> None:
    java = shutil.which("java")
    if java is None or not VNU.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the Nu HTML Checker needs java and {VNU} (npm ci)")
        pytest.skip(f"the Nu HTML Checker needs java and {VNU}: run npm ci; set CI=1 to fail")
    page = status.output / "embed" / "index.html"
    done = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", str(page)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0 and not (done.stderr + done.stdout).strip(), done.stderr + done.stdout


DOCS_HOST = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="color-scheme" content="light dark"><title>Acme app</title></head>
<body style="font-family: system-ui, sans-serif; margin: 2rem">
<h1>Acme dashboard</h1><p>Your projects, builds and invoices.</p>
<script src="{status}embed.js" async></script>
</body>
</html>
"""


@pytest.mark.skipif(
    not os.environ.get("INLOOP_EMBED_SCREENSHOTS"), reason="set INLOOP_EMBED_SCREENSHOTS=docs/screenshots"
)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_for_the_docs(browse: Callable[..., Watched], host: Host, status: StatusSite, scheme: str) -> None:
    """``INLOOP_EMBED_SCREENSHOTS=docs/screenshots``: embed-light.png and embed-dark.png."""
    status.write("search-down", incident("Search is failing for some customers", datetime.now(UTC)))
    status.build()
    (host.folder / "docs.html").write_text(DOCS_HOST.format(status=status.url), encoding="utf-8")
    page = browse(color_scheme=scheme, viewport={"width": 720, "height": 280}).open(host.url + "docs.html")
    expect(banner(page)).to_be_visible(timeout=WITHIN_MS)
    folder = Path(os.environ["INLOOP_EMBED_SCREENSHOTS"])
    page.screenshot(path=str(folder / f"embed-{scheme}.png"))
