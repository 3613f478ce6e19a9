"""``uptime/`` and ``uptime/<id>/``: months newest first, calendars with words, group and overall figures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup, Tag
from site_support import CONFIG

Soup = Callable[[Path], BeautifulSoup]

#: api: major 10:00-10:30 UTC (30 min); dashboard partial 10:15-10:45 (0.3 x 30 = 9 min).
OUTAGE = """\
---
title: API <down> & out
impact: major
components:
  api: major_outage
---

## 2026-11-20 10:00 UTC — Investigating
Down.

## 2026-11-20 10:15 UTC — Identified
Components: dashboard → partial_outage

## 2026-11-20 10:30 UTC — Monitoring
Components: api → operational

## 2026-11-20 10:45 UTC — Resolved
Up.
"""


def words(node: Tag | None) -> str:
    assert node is not None
    return " ".join(node.get_text().split())


def make(tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path], first: str = "") -> Path:
    config = first + CONFIG + "\n[uptime]\nsince = 2025-01-01\n"
    return build(make_site(tmp_path / "source", config=config, incidents={"2026-11-20-api": OUTAGE}))


def test_the_uptime_page(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path], soup: Soup
) -> None:
    site = make(tmp_path, make_site, build)
    page = soup(site / "uptime" / "index.html")
    assert words(page.find("h1")) == "Uptime"
    api = page.select_one('section.uptime-component[aria-labelledby="uptime-api"]')
    assert api is not None
    months = [words(h3).split(":")[0] for h3 in api.find_all("h3")]
    assert months[:2] == ["November 2026", "October 2026"] and len(months) == 12 and months[-1] == "December 2025"
    assert len(api.select("table.calendar")) == 12
    more = api.select_one('a[href="../uptime/api/"]')
    assert more is not None and words(more) == "All months of Public API"
    # 1 Nov 00:00 CET to 26 Nov 12:00 UTC: 36780 minutes, 30 down: 99.918...%
    assert words(api.find("h3")) == "November 2026: 99.91 % · 30 min of downtime"
    cell = api.select("table.calendar")[0].select("td[class]")[19]
    assert "day-more" in cell["class"] and words(cell) == "20 30"  # the 20th: 30 minutes
    (line,) = api.select(".day-list li")
    assert words(line) == "Nov 20, 2026: 30 min of downtime · API <down> & out"
    assert "API &lt;down&gt; &amp; out" in str(line)  # escaped, as every title
    link = line.find("a")
    assert isinstance(link, Tag) and link["href"] == "../incidents/2026-11-20-api/"
    # the overall and each group's figures: each minute counted once, at its worst status
    summaries = {words(s.find("h3")): s for s in page.select("section.uptime-summary")}
    assert list(summaries) == ["All components", "Platform", "Communication"]
    platform = [words(li) for li in summaries["Platform"].find_all("li")]
    # major 10:00-10:30 (30), then the dashboard's partial outage 10:30-10:45 (4.5): 34.5 of 36780 minutes
    assert platform[1] == "November 2026: 99.90 % · 34.5 min of downtime"
    assert [words(li) for li in summaries["All components"].find_all("li")][1] == platform[1]
    assert [words(li) for li in summaries["Communication"].find_all("li")][1] == (
        "November 2026: 100.00 % · 0 min of downtime"
    )
    home = soup(site / "index.html")
    assert home.select_one('a[href="uptime/"]') is not None


def test_a_component_page_has_every_month(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path], soup: Soup
) -> None:
    site = make(tmp_path, make_site, build)
    page = soup(site / "uptime" / "api" / "index.html")
    assert words(page.find("h1")) == "Uptime of Public API"
    months = [words(h3).split(":")[0] for h3 in page.select("section.uptime-component h3")]
    assert len(months) == 23 and months[0] == "November 2026" and months[-1] == "January 2025"
    assert page.select_one("section.uptime-summary") is None


def test_days_before_since_say_so(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path], soup: Soup
) -> None:
    site = build(make_site(tmp_path / "source", incidents={"2026-11-20-api": OUTAGE}))  # since: 20 Nov
    page = soup(site / "uptime" / "index.html")
    api = page.select_one('section.uptime-component[aria-labelledby="uptime-api"]')
    assert api is not None
    cells = api.select("td[class]")
    assert ["day-nodata" in cell["class"] for cell in cells] == [True] * 19 + [False] * 7
    assert words(cells[0]) == "1 –"
    assert words(api.select_one(".day-rest")) == "Every other day: no downtime. No data before Nov 20, 2026."


def test_the_uptime_page_in_german(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path], soup: Soup
) -> None:
    site = make(tmp_path, make_site, build, first='language = "de"\n')
    page = soup(site / "uptime" / "index.html")
    assert words(page.find("h1")) == "Verfügbarkeit"
    home = soup(site / "index.html")
    # 90 days from 29 Aug 00:00 CEST: 129000 minutes to the build time, 30 of them down
    assert words(home.select_one(".bar-uptime")) == "99,97 % Verfügbarkeit in den letzten 90 Tagen"
