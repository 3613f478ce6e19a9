"""A resolved incident page in chromium, at a moment when its last estimate is still ahead.

The page's script writes "in 25 minutes" next to a time to come: on a
resolved page no estimate may get such a line.  The page also passes axe in
both colour schemes (its facts differ from an open incident's), and reads in
the past tense with the script on.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from click.testing import CliRunner
from playwright.sync_api import Browser

from inloop.cli.main import main

from .conftest import SCHEMES
from .test_accessibility import OPTIONS, describe

pytestmark = pytest.mark.browser

CONFIG = """\
title = "Past Status"
base_url = "https://status.past.example/"
timezone = "Europe/Berlin"

[[components]]
id = "api"
name = "Public API"
"""

#: Resolved at 16:31 CET after estimates of 15:30, 16:30 and 17:00 CET: the issue's page.
INCIDENT = """\
---
title: Checkout failing
impact: major
components:
  api: partial_outage
cause: An expired certificate on our payment gateway.
previous_estimates:
  - 2026-11-25 15:30
  - 2026-11-25 16:30
estimate: 2026-11-25 17:00
next_update: 2026-11-25 16:45
---
## 2026-11-25 15:02 — Investigating
Payments fail.

## 2026-11-25 16:31 — Resolved
Payments work again.
"""

#: 16:35 CET: the last estimate, 17:00, is 25 minutes ahead.
NOW = datetime(2026, 11, 25, 15, 35, tzinfo=UTC)


@pytest.fixture(scope="module")
def resolved_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    source = tmp_path_factory.mktemp("resolved")
    (source / "content" / "incidents").mkdir(parents=True)
    (source / "inloop.toml").write_text(CONFIG, encoding="utf-8")
    (source / "content" / "incidents" / "checkout.md").write_text(INCIDENT, encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--now", "2026-11-25 15:35 UTC"])
    assert result.exit_code == 0, result.output
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(source / "site"))
    )
    server.RequestHandlerClass.log_message = lambda *args: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/incidents/checkout/"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_resolved_page_reads_in_the_past_and_passes_axe(
    browser: Browser, resolved_url: str, scheme: str, timezone: str
) -> None:
    context = browser.new_context(locale="en-US", timezone_id=timezone)
    context.clock.set_fixed_time(NOW)
    try:
        page = context.new_page()
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        page.goto(resolved_url, wait_until="load")
        page.wait_for_selector("html[data-local-times]", state="attached")
        text = " ".join(page.locator("main").inner_text().split())
        assert "restored 61 minutes after the first estimate of 15:30 CET" in text
        assert "What went wrong" in text and "What is wrong" not in text
        for future in (" in 25 minutes", "in 25 min", " in 1 hour", "17:00 CET ·"):
            assert future not in text
        lines = [" ".join(slot.split()) for slot in page.locator(".local").all_inner_texts()]
        assert lines and all(line for line in lines)  # the script did fill them
        assert all(" ago" in line or line.endswith("now") for line in lines), lines
        response = Axe().run(page, options=OPTIONS).response
        assert response["violations"] == [], describe(response["violations"])
        unsure = [rule for rule in response["incomplete"] if rule["id"] == "color-contrast"]
        assert unsure == [], describe(unsure)
    finally:
        context.close()
