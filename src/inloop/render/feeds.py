"""Feed entries, one per update and per kept promise, as RSS 2.0, Atom 1.0 and JSON Feed 1.1.

Entries are data first (:class:`Entry`), so the three formats say the same
thing, and so the incremental builder can tell from the entries' keys whether
a feed needs rendering again.  A feed's bytes depend on its entries, the site's
configuration and nothing else: never on the build time, except through which
follow-up entries have come due.

Choosing the newest entries of a large site is cheap: :class:`FeedIndex`
orders the items once per build by their newest entry, a feed walks them only
as far as its latest ``feed_items`` reach, and the HTML of an entry is made
only for the few that a feed shows.
"""

from __future__ import annotations

import heapq
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from gettext import NullTranslations
from typing import Any, Literal

from markupsafe import escape

from inloop.model import STATUS_WORDS, Component, Content, Incident, Maintenance, PreventionStep, SiteConfig, Update
from inloop.render.formatting import Formatter
from inloop.times import utc_stamp
from inloop.xmlsafe import FORBIDDEN, strip_forbidden

ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
#: ``atom:updated`` of a feed without entries: a feed must not depend on the build time.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)

EntryKind = Literal["incident_update", "maintenance_update", "follow_up"]
Scope = Literal["site", "component", "maintenance"]

#: The three formats of every feed: (format name, file name, MIME type).
FORMATS: tuple[tuple[str, str, str], ...] = (
    ("RSS", "feed.xml", "application/rss+xml"),
    ("Atom", "atom.xml", "application/atom+xml"),
    ("JSON Feed", "feed.json", "application/feed+json"),
)


@dataclass(frozen=True, slots=True)
class Entry:
    id: str  # stable: the permalink of the update or step
    kind: EntryKind
    title: str
    link: str
    time: datetime
    html: str
    text: str  # the update's Markdown source, or the step's text
    status: str
    item: Incident | Maintenance
    update: Update | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.item.digest)


