"""The built pages hold what they must: parsed HTML, not string search."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup, Tag

from inloop.read.config import load_config
from inloop.read.content import parse_incident, parse_maintenance
from inloop.times import zone_label

REPO = Path(__file__).resolve().parent.parent
SITES = Path(__file__).resolve().parent / "sites"
NOW = "2026-11-26 12:00 UTC"
NOW_DT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
EXAMPLE_BASE = "https://status.acme.example/"

Soup = Callable[[Path], BeautifulSoup]


def text_of(node: Tag | None) -> str:
    assert node is not None
    return " ".join(node.get_text(" ", strip=True).split())


def times_in(node: Tag) -> list[str]:
    return [str(t["datetime"]) for t in node.find_all("time")]


def html_pages(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))


def page_url(base_url: str, folder: Path, page: Path) -> str:
    relative = page.relative_to(folder).as_posix()
    return base_url + relative


def section(page: BeautifulSoup, name: str) -> Tag:
    found = page.select_one(f"main section.{name}")
    assert found is not None, f"no section.{name}"
    return found


# -- the example site ------------------------------------------------------------------


def test_the_example_builds_with_no_error(tmp_path: Path, example_copy: Path, run_cli: Callable[..., Any]) -> None:
    result = run_cli(["build", "--source", str(example_copy), "--now", NOW])
    assert result.exit_code == 0
    assert result.stderr == ""
    site = example_copy / "site"
    for path in ("index.html", "404.html", "feed.xml", "history/index.html", "history/page/2/index.html"):
        assert (site / path).is_file(), path
    for incident in (REPO / "content" / "incidents").glob("*.md"):
        assert (site / "incidents" / incident.stem / "index.html").is_file()
    for window in (REPO / "content" / "maintenance").glob("*.md"):
        assert (site / "maintenance" / window.stem / "index.html").is_file()
    config = load_config(REPO, "inloop.toml").config
    assert config is not None
    for component in config.components:
        assert (site / "components" / component.id / "index.html").is_file()


def test_the_example_shows_every_part(example_site: Path, soup: Soup) -> None:
    """The example holds what the issue asks for, so that every part of the page shows."""
    config = load_config(REPO, "inloop.toml").config
    assert config is not None
    assert len(config.components) >= 8
    assert len(list((REPO / "content" / "incidents").glob("*.md"))) >= 12
    index = soup(example_site / "index.html")
    assert len(section(index, "now").select("article")) >= 1
    maintenance = section(index, "maintenance")
    assert len(maintenance.select("li.item")) >= 2


def test_index_sections_in_order(example_site: Path, soup: Soup) -> None:
    index = soup(example_site / "index.html")
    main = index.find("main")
    assert isinstance(main, Tag)
    classes = [s["class"][0] for s in main.find_all("section", recursive=False)]
    assert classes[:5] == ["overall", "now", "components", "maintenance", "recent"]


def test_index_overall_status_is_a_sentence_and_a_sign(example_site: Path, soup: Soup) -> None:
    index = soup(example_site / "index.html")
    overall = section(index, "overall")
    heading = overall.find("h1")
    assert isinstance(heading, Tag)
    # search is partially out: the worst current status wins
    assert text_of(heading.find("span")) == "Partial outage"
    icon = heading.find("svg")
    assert isinstance(icon, Tag)
    assert "icon-partial_outage" in icon["class"]
    title = index.title
    assert title is not None and title.string is not None
    assert title.string.startswith("Partial outage – ")
    assert title.string == "Partial outage – Acme Status"


def test_index_unresolved_incident_says_cause_estimate_next_update_prevention(example_site: Path, soup: Soup) -> None:
    index = soup(example_site / "index.html")
    now = section(index, "now")
    articles = now.select("article")
    assert len(articles) == 1
    article = articles[0]
    link = article.select_one("h3 a")
    assert link is not None
    assert text_of(link) == "Search failing or slow for some customers"
    assert link["href"] == "incidents/2026-11-26-search-failures/"
    meta = text_of(article.select_one("p.meta"))
    assert "Identified" in meta
    assert "Major" in meta
    assert "2026-11-26-search-failures" in meta  # the reference
    facts = article.select_one("dl.facts")
    assert facts is not None
    values = [dd for dd in facts.find_all("dd")]
    terms = [text_of(dt) for dt in facts.find_all("dt")]
    assert len(values) == len(terms) == 4
    cause, estimate, next_update, prevention = values
    assert "one of the six servers in our search cluster failed" in text_of(cause)
    assert times_in(estimate) == ["2026-11-26T13:30:00Z"]
    assert times_in(next_update) == ["2026-11-26T12:30:00Z"]
    steps = [text_of(li) for li in prevention.find_all("li")]
    assert len(steps) == 3
    assert steps[1] == "We'll keep three copies of every part of the search index instead of two."
    # and the latest update
    latest = article.select_one(".latest")
    assert latest is not None
    assert times_in(latest) == ["2026-11-26T11:34:00Z"]
    assert "bringing the server that was out for the disk replacement back" in text_of(latest)


def test_index_components_by_group_with_status_and_a_90_day_bar(example_site: Path, soup: Soup) -> None:
    config = load_config(REPO, "inloop.toml").config
    assert config is not None
    index = soup(example_site / "index.html")
    components = section(index, "components")
    groups = components.select("div.group")
    assert [text_of(g.find("h3")) for g in groups] == [str(name) for name, _ in config.groups]
    expected_status = {
        "search": "Partial outage",
        "dashboard": "Degraded performance",
        "sms": "Under maintenance",
    }
    seen = []
    for group, (_, members) in zip(groups, config.groups, strict=True):
        items = group.select("li.component")
        assert len(items) == len(members)
        for item, component in zip(items, members, strict=True):
            seen.append(component.id)
            head = item.select_one(".component-head")
            assert head is not None
            link = head.find("a")
            assert isinstance(link, Tag)
            assert text_of(link) == component.name
            assert link["href"] == f"components/{component.id}/"
            status = head.select_one(".status")
            assert status is not None
            assert text_of(status).endswith(expected_status.get(component.id, "Operational"))
            assert status.find("svg") is not None  # a shape, not colour alone
            days = item.select("ol.bar > li")
            assert len(days) == 90
            uptime = text_of(item.select_one(".bar-uptime"))
            assert re.fullmatch(r"\d{1,3}\.\d\d % uptime in the last 90 days", uptime)
            axis = item.select(".bar-axis span")
            assert [text_of(axis[0]), text_of(axis[-1])] == ["Aug 29", "Nov 26"]  # dates at both ends
            for day in days:  # the bar is hidden from screen readers; its title names the day and downtime ...
                assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}: .+", str(day["title"]))
            listed = item.select(".bar-days .day-list li")
            bad_days = [d for d in days if "day-none" not in d["class"] and "day-nodata" not in d["class"]]
            # ... and the list under it says each day with downtime in words, with its incidents linked
            listed_days = {text_of(line).split(":")[0] for line in listed}
            assert {str(day["title"]).split(":")[0] for day in bad_days} <= listed_days
    assert seen == list(config.component_ids)


def test_index_bar_days_match_incidents(example_site: Path, soup: Soup) -> None:
    index = soup(example_site / "index.html")
    search = index.select_one('li.component:has(a[href="components/search/"])')
    assert search is not None
    days = search.select("ol.bar > li")
    assert "day-more" in days[-1]["class"]  # today: the search incident, 24.6 minutes of downtime
    assert all("day-none" in d["class"] for d in days[:-1])
    (line,) = search.select(".day-list li")
    assert text_of(line).startswith("Nov 26, 2026: 24.6 min of downtime · Search failing")
    link = line.select_one("a")
    assert link is not None and link["href"] == "incidents/2026-11-26-search-failures/"


def test_index_maintenance_in_progress_then_upcoming(example_site: Path, soup: Soup) -> None:
    index = soup(example_site / "index.html")
    rows = section(index, "maintenance").select("li.item")
    assert [text_of(r.find("a")) for r in rows] == ["Moving SMS sending to new servers", "Webhook delivery upgrade"]
    assert "In progress" in text_of(rows[0])
    assert "Scheduled" in text_of(rows[1])
    assert times_in(rows[0])[0] == "2026-11-26T11:00:00Z"


def test_index_recent_incidents_are_the_last_14_days(example_site: Path, soup: Soup) -> None:
    index = soup(example_site / "index.html")
    rows = section(index, "recent").select("li.item")
    hrefs = [r.find("a")["href"] for r in rows]  # type: ignore[index]
    assert hrefs == [
        "incidents/2026-11-26-search-failures/",
        "incidents/2026-11-20-email-delays-some-recipients/",
        "incidents/2026-11-17-export-download-failures/",
    ]


def test_index_last_updated_is_the_latest_update_shown(example_site: Path, soup: Soup) -> None:
    index = soup(example_site / "index.html")
    footer = index.find("footer")
    assert isinstance(footer, Tag)
    # the search incident's 11:34 UTC update, not the build time (12:00 UTC)
    assert times_in(footer) == ["2026-11-26T11:34:00Z"]


# -- incident pages ------------------------------------------------------------------


RESOLVED = """\
---
title: Elevated error rates on the API
impact: major
components:
  api: partial_outage
  dashboard: degraded_performance
