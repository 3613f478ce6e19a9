"""Read a Statuspage API v2 document (``incidents.json`` and its kin) into the importer's items.

The shapes accepted are those Statuspage serves and people keep:
``{"page", "incidents": [...]}`` (``incidents.json``, ``summary.json``),
``{"page", "scheduled_maintenances": [...]}``, ``{"page", "incident": {...}}``
(one incident), a bare incident and a list of incidents.  Unlike the feeds,
the API says an incident's impact, the components it affected and a
maintenance's announced window; what it leaves out (a time, a name, a body)
is handled as the feeds' gaps are: the item is left out with a warning, or a
default is written and reported.

Update bodies are HTML (``<br />`` between paragraphs) and untrusted: they go
through the same sanitizer and converter as a feed's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from inloop.errors import UsageError
from inloop.xmlsafe import strip_forbidden

from .feed import MAINTENANCE_STATUSES, Feed, FeedItem, FeedUpdate, status_name
from .html2md import html_to_markdown, markdown_from_feed_text
from .sanitize import plain_text

__all__ = ["looks_like_json", "parse_statuspage_json"]

IMPACTS = ("none", "minor", "major", "critical")


def looks_like_json(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def _time(value: Any) -> datetime | None:
    value = _text(value)
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).replace(microsecond=0)
    except (OverflowError, ValueError):
        return None


def _text(value: Any) -> str:
    """A string of the document without what XML 1.0 forbids (JSON escapes can hold NUL or a lone surrogate)."""
    return strip_forbidden(value) if isinstance(value, str) else ""


def _records(document: Any) -> tuple[list[Any], Mapping[str, Any]]:
    """The incidents and maintenance windows in a document, and its ``page`` (or ``{}``)."""
    if isinstance(document, list):
        return document, {}
    if not isinstance(document, dict):
        return [], {}
    page = document.get("page")
    page = page if isinstance(page, dict) else {}
    if "incident_updates" in document or ("name" in document and "id" in document and "page" not in document):
        return [document], page
    records: list[Any] = []
    for key in ("incidents", "scheduled_maintenances"):
        found = document.get(key)
        if isinstance(found, list):
            records.extend(found)
    single = document.get("incident")
    if isinstance(single, dict):
        records.append(single)
    return records, page


def parse_statuspage_json(data: bytes, *, origin: str = "the document") -> Feed:
    """Items of a Statuspage API document; a document that is no such thing is a UsageError."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise UsageError(f"cannot import {origin}: not valid JSON ({error})") from None
    records, page = _records(document)
    is_api = isinstance(document, list) or (
        isinstance(document, dict)
        and any(key in document for key in ("incidents", "scheduled_maintenances", "incident", "incident_updates"))
    )
    if not is_api:
        raise UsageError(
            f"cannot import {origin}: not a Statuspage API document "
            "(expected incidents.json, scheduled-maintenances.json or one incident)"
        )
    page_url = _text(page.get("url")).strip().rstrip("/")
    warnings: list[str] = []
    items: list[FeedItem] = []
    seen: set[str] = set()
    for position, record in enumerate(records):
        if not isinstance(record, dict):
            warnings.append(f"left out record {position + 1}: not an incident")
            continue
        item = _item(record, position, page_url, warnings)
        if item is None:
            continue
        if item.link in seen:  # summary.json lists an active maintenance twice at most
            continue
        seen.add(item.link)
        items.append(item)
    return Feed(
        title=plain_text(_text(page.get("name"))),
        link=page_url,
        items=tuple(items),
        warnings=tuple(warnings),
        components=_page_components(document),
    )


def _page_components(document: Any) -> tuple[tuple[str, str | None], ...]:
    """(name, group name) of the page's components (``summary.json``, ``components.json``), by position."""
    raw = document.get("components") if isinstance(document, dict) else None
    if not isinstance(raw, list):
        return ()
    records = [c for c in raw if isinstance(c, dict) and plain_text(_text(c.get("name")))]
    groups = {_text(c.get("id")): plain_text(_text(c.get("name"))) for c in records if c.get("group") is True}

    def position(record: Mapping[str, Any]) -> float:
        value = record.get("position")
        return float(value) if isinstance(value, int | float) else float("inf")

    found: dict[str, tuple[str, str | None]] = {}
    for record in sorted(records, key=position):
        if record.get("group") is True:
            continue
        name = plain_text(_text(record.get("name")))
        found.setdefault(name.casefold(), (name, groups.get(_text(record.get("group_id"))) or None))
    return tuple(found.values())


def _item(record: Mapping[str, Any], position: int, page_url: str, warnings: list[str]) -> FeedItem | None:
    record_id = _text(record.get("id")).strip()
    shortlink = _text(record.get("shortlink")).strip()
    link = f"{page_url}/incidents/{record_id}" if page_url and record_id else shortlink
    title = plain_text(_text(record.get("name"))) or "Untitled incident"
    name = link or record_id or repr(title)
    raw_updates = record.get("incident_updates")
    updates: list[FeedUpdate] = []
    for raw in raw_updates if isinstance(raw_updates, list) else []:
        if not isinstance(raw, dict):
            continue
        when = _time(raw.get("display_at")) or _time(raw.get("created_at"))
        if when is None:
            warnings.append(f"left out {name}: an update has no time that can be read")
            return None
        status = status_name(_text(raw.get("status")))
        if status is None:
            warnings.append(f"{name}: unknown status {_text(raw.get('status'))!r} imported as Update")
            status = "Update"
        body = _text(raw.get("body")).replace("\r\n", "\n").replace("\n", "<br>")
        updates.append(FeedUpdate(time=when, status=status, text=html_to_markdown(body)))
    postmortem = _text(record.get("postmortem_body"))
    postmortem_time = _time(record.get("postmortem_published_at"))
    if postmortem.strip() and postmortem_time is not None:
        updates.append(FeedUpdate(postmortem_time, "Postmortem", markdown_from_feed_text(postmortem)))
    if not updates:
        first = _time(record.get("started_at")) or _time(record.get("created_at"))
        status = status_name(_text(record.get("status")))
        if first is None or status is None:
            warnings.append(f"left out {name}: no updates with a time in it")
            return None
        updates.append(FeedUpdate(time=first, status=status, text=""))
    updates.sort(key=lambda update: update.time)  # the API lists them newest first
    scheduled_for = _time(record.get("scheduled_for"))
    scheduled_until = _time(record.get("scheduled_until"))
    maintenance = scheduled_for is not None or any(u.status in MAINTENANCE_STATUSES.values() for u in updates)
    impact = _text(record.get("impact")).strip().lower()
    if impact == "maintenance" or impact not in IMPACTS:
        impact = ""
    components = tuple(
        dict.fromkeys(
            plain_text(_text(component.get("name")))
            for component in record.get("components") or []
            if isinstance(component, dict) and plain_text(_text(component.get("name")))
        )
    )
    return FeedItem(
        title=title,
        link=link,
        published=updates[0].time,
        updates=tuple(updates),
        maintenance=maintenance,
        position=position,
        impact=impact or None,
        components=components,
        scheduled=(scheduled_for, scheduled_until) if scheduled_for is not None else None,
        fallback_id=record_id,
    )
