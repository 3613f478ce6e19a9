"""What the optional script adds: local and relative times, a page that keeps itself current,
and neither moves anything on the page (cumulative layout shift 0)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page

from .conftest import KINDS, NOW, WIDTHS, Served, new_context

pytestmark = pytest.mark.browser

#: The layout shifts a page had so far, buffered since it started loading, as the Layout Instability API reports them.
LAYOUT_SHIFTS = """() => new Promise(resolve => {
    const shifts = [];
    const observer = new PerformanceObserver(list => {
        for (const entry of list.getEntries()) {
            shifts.push({value: entry.value, input: entry.hadRecentInput,
                         sources: entry.sources.map(s => s.node ? s.node.nodeName + '.' + s.node.className : '?')});
        }
    });
    observer.observe({type: 'layout-shift', buffered: true});
    requestAnimationFrame(() => requestAnimationFrame(() => {
        for (const entry of observer.takeRecords()) {
            shifts.push({value: entry.value, input: entry.hadRecentInput, sources: []});
        }
        observer.disconnect();
        resolve(shifts);
    }));
})"""


@pytest.mark.parametrize("width", [320, *WIDTHS])
@pytest.mark.parametrize("kind", list(KINDS))
def test_no_layout_shift(js_page: Page, visit: Callable[..., Page], kind: str, width: int) -> None:
    page = visit(js_page, kind, width=width)
    page.wait_for_selector("html[data-local-times]", state="attached")
    filled = page.evaluate("[...document.querySelectorAll('.local')].filter(e => e.textContent).length")
    assert filled > 0 or kind == "404", "the script wrote no local time"
    shifts = page.evaluate(LAYOUT_SHIFTS)
    assert page.evaluate("PerformanceObserver.supportedEntryTypes.includes('layout-shift')")
    score = sum(shift["value"] for shift in shifts if not shift["input"])
    assert score == 0, f"{kind} at {width}px: cumulative layout shift {score}: {shifts}"


# -- local and relative times ------------------------------------------------------------------------

#: Chromium's short names of the test zones in US English.
ZONES: dict[str, Callable[[datetime], str]] = {
    "America/New_York": lambda local: local.tzname() or "",
    "Asia/Tokyo": lambda local: "GMT+9",
}
UNITS = [("year", 31536000), ("month", 2592000), ("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)]
NEIGHBOURS = {
    "day": ("yesterday", "tomorrow"),
    "week": ("last week", "next week"),
    "month": ("last month", "next month"),
    "year": ("last year", "next year"),
}


def relative(moment: datetime, now: datetime = NOW) -> str:
    """What Intl.RelativeTimeFormat("en", {numeric: "auto"}) says, counted in whole units."""
    seconds = (moment - now).total_seconds()
    for unit, size in UNITS:
        if abs(seconds) >= size:
            count = math.floor(abs(seconds) / size)
            if count == 1 and unit in NEIGHBOURS:
                return NEIGHBOURS[unit][seconds > 0]
            words = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {words}" if seconds > 0 else f"{words} ago"
    return "now"


def clock_text(moment: datetime, zone_name: str, *, year: bool = True) -> str:
    """Intl.DateTimeFormat("en-US") with the script's options: "Nov 26, 2026, 06:34 EST"."""
    local = moment.astimezone(ZoneInfo(zone_name))
    shown_year = f", {local.year}" if year else ""
    return f"{local:%b} {local.day}{shown_year}, {local:%H:%M} {ZONES[zone_name](local)}"


def local_text(moments: list[datetime], zone_name: str) -> str:
    """The reader's-time line for the <time>s before a slot: "Your time: Nov 26, 06:34 EST · 5 hours ago"."""
    zone = ZoneInfo(zone_name)
    first, last = (m.astimezone(zone) for m in (moments[0], moments[-1]))
    year = not (first.year == NOW.year and last.year == first.year)
    if last == first:
        shown = clock_text(first, zone_name, year=year)
    elif last.date() == first.date():  # Intl's formatRange: the date once
        shown = clock_text(first, zone_name, year=year).replace(f" {ZONES[zone_name](first)}", f" – {last:%H:%M} ")
        shown += ZONES[zone_name](last)
    else:
        shown = f"{clock_text(first, zone_name, year=year)} – {clock_text(last, zone_name, year=year)}"
    return f"Your time: {shown} · {relative(moments[0])}"