cause: A load balancer change took half of the API servers out of rotation.
estimate: 2026-11-20 15:30 UTC
prevention:
  - Load balancer changes now need a second reviewer.
  - step: Alert when fewer than 80% of API servers are healthy.
    done: 2026-11-21
  - step: Practise load balancer failures.
    done: 2026-11-24 09:30 UTC
    id: game-day
postmortem: https://example.com/blog/api-errors
---
## 2026-11-20 14:02 UTC — Investigating
We are seeing elevated error rates on the API.

## 2026-11-20 14:40 UTC — Identified
A load balancer change is the cause.

## 2026-11-20 14:40 UTC — Update
We are rolling it back.

## 2026-11-20 15:12 UTC — Resolved
Error rates are back to normal.
"""

OPEN = """\
---
title: Emails delayed
impact: minor
components: [email]
estimate: 2026-11-26 14:00
next_update: 2026-11-26 13:30
---
## 2026-11-26 11:30 — Investigating
Emails arrive late.
"""


@pytest.fixture(scope="module")
def small_site(
    tmp_path_factory: pytest.TempPathFactory, make_site: Callable[..., Path], build: Callable[..., Path]
) -> Path:
    """Built once: the tests only read it."""
    source = make_site(
        tmp_path_factory.mktemp("small") / "small",
        incidents={"2026-11-20-api-errors": RESOLVED, "2026-11-26-email-delays": OPEN},
    )
    return build(source)


def test_incident_page_holds_the_whole_incident(small_site: Path, soup: Soup) -> None:
    page = soup(small_site / "incidents" / "2026-11-20-api-errors" / "index.html")
    assert page.title is not None
    assert page.title.string == "Resolved: Elevated error rates on the API – Test Status"
    article = page.select_one("main article")
    assert article is not None
    assert text_of(article.find("h1")) == "Elevated error rates on the API"
    assert "2026-11-20-api-errors" in text_of(article.select_one("p.meta"))  # the reference
    facts = {text_of(dt): dt.find_next_sibling("dd") for dt in article.select("dl.facts > dt")}
    # affected components, linked
    affected = facts["Affected"]
    assert isinstance(affected, Tag)
    assert [(a["href"], text_of(a)) for a in affected.find_all("a")] == [
        ("../../components/api/", "Public API"),
        ("../../components/dashboard/", "Dashboard"),
    ]
    # start, end, duration, and how restoration compared with the first estimate
    assert times_in(facts["Started"]) == ["2026-11-20T14:02:00Z"]  # type: ignore[arg-type]
    resolved = facts["Resolved"]
    assert isinstance(resolved, Tag)
    assert times_in(resolved) == ["2026-11-20T15:12:00Z"]
    assert "after 70 minutes" in text_of(resolved)
    assert "restored 18 minutes before the first estimate of 16:30 CET" in text_of(resolved)
    assert "Estimated restoration" not in facts and "When it will work again" not in facts  # no estimate to come
    assert text_of(facts["What went wrong"]) == "A load balancer change took half of the API servers out of rotation."
    # prevention with done dates and anchors
    prevention = facts["What we are doing so it does not happen again"]
    assert isinstance(prevention, Tag)
    steps = prevention.find_all("li")
    assert [li["id"] for li in steps] == ["prevention-1", "prevention-2", "prevention-game-day"]
    assert times_in(steps[0]) == []
    assert times_in(steps[1]) == ["2026-11-21"]  # written as a date: shown as one, with no clock
    assert "done: Nov 21, 2026" in text_of(steps[1])
    assert times_in(steps[2]) == ["2026-11-24T09:30:00Z"]
    assert "done" in text_of(steps[1])
    # postmortem
    postmortem = facts["Postmortem"]
    assert isinstance(postmortem, Tag)
    link = postmortem.find("a")
    assert isinstance(link, Tag)
    assert link["href"] == "https://example.com/blog/api-errors"


def test_incident_page_has_every_update_with_a_stable_anchor(small_site: Path, soup: Soup) -> None:
    page = soup(small_site / "incidents" / "2026-11-20-api-errors" / "index.html")
    updates = page.select("ol.updates > li")
    assert [u["id"] for u in updates] == [
        "update-20261120T151200Z",
        "update-20261120T144000Z-2",
        "update-20261120T144000Z",
        "update-20261120T140200Z",
    ]
    for update in updates:
        link = update.select_one("a.update-time")
        assert link is not None
        assert link["href"] == f"#{update['id']}"
    assert [text_of(u.select_one(".update-status")) for u in updates] == [
        "Resolved",
        "Update",
        "Identified",
        "Investigating",
    ]
    assert times_in(updates[0]) == ["2026-11-20T15:12:00Z"]
    assert text_of(updates[0].select_one(".prose")) == "Error rates are back to normal."


def test_unresolved_incident_page(small_site: Path, soup: Soup) -> None:
    page = soup(small_site / "incidents" / "2026-11-26-email-delays" / "index.html")
    assert page.title is not None and page.title.string == "Investigating: Emails delayed – Test Status"
    facts = {text_of(dt): dt.find_next_sibling("dd") for dt in page.select("dl.facts > dt")}
    assert text_of(facts["Duration so far"]) == "90 minutes"  # 11:30 CET to the build time, 13:00 CET
    assert times_in(facts["When it will work again"]) == ["2026-11-26T13:00:00Z"]  # type: ignore[arg-type]
    assert times_in(facts["Next update"]) == ["2026-11-26T12:30:00Z"]  # type: ignore[arg-type]
    affected = facts["Affected"]
    assert isinstance(affected, Tag)
    assert "Partial outage" in text_of(affected)  # the component's status while unresolved


def test_index_title_of_a_small_site(small_site: Path, soup: Soup) -> None:
    index = soup(small_site / "index.html")
    assert index.title is not None and index.title.string == "Partial outage – Test Status"
    component_status = {
        str(a["href"]): text_of(a.find_parent("li").select_one(".status"))  # type: ignore[union-attr]
        for a in index.select("li.component .component-head a")
    }
    assert component_status["components/email/"].endswith("Partial outage")
    assert component_status["components/api/"].endswith("Operational")


def test_all_operational_title(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path], soup: Soup
) -> None:
    site = build(make_site(tmp_path / "s", incidents={"2026-11-20-api-errors": RESOLVED}))
    index = soup(site / "index.html")
    assert index.title is not None and index.title.string == "All systems operational – Test Status"
    assert text_of(section(index, "overall").find("h1")).endswith("All systems operational")
    assert index.select("section.now") == []


# -- history, components, maintenance, 404 ---------------------------------------------


def item_times(page: BeautifulSoup) -> list[str]:
    """The start time of every item listed, in page order."""
    return [times_in(li)[0] for li in page.select("main li.item")]


def test_history_is_paginated_newest_first_under_month_headings(example_site: Path, soup: Soup) -> None:
    first = soup(example_site / "history" / "index.html")
    second = soup(example_site / "history" / "page" / "2" / "index.html")
    assert not (example_site / "history" / "page" / "3").exists()
    assert not (example_site / "history" / "page" / "1").exists()
    assert len(first.select("main li.item")) == 10  # history_page_size = 10
    assert 1 <= len(second.select("main li.item")) <= 10
    stamps = item_times(first) + item_times(second)
    assert stamps == sorted(stamps, reverse=True)
    assert len(stamps) == 15  # 12 incidents and 3 maintenance windows
    months = [text_of(h) for h in first.select("main section.month > h2")]
    assert months[:3] == ["December 2026", "November 2026", "October 2026"]
    assert len(months) == len(set(months))
    # each item is under its own month
    for month in first.select("main section.month"):
        heading = text_of(month.find("h2"))
        for item in month.select("li.item"):
            start = datetime.fromisoformat(times_in(item)[0].replace("Z", "+00:00")).astimezone(BERLIN)
            assert start.strftime("%B %Y") == heading
    # pager links both ways
    older = first.select_one('a[rel="next"]')
    newer = second.select_one('a[rel="prev"]')
    assert older is not None and older["href"] == "../history/page/2/"
    assert newer is not None and newer["href"] == "../../../history/"
    assert second.title is not None and second.title.string == "History (page 2) – Acme Status"


def test_history_page_size_is_honoured(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path], soup: Soup
) -> None:
    incidents = {}
    for day in range(1, 8):
        incidents[f"2026-10-{day:02d}-thing"] = (
            f"---\ntitle: Thing {day}\nimpact: minor\ncomponents: [api]\n---\n"
            f"## 2026-10-{day:02d} 10:00 UTC — Investigating\nx\n## 2026-10-{day:02d} 11:00 UTC — Resolved\ny\n"
        )
    config = (
        'title = "T"\nbase_url = "https://t.example/"\nhistory_page_size = 3\n'
        '[[components]]\nid = "api"\nname = "API"\n'
    )
    site = build(make_site(tmp_path / "s", incidents=incidents, config=config))
    pages = [site / "history" / "index.html", site / "history/page/2/index.html", site / "history/page/3/index.html"]
    titles = [[text_of(a) for a in soup(p).select("main li.item > a")] for p in pages]
    assert titles == [["Thing 7", "Thing 6", "Thing 5"], ["Thing 4", "Thing 3", "Thing 2"], ["Thing 1"]]
    assert not (site / "history" / "page" / "4").exists()
    # the component's history is paginated the same way
    assert (site / "components" / "api" / "page" / "3" / "index.html").is_file()
    assert not (site / "components" / "api" / "page" / "4").exists()


def test_component_pages(example_site: Path, soup: Soup) -> None:
    page = soup(example_site / "components" / "search" / "index.html")
    assert page.title is not None and page.title.string == "Partial outage: Search – Acme Status"
    assert text_of(page.find("h1")) == "Search"
    assert text_of(page.select_one(".component-status")).endswith("Partial outage")
    assert len(page.select("ol.bar > li")) == 90
    assert text_of(page.select_one(".bar-uptime")) == "99.98 % uptime in the last 90 days"
    assert [a["href"] for a in page.select("main li.item > a")] == ["../../incidents/2026-11-26-search-failures/"]
    api = soup(example_site / "components" / "api" / "index.html")
    assert api.title is not None and api.title.string == "Operational: Public API – Acme Status"
    hrefs = [str(a["href"]) for a in api.select("main li.item > a")]
    assert hrefs  # its history lists only what touched it
    for href in hrefs:
        name = PurePosixPath(href).name
        kind = PurePosixPath(href).parent.name
        parse = parse_incident if kind == "incidents" else parse_maintenance
        data = (REPO / "content" / kind / f"{name}.md").read_bytes()
        item, _ = parse(data, name, name, BERLIN, None)
        assert item is not None and "api" in item.component_ids, href


def test_maintenance_pages(example_site: Path, soup: Soup) -> None:
    page = soup(example_site / "maintenance" / "2026-11-26-sms-sending-move" / "index.html")
    assert (
        page.title is not None and page.title.string == "In progress: Moving SMS sending to new servers – Acme Status"
    )
    facts = {text_of(dt): dt.find_next_sibling("dd") for dt in page.select("dl.facts > dt")}
    assert times_in(facts["Window"]) == ["2026-11-26T11:00:00Z", "2026-11-26T14:00:00Z"]  # type: ignore[arg-type]
    assert [text_of(a) for a in facts["Affected"].find_all("a")] == ["SMS notifications"]  # type: ignore[union-attr]
    assert [u["id"] for u in page.select("ol.updates > li")] == [
        "update-20261126T110200Z",
        "update-20261119T090000Z",
    ]
    past = soup(example_site / "maintenance" / "2026-10-18-database-upgrade" / "index.html")
    assert past.title is not None and past.title.string == "Completed: Database upgrade – Acme Status"
    upcoming = soup(example_site / "maintenance" / "2026-12-03-webhook-delivery-upgrade" / "index.html")
    assert upcoming.title is not None and upcoming.title.string.startswith("Scheduled: ")


def test_not_found_page_links_work_at_any_depth(example_site: Path, soup: Soup) -> None:
    page = soup(example_site / "404.html")
    links = [str(a["href"]) for a in page.select("a[href]")] + [str(link["href"]) for link in page.select("link[href]")]
    local = [href for href in links if not href.startswith(("http:", "https:", "mailto:", "#"))]
    assert local
    for href in local:
        assert href.startswith("/"), f"{href} would break at /a/b/missing"
        path = urlsplit(href).path
        target = example_site / unquote(path).lstrip("/")
        if path.endswith("/"):
            target = target / "index.html"
        assert target.is_file(), href


@pytest.fixture(scope="module")
def example_pages(example_site: Path, soup: Soup) -> dict[Path, BeautifulSoup]:
    """Each page of the example, parsed once: the tests only read them."""
    return {page: soup(page) for page in html_pages(example_site)}


def test_stylesheet_name_carries_its_hash(example_site: Path, example_pages: dict[Path, BeautifulSoup]) -> None:
    sheets = list(example_site.glob("*.css"))
    assert len(sheets) == 1
    sheet = sheets[0]
    match = re.fullmatch(r"style\.([0-9a-f]{8,})\.css", sheet.name)
    assert match
    assert hashlib.sha256(sheet.read_bytes()).hexdigest().startswith(match.group(1))
    for page, document in example_pages.items():
        links = document.select('link[rel="stylesheet"]')
        assert len(links) == 1, page
        href = str(links[0]["href"])
        assert href.endswith(sheet.name)
        if page.name != "404.html":
            assert (page.parent / href).resolve() == sheet.resolve()


def test_every_time_is_utc_in_the_attribute_and_local_in_the_text(example_pages: dict[Path, BeautifulSoup]) -> None:
    count = 0
    for page, document in example_pages.items():
        for tag in document.find_all("time"):
            count += 1
            stamp = str(tag["datetime"])
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", stamp):  # a day written alone: its date, in the site's words
                assert text_of(tag) == date.fromisoformat(stamp).strftime("%b %-d, %Y"), (page, stamp)
                continue
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", stamp), (page, stamp)
            moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            local = moment.astimezone(BERLIN)
            text = text_of(tag)
            assert text.endswith(" " + zone_label(moment, BERLIN)), (page, text)
            if re.search(r"\d{2}:\d{2}", text):
                assert local.strftime("%H:%M") in text, (page, stamp, text)
    assert count > 100


def test_every_page_links_the_feed(example_site: Path, example_pages: dict[Path, BeautifulSoup]) -> None:
    for page, document in example_pages.items():
        alternates = document.select('link[rel="alternate"][type="application/rss+xml"]')
        hrefs = [str(link["href"]) for link in alternates]
        if page.name == "404.html":
            assert "/feed.xml" in hrefs
        else:
            targets = [(page.parent / href).resolve() for href in hrefs]
            assert (example_site / "feed.xml").resolve() in targets, page


# -- links -------------------------------------------------------------------------


class LinksAndIds(HTMLParser):
    """A page's links (``a``/``link`` href, ``script``/``img`` src) and ids: what the link check needs, no tree."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "id" in values:
            self.ids.add(values["id"] or "")
        if (tag in ("a", "link") and "href" in values) or (tag in ("script", "img") and "src" in values):
            self.links.append(str(values.get("href") or values.get("src")))


