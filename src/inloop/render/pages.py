"""Which files a site has, what each is made from, and how to make it.

:func:`plan` lists every output file as a :class:`Page`: its path, a *key*
that captures everything its bytes depend on (content digests, config, the
templates it can load, the build time where it matters), and a function that
renders it.  The builder renders a page only when its key changed, so an
incremental rebuild and a cold build give the same bytes by construction.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from gettext import NullTranslations
from typing import Any
from urllib.parse import urlsplit

from inloop import i18n
from inloop.model import (
    STATUS_LABELS,
    STATUS_WORDS,
    Component,
    ComponentStatus,
    Content,
    Impact,
    Incident,
    Maintenance,
    SiteConfig,
)
from inloop.render import api, calendar, feeds, sitefiles, uptime_pages
from inloop.render import status as derive
from inloop.render.formatting import Formatter
from inloop.render.status import Item
from inloop.render.templates import Templates
from inloop.render.uptime import Uptime


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
CHANGE_WORDS = {status: N_(text) for status, text in STATUS_WORDS.items()}
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
    key: tuple[object, ...]  # everything the bytes depend on; its repr must not hold addresses
    render: Callable[[], bytes]


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed file as pages link it: ``<link rel="alternate">`` and the Subscribe section."""

    title: str  # the format: "RSS", "Atom", "JSON Feed"
    path: str  # inside the site
    mime: str
    scope: feeds.Scope = "site"
    component: Component | None = None


@dataclass(slots=True)
class SiteState:
    """What every page may show, computed once per build."""

    config: SiteConfig
    content: Content
    now: datetime
    statuses: dict[str, ComponentStatus]
    overall: ComponentStatus
    stylesheet: str  # file name, with the content hash
    uptime: Uptime


def make_state(config: SiteConfig, content: Content, now: datetime, stylesheet: str) -> SiteState:
    statuses = derive.component_statuses(config, content, now)
    return SiteState(
        config,
        content,
        now,
        statuses,
        derive.overall_status(statuses),
        stylesheet,
        Uptime(config, content, now),
    )


def relative_root(path: str) -> str:
    return "../" * path.count("/")


def key_of(*parts: object) -> tuple[object, ...]:
    """A page's key: compared as it is between builds, hashed only for the persistent cache."""
    return parts


def feed_files(folder: str, scope: feeds.Scope, component: Component | None = None) -> list[Feed]:
    return [Feed(name, folder + file_name, mime, scope, component) for name, file_name, mime in feeds.FORMATS]


def site_feeds() -> list[Feed]:
    """On every page: every update of the site."""
    return feed_files("", "site")


@functools.lru_cache(maxsize=1024)
def component_feeds(component: Component) -> tuple[Feed, ...]:
    """On a component's pages: only what touched it.

    The same objects for every page of a component, so that ``shared()``
    reuses the ``<head>`` that links them (it keys a list by its items).
    """
    return tuple(feed_files(f"components/{component.id}/", "component", component))


def maintenance_feeds() -> list[Feed]:
    """On maintenance pages: maintenance windows alone."""
    return feed_files("maintenance/", "maintenance")


def item_path(item: Item) -> str:
    folder = "incidents" if item.kind == "incident" else "maintenance"
    return f"{folder}/{item.id}/"


def item_page_path(item: Item) -> str:
    """Where an incident's or maintenance window's own page is written."""
    return item_path(item) + "index.html"


def history_path(number: int, prefix: str = "history/") -> str:
    return prefix if number == 1 else f"{prefix}page/{number}/"


#: A page of the last plan, by path: what it was planned from, the page, its sitemap time.
Memo = tuple[tuple[object, ...], "Page", datetime | None]


def shape(item: Item) -> tuple[object, ...]:
    """Everything of an item but its words: where it is listed, which entries and times it has.

    Two versions of an item with the same shape differ only in text, so only
    the pages that show its text can differ (see :meth:`Planner.patch`).
    """
    timeline = tuple((u.time, u.written_status, u.status, u.anchor, u.zone_given) for u in item.updates)
    if isinstance(item, Incident):
        prevention = tuple((step.done, step.anchor) for step in item.prevention)
        return (
            item.kind,
            item.id,
            item.impact,
            item.components,
            item.component_ids,
            item.status_changes,
            timeline,
            prevention,
            item.estimate,
            item.previous_estimates,
            item.next_update,
            item.started,
            item.postmortem,
        )
    return (item.kind, item.id, item.components, item.start, item.end, item.cancelled, timeline)


def item_hash(item: Item) -> int:
    """A number per (kind, id, digest): summed, a version of the whole content in any order."""
    return int.from_bytes(hashlib.sha256(f"{item.kind}\0{item.id}\0{item.digest}".encode()).digest()[:16])


