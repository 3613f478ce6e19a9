"""feed.xml: RSS 2.0, one item per update, read by feedparser and checked field by field."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import feedparser
import pytest
from bs4 import BeautifulSoup

from inloop.read.content import parse_incident, parse_maintenance

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-11-26 12:00 UTC"
NOW_DT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
BASE = "https://status.acme.example/"
ATOM = "{http://www.w3.org/2005/Atom}"
RFC822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} (GMT|[+-]\d{4})"
)


def read_feed(site: Path) -> Any:
    parsed = feedparser.parse((site / "feed.xml").read_bytes())
    assert parsed.bozo is False, getattr(parsed, "bozo_exception", None)
    assert parsed.version == "rss20"
    return parsed


def raw_items(site: Path) -> list[ET.Element]:
    root = ET.fromstring((site / "feed.xml").read_bytes())
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    return channel.findall("item")


def example_updates() -> dict[str, datetime]:
    """Every update of the example's content: its feed link and its time."""
    zone = ZoneInfo("Europe/Berlin")
    found: dict[str, datetime] = {}
    for kind, parse in (("incidents", parse_incident), ("maintenance", parse_maintenance)):
        for path in sorted((REPO / "content" / kind).glob("*.md")):
            item, problems = parse(path.read_bytes(), path.stem, path.name, zone, None)
            assert item is not None, problems
            for update in item.updates:
                found[f"{BASE}{kind}/{item.id}/#{update.anchor}"] = update.time
    return found


def test_feedparser_reads_the_feed(example_site: Path) -> None:
    feed = read_feed(example_site)
    assert feed.feed.title == "Acme Status"
    assert feed.feed.link == BASE
    assert feed.feed.subtitle == "Live status of Acme's services"
    assert feed.feed.language == "en"
    self_links = [link for link in feed.feed.links if link.rel == "self"]
    assert self_links == [{"rel": "self", "href": BASE + "feed.xml", "type": "application/rss+xml"}]


def test_atom_self_link_in_the_xml(example_site: Path) -> None:
    root = ET.fromstring((example_site / "feed.xml").read_bytes())
    links = root.findall(f"channel/{ATOM}link")
    assert [(link.get("rel"), link.get("href")) for link in links] == [("self", BASE + "feed.xml")]


def test_one_item_per_update_newest_first_at_most_feed_items(example_site: Path) -> None:
    feed = read_feed(example_site)
    entries = feed.entries
    assert len(entries) == 50  # feed_items = 50, and the example has more updates than that
    times = [parsedate_to_datetime(e.published) for e in entries]
    assert times == sorted(times, reverse=True)
    assert all(t <= NOW_DT for t in times)
    updates = example_updates()
    update_links = [e.link for e in entries if "#update-" in e.link]
    assert len(update_links) == len(set(update_links)), "one item per update, not more"
    assert set(update_links) <= set(updates)
    # nothing newer than the oldest item is missing: the feed is exactly the latest updates
    oldest = min(times)
    assert set(update_links) == {link for link, when in updates.items() if when >= oldest}
    # more than one update of the same incident: items are per update, not per incident
    incidents = [urlsplit(link).path for link in update_links]
    assert len(set(incidents)) < len(incidents)


def test_item_fields(example_site: Path) -> None:
    feed = read_feed(example_site)
    updates = example_updates()
    for entry in feed.entries:
        assert entry.title
        assert entry.link.startswith(BASE)
        assert entry.id == entry.link
        assert entry.published_parsed is not None
        assert RFC822.fullmatch(entry.published), entry.published
        if "#update-" in entry.link:
            assert parsedate_to_datetime(entry.published) == updates[entry.link]
            assert re.fullmatch(
                r"\[(Investigating|Identified|Monitoring|Resolved|Scheduled|In progress|Verifying|Completed)\] .+",
                entry.title,
            )
    ids = [e.id for e in feed.entries]
    assert len(ids) == len(set(ids))


def test_titles_say_the_status(example_site: Path) -> None:
    titles = {e.link: e.title for e in read_feed(example_site).entries}
    incident = BASE + "incidents/2026-11-20-email-delays-some-recipients/"
    assert titles[incident + "#update-20261120T165500Z"] == "[Resolved] Emails to some recipients delayed"
    assert titles[incident + "#update-20261120T132500Z"] == "[Investigating] Emails to some recipients delayed"
    # an 'Update' keeps the status it had
    assert titles[incident + "#update-20261120T151000Z"] == "[Identified] Emails to some recipients delayed"
    window = BASE + "maintenance/2026-11-26-sms-sending-move/"
    assert titles[window + "#update-20261126T110200Z"] == "[In progress] Moving SMS sending to new servers"


def test_links_point_at_update_anchors_that_exist(example_site: Path) -> None:
    for entry in read_feed(example_site).entries:
        parts = urlsplit(entry.link)
        page = example_site / parts.path.lstrip("/") / "index.html"
        assert page.is_file(), entry.link
        document = BeautifulSoup(page.read_text("utf-8"), "html.parser")
        assert document.find(id=parts.fragment) is not None, entry.link