@dataclass(frozen=True, slots=True)
class Source:
    """What an entry is made of, before its text and HTML: cheap to sort."""

    time: datetime
    id: str  # the permalink inside the site, "incidents/<id>/#update-...": base_url + id is the entry's id
    item: Incident | Maintenance
    update: Update | None = None
    step: PreventionStep | None = None

    @property
    def order(self) -> tuple[datetime, str]:
        return (self.time, self.id)

    @property
    def key(self) -> tuple[str, str]:
        """The key of the entry it makes (:attr:`Entry.key`), known before the entry is made."""
        return (self.id, self.item.digest)


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What a feed says about itself; every URL absolute."""

    title: str
    link: str  # the HTML page the feed belongs to
    description: str
    folder: str  # "", "components/<id>/", "maintenance/": where its three files live
    language: str
    author: str  # the site's title: Atom's required author
    base_url: str  # the site's URL: the author's too

    def url(self, file_name: str) -> str:
        return f"{self.base_url}{self.folder}{file_name}"


def item_url(config: SiteConfig, item: Incident | Maintenance) -> str:
    folder = "incidents" if item.kind == "incident" else "maintenance"
    return f"{config.base_url}{folder}/{item.id}/"


def feed_info(
    config: SiteConfig, translations: NullTranslations, scope: Scope, component: Component | None = None
) -> FeedInfo:
    """Title, page and description of the site's feed, a component's or the maintenance feed."""
    _ = translations.gettext
    base = config.base_url
    if scope == "component":
        assert component is not None
        title = f"{component.name} – {config.title}"
        link = f"{base}components/{component.id}/"
        description = _("Incidents and maintenance that affect %(name)s.") % {"name": component.name}
        folder = f"components/{component.id}/"
    elif scope == "maintenance":
        title = f"{_('Maintenance')} – {config.title}"
        link = base
        description = _("Maintenance windows of %(site)s.") % {"site": config.title}
        folder = "maintenance/"
    else:
        title, link, description, folder = config.title, base, config.description or config.title, ""
    return FeedInfo(title, link, description, folder, config.language, config.title, base)


# -- choosing entries --------------------------------------------------------------


def sources_of(item: Incident | Maintenance, now: datetime) -> Iterator[Source]:
    """One source per update, and per prevention step whose ``done`` time has come."""
    url_id = f"{'incidents' if item.kind == 'incident' else 'maintenance'}/{item.id}/#"
    for update in item.updates:
        if update.time <= now:
            yield Source(update.time, url_id + update.anchor, item, update=update)
    if isinstance(item, Incident):
        for step in item.prevention:
            if step.done is not None and step.done <= now:
                yield Source(step.done, url_id + step.anchor, item, step=step)


def newest_time(item: Incident | Maintenance, now: datetime) -> datetime | None:
    """The time of the newest entry ``item`` has at ``now``, without making its entries."""
    newest: datetime | None = None
    for update in reversed(item.updates):  # sorted by time
        if update.time <= now:
            newest = update.time
            break
    if isinstance(item, Incident):
        for step in item.prevention:
            done = step.done
            if done is not None and done <= now and (newest is None or done > newest):
                newest = done
    return newest


class FeedIndex:
    """The entries of a site's feeds at one build time, made only for the entries a feed shows.

    Items are ordered once by their newest entry; a feed walks them from the
    newest and stops as soon as no further item can reach its latest
    ``feed_items``, so a feed costs what it shows, not what the site holds.
    """

    def __init__(
        self, config: SiteConfig, content: Content, fmt: Formatter, translations: NullTranslations, now: datetime
    ) -> None:
        self.config = config
        self.fmt = fmt
        self.translations = translations
        self.now = now
        ordered: list[tuple[datetime, Incident | Maintenance]] = []
        items: list[Incident | Maintenance] = [*content.incidents, *content.maintenance]
        for item in items:
            newest = newest_time(item, now)
            if newest is not None:
                ordered.append((newest, item))
        ordered.sort(key=lambda pair: (pair[0], pair[1].kind, pair[1].id), reverse=True)
        self.ordered = ordered
        self._details: dict[tuple[str, str], str] = {}

    def sources(
        self, *, component: str | None = None, maintenance_only: bool = False, limit: int | None = None
    ) -> list[Source]:
        """The newest ``limit`` sources (default: ``feed_items``), newest first, of one component or all."""
        count = self.config.feed_items if limit is None else limit
        if count <= 0:
            return []
        kept: list[tuple[tuple[datetime, str], Source]] = []  # a min-heap of the newest so far
        for newest, item in self.ordered:
            if len(kept) >= count and kept[0][0][0] > newest:
                break  # every later item is older than all that is kept
            if maintenance_only and item.kind != "maintenance":
                continue
            if component is not None and component not in item.component_ids:
                continue
            for source in sources_of(item, self.now):
                if len(kept) < count:
                    heapq.heappush(kept, (source.order, source))
                elif source.order > kept[0][0]:
                    heapq.heapreplace(kept, (source.order, source))
        kept.sort(key=lambda pair: pair[0], reverse=True)
        return [source for _, source in kept]

    def feed_sources(self, scope: Scope, component: str | None = None, limit: int | None = None) -> list[Source]:
        """The sources of the site's feed, a component's or the maintenance feed, newest first."""
        if scope == "component" and component is None:
            raise ValueError("a component feed needs its component")
        return self.sources(
            component=component if scope == "component" else None, maintenance_only=scope == "maintenance", limit=limit
        )

    def select(self, scope: Scope, component: str | None = None, limit: int | None = None) -> list[Entry]:
        """The entries of one feed, newest first."""
        return [self.entry(s) for s in self.feed_sources(scope, component, limit)]

    def details(self, item: Incident | Maintenance) -> str:
        key = (item.kind, item.id)
        if key not in self._details:
            self._details[key] = _details_html(item, self.config, self.fmt, self.translations)
        return self._details[key]

    def entry(self, source: Source) -> Entry:
        _ = self.translations.gettext
        item = source.item
        link = self.config.base_url + source.id
        if source.update is not None:
            update = source.update
            kind: EntryKind = "incident_update" if item.kind == "incident" else "maintenance_update"
            changes = change_sentences(item, update, self.config, self.translations)
            return Entry(
                link,
                kind,
                f"[{_(update.status)}] {item.title}",
                link,
                update.time,
                _changes_html(changes) + update.html + self.details(item),
                "\n".join([*changes, "", update.body]) if changes else update.body,
                update.status,
                item,
                update,
            )
        step = source.step
        assert step is not None
        html = (
            f"<p>{escape(_('We promised'))}: {step.html}</p><p>{escape(_('This is now done.'))}</p>"
            f'<p><a href="{escape(item_url(self.config, item))}">{escape(item.title)}</a></p>'
        )
        return Entry(
            link,
            "follow_up",
            _("Follow-up: %(step)s") % {"step": step.plain},
            link,
            source.time,
            html,
            step.text,
            "Follow-up",
            item,
            None,
        )


def change_sentences(
    item: Incident | Maintenance, update: Update, config: SiteConfig, gettext: NullTranslations
) -> list[str]:
    """What ``update``'s status lines changed, one sentence each: "API: partial outage → operational"."""
    if not isinstance(item, Incident) or not update.settings:
        return []
    _ = gettext.gettext
    return [
        _("%(component)s: %(old)s → %(new)s")
        % {
            "component": config.component(change.component).name,
            "old": _(STATUS_WORDS[change.old]),
            "new": _(STATUS_WORDS[change.new]),
        }
        for change in item.changes_at(update)
    ]


