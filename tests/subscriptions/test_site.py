"""The built site: a Subscribe button on every page, and subscribe/ with the form (when the service is set)
and every feed, calendar and chat option; the form and the service's pages are valid HTML."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from subs_fixtures import Running, link

REPO = Path(__file__).resolve().parents[2]
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

INCIDENT = """---
title: Slow API
impact: minor
components: [api]
---
## 2026-11-20 10:00 UTC — Resolved
Fixed <b>it</b>.
"""


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


def make_site(folder: Path, subscriptions: str) -> Path:
    (folder / "content" / "incidents").mkdir(parents=True)
    (folder / "content" / "incidents" / "2026-11-20-slow-api.md").write_text(INCIDENT, "utf-8")
    (folder / "inloop.toml").write_text(
        'title = "Acme <Status>"\nbase_url = "https://status.acme.example/"\n\n'
        '[[components]]\nid = "api"\nname = "API"\n\n'
        '[[components]]\nid = "web"\nname = "Web & <app>"\ngroup = "Public"\n\n' + subscriptions,
        "utf-8",
    )
    return folder


def test_every_page_has_the_button_and_subscribe_page_has_the_form(tmp_path: Path, build: Callable[..., Path]) -> None:
    site = build(make_site(tmp_path / "src", '[subscriptions]\nurl = "https://subscribe.acme.example/s"\n'))
    embed = site / "embed" / "index.html"  # sits in other sites' frames: no header, so no button
    assert soup(embed).select_one("header") is None
    pages = [path for path in sorted(site.rglob("*.html")) if path != embed]
    assert len(pages) > 5
    for path in pages:
        button = soup(path).select_one("header a.subscribe-button")
        assert button is not None and button.get_text() == "Subscribe to updates", path
        target = (path.parent / str(button["href"])).resolve() if path.name != "404.html" else None
        if target is not None:
            assert target == (site / "subscribe").resolve(), path
    page = soup(site / "subscribe" / "index.html")
    form = page.select_one("form.signup")
    assert form is not None
    assert form["method"] == "post" and form["action"] == "https://subscribe.acme.example/s/subscribe"
    boxes = form.select("input[name=components]")
    assert [(b["value"], b.has_attr("checked")) for b in boxes] == [("api", True), ("web", True)]
    assert form.select_one("input[type=email][name=email][required]") is not None
    options = [o["value"] for o in form.select("select[name=language] option")]
    assert options[0] == "en" and set(options) >= {"de", "fr", "es", "ja"}
    assert form.select_one("input[name=website]") is not None  # the honeypot
    assert "Web &amp; &lt;app&gt;" in (site / "subscribe" / "index.html").read_text("utf-8")
    hrefs = [a["href"] for a in page.select("main a")]
    for expected in (
        "../feed.xml",
        "../atom.xml",
        "../feed.json",
        "../maintenance/feed.xml",
        "../components/api/feed.xml",
        "../components/web/feed.json",
        "../maintenance.ics",
    ):
        assert expected in hrefs, expected
    assert any(str(h).startswith("webcal://") for h in hrefs)
    headings = [h.get_text() for h in page.select("main h3, main h4")]
    assert headings.index("API") < headings.index("Public") < headings.index("Web & <app>")
    assert "/feed subscribe https://status.acme.example/feed.xml" in page.get_text()


def test_without_a_service_the_page_has_the_feeds_alone(tmp_path: Path, build: Callable[..., Path]) -> None:
    site = build(make_site(tmp_path / "src", ""))
    page = soup(site / "subscribe" / "index.html")
    assert page.select_one("form") is None
    assert page.select_one('a[href="../feed.xml"]') is not None
    assert soup(site / "index.html").select_one('header a.subscribe-button[href="subscribe/"]') is not None


def test_the_page_is_translated(tmp_path: Path, build: Callable[..., Path]) -> None:
    source = make_site(tmp_path / "src", '[subscriptions]\nurl = "https://s.acme.example/"\n')
    text = (source / "inloop.toml").read_text("utf-8")
    (source / "inloop.toml").write_text('language = "de"\n' + text, "utf-8")
    site = build(source)
    page = soup(site / "subscribe" / "index.html")
    assert page.select_one("h1").get_text() == "Updates abonnieren"  # type: ignore[union-attr]
    assert page.select_one("label[for=signup-email]").get_text() == "E-Mail-Adresse"  # type: ignore[union-attr]
    assert page.select_one("select option[selected]")["value"] == "de"  # type: ignore[index]


def test_the_form_and_the_service_pages_are_valid_html(
    tmp_path: Path, build: Callable[..., Path], running: Running
) -> None:
    java = shutil.which("java")
    if java is None or not VNU.is_file():
        pytest.skip(f"the Nu HTML Checker needs java and {VNU}: run npm ci")
    site = build(make_site(tmp_path / "src", '[subscriptions]\nurl = "https://s.acme.example/"\n'))
    files = [site / "subscribe" / "index.html"]
    running.sign_up("valid@example.com")
    mail = running.mailbox.messages[0]
    answers = {
        "form": running.get(""),
        "bad": running.sign_up("not an address <x>"),
        "confirm": running.get(link(mail, "confirm")),
        "manage": running.get(link(mail, "manage")),
        "unsubscribe": running.get(mail["List-Unsubscribe"].strip("<>")),
        "404": running.get("nope"),
    }
    for name, answer in answers.items():
        path = tmp_path / f"service-{name}.html"
        path.write_text(answer.body, "utf-8")
        files.append(path)
    done = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", *map(str, files)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr + done.stdout