def links_and_ids(page: Path) -> LinksAndIds:
    parsed = LinksAndIds()
    parsed.feed(page.read_text("utf-8"))
    parsed.close()
    return parsed


def local_links(site: Path, base_url: str, pages: dict[Path, LinksAndIds]) -> Iterator[tuple[Path, str, Path, str]]:
    """(page, href, target file, fragment) for every link that stays on the site; ``pages`` gets each page parsed."""
    base = urlsplit(base_url)
    for page in html_pages(site):
        here = page_url(base_url, site, page)
        if page not in pages:
            pages[page] = links_and_ids(page)
        for href in pages[page].links:
            absolute = urljoin(here, href)
            parts = urlsplit(absolute)
            if parts.scheme not in ("http", "https") or parts.netloc != base.netloc:
                continue
            assert parts.path.startswith(base.path), (page, href)
            inner = unquote(parts.path[len(base.path) :])
            target = site / inner
            if inner == "" or inner.endswith("/"):
                target = target / "index.html"
            yield page, href, target, parts.fragment


def check_links(site: Path, base_url: str) -> int:
    pages: dict[Path, LinksAndIds] = {}
    checked = 0
    for page, href, target, fragment in local_links(site, base_url, pages):
        assert target.is_file(), f"{page.relative_to(site)}: broken link {href}"
        if fragment and target.suffix == ".html":
            if target not in pages:
                pages[target] = links_and_ids(target)
            assert fragment in pages[target].ids, f"{page.relative_to(site)}: no #{fragment} in {href}"
        checked += 1
    return checked