def test_description_has_the_update_and_the_incident_facts(example_site: Path) -> None:
    items = {item.findtext("link"): item for item in raw_items(example_site)}
    item = items[BASE + "incidents/2026-11-26-search-failures/#update-20261126T113400Z"]
    description = item.findtext("description")
    assert description is not None
    text = " ".join(BeautifulSoup(description, "html.parser").get_text(" ").split())
    assert "bringing the server that was out for the disk replacement back into service" in text  # the update
    assert "one of the six servers in our search cluster failed" in text  # the cause
    assert "Nov 26, 2026, 14:30 CET" in text  # the estimate, in the site's zone
    assert "Nov 26, 2026, 13:30 CET" in text  # the next update
    assert "three copies of every part of the search index" in text  # prevention
    assert item.findtext("pubDate") == "Thu, 26 Nov 2026 11:34:00 GMT"
    guid = item.find("guid")
    assert guid is not None and guid.text == item.findtext("link")


@pytest.fixture
def tiny(tmp_path: Path, make_site: Callable[..., Path]) -> Path:
    config = (
        'title = "Tiny <Status> & Co"\nbase_url = "https://tiny.example/status/"\ntimezone = "Europe/Berlin"\n'
        "feed_items = 3\n"
        '[[components]]\nid = "api"\nname = "API"\n'
    )
    incident = (
        "---\ntitle: Errors <script>alert(1)</script> & timeouts\nimpact: minor\ncomponents: [api]\n"
        "cause: A bad <em>deploy</em>.\n---\n"
        '## 2026-11-20 14:00 UTC — Investigating\nWe see <span class="x">errors</span> & timeouts.\n\n'
        "## 2026-11-20 14:30 UTC — Identified\nA bad deploy.\n\n"
        "## 2026-11-20 14:30 UTC — Update\nRolling back.\n\n"
        "## 2026-11-20 15:00 UTC — Resolved\nFixed.\n"
    )
    return make_site(tmp_path / "tiny", config=config, incidents={"2026-11-20-errors": incident})


def test_feed_items_limits_the_feed(tiny: Path, build: Callable[..., Path]) -> None:
    site = build(tiny)
    entries = read_feed(site).entries
    base = "https://tiny.example/status/incidents/2026-11-20-errors/"
    assert [e.link for e in entries] == [
        base + "#update-20261120T150000Z",
        base + "#update-20261120T143000Z-2",
        base + "#update-20261120T143000Z",
    ]
    assert [e.title for e in entries] == [
        "[Resolved] Errors <script>alert(1)</script> & timeouts",
        "[Identified] Errors <script>alert(1)</script> & timeouts",
        "[Identified] Errors <script>alert(1)</script> & timeouts",
    ]


def test_text_is_escaped_in_xml_and_author_html_survives(tiny: Path, build: Callable[..., Path]) -> None:
    site = build(tiny)
    raw = (site / "feed.xml").read_bytes()
    assert b"<script>" not in raw  # only ever as escaped text
    root = ET.fromstring(raw)
    assert root.findtext("channel/title") == "Tiny <Status> & Co"
    items = root.findall("channel/item")
    assert items[0].findtext("title") == "[Resolved] Errors <script>alert(1)</script> & timeouts"
    # the description is HTML, carried as text: the author's HTML is there as written
    first = next(i for i in items if i.findtext("link", "").endswith("update-20261120T143000Z"))
    description = first.findtext("description") or ""
    assert "<p>A bad deploy.</p>" in description
    assert "A bad <em>deploy</em>." in description  # the cause


def test_guids_are_stable_across_rebuilds(tiny: Path, build: Callable[..., Path], tmp_path: Path) -> None:
    first = {(e.published, e.summary): e.id for e in read_feed(build(tiny, tmp_path / "one")).entries}
    # a later build, a new update and a longer feed: the old items keep their guids
    config = tiny / "inloop.toml"
    config.write_text(config.read_text("utf-8").replace("feed_items = 3", "feed_items = 10"), "utf-8")
    path = tiny / "content" / "incidents" / "2026-11-20-errors.md"
    path.write_text(path.read_text("utf-8") + "\n## 2026-11-20 16:00 UTC — Update\nPostmortem to follow.\n", "utf-8")
    later = read_feed(build(tiny, tmp_path / "two", "2026-12-24 09:00 UTC")).entries
    second = {(e.published, e.summary): e.id for e in later}
    assert len(first) == 3
    for key, guid in first.items():
        assert second[key] == guid
    assert later[0].id.endswith("#update-20261120T160000Z")
    assert len(set(second.values())) == len(second)


def test_every_page_links_the_feed(example_site: Path) -> None:
    for page in sorted(example_site.rglob("*.html")):
        document = BeautifulSoup(page.read_text("utf-8"), "html.parser")
        links = document.select('head link[rel="alternate"][type="application/rss+xml"]')
        assert links, page
        hrefs = [str(link["href"]) for link in links]
        assert any(h == "/feed.xml" or h.endswith("feed.xml") for h in hrefs), page
