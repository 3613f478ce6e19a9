"""Reading Statuspage history feeds: items, update times, statuses, ids."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inloop.errors import UsageError
from inloop.importer.feed import Feed, FeedUpdate, parse_feed

LA = ZoneInfo("America/Los_Angeles")


def parse(path: Path, zone: str = "UTC") -> Feed:
    return parse_feed(path.read_bytes(), source_timezone=ZoneInfo(zone))


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def times(feed: Feed, item_id: str) -> list[tuple[datetime, str]]:
    (item,) = [item for item in feed.items if item.base_id == item_id]
    return [(update.time, update.status) for update in item.updates]


def one_item_times(make_feed: Any, updates: list[tuple[str, str]], published: str, zone: str = "UTC") -> list[datetime]:
    item = make_feed.item(
        "Outage",
        "https://status.example.com/incidents/x1",
        published,
        [(when, status, "text") for when, status in updates],
    )
    feed = parse(make_feed.rss([item]), zone)
    assert feed.items, feed.warnings
    return [update.time for update in feed.items[0].updates]


def test_streamyard_rss(feeds_dir: Path) -> None:
    feed = parse(feeds_dir / "statuspage-streamyard-history.rss")
    assert len(feed.items) == 17
    assert feed.warnings == ()
    assert feed.title == "StreamYard Status - Incident History"
    assert feed.link == "https://status.streamyard.com"
    assert not any(item.maintenance for item in feed.items)
    statuses = Counter(u.status for item in feed.items for u in item.updates)
    assert set(statuses) == {"Investigating", "Identified", "Update", "Monitoring", "Resolved"}
    # checked by hand against the feed's <small> times (all UTC)
    assert times(feed, "l4222m9bmd6k") == [
        (utc("2024-02-08 08:29"), "Investigating"),
        (utc("2024-02-08 09:00"), "Update"),  # same minute: the feed lists it after Resolved
        (utc("2024-02-08 09:00"), "Resolved"),
    ]
    assert times(feed, "6pz1jst84ctl") == [
        (utc("2023-07-05 02:23"), "Investigating"),
        (utc("2023-07-05 03:45"), "Identified"),
        (utc("2023-07-05 04:15"), "Resolved"),
    ]
    assert times(feed, "flyd07nvq6fz") == [
        (utc("2023-01-28 08:14"), "Investigating"),
        (utc("2023-01-28 08:20"), "Resolved"),
    ]


def test_streamyard_rss_and_atom_agree(feeds_dir: Path) -> None:
    rss = parse(feeds_dir / "statuspage-streamyard-history.rss")
    atom = parse(feeds_dir / "statuspage-streamyard-history.atom")
    assert [i.base_id for i in rss.items] == [i.base_id for i in atom.items]
    assert [i.updates for i in rss.items] == [i.updates for i in atom.items]
    assert [i.title for i in rss.items] == [i.title for i in atom.items]


def test_parse_2014_with_its_zone(feeds_dir: Path) -> None:
    feed = parse(feeds_dir / "statuspage-parse-2014-history.rss", "America/Los_Angeles")
    assert len(feed.items) == 17
    assert feed.warnings == ()
    # "Jan  1, 08:17 PST" (space-padded day) in winter: UTC-8
    assert times(feed, "lzf7mjchpy20") == [
        (utc("2014-01-01 16:17"), "Investigating"),
        (utc("2014-01-01 17:00"), "Identified"),
        (utc("2014-01-01 17:09"), "Resolved"),
    ]
    # "Aug 20, 05:04 PST" is wall-clock time in Los Angeles, which is on PDT (UTC-7) then
    assert times(feed, "ctfv4ldyy165") == [
        (utc("2013-08-20 12:04"), "Investigating"),
        (utc("2013-08-20 12:13"), "Update"),
        (utc("2013-08-20 12:42"), "Resolved"),
    ]
    # the postmortem came two days after its item's date
    assert times(feed, "p9hy357zjvb3") == [
        (utc("2013-12-24 16:58"), "Investigating"),
        (utc("2013-12-24 19:21"), "Resolved"),
        (utc("2013-12-26 18:22"), "Postmortem"),
    ]


def test_postmortem_markdown_is_rendered_and_written_back(feeds_dir: Path) -> None:
    feed = parse(feeds_dir / "statuspage-parse-2014-history.rss", "America/Los_Angeles")
    (item,) = [item for item in feed.items if item.base_id == "p9hy357zjvb3"]
    text = item.updates[-1].text
    assert text.startswith(
        "# Summary of the December 24 Parse Service Disruption\n\nWe would like to share some more details"
    )
    assert (
        "In response to this incident, we are taking the following steps:\n\n"
        "- Adding extensive debug output to our API HTTP service so we can detect problems "
        "on startup within the monitoring service itself\n"
        "- Rearchitecting our client discovery process"
    ) in text
    assert text.endswith("through our [Help & Community](https://parse.com/help) portal.")
    assert "<br" not in text


def test_zone_abbreviation_not_in_the_source_zone_is_a_warning(feeds_dir: Path) -> None:
    feed = parse(feeds_dir / "statuspage-parse-2014-history.rss")  # UTC, but the feed says PST
    assert len(feed.items) == 17
    assert feed.warnings == (
        "38 update time(s) are labelled PST, which UTC never uses; they were read as "
        "wall-clock times in UTC (give the status page's own time zone if that is wrong)",
    )
    assert times(feed, "lzf7mjchpy20")[0] == (utc("2014-01-01 08:17"), "Investigating")


@pytest.mark.parametrize(
    ("when", "published", "expected"),
    [
        ("Dec 30, 10:00 UTC", "Tue, 02 Jan 2024 10:00:00 +0000", "2023-12-30 10:00"),
        ("Jul  2, 10:00 UTC", "Tue, 02 Jan 2024 10:00:00 +0000", "2024-07-02 10:00"),
        ("Aug  2, 10:00 UTC", "Tue, 02 Jan 2024 10:00:00 +0000", "2023-08-02 10:00"),
        ("Jan  3, 10:00 UTC", "Thu, 28 Dec 2023 10:00:00 +0000", "2024-01-03 10:00"),
        ("May 13, 2017, 06:45 UTC", "Tue, 02 Jan 2024 10:00:00 +0000", "2017-05-13 06:45"),
        ("May 13, 2017, 6:45 PM UTC", "Tue, 02 Jan 2024 10:00:00 +0000", "2017-05-13 18:45"),
        ("Feb  8, 09:00 +02:00", "Thu, 08 Feb 2024 09:00:00 +0000", "2024-02-08 07:00"),
        ("Feb  8, 09:00 GMT", "Thu, 08 Feb 2024 09:00:00 +0000", "2024-02-08 09:00"),
        ("Sept 8, 09:00", "Fri, 08 Sep 2023 09:00:00 +0000", "2023-09-08 09:00"),
    ],
)
def test_update_years_and_zones(make_feed: Any, when: str, published: str, expected: str) -> None:
    assert one_item_times(make_feed, [(when, "Resolved")], published) == [utc(expected)]


def test_item_date_is_seen_in_the_source_zone(make_feed: Any) -> None:
    # published 2024-01-01 02:00 UTC is still Dec 31, 2023 in Los Angeles
    found = one_item_times(
        make_feed,
        [("Dec 31, 17:00 PST", "Resolved")],
        "Mon, 01 Jan 2024 02:00:00 +0000",
        "America/Los_Angeles",
    )
    assert found == [utc("2024-01-01 01:00")]


def test_explicit_utc_stays_utc_whatever_the_source_zone(make_feed: Any) -> None:
    found = one_item_times(
        make_feed,
        [("Jul  1, 10:00 UTC", "Resolved")],
        "Mon, 01 Jul 2024 10:00:00 +0000",
        "America/Los_Angeles",
    )
    assert found == [utc("2024-07-01 10:00")]


def test_same_minute_updates_are_in_chronological_order(make_feed: Any) -> None:
    item = make_feed.item(
        "Outage",
        "https://status.example.com/incidents/x1",
        "Thu, 08 Feb 2024 09:00:00 +0000",
        [
            ("Feb  8, 09:00 UTC", "Resolved", "third"),
            ("Feb  8, 09:00 UTC", "Monitoring", "second"),
            ("Feb  8, 09:00 UTC", "Identified", "first"),
            ("Feb  8, 08:00 UTC", "Investigating", "zeroth"),
        ],
    )
    (parsed,) = parse(make_feed.rss([item])).items
    assert [u.text for u in parsed.updates] == ["zeroth", "first", "second", "third"]


def test_content_encoded_is_read(make_feed: Any) -> None:
    item = make_feed.item(
        "Outage",
        "https://status.example.com/incidents/x1",
        "Thu, 08 Feb 2024 09:00:00 +0000",
        [("Feb  8, 09:00 UTC", "Resolved", "All <em>good</em>.")],
    )
    (parsed,) = parse(make_feed.rss([item], content_encoded=True)).items
    assert parsed.updates[0].text == "All *good*."


def test_odd_items_are_imported_with_a_warning(make_feed: Any) -> None:
    published = "Thu, 08 Feb 2024 09:00:00 +0000"
    good = make_feed.item(
        "Good", "https://s.example.com/incidents/good", published, [("Feb  8, 09:00 UTC", "Resolved", "ok")]
    )
    odd_status = make_feed.item(
        "Odd", "https://s.example.com/incidents/odd", published, [("Feb  8, 09:00 UTC", "Degraded", "hm")]
    )
    bad_time = make_feed.item(
        "Bad",
        "https://s.example.com/incidents/bad",
        published,
        [("sometime", "Update", "when?"), ("Feb  8, 08:00 UTC", "Investigating", "looking")],
    )
    only_bad = make_feed.item(
        "Only bad", "https://s.example.com/incidents/only-bad", published, [("sometime", "Resolved", "when?")]
    )
    feed = parse(make_feed.rss([good, odd_status, bad_time, only_bad]))
    assert [i.base_id for i in feed.items] == ["good", "odd", "bad", "only-bad"]
    assert feed.items[1].updates[0].status == "Update"
    # an unreadable time is text of the update next to it; with none before it, the item's date stands in
    assert [(u.status, u.text) for u in feed.items[2].updates] == [
        ("Investigating", "looking\n\nsometime  \n**Update** - when?")
    ]
    assert feed.items[3].undated and feed.items[3].updates[0].time == datetime(2024, 2, 8, 9, 0, tzinfo=UTC)
    assert feed.warnings == (
        "https://s.example.com/incidents/odd: unknown status 'Degraded' imported as Update",
        "https://s.example.com/incidents/bad: cannot read the time 'sometime'; kept as text of the update next to it",
        "https://s.example.com/incidents/only-bad: cannot read the time 'sometime'; "
        "kept as text of the update next to it",
    )


def test_item_without_updates_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "plain.rss"
    path.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>'
        "<link>https://blog.example.com</link><item><title>Hello</title>"
        "<link>https://blog.example.com/hello</link><description>Hi there</description>"
        "</item></channel></rss>",
        encoding="utf-8",
    )
    feed = parse(path)
    assert feed.items == ()
    assert feed.warnings == (
        "left out https://blog.example.com/hello: no dated Statuspage updates in it, and no date of its own",
    )


def test_item_without_dated_updates_gets_one_final_update_at_its_own_date(tmp_path: Path) -> None:
    path = tmp_path / "plain.rss"
    path.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>'
        "<link>https://blog.example.com</link><item><title>Hello</title>"
        "<link>https://blog.example.com/hello</link><description>Hi &lt;b&gt;there&lt;/b&gt;</description>"
        "<pubDate>Thu, 08 Feb 2024 10:00:00 +0000</pubDate></item>"
        "<item><title>Window</title><link>https://blog.example.com/maintenances/w1</link>"
        "<description>Done</description><pubDate>Fri, 09 Feb 2024 10:00:00 +0000</pubDate></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    feed = parse(path)
    assert feed.warnings == ()
    assert [(i.title, i.maintenance, i.undated, i.updates) for i in feed.items] == [
        ("Hello", False, True, (FeedUpdate(datetime(2024, 2, 8, 10, 0, tzinfo=UTC), "Resolved", "Hi **there**"),)),
        ("Window", True, True, (FeedUpdate(datetime(2024, 2, 9, 10, 0, tzinfo=UTC), "Completed", "Done"),)),
    ]


def test_not_a_feed_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("<html><body><p>Not a feed</p></body></html>", encoding="utf-8")
    with pytest.raises(UsageError, match="not an RSS or Atom feed"):
        parse_feed(path.read_bytes(), source_timezone=ZoneInfo("UTC"), origin=str(path))


@pytest.mark.parametrize(
    ("link", "title", "expected"),
    [
        ("https://status.example.com/incidents/abc123xyz", "x", "abc123xyz"),
        ("https://status.example.com/incidents/ABC_12.x/", "x", "abc-12-x"),
        ("https://status.example.com/maintenances/m42?utm=1#top", "x", "m42"),
        ("", "Datenbank-Störung", "datenbank-storung"),
        ("", "!!!", "incident"),
    ],
)
def test_ids_come_from_links(make_feed: Any, link: str, title: str, expected: str) -> None:
    item = make_feed.item(title, link, "Thu, 08 Feb 2024 09:00:00 +0000", [("Feb  8, 09:00 UTC", "Resolved", "ok")])
    (parsed,) = parse(make_feed.rss([item])).items
    assert parsed.base_id == expected


def test_maintenance_is_recognised(make_feed: Any) -> None:
    published = "Sun, 07 Nov 2021 12:01:00 +0000"
    by_status = make_feed.item(
        "Database maintenance",
        "https://status.example.com/incidents/m1",
        published,
        [
            ("Nov  7, 07:01 EST", "Completed", "Done."),
            ("Nov  7, 03:00 EST", "In progress", "Started."),
            ("Nov  2, 09:29 EDT", "Scheduled", "We will do it."),
        ],
    )
    by_link = make_feed.item(
        "Planned work",
        "https://status.example.com/maintenances/m2",
        published,
        [("Nov  7, 07:01 EST", "Update", "Nothing to see.")],
    )
    feed = parse(make_feed.rss([by_status, by_link]), "America/New_York")
    assert [item.maintenance for item in feed.items] == [True, True]
    assert feed.warnings == ()
    assert times(feed, "m1") == [
        (utc("2021-11-02 13:29"), "Scheduled"),
        (utc("2021-11-07 08:00"), "In progress"),
        (utc("2021-11-07 12:01"), "Completed"),
    ]