def _now_matters(items: Sequence[Item], now: datetime) -> datetime | None:
    """The build time, if any of ``items`` reads differently as time passes."""
    for item in items:
        if isinstance(item, Incident) and not item.resolved:
            return now
    return None


class Planner:
    """Builds the list of pages of one site state."""

    def __init__(
        self,
        state: SiteState,
        templates: Templates,
        translations: NullTranslations,
        memo: dict[str, Memo] | None = None,
    ) -> None:
        #: Pages of the last plan, by path, with what they were planned from (see :meth:`incident`).
        self.memo = memo if memo is not None else {}
        self.state = state
        self.templates = templates
        self.translations = translations
        config = state.config
        self.fmt = Formatter(config.zone, config.language, translations)
        self.base_path = urlsplit(config.base_url).path or "/"
        #: The theme's files that every page links, by their hashed names.
        self.assets, self.script, self.favicon = theme_assets(templates, config)
        #: Each HTML page and the time of the latest update it shows: the sitemap's lastmod.
        self.lastmod: dict[str, datetime | None] = {}
        self.common_key = (
            config.digest,
            config.base_url,
            state.stylesheet,
            self.script,
            self.favicon,
            i18n.catalog_digest(translations),
        )
        self.site_feeds = site_feeds()
        self.maintenance_feeds = maintenance_feeds()
        self.webcal = calendar.webcal_url(config)
        # What :meth:`patch` needs to know of the last :meth:`plan`:
        self.pages: list[Page] = []
        self.positions: dict[str, int] = {}  # each page's place in ``pages``, by path
        #: Every list page: (prefix, component id, its part of the list), and the pages each item is on.
        self.chunks: list[tuple[str, str | None, derive.HistoryPage]] = []
        self.chunks_of: dict[tuple[str, str], list[int]] = {}
        #: Items whose words show on the home page, in a feed or in the API.
        self.shown: set[tuple[str, str]] = set()
        self.item_sum = 0
        #: The pages the last :meth:`patch` planned again.
        self.replanned: list[Page] = []
        from inloop.render.machine_pages import MachinePages  # it imports this module's Page and labels

        self.machine = MachinePages(self)
        #: The incidents the bars and calendars link (see :class:`uptime_pages.Links`).
        self.links = uptime_pages.Links(self)
        #: The same objects for every page: ``listed()`` and ``shared()`` reuse what they made for the same values.
        self.day_items, self.uptime_since = self.links.day_items, state.uptime.since_day()

    def context(self, path: str, **values: Any) -> dict[str, Any]:
        config = self.state.config
        root = self.base_path if path == "404.html" else relative_root(path)
        canonical_path = path.removesuffix("index.html")
        return {
            "site": config,
            "lang": feeds.language_tag(config.language),
            "root": root,
            "path": path,
            "canonical": config.base_url + canonical_path,
            "css": root + self.state.stylesheet,
            "js": root + self.script,
            "favicon": sitefiles.favicon_link(self.favicon, root),
            "noindex": path == "404.html",
            "fmt": self.fmt,
            "now": self.state.now,
            "feeds": self.site_feeds,
            "site_feeds": self.site_feeds,
            "maintenance_feeds": self.maintenance_feeds,
            "calendar_path": calendar.PATH,
            "webcal": self.webcal,
            "api_dir": api.API_DIR,
            "item_path": item_path,
            "impact_label": IMPACT_LABELS,
            "status_text": STATUS_TEXT,
            "change_words": CHANGE_WORDS,
            "overall_text": OVERALL,
            "day_items": self.day_items,
            "uptime_since": self.uptime_since,
            **values,
        }

    def page(
        self,
        path: str,
        template: str,
        key: tuple[object, ...],
        values: Callable[[], dict[str, Any]],
        updated: datetime | None = None,
    ) -> Page:
        """An HTML page; ``updated`` (the latest update it shows) goes into the sitemap."""
        if path != "404.html":
            self.lastmod[path] = updated
        full_key = key_of(self.common_key, self.templates.fingerprint(template), template, key)

        def render() -> bytes:
            data = self.templates.render(template, self.context(path, **values())).encode("utf-8")
            self.fmt.forget_moments()  # a moment another page shows too is in a row that listed() keeps
            return data

        return Page(path, full_key, render)

    def plan(self) -> list[Page]:
        state = self.state
        content = state.content
        self.item_sum = sum(map(item_hash, content.incidents)) + sum(map(item_hash, content.maintenance))
        pages = [self.index(), self.not_found(), subscribe_page(self)]
        pages += [self.incident(i) for i in content.incidents]
        pages += [self.maintenance(m) for m in content.maintenance]
        everything, per_component = derive.history_index(content, state.config.component_ids)
        pages += self.history(everything, "history/", None)
        for component in state.config.components:
            pages += self.history(per_component[component.id], f"components/{component.id}/", component.id)
        pages += uptime_pages.plan(self)
        pages += self.machine.all_but_site_files()
        pages += self.machine.site_files()
        self.pages = pages
        self.positions = {page.path: number for number, page in enumerate(pages)}
        return pages

    def patch(self, content: Content, changes: list[tuple[Item, Item]], now: datetime) -> list[Page] | None:
        """The last plan with only the pages that show the changed items' words planned again.

        Allowed when each change keeps the item's :func:`shape` and the item
        showed on no page that lists what is recent (home page, feeds, API):
        then statuses, bars, history order, feeds, API files, the sitemap and
        every other item's pages are what they were.  None: plan everything.

        A later ``now`` is the caller's to allow (only before the output
        changes by itself); the pages that print the build time are then
        planned again too.
        """
        for old, new in changes:
            if shape(old) != shape(new) or (old.kind, old.id) in self.shown:
                return None
        self.state.content = content
        pages = list(self.pages)
        replanned: dict[str, Page] = {}
        if now != self.state.now:
            self.state.now = now
            self.state.uptime = Uptime(self.state.config, content, now)
            self.uptime_since = self.state.uptime.since_day()
            replanned.update((page.path, page) for page in _pages_that_read_the_clock(self, content))
        for old, new in changes:
            page = self.incident(new) if isinstance(new, Incident) else self.maintenance(new)
            replanned[page.path] = page
            self.item_sum += item_hash(new) - item_hash(old)
            for number in self.chunks_of.get((new.kind, new.id), []):
                prefix, component_id, chunk = self.chunks[number]
                items = tuple(new if item is old else item for item in chunk.items)
                self.chunks[number] = (prefix, component_id, replace(chunk, items=items))
                page = self.history_page(number)
                replanned[page.path] = page
            if isinstance(new, Maintenance):
                replanned[calendar.PATH] = self.machine.calendar_page()
            if isinstance(new, Incident) and new.title != old.title:
                replanned.update((page.path, page) for page in self.links.replan(new.id))
        replanned[sitefiles.LIVE_PATH] = self.machine.live_page()
        for path, page in replanned.items():
            pages[self.positions[path]] = page
        self.replanned = list(replanned.values())
        self.pages = pages
        return pages

    def index(self) -> Page:
        state = self.state
        content, now = state.content, state.now
        unresolved = derive.unresolved(content)
        in_progress = derive.maintenance_in_progress(content, now)
        upcoming = derive.maintenance_upcoming(content, now)
        recent = derive.recent_incidents(content, now)
        shown: list[Item] = [*unresolved, *in_progress, *upcoming, *recent]
        self.shown.update((item.kind, item.id) for item in shown)
        figures = state.uptime.components()
        linked = self.links.linked(figures, "index.html", self.index)
        bars = [state.uptime.key_of(f) for f in figures]
        key = (now, [i.digest for i in shown], sorted(state.statuses.items()), bars, linked)

        def values() -> dict[str, Any]:
            return {
                "overall": state.overall,
                "statuses": state.statuses,
                "bars": {f.id: f for f in figures},
                "unresolved": unresolved,
                "in_progress": in_progress,
                "upcoming": upcoming,
                "recent": recent,
                "updated": derive.last_updated(shown),
            }

        return self.page("index.html", "index.html", key, values, derive.last_updated(shown))

    def not_found(self) -> Page:
        return self.page("404.html", "404.html", (), dict)

    def incident(self, incident: Incident) -> Page:
        now = self.state.now
        path = item_page_path(incident)
        # The same parsed incident under the same site-wide inputs: last build's page as it is.
        reuse = (incident, self.common_key, self.templates.fingerprint("incident.html"), incident.resolved or now)
        previous = self.memo.get(path)
        if previous is not None and previous[0] == reuse:
            self.lastmod[path] = previous[2]
            return previous[1]

        def values() -> dict[str, Any]:
            return {
                "incident": incident,
                "updated": incident.latest.time,
                "duration": derive.incident_duration(incident, now),
            }

        key = (incident.digest, incident.id, None if incident.resolved else now)
        page = self.page(path, "incident.html", key, values, incident.latest.time)
        self.memo[path] = (reuse, page, incident.latest.time)
        return page

    def maintenance(self, window: Maintenance) -> Page:
        now = self.state.now
        state_name = window.state(now)

        def values() -> dict[str, Any]:
            return {
                "window": window,
                "state": state_name,
                "updated": derive.last_updated([window]),
                "feeds": [*self.site_feeds, *self.maintenance_feeds],
            }

        return self.page(
            item_page_path(window),
            "maintenance.html",
            (window.digest, window.id, state_name),
            values,
            derive.last_updated([window]),
        )

    def history(self, items: list[Item], prefix: str, component_id: str | None) -> list[Page]:
        """The pages of one list (all of history, or a component's share), each registered for :meth:`patch`."""
        pages = []
        for chunk in derive.paginate(items, self.state.config.history_page_size):
            number = len(self.chunks)
            self.chunks.append((prefix, component_id, chunk))
            for item in chunk.items:
                self.chunks_of.setdefault((item.kind, item.id), []).append(number)
            pages.append(self.history_page(number))
        return pages

    def history_page(self, number: int) -> Page:
        state = self.state
        config = state.config
        prefix, component_id, chunk = self.chunks[number]
        component = config.component(component_id) if component_id else None
        status = state.statuses.get(component_id) if component_id else None
        bar = state.uptime.component(component_id) if component_id and chunk.number == 1 else None
        template = "component.html" if component_id else "history.html"
        path = history_path(chunk.number, prefix) + "index.html"
        linked = self.links.linked([bar], path, lambda: self.history_page(number)) if bar is not None else ()
        states = [i.state(state.now) for i in chunk.items if isinstance(i, Maintenance)]
        now_matters = _now_matters(chunk.items, state.now)
        # The same items (the same objects, or equal ones) under the same inputs: last plan's page.
        bar_key = state.uptime.key_of(bar) if bar is not None else None
        fingerprint = self.templates.fingerprint(template)
        reuse = (self.common_key, fingerprint, chunk, states, now_matters, status, bar_key, linked)
        previous = self.memo.get(path)
        if previous is not None and previous[0] == reuse:
            self.lastmod[path] = previous[2]
            return previous[1]
        own_feeds = component_feeds(component) if component else ()
        key = (
            prefix,
            chunk.number,
            chunk.count,
            [(i.id, i.digest) for i in chunk.items],
            states,
            now_matters,
            status,
            bar_key,
            linked,
        )

        def values() -> dict[str, Any]:
            return {
                "page": chunk,
                "months": derive.group_by_month(chunk.items, config),
                "page_url": lambda n: self_rel(prefix, chunk.number, n),
                "component": component,
                "status": status,
                "bar": bar,
                "updated": updated,
                "feeds": [*self.site_feeds, *own_feeds],
                "own_feeds": own_feeds,
            }

        updated = derive.last_updated(chunk.items)
        page = self.page(path, template, key, values, updated)
        self.memo[path] = (reuse, page, updated)
        return page


