"""A resolved incident reads in the past tense, everywhere it is shown (issue 16, item 3).

It says when service was restored and how that compared with the *first*
estimate, shows the later estimates as a list of what was said, never a
current or future estimate with a relative time ("in 25 minutes"), and speaks
of the cause in the past.  An open incident keeps the present tense and its
current estimate.  The same in every language the theme ships.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup, Tag

CONFIG = """\
title = "Past Status"
base_url = "https://status.past.example/"
timezone = "Europe/Berlin"
{language}
[[components]]
id = "api"
name = "Public API"
"""

#: Resolved at 15:12 CET; estimates 15:30, then 16:30, then 17:00 CET (times without a zone are CET).
RESOLVED = """\
---
title: Checkout failing
impact: major
components:
  api: partial_outage
cause: An expired certificate on our payment gateway.
previous_estimates:
  - 2026-11-25 15:30
  - 2026-11-25 16:30
estimate: 2026-11-25 17:00
next_update: 2026-11-25 16:45
---
## 2026-11-25 14:02 — Investigating
Payments fail.

## 2026-11-25 15:12 — Resolved
Payments work again.
"""

OPEN = RESOLVED.replace("## 2026-11-25 15:12 — Resolved\nPayments work again.\n", "")

#: The build time: 15:35 CET, when the last estimate (17:00) is still ahead.
NOW = "2026-11-25 14:35 UTC"
LAST_ESTIMATE = "2026-11-25T16:00:00Z"


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, make_site: Callable[..., Path], build: Callable[..., Path]
) -> Callable[..., Path]:
    """``built(text, language, now)`` → the site of that one incident, built once a module: the tests only read it."""
    sites: dict[tuple[str, str, str], Path] = {}

    def make(text: str = RESOLVED, language: str = "", now: str = NOW) -> Path:
        if (text, language, now) not in sites:
            config = CONFIG.format(language=f'language = "{language}"\n' if language else "")
            source = make_site(
                tmp_path_factory.mktemp("resolved") / "site", config=config, incidents={"checkout": text}
            )
            sites[text, language, now] = build(source, None, now)
        return sites[text, language, now]

    return make


def parse(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


def text_of(tag: Tag | None) -> str:
    assert tag is not None
    return " ".join(tag.get_text().split())  # a no-break space reads as a space


def facts(page: BeautifulSoup) -> dict[str, Tag]:
    """The incident's facts: each <dt>'s text and its <dd>."""
    found = {}
    for term in page.select(".facts dt"):
        value = term.find_next_sibling("dd")
        assert isinstance(value, Tag)
        found[text_of(term)] = value
    return found


def times_with_a_relative_line(page: BeautifulSoup) -> list[str]:
    """The moments the script describes relative to now ("in 25 minutes", "2 hours ago")."""
    found = []
    for slot in page.select(".local"):
        owner = slot.find_previous_sibling()
        if owner is None:
            continue
        times = owner.parent.find_all("time", recursive=False) if owner.name == "time" else owner.find_all("time")
        found += [str(t["datetime"]) for t in times if len(str(t["datetime"])) > 10]
    return found


def test_a_resolved_page_says_when_it_was_restored_against_the_first_estimate(built: Callable[..., Path]) -> None:
    page = parse(built() / "incidents" / "checkout" / "index.html")
    shown = facts(page)
    assert list(shown) == [
        "Affected",
        "Started",
        "Resolved",
        "What went wrong",
        "Estimates we gave",
        "What we are doing so it does not happen again",
    ]
    assert text_of(shown["Resolved"]) == (
        "Nov 25, 2026, 15:12 CET (after 70 minutes): restored 18 minutes before the first estimate of 15:30 CET"
    )
    assert text_of(shown["What went wrong"]) == "An expired certificate on our payment gateway."
    estimates = [text_of(item) for item in shown["Estimates we gave"].select("li")]
    assert estimates == ["First estimate: 15:30 CET", "Moved to 16:30 CET", "Moved to 17:00 CET"]
    text = text_of(page.find("main"))
    for present in ("What is wrong", "When it will work again", "Estimated restoration", "Next update", "by 17:00"):
        assert present not in text
    assert "estimate moved" not in text


def test_a_resolved_page_shows_no_estimate_as_a_time_to_come(built: Callable[..., Path]) -> None:
    """The only moments described relative to now are the start, the restoration and the updates."""
    page = parse(built() / "incidents" / "checkout" / "index.html")
    relative = times_with_a_relative_line(page)
    assert sorted(set(relative)) == ["2026-11-25T13:02:00Z", "2026-11-25T14:12:00Z"]
    estimate_times = [str(t["datetime"]) for t in page.select(".estimates time")]
    assert estimate_times == ["2026-11-25T14:30:00Z", "2026-11-25T15:30:00Z", LAST_ESTIMATE]


@pytest.mark.parametrize(
    ("resolved_at", "expected"),
    [
        ("15:30", "restored at the time of the first estimate, 15:30 CET"),
        ("16:31", "restored 61 minutes after the first estimate of 15:30 CET"),
        ("2026-11-26 09:00", "restored 17 hours 30 minutes after the first estimate of Nov 25, 2026, 15:30 CET"),
    ],
)
def test_the_comparison_is_always_with_the_first_estimate(
    built: Callable[..., Path], resolved_at: str, expected: str
) -> None:
    heading = resolved_at if " " in resolved_at else f"2026-11-25 {resolved_at}"
    text = RESOLVED.replace("## 2026-11-25 15:12 — Resolved", f"## {heading} — Resolved")
    site = built(text, now="2026-11-26 12:00 UTC")
    shown = facts(parse(site / "incidents" / "checkout" / "index.html"))
    assert text_of(shown["Resolved"]).endswith("): " + expected)


def test_a_single_estimate_is_compared_without_a_list(built: Callable[..., Path]) -> None:
    text = RESOLVED.replace("previous_estimates:\n  - 2026-11-25 15:30\n  - 2026-11-25 16:30\n", "").replace(
        "estimate: 2026-11-25 17:00", "estimate: 2026-11-25 15:30"
    )
    shown = facts(parse(built(text) / "incidents" / "checkout" / "index.html"))
    assert "Estimates we gave" not in shown
    assert text_of(shown["Resolved"]).endswith("restored 18 minutes before the first estimate of 15:30 CET")


def test_a_resolved_page_without_cause_estimate_or_prevention_says_nothing_of_the_future(
    built: Callable[..., Path],
) -> None:
    text = (
        "---\ntitle: Checkout failing\nimpact: minor\ncomponents: [api]\n---\n"
        "## 2026-11-25 14:02 — Investigating\nPayments fail.\n\n## 2026-11-25 15:12 — Resolved\nFixed.\n"
    )
    shown = facts(parse(built(text) / "incidents" / "checkout" / "index.html"))
    assert text_of(shown["Resolved"]) == "Nov 25, 2026, 15:12 CET (after 70 minutes)"
    assert text_of(shown["What went wrong"]) == (
        "We have not yet said what caused this; we will add it here once we know."
    )
    assert text_of(shown["What we are doing so it does not happen again"]) == (
        "We have not yet published what we are changing; we will add it here."
    )
    assert "Estimates we gave" not in shown


def test_an_open_incident_keeps_the_present_tense_and_its_current_estimate(built: Callable[..., Path]) -> None:
    site = built(OPEN)
    page = parse(site / "incidents" / "checkout" / "index.html")
    shown = facts(page)
    assert list(shown)[:5] == ["Affected", "Started", "Duration so far", "What is wrong", "When it will work again"]
    when = shown["When it will work again"]
    assert [str(t["datetime"]) for t in when.find_all("time", recursive=False)] == [LAST_ESTIMATE]
    assert LAST_ESTIMATE in times_with_a_relative_line(page)  # "in 85 minutes" while it is open
    assert [text_of(li) for li in when.select(".revisions li")] == [
        "estimate moved from 15:30 to 16:30 CET",
        "estimate moved from 16:30 to 17:00 CET",
    ]
    assert text_of(shown["Next update"]) == "By Nov 25, 2026, 16:45 CET."
    home = parse(site / "index.html")
    summary = home.select_one(".incident-summary")
    assert summary is not None
    assert "We expect to restore service by Nov 25, 2026, 17:00 CET." in text_of(summary)


def test_no_other_page_shows_a_resolved_incidents_estimate(built: Callable[..., Path]) -> None:
    """Home page, history, component page: the incident is listed with its start and end only."""
    site = built()
    for path in sorted(site.rglob("*.html")):
        page = parse(path)
        relative = times_with_a_relative_line(page)
        assert LAST_ESTIMATE not in relative, path
        if path.parent.name != "checkout":
            assert page.find("time", datetime=LAST_ESTIMATE) is None, path
            assert "What is wrong" not in text_of(page.find("main")), path
    home = parse(site / "index.html")
    assert home.select(".incident-summary") == []
    [row] = home.select("section.recent li.item")
    assert [str(t["datetime"]) for t in row.find_all("time")] == ["2026-11-25T13:02:00Z", "2026-11-25T14:12:00Z"]


def test_feeds_speak_of_a_resolved_cause_in_the_past(built: Callable[..., Path]) -> None:
    resolved = feedparser.parse((built() / "feed.xml").read_bytes())
    assert resolved.entries
    for entry in resolved.entries:
        assert "What went wrong:" in entry.summary
        assert "What is wrong" not in entry.summary and "Expected restoration" not in entry.summary
    still_open = feedparser.parse((built(OPEN) / "feed.xml").read_bytes())
    [entry] = still_open.entries
    assert "What is wrong:" in entry.summary and "Expected restoration:" in entry.summary
    document = json.loads((built() / "feed.json").read_text("utf-8"))
    assert all("What went wrong" in item["content_html"] for item in document["items"])


#: language: (Resolved, What went wrong, Estimates we gave, the resolved line, the list of estimates)
TRANSLATED = {
    "de": (
        "Behoben",
        "Was nicht funktioniert hat",
        "Unsere Schätzungen",
        "25. Nov. 2026, 15:12 CET (Dauer: 70 Minuten): "
        "18 Minuten vor der ersten Schätzung (15:30 CET) wiederhergestellt",
        ["Erste Schätzung: 15:30 CET", "Verschoben auf 16:30 CET", "Verschoben auf 17:00 CET"],
    ),
    "fr": (
        "Résolu",
        "Ce qui n'a pas fonctionné",
        "Nos estimations",
        "25 nov. 2026, 15:12 CET (après 70 minutes): rétabli 18 minutes avant la première estimation (15:30 CET)",
        ["Première estimation : 15:30 CET", "Nouvelle estimation : 16:30 CET", "Nouvelle estimation : 17:00 CET"],
    ),
    "es": (
        "Resuelto",
        "Qué falló",
        "Nuestras previsiones",
        "25 nov 2026, 15:12 CET (tras 70 minutos): restablecido 18 minutos antes de la primera previsión (15:30 CET)",
        ["Primera previsión: 15:30 CET", "Cambiada a 16:30 CET", "Cambiada a 17:00 CET"],
    ),
    "ja": (
        "解決済み",
        "発生した問題",
        "お伝えした復旧見込み",
        "2026年11月25日 15:12 CET (所要時間\uff1a70分): 最初の復旧見込み\uff0815:30 CET\uff09より18分早く復旧しました",
        ["最初の見込み\uff1a15:30 CET", "16:30 CETに変更", "17:00 CETに変更"],
    ),
}


@pytest.mark.parametrize("language", sorted(TRANSLATED))
def test_every_catalog_speaks_of_a_resolved_incident_in_the_past(built: Callable[..., Path], language: str) -> None:
    resolved, went_wrong, estimates, line, listed = TRANSLATED[language]
    page = parse(built(language=language) / "incidents" / "checkout" / "index.html")
    shown = facts(page)
    assert list(shown)[2:5] == [resolved, went_wrong, estimates]
    assert text_of(shown[resolved]) == line
    assert [text_of(item) for item in shown[estimates].select("li")] == listed