def test_every_link_of_the_example_resolves(example_site: Path, soup: Soup) -> None:
    assert check_links(example_site, EXAMPLE_BASE) > 500


def test_a_base_url_with_a_path(
    copy_fixture_site: Callable[[str], Path], build: Callable[..., Path], soup: Soup, tmp_path: Path
) -> None:
    site = build(copy_fixture_site("base_path"), tmp_path / "out")
    base = "https://example.com/status/"
    assert check_links(site, base) > 50
    not_found = soup(site / "404.html")
    for tag in not_found.select("a[href], link[href]"):
        href = str(tag["href"])
        if not href.startswith(("#", "https://example.com/support")):
            assert href.startswith(("/status/", base)), href
    index = soup(site / "index.html")
    canonical = index.select_one('link[rel="canonical"]')
    assert canonical is not None and canonical["href"] == base
    incident = soup(site / "incidents" / "2026-11-10-payment-errors" / "index.html")
    canonical = incident.select_one('link[rel="canonical"]')
    assert canonical is not None and canonical["href"] == base + "incidents/2026-11-10-payment-errors/"
    # a zone without an abbreviation is named by its offset
    for tag in index.find_all("time"):
        assert text_of(tag).endswith(" UTC-03:00")
    # history_page_size = 2 with 4 items
    assert (site / "history" / "page" / "2" / "index.html").is_file()
    assert not (site / "history" / "page" / "3").exists()