#: For each local-time line, the datetime of the <time>s it speaks for: those of the element
#: just before it, or, when that is a <time>, the <time>s beside it.
SLOTS = """() => [...document.querySelectorAll('.local')].map(slot => {
    const owner = slot.previousElementSibling;
    const times = owner.tagName === 'TIME' ? [...slot.parentNode.children].filter(e => e.tagName === 'TIME')
                                           : [...owner.querySelectorAll('time')];
    return {datetimes: times.map(t => t.getAttribute('datetime')), text: slot.textContent,
            visible: slot.offsetHeight > 0};
})"""


def parse_stamp(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def normalise(text: str) -> str:
    return re.sub(r"[\s\u2009\u202f\u00a0]+", " ", text).strip()


@pytest.fixture(scope="module")
def zone_pages(browser: Browser) -> Iterator[Callable[[str], Page]]:
    made: dict[str, Page] = {}

    def get(zone: str) -> Page:
        if zone not in made:
            made[zone] = new_context(browser, timezone_id=zone).new_page()
        return made[zone]

    yield get
    for page in made.values():
        page.context.close()


@pytest.mark.parametrize("kind", ["home", "incident", "maintenance", "history-2"])
@pytest.mark.parametrize("zone", list(ZONES))
def test_local_times(zone_pages: Callable[[str], Page], visit: Callable[..., Page], zone: str, kind: str) -> None:
    page = visit(zone_pages(zone), kind)
    page.wait_for_selector("html[data-local-times]", state="attached")
    slots = page.evaluate(SLOTS)
    assert slots
    for slot in slots:
        assert slot["datetimes"], slot
        expected = local_text([parse_stamp(s) for s in slot["datetimes"]], zone)
        assert normalise(slot["text"]) == expected
        assert slot["visible"]
    # every <time> names its local time on hover, too
    titles = page.evaluate("[...document.querySelectorAll('time')].map(t => [t.getAttribute('datetime'), t.title])")
    for stamp, title in titles:
        if re.fullmatch(r"\d{4}-\d\d-\d\d", stamp):
            assert title == ""  # a day written alone has no clock to convert
            continue
        assert normalise(title) == clock_text(parse_stamp(stamp), zone)


def test_a_day_written_alone_stays_a_day(zone_pages: Callable[[str], Page], served: Served) -> None:
    """A prevention step done on a day: the server's date is the text, and no reader's clock is invented."""
    page = zone_pages("America/New_York")
    page.goto(served.url + "incidents/2026-01-21-dashboard-sign-in-errors/", wait_until="load")
    page.wait_for_selector("html[data-local-times]", state="attached")
    done = page.evaluate("[...document.querySelectorAll('.done time')].map(t => [t.dateTime, t.textContent, t.title])")
    assert done == [
        ["2026-01-23", "Jan 23, 2026", ""],
        ["2026-01-28", "Jan 28, 2026", ""],
        ["2026-02-11", "Feb 11, 2026", ""],
    ]
    moments = page.evaluate("[...document.querySelectorAll('.updates time')].map(t => t.title)")
    assert moments and all(moments)  # the updates' moments still name the reader's clock


def test_relative_times_on_the_home_page(zone_pages: Callable[[str], Page], visit: Callable[..., Page]) -> None:
    """At the build time, 12:00 UTC: what the ops person wrote, as the reader's clock sees it."""
    page = visit(zone_pages("America/New_York"), "home")
    page.wait_for_selector("html[data-local-times]", state="attached")
    summary = page.locator(".incident-summary")
    texts = [normalise(t) for t in summary.locator(".local").all_inner_texts()]
    assert texts == [
        "Your time: Nov 26, 05:38 EST · 1 hour ago",  # since 10:38 UTC
        "Your time: Nov 26, 08:30 EST · in 1 hour",  # estimate 13:30 UTC
        "Your time: Nov 26, 07:30 EST · in 30 minutes",  # next update 12:30 UTC
        "Your time: Nov 26, 06:34 EST · 26 minutes ago",  # latest update 11:34 UTC
    ]


def test_in_the_sites_own_zone_only_the_relative_time(
    zone_pages: Callable[[str], Page], visit: Callable[..., Page]
) -> None:
    page = visit(zone_pages("Europe/Berlin"), "home")
    page.wait_for_selector("html[data-local-times]", state="attached")
    assert normalise(page.locator(".site-footer .local").inner_text()) == "26 minutes ago"


# -- no request leaves the machine -------------------------------------------------------------------


def test_every_request_stays_on_127_0_0_1(browser: Browser, served: Served) -> None:
    context = new_context(browser)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    try:
        for path in KINDS.values():  # each page until the script's first question to live.json
            with page.expect_response(lambda response: response.url.endswith("/live.json")):
                page.goto(served.url + path, wait_until="load")
    finally:
        context.close()
    assert requests
    strangers = [url for url in requests if not url.startswith(served.url) and not url.startswith("data:")]
    assert strangers == []
    names = {url.removeprefix(served.url).split("?")[0] for url in requests}
    assert any(re.fullmatch(r"style\.[0-9a-f]{10}\.css", n) for n in names)
    assert any(re.fullmatch(r"inloop\.[0-9a-f]{10}\.js", n) for n in names)
    assert any(re.fullmatch(r"favicon\.[0-9a-f]{10}\.svg", n) for n in names)
    assert "live.json" in names


# -- a page that keeps itself current -----------------------------------------------------------------


def test_page_reloads_when_the_site_changes(browser: Browser, served: Served) -> None:
    """The script polls live.json every minute and reloads only when its version changed."""
    context = browser.new_context(locale="en-US", timezone_id="UTC")
    context.clock.install(time=NOW)
    page = context.new_page()
    try:
        first = served.url + "live.json"
        with page.expect_response(first):
            page.goto(served.url)
        page.evaluate("window.stillHere = true")
        with page.expect_response(first):
            page.clock.run_for(61_000)  # a minute passes: the same version, no reload
        page.wait_for_timeout(200)
        assert page.evaluate("window.stillHere === true")
        version = json.loads(served_bytes := served_live(served))["version"]
        served.overrides["/live.json"] = served_bytes.replace(version.encode(), b"0" * len(version))
        with page.expect_navigation(wait_until="load"):
            page.clock.run_for(61_000)
        assert page.evaluate("window.stillHere === undefined")
    finally:
        served.overrides.clear()
        context.close()


def served_live(served: Served) -> bytes:
    import urllib.request

    with urllib.request.urlopen(served.url + "live.json", timeout=5) as response:
        data: bytes = response.read()
    return data


def test_no_meta_refresh(js_page: Page, visit: Callable[..., Page]) -> None:
    for kind in KINDS:
        page = visit(js_page, kind)
        assert page.locator("meta[http-equiv]").count() == 0


def test_time_flows_to_the_relative_times(browser: Browser, served: Served) -> None:
    """Every minute the relative times move on, inside their reserved lines."""
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    context.clock.install(time=NOW)
    page = context.new_page()
    try:
        page.goto(served.url)
        page.wait_for_selector("html[data-local-times]", state="attached")
        footer = page.locator(".site-footer .local")
        assert normalise(footer.inner_text()).endswith("26 minutes ago")
        page.clock.run_for(int(timedelta(minutes=5).total_seconds() * 1000))
        assert normalise(footer.inner_text()).endswith("31 minutes ago")
    finally:
        context.close()
