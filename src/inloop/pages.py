"""Which files a site has, what each is made from, and how to make it.

:func:`plan` lists every output file as a :class:`Page`: its path, a *key*
that captures everything its bytes depend on (content digests, config, the
templates it can load, the build time where it matters), and a function that
renders it.  The builder renders a page only when its key changed, so an
incremental rebuild and a cold build give the same bytes by construction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from gettext import NullTranslations
from typing import Any
from urllib.parse import urlsplit

from . import __version__, derive, feeds
from .derive import BarDay, Item
from .formatting import Formatter
from .model import STATUS_LABELS, ComponentStatus, Content, Impact, Incident, Maintenance, SiteConfig
from .render import Templates


def N_(text: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return text


IMPACT_LABELS = {
    Impact.NONE: N_("No impact"),
    Impact.MINOR: N_("Minor"),
    Impact.MAJOR: N_("Major"),
    Impact.CRITICAL: N_("Critical"),
}
OVERALL = {status: N_(text) for status, text in derive.OVERALL_SENTENCES.items()}
STATUS_TEXT = {status: N_(text) for status, text in STATUS_LABELS.items()}
UPDATE_STATUSES = [
    N_("Investigating"),
    N_("Identified"),
    N_("Monitoring"),
    N_("Update"),
    N_("Resolved"),
    N_("Scheduled"),
    N_("In progress"),
    N_("Verifying"),
    N_("Completed"),
    N_("Cancelled"),
    N_("Follow-up"),
]


@dataclass(frozen=True, slots=True)
class Page:
    path: str
    key: str
    render: Callable[[], bytes]


@dataclass(frozen=True, slots=True)
class Feed:
    title: str
    path: str  # inside the site
    mime: str


@dataclass(slots=True)
class SiteState:
    """What every page may show, computed once per build."""

    config: SiteConfig
    content: Content
    now: datetime
    statuses: dict[str, ComponentStatus]
    overall: ComponentStatus
    bars: dict[str, tuple[BarDay, ...]]
    stylesheet: str  # file name, with the content hash


def make_state(config: SiteConfig, content: Content, now: datetime, stylesheet: str) -> SiteState:
    statuses = derive.component_statuses(config, content, now)
    return SiteState(
        config, content, now, statuses, derive.overall_status(statuses), derive.bars(config, content, now), stylesheet
    )


def relative_root(path: str) -> str:
    return "../" * path.count("/")


def key_of(*parts: object) -> str:
    return hashlib.sha256(repr((__version__, *parts)).encode()).hexdigest()


def site_feeds() -> list[Feed]:
    return [Feed("RSS", "feed.xml", "application/rss+xml")]


def item_path(item: Item) -> str:
    folder = "incidents" if item.kind == "incident" else "maintenance"
    return f"{folder}/{item.id}/"


def history_path(number: int, prefix: str = "history/") -> str:
    return prefix if number == 1 else f"{prefix}page/{number}/"


def _now_matters(items: Sequence[Item], now: datetime) -> datetime | None:
    """The build time, if any of ``items`` reads differently as time passes."""
    for item in items:
        if isinstance(item, Incident) and not item.resolved:
            return now
    return None


class Planner:
    """Builds the list of pages of one site state."""

    def __init__(self, state: SiteState, templates: Templates, translations: NullTranslations) -> None:
        self.state = state
        self.templates = templates
        self.translations = translations
        config = state.config
        self.fmt = Formatter(config.zone, config.language, translations)
        self.base_path = urlsplit(config.base_url).path or "/"
        self.common_key = (config.digest, config.base_url, state.stylesheet)

    def context(self, path: str, **values: Any) -> dict[str, Any]:
        config = self.state.config
        root = self.base_path if path == "404.html" else relative_root(path)
        canonical_path = path.removesuffix("index.html")
        return {
            "site": config,
            "root": root,
            "path": path,
            "canonical": config.base_url + canonical_path,
            "css": root + self.state.stylesheet,
            "fmt": self.fmt,
            "now": self.state.now,
            "feeds": site_feeds(),
            "item_path": item_path,
            "impact_label": IMPACT_LABELS,
            "status_text": STATUS_TEXT,
            "overall_text": OVERALL,
            **values,
        }

    def page(self, path: str, template: str, key: tuple[object, ...], values: Callable[[], dict[str, Any]]) -> Page:
        full_key = key_of(self.common_key, self.templates.fingerprint(template), template, key)

        def render() -> bytes:
            return self.templates.render(template, self.context(path, **values())).encode("utf-8")

        return Page(path, full_key, render)

    def plan(self) -> list[Page]:
        state = self.state
        content = state.content
        pages = [self.index(), self.not_found()]
        pages += [self.incident(i) for i in content.incidents]
        pages += [self.maintenance(m) for m in content.maintenance]
        pages += self.history(derive.history_items(content), "history/", None)
        for component in state.config.components:
            items = derive.history_items(content, component.id)
            pages += self.history(items, f"components/{component.id}/", component.id)
        pages.append(self.rss())
        return pages

    def index(self) -> Page:
        state = self.state
        content, now = state.content, state.now
        unresolved = derive.unresolved(content)
        in_progress = derive.maintenance_in_progress(content, now)
        upcoming = derive.maintenance_upcoming(content, now)
        recent = derive.recent_incidents(content, now)
        shown: list[Item] = [*unresolved, *in_progress, *upcoming, *recent]
        key = (now, [i.digest for i in shown], sorted(state.statuses.items()), sorted(state.bars.items()))

        def values() -> dict[str, Any]:
            return {
                "overall": state.overall,
                "statuses": state.statuses,
                "bars": state.bars,
                "unresolved": unresolved,
                "in_progress": in_progress,
                "upcoming": upcoming,
                "recent": recent,
                "updated": derive.last_updated(shown),
            }

        return self.page("index.html", "index.html", key, values)

    def not_found(self) -> Page:
        return self.page("404.html", "404.html", (), dict)

    def incident(self, incident: Incident) -> Page:
        now = self.state.now

        def values() -> dict[str, Any]:
            return {
                "incident": incident,
                "updated": incident.latest.time,
                "duration": derive.incident_duration(incident, now),
            }

        key = (incident.digest, incident.id, None if incident.resolved else now)
        return self.page(item_path(incident) + "index.html", "incident.html", key, values)

    def maintenance(self, window: Maintenance) -> Page:
        now = self.state.now
        state_name = window.state(now)

        def values() -> dict[str, Any]:
            return {"window": window, "state": state_name, "updated": derive.last_updated([window])}

        return self.page(
            item_path(window) + "index.html", "maintenance.html", (window.digest, window.id, state_name), values
        )

    def history(self, items: list[Item], prefix: str, component_id: str | None) -> list[Page]:
        state = self.state
        config = state.config
        pages = []
        component = config.component(component_id) if component_id else None
        status = state.statuses.get(component_id) if component_id else None
        bar = state.bars.get(component_id) if component_id else None
        template = "component.html" if component_id else "history.html"
        for chunk in derive.paginate(items, config.history_page_size):
            path = history_path(chunk.number, prefix) + "index.html"
            key = (
                prefix,
                chunk.number,
                chunk.count,
                [(i.id, i.digest) for i in chunk.items],
                [i.state(state.now) for i in chunk.items if isinstance(i, Maintenance)],
                _now_matters(chunk.items, state.now),
                status,
                bar if chunk.number == 1 else None,
            )

            def values(chunk: derive.HistoryPage = chunk) -> dict[str, Any]:
                return {
                    "page": chunk,
                    "months": derive.group_by_month(chunk.items, config),
                    "page_url": lambda n: self_rel(prefix, chunk.number, n),
                    "component": component,
                    "status": status,
                    "bar": bar if chunk.number == 1 else None,
                    "updated": derive.last_updated(chunk.items),
                }

            pages.append(self.page(path, template, key, values))
        return pages

    def rss(self) -> Page:
        state = self.state
        config = state.config
        found = feeds.entries(config, state.content, self.fmt, self.translations, state.now)
        key = ("rss", [e.key for e in found])

        def render() -> bytes:
            return feeds.rss(
                config,
                found,
                title=config.title,
                link=config.base_url,
                self_url=config.base_url + "feed.xml",
                description=config.description,
            )

        return Page("feed.xml", key_of(self.common_key, key), render)


def self_rel(prefix: str, current: int, target: int) -> str:
    """A link from history page ``current`` to page ``target`` of the same list."""
    here = history_path(current, prefix)
    up = "../" * here.count("/")
    return up + history_path(target, prefix)
