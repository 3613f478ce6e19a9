"""RSS 2.0, Atom 1.0 and JSON Feed 1.1: read back with feedparser and jsonschema.

feedparser sets ``bozo`` only for malformed XML, so every field is checked
itself; the rules feed validators apply (RFC 822 dates in RSS, RFC 3339 in
Atom, absolute URLs, unique ids, a self link) are checked here too.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
from schema_validation import assert_valid
from subscribe_sites import MADEUP_INCIDENTS, MADEUP_MAINTENANCE, RESOLVED, Site

ATOM = "{http://www.w3.org/2005/Atom}"
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} (GMT|[+-]\d{4})$"
)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
FOLDERS = ["", "maintenance/"]


def feed_folders(site: Site) -> list[str]:
    return FOLDERS + [f"components/{p.parent.name}/" for p in sorted(site.root.glob("components/*/feed.xml"))]


def absolute(url: str, base: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.netloc) and url.startswith(base)


def parsed(site: Site, name: str) -> Any:
    result = feedparser.parse(site.bytes(name))
    assert not result.bozo, (name, result.get("bozo_exception"))
    return result


def struct_to_utc(value: Any) -> datetime:
    return datetime.fromtimestamp(stdlib_calendar.timegm(value), UTC)


# -- every feed of both sites, through the real parsers ------------------------------


@pytest.fixture(params=["example", "madeup"])
def site(request: pytest.FixtureRequest) -> Site:
    found: Site = request.getfixturevalue(request.param)
    return found


def test_every_feed_exists_in_three_formats(site: Site) -> None:
    folders = feed_folders(site)
    assert len(folders) >= 4
    for folder in folders:
        for name in ("feed.xml", "atom.xml", "feed.json"):
            assert site.path(folder + name).is_file(), folder + name


def test_feedparser_reads_every_field_of_every_rss_and_atom_feed(site: Site) -> None:
    for folder in feed_folders(site):
        for name, version in (("feed.xml", "rss20"), ("atom.xml", "atom10")):
            feed = parsed(site, folder + name)
            assert feed.version == version
            assert feed.feed.title
            assert absolute(feed.feed.link, site.base_url)
            self_links = [link.href for link in feed.feed.links if link.rel == "self"]
            assert self_links == [site.base_url + folder + name]
            ids = [e.id for e in feed.entries]
            assert len(ids) == len(set(ids)), f"duplicate ids in {folder}{name}"
            for entry in feed.entries:
                assert entry.id and entry.title
                assert absolute(entry.link, site.base_url)
                assert entry.link == entry.id
                assert entry.published_parsed is not None
                body = entry.content[0].value if "content" in entry else entry.summary
                assert body.strip().startswith("<"), "the text is HTML"
                assert entry.tags and entry.tags[0].term
            if name == "atom.xml":
                assert feed.feed.author == site_title(site)
                assert feed.feed.updated_parsed is not None


def site_title(site: Site) -> str:
    return str(site.json("feed.json")["title"])


def test_rss_dates_are_rfc_822_and_atom_dates_rfc_3339(site: Site) -> None:
    for folder in feed_folders(site):
        rss = ET.fromstring(site.bytes(folder + "feed.xml"))
        dates = [e.text or "" for e in rss.iter("pubDate")] + [e.text or "" for e in rss.iter("lastBuildDate")]
        for text in dates:
            assert RFC822.match(text), text
            assert parsedate_to_datetime(text).tzinfo is not None
        atom = ET.fromstring(site.bytes(folder + "atom.xml"))
        stamps = [e.text or "" for tag in ("updated", "published") for e in atom.iter(ATOM + tag)]
        assert stamps
        for text in stamps:
            assert RFC3339.match(text), text
            datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_rss_has_atom_self_link_and_atom_has_required_elements(site: Site) -> None:
    for folder in feed_folders(site):
        rss = ET.fromstring(site.bytes(folder + "feed.xml"))
        links = rss.findall(f"channel/{ATOM}link")
        assert [(a.get("rel"), a.get("href")) for a in links] == [("self", site.base_url + folder + "feed.xml")]
        atom = ET.fromstring(site.bytes(folder + "atom.xml"))
        assert atom.tag == ATOM + "feed"
        for tag in ("id", "title", "updated", "author/" + ATOM + "name"):
            assert atom.find(ATOM + tag) is not None, tag
        for entry in atom.findall(ATOM + "entry"):
            for tag in ("id", "title", "updated", "published", "link", "content"):
                assert entry.find(ATOM + tag) is not None, tag
            assert entry.find(ATOM + "content").get("type") == "html"  # type: ignore[union-attr]


def test_json_feeds_are_valid_json_feed_1_1(site: Site) -> None:
    for folder in feed_folders(site):
        feed = site.json(folder + "feed.json")
        assert_valid("jsonfeed-1.1", feed)
        assert feed["feed_url"] == site.base_url + folder + "feed.json"
        ids = [item["id"] for item in feed["items"]]
        assert len(ids) == len(set(ids))
        for item in feed["items"]:
            assert absolute(item["url"], site.base_url)
            assert item["content_html"].startswith("<")
            assert RFC3339.match(item["date_published"])


def test_the_three_formats_hold_the_same_entries(site: Site) -> None:
    for folder in feed_folders(site):
        rss = parsed(site, folder + "feed.xml").entries
        atom = parsed(site, folder + "atom.xml").entries
        items = site.json(folder + "feed.json")["items"]
        assert [e.id for e in rss] == [e.id for e in atom] == [i["id"] for i in items]
        assert [e.title for e in rss] == [e.title for e in atom] == [i["title"] for i in items]
        assert [e.published_parsed for e in rss] == [e.published_parsed for e in atom]
        # feedparser sanitises HTML and may spell an entity differently in each format
        texts = [[unescape(e.summary) for e in rss], [unescape(e.content[0].value) for e in atom]]
        assert texts[0] == texts[1] == [unescape(i["content_html"]) for i in items]


def test_entries_are_newest_first(site: Site) -> None:
    for folder in feed_folders(site):
        times = [struct_to_utc(e.published_parsed) for e in parsed(site, folder + "atom.xml").entries]
        assert times == sorted(times, reverse=True)


# -- what the entries say -------------------------------------------------------------


def test_one_entry_per_update_with_status_in_title_and_anchor_link(madeup: Site) -> None:
    entries = parsed(madeup, "feed.xml").entries
    incident = [e for e in entries if "/incidents/2026-11-26-database-down/#update-" in e.link]
    assert [e.title for e in incident] == [
        "[Identified] Database cluster down",
        "[Investigating] Database cluster down",  # an "Update" keeps the status it carries
        "[Investigating] Database cluster down",
    ]
    assert [e.link.rsplit("#", 1)[1] for e in incident] == [
        "update-20261126T114000Z",
        "update-20261126T112000Z",
        "update-20261126T110000Z",
    ]
    assert [struct_to_utc(e.published_parsed).strftime("%H:%M") for e in incident] == ["11:40", "11:20", "11:00"]
    newest = incident[0].summary
    assert "We are adding disk." in newest
    assert "ran out of disk space" in newest  # cause
    assert "Nov 26, 2026" in newest and "Expected restoration" in newest  # estimate
    assert "Alert at 80% disk use." in newest  # prevention
    assert "<strong>fail</strong>" in incident[2].summary  # the update's Markdown as HTML


def test_site_feed_holds_every_update_and_due_follow_up(madeup: Site) -> None:
    entries = parsed(madeup, "feed.xml").entries
    # 3 + 3 incident updates, 1 + 2 maintenance updates (the bare window has none), 1 kept promise
    assert len(entries) == 10
    assert sum(e.title.startswith("Follow-up: ") for e in entries) == 1


def test_follow_up_entry(madeup: Site) -> None:
    [entry] = [e for e in parsed(madeup, "atom.xml").entries if e.title.startswith("Follow-up")]
    assert entry.title == "Follow-up: Alert when fewer than 80% of API servers are healthy."
    assert entry.link == BASE_INCIDENT + "#prevention-2"
    # a date alone is the start of that day in the site's zone (New York, UTC-5)
    assert struct_to_utc(entry.published_parsed) == datetime(2026, 11, 21, 5, 0, tzinfo=UTC)
    assert "<em>healthy</em>" in entry.content[0].value


BASE_INCIDENT = "https://status.beta.example/sub/incidents/2026-11-20-api-errors/"


def test_follow_up_appears_only_once_its_time_has_come(site_factory: Callable[..., Site]) -> None:
    step_id = RESOLVED.replace("    done: 2026-11-21", "    id: alerting\n    done: 2026-11-27 09:30 UTC")
    incidents = {**MADEUP_INCIDENTS, "2026-11-20-api-errors": step_id}
    before = site_factory(incidents, now="2026-11-27 09:29 UTC")
    after = site_factory(incidents, now="2026-11-27 09:30 UTC")
    for folder in ("", "components/api/"):
        for name in ("feed.xml", "atom.xml"):
            assert not [e for e in parsed(before, folder + name).entries if "Follow-up" in e.title]
            [entry] = [e for e in parsed(after, folder + name).entries if "Follow-up" in e.title]
            assert entry.link == BASE_INCIDENT + "#prevention-alerting"
            assert struct_to_utc(entry.published_parsed) == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
        items = after.json(folder + "feed.json")["items"]
        assert items[0]["id"] == BASE_INCIDENT + "#prevention-alerting"
    assert not [e for e in parsed(after, "maintenance/feed.xml").entries if "Follow-up" in e.title]


def test_follow_ups_count_in_feed_items(site_factory: Callable[..., Site]) -> None:
    late = RESOLVED.replace("done: 2026-11-21", "done: 2026-11-26 11:50 UTC")
    site = site_factory({**MADEUP_INCIDENTS, "2026-11-20-api-errors": late}, feed_items=3)
    titles = [e.title for e in parsed(site, "feed.xml").entries]
    assert titles == [
        "Follow-up: Alert when fewer than 80% of API servers are healthy.",
        "[Identified] Database cluster down",
        "[Investigating] Database cluster down",
    ]
    assert len(site.json("feed.json")["items"]) == 3


def test_component_feeds_hold_only_what_touched_the_component(site: Site) -> None:
    touches: dict[str, set[str]] = {}
    documents = [
        site.json("api/v2/incidents.json")["incidents"],
        site.json("api/v2/scheduled-maintenances.json")["scheduled_maintenances"],
    ]
    for listed in documents:
        for item in listed:
            touches[item["shortlink"]] = {c["id"] for c in item["components"]}
    found = {folder: parsed(site, folder + "feed.xml").entries for folder in feed_folders(site)}
    posted = {e.link.split("#")[0] for entries in found.values() for e in entries}  # items with an entry
    for folder in feed_folders(site)[2:]:
        component = folder.split("/")[1]
        expected = {url for url, ids in touches.items() if component in ids}
        links = {e.link.split("#")[0] for e in found[folder]}
        assert links <= expected, folder
        if len(found[folder]) < 50:  # not cut at feed_items: everything that touched it is there
            assert links == expected & posted, folder


def test_component_feed_of_the_made_up_site(madeup: Site) -> None:
    titles = [e.title for e in parsed(madeup, "components/email/feed.xml").entries]
    assert titles == []  # the window on email has no update: nothing has been posted yet
    docs = [e.title for e in parsed(madeup, "components/docs/atom.xml").entries]
    assert docs == []
    api = {e.title for e in parsed(madeup, "components/api/feed.xml").entries}
    assert "[Scheduled] API gateway swap" in api and "[Identified] Database cluster down" in api
    assert not any("Dashboard upgrade" in t for t in api)


def test_maintenance_feeds_hold_only_maintenance(site: Site) -> None:
    for name in ("feed.xml", "atom.xml"):
        entries = parsed(site, "maintenance/" + name).entries
        assert entries
        assert all("/maintenance/" in e.link for e in entries)
    everything = [e.id for e in parsed(site, "feed.xml").entries if "/maintenance/" in e.link]
    assert [e.id for e in parsed(site, "maintenance/feed.xml").entries][: len(everything)] == everything


def test_empty_feeds_are_still_valid(madeup: Site) -> None:
    atom = ET.fromstring(madeup.bytes("components/docs/atom.xml"))
    assert atom.findtext(ATOM + "updated") == "1970-01-01T00:00:00Z"
    assert_valid("jsonfeed-1.1", madeup.json("components/docs/feed.json"))
    assert parsed(madeup, "components/docs/feed.xml").feed.title == "Documentation – Beta Status"


def test_html_in_names_is_escaped(madeup: Site) -> None:
    feed = parsed(madeup, "components/email/atom.xml")
    assert feed.feed.title == "Email <delivery> & more – Beta Status"


def test_feeds_do_not_depend_on_the_build_time(site_factory: Callable[..., Site]) -> None:
    first = site_factory(MADEUP_INCIDENTS, MADEUP_MAINTENANCE, now="2026-11-26 12:00 UTC")
    second = site_factory(MADEUP_INCIDENTS, MADEUP_MAINTENANCE, now="2026-11-29 08:00 UTC")
    feeds = first.files("**/feed.xml") + first.files("**/atom.xml") + first.files("**/feed.json")
    assert len(feeds) == 3 * 6
    for name in feeds:
        assert first.bytes(name) == second.bytes(name), name
    assert first.bytes("maintenance.ics") != second.bytes("maintenance.ics")  # DTSTAMP


def test_feed_titles_and_links(example: Site) -> None:
    assert parsed(example, "feed.xml").feed.title == "Acme Status"
    maintenance = parsed(example, "maintenance/atom.xml").feed
    assert maintenance.title == "Maintenance – Acme Status"
    component = parsed(example, "components/search/feed.xml").feed
    assert component.title == "Search – Acme Status"
    assert component.link == "https://status.acme.example/components/search/"
    assert example.json("feed.json")["authors"] == [{"name": "Acme Status", "url": "https://status.acme.example/"}]
