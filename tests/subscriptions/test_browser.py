"""In chromium, on both databases: a visitor subscribes from the built site, confirms from the mail,
manages the subscription and unsubscribes with one click; then nothing more would be mailed."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from typing import Any

import browser_support
import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from click.testing import CliRunner
from playwright.sync_api import Page
from subs_fixtures import Running, link

from inloop.cli.main import main
from inloop.subscriptions import store

pytestmark = pytest.mark.browser


@pytest.fixture
def static_site(running_any: Running) -> Iterator[str]:
    """The site built with the running service's [subscriptions] url, on a plain static server."""
    browser_support.require_chromium()
    source = running_any.site
    (source / "content" / "incidents").mkdir(parents=True, exist_ok=True)
    output = source / "site"
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--now", "2026-11-26 12:00 UTC"])
    assert result.exit_code == 0, result.stderr
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(output)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def violations(page: Page) -> list[str]:
    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in found]


def test_subscribe_confirm_manage_unsubscribe_in_chromium(page: Page, static_site: str, running_any: Running) -> None:
    running = running_any
    page.goto(static_site, wait_until="load")
    page.get_by_role("link", name="Subscribe to updates").click()
    page.wait_for_url(static_site + "subscribe/")
    assert violations(page) == []
    page.get_by_label("Email address").fill("o'neil&co+status@example.com")
    page.get_by_label("Public: Website").uncheck()
    page.get_by_label("Language of the emails").select_option("fr")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(running.url + "subscribe")
    assert page.get_by_role("heading", level=1).inner_text() == "Consultez votre boîte de réception"
    assert "o'neil&co+status@example.com" in page.locator("main").inner_text()  # shown as typed

    [mail] = running.mailbox.messages
    assert running.mailbox.recipients == [["o'neil&co+status@example.com"]]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page.goto(link(mail, "confirm"))
    assert page.get_by_role("heading", level=1).inner_text() == "Vous êtes abonné"
    with running.service.database.connect() as connection:
        [subscriber] = store.every(connection, confirmed_only=True)
    assert subscriber.components == ("api",) and subscriber.language == "fr"

    page.goto(link(mail, "manage"))
    assert page.get_by_label("API").is_checked() and not page.get_by_label("Public: Website").is_checked()
    assert violations(page) == []
    page.get_by_label("Public: Website").check()
    page.get_by_role("button", name="Enregistrer mes choix").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Vos choix sont enregistrés"
    with running.service.database.connect() as connection:
        [subscriber] = store.every(connection, confirmed_only=True)
    assert subscriber.components == ()  # every component: future ones too

    # one click, as a mail client does it: a POST to the List-Unsubscribe URL, no question asked
    answer = page.request.post(
        mail["List-Unsubscribe"].strip("<>"),
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 200
    with running.service.database.connect() as connection:
        assert store.every(connection, confirmed_only=True) == []  # nobody left for notify to mail
    page.goto(link(mail, "manage"))
    assert page.locator("h1").inner_text() == "This link no longer works"  # the row, and its language, are gone
    # signing up again within a day mails nothing, and the page says what it always says
    page.goto(static_site + "subscribe/")
    page.get_by_label("Email address").fill("o'neil&co+status@example.com")
    page.get_by_role("button", name="Subscribe").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your inbox"
    assert len(running.mailbox.messages) == 1


def test_the_form_works_without_javascript(browser: Any, static_site: str, running_any: Running) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(static_site + "subscribe/")
        page.get_by_label("Email address").fill("nojs@example.com")
        page.get_by_role("button", name="Subscribe").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Check your inbox"
        page.goto(link(running_any.mailbox.messages[0], "confirm"))
        assert page.get_by_role("heading", level=1).inner_text() == "You are subscribed"
    finally:
        context.close()