def _changes_html(sentences: list[str]) -> str:
    if not sentences:
        return ""
    return '<ul class="status-changes">' + "".join(f"<li>{escape(s)}</li>" for s in sentences) + "</ul>"


def _details_html(item: Incident | Maintenance, config: SiteConfig, fmt: Formatter, gettext: NullTranslations) -> str:
    """What every entry of ``item`` adds to its update: cause, estimate, prevention, or the window."""
    _ = gettext.gettext
    parts: list[str] = []
    if isinstance(item, Incident):
        if item.cause_html:
            heading = _("What went wrong") if item.resolved else _("What is wrong")
            parts.append(f"<p><strong>{escape(heading)}:</strong></p>{item.cause_html}")
        if item.estimate and not item.resolved:
            parts.append(
                f"<p><strong>{escape(_('Expected restoration'))}:</strong> {escape(fmt.full(item.estimate))}</p>"
            )
        if item.next_update and not item.resolved:
            parts.append(f"<p><strong>{escape(_('Next update'))}:</strong> {escape(fmt.full(item.next_update))}</p>")
        if item.prevention:
            steps = "".join(f"<li>{s.html}</li>" for s in item.prevention)
            parts.append(
                f"<p><strong>{escape(_('What we are doing so it does not happen again'))}:</strong></p><ul>{steps}</ul>"
            )
    else:
        parts.append(
            f"<p><strong>{escape(_('Window'))}:</strong> {escape(fmt.full(item.start))} – "
            f"{escape(fmt.full(item.end))}</p>"
        )
        if item.cancelled:
            parts.append(f"<p><strong>{escape(_('This maintenance has been cancelled.'))}</strong></p>")
    names = []
    for cid in item.component_ids:
        try:
            names.append(config.component(cid).name)
        except KeyError:  # pragma: no cover - the reader rejects unknown ids
            names.append(cid)
    if names:
        parts.append(f"<p><strong>{escape(_('Affected'))}:</strong> {escape(', '.join(names))}</p>")
    return "".join(parts)


def entries(
    config: SiteConfig,
    content: Content,
    fmt: Formatter,
    translations: NullTranslations,
    now: datetime,
    *,
    component: str | None = None,
    maintenance_only: bool = False,
    limit: int | None = None,
) -> list[Entry]:
    """The newest entries first, at most ``limit`` (default: ``feed_items``)."""
    index = FeedIndex(config, content, fmt, translations, now)
    found = index.sources(component=component, maintenance_only=maintenance_only, limit=limit)
    return [index.entry(s) for s in found]


# -- the formats ---------------------------------------------------------------------


def rfc822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def rfc3339(moment: datetime) -> str:
    return utc_stamp(moment)


def language_tag(language: str) -> str:
    """``pt_BR`` → ``pt-BR``: the form RFC 5646 (and JSON Feed, and xml:lang) wants."""
    return language.replace("_", "-")


def _xml_bytes(root: ET.Element) -> bytes:
    """The document, without any character XML 1.0 forbids (ElementTree writes them as they are)."""
    ET.indent(root, space="  ")
    body = strip_forbidden(ET.tostring(root, encoding="unicode", xml_declaration=False))
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body.encode("utf-8") + b"\n"