def test_base_url_option_overrides_the_config(
    tmp_path: Path, example_copy: Path, build: Callable[..., Path], soup: Soup
) -> None:
    base = "http://localhost:8000/preview/"
    site = build(example_copy, tmp_path / "out", NOW, "--base-url", base)
    assert check_links(site, base) > 500
    hrefs = [str(a["href"]) for a in soup(site / "404.html").select("a[href]")]
    assert "/preview/history/" in hrefs


# -- escaping -------------------------------------------------------------------------


def test_front_matter_text_is_escaped_and_author_markdown_html_renders(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path], soup: Soup
) -> None:
    config = (
        'title = "Acme <script>alert(1)</script> & Co"\nbase_url = "https://t.example/"\n'
        '[[components]]\nid = "api"\nname = "API <b>v2</b>"\n'
    )
    incident = (
        "---\n"
        "title: Errors in <script>alert('x')</script> & more\n"
        "impact: minor\n"
        "components: [api]\n"
        "---\n"
        "## 2026-11-20 14:02 UTC — Investigating\n"
        'We see <span class="author-html">errors</span> & timeouts.\n\n'
        "<details><summary>Details</summary>Raw HTML block.</details>\n"
    )
    site = build(make_site(tmp_path / "s", incidents={"x": incident}, config=config))
    for page in html_pages(site):
        document = soup(page)
        # the theme's own deferred script is the only one: nothing from front matter
        scripts = [tag.get("src", "") for tag in document.find_all("script")]
        assert all(re.fullmatch(r"(?:/|(?:\.\./)*)inloop\.[0-9a-f]{10}\.js", str(src)) for src in scripts), page
        assert document.find("b") is None, page
    page = soup(site / "incidents" / "x" / "index.html")
    assert text_of(page.find("h1")) == "Errors in <script>alert('x')</script> & more"
    assert page.title is not None
    assert (
        page.title.string
        == "Investigating: Errors in <script>alert('x')</script> & more – Acme <script>alert(1)</script> & Co"
    )
    affected = page.select_one("dl.facts ul a")
    assert affected is not None and text_of(affected) == "API <b>v2</b>"
    # the author's own HTML is trusted and renders as written
    span = page.select_one("ol.updates span.author-html")
    assert span is not None and text_of(span) == "errors"
    details = page.select_one("ol.updates details > summary")
    assert details is not None and text_of(details) == "Details"


