"""The files for machines: feeds, the calendar, the Statuspage API, badges, the sitemap, live.json.

They are planned from the same site state as the HTML pages (see
:class:`inloop.render.pages.Planner`, which owns the state and what the pages
share); each is a :class:`~inloop.render.pages.Page` whose key holds everything its
bytes depend on.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from inloop.model import Component, ComponentStatus
from inloop.render import api, badges, calendar, embed, feeds, sitefiles, uptime_files
from inloop.render import status as derive
from inloop.render.pages import OVERALL, STATUS_TEXT, Page, SiteState, item_path, key_of

if TYPE_CHECKING:
    from inloop.render.pages import Planner


class MachinePages:
    """The machine files of one plan; :class:`~inloop.render.pages.Planner` asks for them by kind."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner

    @property
    def state(self) -> SiteState:
        return self.planner.state

    def all_but_site_files(self) -> list[Page]:
        """Feeds, the calendar, the API files and the badges."""
        components = self.state.config.components
        pages = [*self.feed_pages("site"), *self.feed_pages("maintenance")]
        for component in components:
            pages += self.feed_pages("component", component)
        pages.append(self.calendar_page())
        pages += self.api_pages()
        pages += self.badge_pages()
        pages += self.uptime_pages()
        pages += self.embed_pages()
        return pages

    @cached_property
    def feed_index(self) -> feeds.FeedIndex:
        state = self.state
        return feeds.FeedIndex(state.config, state.content, self.planner.fmt, self.planner.translations, state.now)

    def feed_pages(self, scope: feeds.Scope, component: Component | None = None) -> list[Page]:
        """The RSS, Atom and JSON Feed files of one feed: the same entries in each.

        Their bytes depend on the chosen entries and the config alone; the build
        time enters only through which follow-ups have come due.
        """
        config = self.state.config
        info = feeds.feed_info(config, self.planner.translations, scope, component)
        index = self.feed_index
        sources = index.feed_sources(scope, component.id if component else None)
        self.planner.shown.update((source.item.kind, source.item.id) for source in sources)
        entry_keys = [s.key for s in sources]
        made: list[list[feeds.Entry]] = []

        def entries() -> list[feeds.Entry]:
            if not made:
                made.append([index.entry(s) for s in sources])
            return made[0]

        pages = []
        for _, file_name, _ in feeds.FORMATS:
            path = info.folder + file_name

            def render(file_name: str = file_name) -> bytes:
                return feeds.render(file_name, config, entries(), info)

            pages.append(Page(path, key_of(self.planner.common_key, ("feed", path, info, entry_keys)), render))
        return pages

    def calendar_page(self) -> Page:
        state = self.state
        windows = [(m.id, m.digest) for m in state.content.maintenance]

        def render() -> bytes:
            return calendar.calendar(state.config, state.content, self.planner.translations, state.now)

        return Page(calendar.PATH, key_of(self.planner.common_key, ("ics", state.now, windows)), render)

    def api_pages(self) -> list[Page]:
        """The Statuspage API v2 files; each holds the build time, so a new build time makes them again."""
        state = self.state
        shared = api.StatuspageApi(state.config, state.content, state.now, state.statuses)
        inputs = shared.inputs()
        self.planner.shown.update((item.kind, item.id) for item in shared.embedded)
        pages = []
        for name in api.FILES:
            path = api.API_DIR + name

            def render(name: str = name) -> bytes:
                return shared.render(name)

            pages.append(Page(path, key_of(self.planner.common_key, ("api", path, inputs)), render))
        return pages

    def badge_pages(self) -> list[Page]:
        """``badge.svg`` and ``badge.json`` for the site and for each component."""
        state = self.state
        _ = self.planner.translations.gettext
        made = [("", state.config.title, _(OVERALL[state.overall]), state.overall)]
        for component in state.config.components:
            status = state.statuses[component.id]
            made.append((f"components/{component.id}/", component.name, _(STATUS_TEXT[status]), status))
        pages = []
        for folder, label, message, status in made:
            key = ("badge", folder, label, message, status)

            def image(label: str = label, message: str = message, status: ComponentStatus = status) -> bytes:
                return badges.status_svg(label, message, status)

            def endpoint(label: str = label, message: str = message, status: ComponentStatus = status) -> bytes:
                return badges.endpoint_json(label, message, status)

            pages += [
                Page(folder + "badge.svg", key_of(self.planner.common_key, key, "svg"), image),
                Page(folder + "badge.json", key_of(self.planner.common_key, key, "json"), endpoint),
            ]
        return pages

    def uptime_pages(self) -> list[Page]:
        """``uptime.json``, and each component's uptime badge: ``uptime.svg`` and shields' ``uptime.json``."""
        state = self.state
        uptime = state.uptime
        common = self.planner.common_key

        def document() -> bytes:
            return uptime_files.uptime_json(uptime, uptime.components())

        trouble = [(cid, uptime.segments_key(cid)) for cid in sorted(uptime.segments)]
        pages = [Page("uptime.json", key_of(common, "uptime", state.now, trouble), document)]
        for component in state.config.components:
            value = uptime.uptime_90d((component.id,))
            folder = f"components/{component.id}/"

            def image(value: float | None = value) -> bytes:
                return uptime_files.badge_svg(value)

            def endpoint(value: float | None = value) -> bytes:
                return uptime_files.badge_endpoint(value)

            pages += [
                Page(folder + "uptime.svg", key_of(common, "uptime-badge", value, "svg"), image),
                Page(folder + "uptime.json", key_of(common, "uptime-badge", value, "json"), endpoint),
            ]
        return pages

    def embed_pages(self) -> list[Page]:
        """``embed.js``, and the ``embed/`` page it reads: the open incidents and maintenance (see :mod:`.embed`)."""
        planner, state = self.planner, self.state
        items = embed.open_items(state.content, state.now)
        shown = (state.overall, [(i.kind, i.id, i.digest, embed.item_state(i, state.now)) for i in items])
        gettext = planner.translations.gettext
        updated = derive.last_updated(items)  # the sitemap's and the footer's time

        def values() -> dict[str, Any]:
            made = embed.message(state.config, state.overall, items, state.now, gettext, item_path)
            return {"overall": state.overall, "items": items, "message": made, "updated": updated}

        def script() -> bytes:
            return planner.templates.render(embed.SCRIPT_PATH, planner.context(embed.SCRIPT_PATH)).encode("utf-8")

        fingerprint = planner.templates.fingerprint(embed.SCRIPT_PATH)
        return [
            Page(embed.SCRIPT_PATH, key_of(planner.common_key, "embed", fingerprint), script),
            planner.page(embed.PAGE_PATH, embed.PAGE_PATH, shown, values, updated),
        ]

    def site_files(self) -> list[Page]:
        """Planned after every HTML page, so that the sitemap knows them all."""
        state = self.state
        config = state.config
        pages = [Page(path, key_of("asset", path), _constant(data)) for path, data in self.planner.assets.items()]
        entries = sorted(self.planner.lastmod.items())
        sitemap_key = key_of(self.planner.common_key, "sitemap", entries)
        pages.append(Page(sitefiles.SITEMAP_PATH, sitemap_key, lambda: sitefiles.sitemap(config, entries)))
        pages.append(
            Page(sitefiles.ROBOTS_PATH, key_of(self.planner.common_key, "robots"), lambda: sitefiles.robots(config))
        )
        pages.append(self.live_page())
        return pages

    def live_page(self) -> Page:
        """``live.json``: its version follows every item's digest (summed, so that a patch can update it)."""
        state = self.state
        version = (
            self.planner.common_key,
            self.planner.templates.everything(),
            self.planner.item_sum,
            sorted((w.id, w.state(state.now)) for w in state.content.maintenance),
            sorted(state.statuses.items()),
        )
        overall = str(state.overall)
        return Page(sitefiles.LIVE_PATH, key_of("live", version, overall), lambda: sitefiles.live(version, overall))


def _constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data
