"""maintenance.ics, read back with icalendar (which parses leniently: errors land in ``.errors``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bs4 import BeautifulSoup
from icalendar import Calendar
from subscribe_sites import ACTIVE_NO_UPDATES, CANCELLED, MADEUP_INCIDENTS, MADEUP_MAINTENANCE, UPCOMING, Site


def read(site: Site) -> Calendar:
    calendar = Calendar.from_ical(site.bytes("maintenance.ics"))
    for component in calendar.walk():
        assert not component.errors, (component.name, component.errors)
    return calendar


def decoded(event: Any, name: str) -> object:
    """A property's value: icalendar 6 decodes text to bytes, 7 to str; the tests compare str."""
    value = event.decoded(name)
    return value.decode("utf-8") if isinstance(value, bytes) else value


def events(site: Site) -> dict[str, dict[str, object]]:
    """Every VEVENT by its UID, values decoded."""
    found = {}
    for event in read(site).walk("VEVENT"):
        found[str(event["UID"])] = {
            name: decoded(event, name) for name in event if name not in ("DESCRIPTION", "SUMMARY", "URL", "UID")
        } | {"DESCRIPTION": str(event["DESCRIPTION"]), "SUMMARY": str(event["SUMMARY"]), "URL": str(event["URL"])}
    return found


def test_example_calendar(example: Site) -> None:
    calendar = read(example)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    found = events(example)
    assert set(found) == {
        "2026-10-18-database-upgrade@status.acme.example",
        "2026-11-26-sms-sending-move@status.acme.example",
        "2026-12-03-webhook-delivery-upgrade@status.acme.example",
    }
    upgrade = found["2026-10-18-database-upgrade@status.acme.example"]
    assert upgrade["SUMMARY"] == "Database upgrade"
    assert upgrade["DTSTART"] == datetime(2026, 10, 18, 0, 0, tzinfo=UTC)  # 02:00 CEST
    assert upgrade["DTEND"] == datetime(2026, 10, 18, 2, 0, tzinfo=UTC)
    assert upgrade["DTSTAMP"] == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the build time
    assert upgrade["SEQUENCE"] == 4  # four updates
    assert upgrade["STATUS"] == "CONFIRMED"
    assert upgrade["URL"] == "https://status.acme.example/maintenance/2026-10-18-database-upgrade/"
    description = str(upgrade["DESCRIPTION"])
    for name in ("Database", "Public API", "Dashboard", "Webhooks"):
        assert name in description
    assert found["2026-11-26-sms-sending-move@status.acme.example"]["SEQUENCE"] == 2
    assert found["2026-12-03-webhook-delivery-upgrade@status.acme.example"]["SEQUENCE"] == 1


def test_times_are_written_in_utc(example: Site) -> None:
    text = example.text("maintenance.ics")
    for line in text.splitlines():
        if line.startswith(("DTSTART", "DTEND", "DTSTAMP")):
            assert line.endswith("Z") and ";TZID" not in line, line
    assert b"\r\n" in example.bytes("maintenance.ics")  # RFC 5545 lines end in CRLF


def test_cancelled_window_and_bare_window(madeup: Site) -> None:
    found = events(madeup)
    cancelled = found["2026-12-05-gateway-swap@status.beta.example"]
    assert cancelled["STATUS"] == "CANCELLED"
    assert cancelled["SEQUENCE"] == 2
    bare = found["2026-11-26-email-move@status.beta.example"]
    assert bare["SEQUENCE"] == 0
    assert bare["STATUS"] == "CONFIRMED"
    assert "Email <delivery> & more" in str(bare["DESCRIPTION"])
    assert bare["DTSTART"] == datetime(2026, 11, 26, 11, 30, tzinfo=UTC)


def test_uid_is_stable_and_sequence_counts_updates(site_factory: Callable[..., Site], tmp_path: object) -> None:
    first = site_factory(MADEUP_INCIDENTS, MADEUP_MAINTENANCE)
    moved = UPCOMING.replace(
        "description: The dashboard will be read-only for a few minutes.",
        "description: The dashboard will be read-only for up to an hour.",
    )
    moved = moved.replace(
        "start: 2026-12-02 06:00 UTC\nend: 2026-12-02 07:00 UTC",
        "start: 2026-12-09 06:00 UTC\nend: 2026-12-09 08:00 UTC",
    )
    moved += "\n## 2026-11-26 10:00 UTC — Scheduled\nWe moved the upgrade to 9 December.\n"
    second = site_factory(MADEUP_INCIDENTS, {**MADEUP_MAINTENANCE, "2026-12-02-dashboard-upgrade": moved})
    uid = "2026-12-02-dashboard-upgrade@status.beta.example"
    before, after = events(first)[uid], events(second)[uid]
    assert set(events(first)) == set(events(second))
    assert before["SEQUENCE"] == 1 and after["SEQUENCE"] == 2
    assert after["DTSTART"] == datetime(2026, 12, 9, 6, 0, tzinfo=UTC)
    assert "up to an hour" in str(after["DESCRIPTION"])


def test_dtstamp_follows_the_build_time(site_factory: Callable[..., Site]) -> None:
    later = site_factory(
        MADEUP_INCIDENTS, {"2026-11-26-email-move": ACTIVE_NO_UPDATES, "gateway": CANCELLED}, now="2026-11-27 08:15 UTC"
    )
    stamps = {e["DTSTAMP"] for e in events(later).values()}
    assert stamps == {datetime(2026, 11, 27, 8, 15, tzinfo=UTC)}


def test_pages_offer_a_webcal_link(example: Site) -> None:
    for page in ("index.html", "maintenance/2026-12-03-webhook-delivery-upgrade/index.html"):
        soup = BeautifulSoup(example.text(page), "html.parser")
        hrefs = {a["href"] for a in soup.select("#subscribe a")}
        assert "webcal://status.acme.example/maintenance.ics" in hrefs, page
        local = [h for h in hrefs if str(h).endswith("maintenance.ics") and not str(h).startswith("webcal:")]
        assert local, page


def test_webcal_link_keeps_the_base_path(madeup: Site) -> None:
    soup = BeautifulSoup(madeup.text("index.html"), "html.parser")
    assert soup.select_one('a[href^="webcal:"]')["href"] == "webcal://status.beta.example/sub/maintenance.ics"  # type: ignore[index]
