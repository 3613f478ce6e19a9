"""The example site in Japanese and German, in chromium: it fits a phone, reads in the language, no overflow.

Japanese needs CJK fonts (Debian's fonts-noto-cjk, installed by scripts/test);
the screenshots land in tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser

from inloop.cli.main import main

from .conftest import ARTIFACTS, new_context

REPO = Path(__file__).resolve().parents[2]
#: The home page's section heading "Components", as each catalog says it.
COMPONENTS_HEADING = {"ja": "コンポーネント", "de": "Komponenten"}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["ja", "de"])
def language_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    language = str(request.param)
    source = tmp_path_factory.mktemp(f"example-{language}")
    shutil.copytree(REPO / "content", source / "content")
    config = (REPO / "inloop.toml").read_text().replace('language = "en"', f'language = "{language}"')
    assert f'language = "{language}"' in config
    (source / "inloop.toml").write_text(config)
    output = source / "site"
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--now", "2026-11-26 12:00 UTC"])
    assert result.exit_code == 0, result.output
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(output))
    )
    server.RequestHandlerClass.log_message = lambda *args: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield language, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_home_page_in_the_language_fits_and_reads(
    browser: Browser, language_site: tuple[str, str], width: int, scheme: str
) -> None:
    language, url = language_site
    context = new_context(browser, locale=language)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 800})
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        page.goto(url, wait_until="load")
        assert page.evaluate("document.documentElement.lang") == language
        heading = page.locator("#components-heading")
        assert heading.inner_text().strip() == COMPONENTS_HEADING[language]
        assert heading.is_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"home-{language}-{scheme}-{width}.png", full_page=True)
    finally:
        context.close()