def test_bar_days_are_days_in_the_site_zone_coloured_by_their_downtime(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path], soup: Soup
) -> None:
    def incident(title: str, status: str, start: str, end: str) -> str:
        return (
            f"---\ntitle: {title}\nimpact: major\ncomponents:\n  api: {status}\n---\n"
            f"## {start} — Investigating\nx\n\n## {end} — Resolved\ny\n"
        )

    site = build(
        make_site(
            tmp_path / "s",
            incidents={
                # 23:30 UTC on the 24th is 00:30 on the 25th in Berlin: 20 minutes x 0.3
                "late": incident("Late", "partial_outage", "2026-11-24 23:30 UTC", "2026-11-24 23:50 UTC"),
                "small": incident("Small", "major_outage", "2026-11-20 09:00 UTC", "2026-11-20 09:30 UTC"),
                "big": incident("Big", "major_outage", "2026-11-20 12:00 UTC", "2026-11-20 13:00 UTC"),
                # 23:00 on the 10th to 02:00 on the 11th in Berlin: two local days
                "long": incident("Long", "major_outage", "2026-11-10 22:00 UTC", "2026-11-11 01:00 UTC"),
                "slow": incident("Slow", "degraded_performance", "2026-11-15 10:00 UTC", "2026-11-15 11:00 UTC"),
            },
        )
    )
    index = soup(site / "index.html")
    item = index.select_one('li.component:has(a[href="components/api/"])')
    assert item is not None
    days = item.select("ol.bar > li")
    levels = {str(d["title"]).split(":")[0]: d["class"][1] for d in days if "day-none" not in d["class"]}
    nodata = [day for day, level in levels.items() if level == "day-nodata"]
    assert len(nodata) == 90 - 17 and "Nov 9, 2026" in nodata  # the data starts on the 10th, the first incident's day
    assert {day: level for day, level in levels.items() if level != "day-nodata"} == {
        "Nov 10, 2026": "day-lot",  # 60 minutes
        "Nov 11, 2026": "day-lot",  # 120 minutes
        "Nov 20, 2026": "day-lot",  # 30 + 60 minutes
        "Nov 25, 2026": "day-little",  # 6 minutes
    }
    assert "day-none" in days[-1]["class"]  # today, the 26th, had none
    lines = [" ".join(li.get_text().split()) for li in item.select(".day-list li")]
    assert lines == [
        "Nov 25, 2026: 6 min of downtime · Late",
        "Nov 20, 2026: 90 min of downtime · Big, Small",
        "Nov 15, 2026: no downtime · Slow",  # degraded performance is no downtime, but the incident is named
        "Nov 11, 2026: 120 min of downtime · Long",
        "Nov 10, 2026: 60 min of downtime · Long",
    ]
    rest = text_of(item.select_one(".day-rest"))
    assert rest == "Every other day: no downtime. No data before Nov 10, 2026."
    # 16 days and 13 hours since 10 Nov 00:00 CET: 23820 minutes, 276 of them down
    assert text_of(item.select_one(".bar-uptime")) == "98.84 % uptime in the last 90 days"
