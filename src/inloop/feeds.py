"""Feed entries, one per update and per kept promise, and the RSS 2.0 feed.

Entries are data first (:class:`Entry`), so RSS, Atom and JSON Feed say the
same thing, and so the incremental builder can tell from the entries' keys
whether a feed needs rendering again.
"""

from __future__ import annotations

import heapq
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from gettext import NullTranslations
from typing import Literal

from markupsafe import escape

from .formatting import Formatter
from .model import Content, Incident, Maintenance, SiteConfig, Update
from .times import utc_stamp

ATOM_NS = "http://www.w3.org/2005/Atom"
EntryKind = Literal["incident_update", "maintenance_update", "follow_up"]


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


def item_url(config: SiteConfig, item: Incident | Maintenance) -> str:
    folder = "incidents" if item.kind == "incident" else "maintenance"
    return f"{config.base_url}{folder}/{item.id}/"


def _details_html(item: Incident | Maintenance, fmt: Formatter, gettext: NullTranslations) -> str:
    _ = gettext.gettext
    parts: list[str] = []
    if isinstance(item, Incident):
        if item.cause_html:
            parts.append(f"<p><strong>{escape(_('What is wrong'))}:</strong></p>{item.cause_html}")
        if item.estimate and not item.resolved:
            parts.append(
                f"<p><strong>{escape(_('Expected restoration'))}:</strong> {escape(fmt.full(item.estimate))}</p>"
            )
        if item.next_update and not item.resolved:
            parts.append(
                f"<p><strong>{escape(_('Next update'))}:</strong> {escape(fmt.full(item.next_update))}</p>"
            )
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
    return "".join(parts)


def _entries_of(
    item: Incident | Maintenance, config: SiteConfig, fmt: Formatter, translations: NullTranslations, now: datetime
) -> Iterable[Entry]:
    _ = translations.gettext
    url = item_url(config, item)
    details = _details_html(item, fmt, translations)
    kind: EntryKind = "incident_update" if item.kind == "incident" else "maintenance_update"
    for update in item.updates:
        link = f"{url}#{update.anchor}"
        yield Entry(
            link,
            kind,
            f"[{_(update.status)}] {item.title}",
            link,
            update.time,
            update.html + details,
            update.body,
            update.status,
            item,
            update,
        )
    if isinstance(item, Incident):
        for step in item.prevention:
            if step.done is not None and step.done <= now:
                link = f"{url}#{step.anchor}"
                html = f"<p>{escape(_('We promised'))}: {step.html}</p><p>{escape(_('This is now done.'))}</p>"
                yield Entry(
                    link,
                    "follow_up",
                    _("Follow-up: %(step)s") % {"step": step.plain},
                    link,
                    step.done,
                    html,
                    step.text,
                    "Follow-up",
                    item,
                    None,
                )


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
    items: list[Incident | Maintenance] = list(content.maintenance)
    if not maintenance_only:
        items.extend(content.incidents)
    if component is not None:
        items = [i for i in items if component in i.component_ids]
    found: Iterable[Entry] = (
        e for item in items for e in _entries_of(item, config, fmt, translations, now) if e.time <= now
    )
    count = config.feed_items if limit is None else limit
    return heapq.nlargest(count, found, key=lambda e: (e.time, e.id))


def rfc822(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


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
    ET.SubElement(channel, "language").text = config.language
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
    ET.indent(root, space="  ")
    body = bytes(ET.tostring(root, encoding="utf-8", xml_declaration=False))
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body + b"\n"


def entry_stamp(entry: Entry) -> str:
    return utc_stamp(entry.time)