def theme_assets(templates: Templates, config: SiteConfig) -> tuple[dict[str, bytes], str, sitefiles.Favicon]:
    """The theme's script and default favicon by their hashed names, the script's name, and the site's favicon."""
    script = templates.source(sitefiles.SCRIPT_TEMPLATE)[0].encode("utf-8")
    icon = templates.source(sitefiles.FAVICON_TEMPLATE)[0].encode("utf-8")
    assets = {sitefiles.hashed_name(sitefiles.SCRIPT_TEMPLATE, script): script}
    default_icon = sitefiles.hashed_name(sitefiles.FAVICON_TEMPLATE, icon)
    if config.favicon is None:
        assets[default_icon] = icon
    return assets, next(iter(assets)), sitefiles.favicon(config, default_icon)


def subscribe_page(planner: Planner) -> Page:
    """``subscribe/``: the email sign-up form (with ``[subscriptions] url``) and every feed.

    Its "last updated" is the site's latest update, the last time the feeds it lists changed.
    """
    from inloop.subscriptions.settings import language_choices

    config, content = planner.state.config, planner.state.content
    updated = derive.last_updated([*content.incidents, *content.maintenance])

    def values() -> dict[str, Any]:
        return {
            "languages": language_choices(config.subscribe_languages),
            "component_feeds": component_feeds,
            "updated": updated,
        }

    key = (config.subscribe_languages, updated)
    return planner.page("subscribe/index.html", "subscribe.html", key, values, updated)


def _pages_that_read_the_clock(planner: Planner, content: Content) -> list[Page]:
    """The pages a later build time can change: the home page, the calendar, the API, the uptime
    figures and the pages with a 90-day bar, and each open incident's page and the lists that show it."""
    pages = [
        planner.index(),
        planner.machine.calendar_page(),
        *planner.machine.api_pages(),
        *planner.machine.uptime_pages(),
        *uptime_pages.plan(planner),
    ]
    pages += [planner.history_page(n) for n, (_, cid, chunk) in enumerate(planner.chunks) if cid and chunk.number == 1]
    for incident in derive.unresolved(content):
        pages.append(planner.incident(incident))
        pages += [planner.history_page(number) for number in planner.chunks_of.get((incident.kind, incident.id), [])]
    return pages


def self_rel(prefix: str, current: int, target: int) -> str:
    """A link from history page ``current`` to page ``target`` of the same list."""
    here = history_path(current, prefix)
    up = "../" * here.count("/")
    return up + history_path(target, prefix)