def rss(
    config: SiteConfig, feed_entries: list[Entry], *, title: str, link: str, self_url: str, description: str
) -> bytes:
    """RSS 2.0 with ``atom:link rel=self``; deterministic bytes."""
    ET.register_namespace("atom", ATOM_NS)
    root = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = title
    ET.SubElement(channel, "link").text = link
    ET.SubElement(channel, "description").text = description or title
    ET.SubElement(channel, "language").text = language_tag(config.language)
    ET.SubElement(channel, f"{{{ATOM_NS}}}link", {"href": self_url, "rel": "self", "type": "application/rss+xml"})
    ET.SubElement(channel, "generator").text = "inloop"
    if feed_entries:
        ET.SubElement(channel, "lastBuildDate").text = rfc822(max(e.time for e in feed_entries))
    ET.SubElement(channel, "docs").text = "https://www.rssboard.org/rss-specification"
    for entry in feed_entries:
        element = ET.SubElement(channel, "item")
        ET.SubElement(element, "title").text = entry.title
        ET.SubElement(element, "link").text = entry.link
        ET.SubElement(element, "guid", {"isPermaLink": "true"}).text = entry.id
        ET.SubElement(element, "pubDate").text = rfc822(entry.time)
        ET.SubElement(element, "category").text = entry.status
        ET.SubElement(element, "description").text = entry.html
    return _xml_bytes(root)


def atom(config: SiteConfig, feed_entries: list[Entry], info: FeedInfo) -> bytes:
    """Atom 1.0 (RFC 4287): the site is the author, ids are the entries' permalinks."""

    # Plain names and an explicit xmlns: ElementTree's default_namespace refuses unqualified attributes.
    def sub(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, name, attributes)
        if text is not None:
            element.text = text
        return element

    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": language_tag(info.language)})
    self_url = info.url("atom.xml")
    sub(root, "id", self_url)
    sub(root, "title", info.title)
    if info.description:
        sub(root, "subtitle", info.description)
    updated = max((e.time for e in feed_entries), default=EMPTY_FEED_UPDATED)
    sub(root, "updated", rfc3339(updated))
    sub(root, "link", rel="alternate", type="text/html", href=info.link)
    sub(root, "link", rel="self", type="application/atom+xml", href=self_url)
    author = sub(root, "author")
    sub(author, "name", info.author)
    sub(author, "uri", info.base_url)
    sub(root, "generator", "inloop")
    for entry in feed_entries:
        element = sub(root, "entry")
        sub(element, "id", entry.id)
        sub(element, "title", entry.title)
        sub(element, "link", rel="alternate", type="text/html", href=entry.link)
        sub(element, "published", rfc3339(entry.time))
        sub(element, "updated", rfc3339(entry.time))
        sub(element, "category", term=entry.status)
        sub(element, "content", entry.html, type="html")
    return _xml_bytes(root)


def json_feed(config: SiteConfig, feed_entries: list[Entry], info: FeedInfo) -> bytes:
    """JSON Feed 1.1; an ``_inloop`` extension tells scripts what each item is."""
    items = []
    for entry in feed_entries:
        items.append(
            {
                "id": entry.id,
                "url": entry.link,
                "title": entry.title,
                "content_html": entry.html,
                "date_published": rfc3339(entry.time),
                "tags": [entry.status],
                "_inloop": {
                    "kind": entry.kind,
                    "status": entry.status,
                    "reference": entry.item.id,
                    "item_type": entry.item.kind,
                },
            }
        )
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": info.title,
        "home_page_url": info.link,
        "feed_url": info.url("feed.json"),
        "description": info.description,
        "authors": [{"name": info.author, "url": info.base_url}],
        "language": language_tag(info.language),
        "items": items,
    }
    # compact: json's C encoder only runs without indent
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    if FORBIDDEN.search(text) or _ESCAPED_CONTROL.search(text):  # (rare: then once more, without them)
        text = json.dumps(_without_forbidden(document), ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


#: How ``json.dumps`` writes the control characters XML forbids (and, harmlessly, an escaped backslash before b or f).
_ESCAPED_CONTROL = re.compile(r"\\u00(?:0[0-8bcef]|1[0-9a-f])|\\[bf]")


def _without_forbidden(value: Any) -> Any:
    """A JSON document's strings without the characters XML forbids: the three feeds say the same."""
    if isinstance(value, str):
        return strip_forbidden(value)
    if isinstance(value, dict):
        return {strip_forbidden(k): _without_forbidden(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_forbidden(v) for v in value]
    return value


def render(file_name: str, config: SiteConfig, feed_entries: list[Entry], info: FeedInfo) -> bytes:
    """One of the three files of a feed, by its name."""
    if file_name == "feed.xml":
        return rss(
            config,
            feed_entries,
            title=info.title,
            link=info.link,
            self_url=info.url("feed.xml"),
            description=info.description,
        )
    if file_name == "atom.xml":
        return atom(config, feed_entries, info)
    if file_name == "feed.json":
        return json_feed(config, feed_entries, info)
    raise ValueError(f"unknown feed file {file_name!r}")


def entry_stamp(entry: Entry) -> str:
    return utc_stamp(entry.time)
