"""``maintenance.ics``: every maintenance window as an event of one calendar (RFC 5545).

A calendar app subscribes once (the page offers a ``webcal://`` link) and then
follows each window: its UID never changes, so a new time moves the event
instead of adding one; SEQUENCE counts the window's updates, so each update
is newer than the last without the build remembering anything; a window
marked ``cancelled: true`` stays in the file with STATUS CANCELLED, which is
how a calendar app learns to drop it.  DTSTAMP is the build time, as the RFC
asks, so the file is made again on every build.
"""

from __future__ import annotations

from datetime import UTC, datetime
from gettext import NullTranslations
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from inloop import __version__
from inloop.model import Content, Maintenance, SiteConfig
from inloop.times import utc_stamp
from inloop.xmlsafe import strip_forbidden

if TYPE_CHECKING:
    from icalendar import Event

PATH = "maintenance.ics"


def host(config: SiteConfig) -> str:
    return urlsplit(config.base_url).hostname or "localhost"


def uid(window: Maintenance, config: SiteConfig) -> str:
    """``<id>@<host of base_url>``: made of nothing that an update can change."""
    return f"{window.id}@{host(config)}"


def webcal_url(config: SiteConfig) -> str:
    """The calendar's address for subscribing: ``webcal://`` in place of ``http(s)://``."""
    parts = urlsplit(config.base_url)
    return f"webcal://{parts.netloc}{parts.path}{PATH}"


def window_url(window: Maintenance, config: SiteConfig) -> str:
    return f"{config.base_url}maintenance/{window.id}/"


def description(window: Maintenance, config: SiteConfig, translations: NullTranslations) -> str:
    """Plain text (Markdown reads as such): what the window is for, what it affects, its latest news, its page."""
    _ = translations.gettext
    names = ", ".join(config.component(cid).name for cid in window.components if cid in config.component_ids)
    lines = []
    if window.description:
        lines += [window.description.strip(), ""]
    lines.append(f"{_('Affected')}: {names}")
    if window.updates:
        latest = window.updates[-1]
        lines += ["", f"{_('Latest update')} ({_(latest.status)}, {utc_stamp(latest.time)}):", latest.body.strip()]
    lines += ["", window_url(window, config)]
    return "\n".join(lines)


def event(window: Maintenance, config: SiteConfig, translations: NullTranslations) -> Event:
    """The window's VEVENT, all but DTSTAMP: nothing in it depends on the build time."""
    from icalendar import Event  # imported where used: 5 MB in every build worker otherwise

    found = Event()
    found.add("uid", uid(window, config))
    found.add("dtstart", window.start.astimezone(UTC))
    found.add("dtend", window.end.astimezone(UTC))
    found.add("summary", strip_forbidden(window.title))  # (RFC 5545 allows no control character in text either)
    found.add("description", strip_forbidden(description(window, config, translations)))
    found.add("url", window_url(window, config))
    found.add("sequence", len(window.updates))
    found.add("status", "CANCELLED" if window.cancelled else "CONFIRMED")
    found.add("transp", "TRANSPARENT")  # a window does not make its readers busy
    if window.updates:
        found.add("created", window.updates[0].time.astimezone(UTC))
        found.add("last-modified", window.updates[-1].time.astimezone(UTC))
    return found


#: Serialised events by what they are made of.  icalendar takes about 1 ms an
#: event, and DTSTAMP makes the file change every build, so a watcher that
#: rebuilds with the clock would otherwise pay that for every window every time.
_EVENTS: dict[tuple[object, ...], bytes] = {}
_EVENTS_MAX = 50_000
BEGIN_EVENT = b"BEGIN:VEVENT\r\n"


def event_bytes(window: Maintenance, config: SiteConfig, translations: NullTranslations) -> bytes:
    """The VEVENT as icalendar writes it, without DTSTAMP."""
    key = (__version__, config.digest, config.base_url, config.language, window.id, window.digest)
    body = _EVENTS.get(key)
    if body is None:
        if len(_EVENTS) >= _EVENTS_MAX:
            _EVENTS.clear()
        body = bytes(event(window, config, translations).to_ical())
        _EVENTS[key] = body
    return body


def dtstamp_line(now: datetime) -> bytes:
    """``DTSTAMP:20261126T120000Z``, as icalendar writes it."""
    from icalendar import Event

    stamp = Event()
    stamp.add("dtstamp", now.astimezone(UTC))
    return bytes(stamp.to_ical()).removeprefix(BEGIN_EVENT).removesuffix(b"END:VEVENT\r\n")


def calendar(config: SiteConfig, content: Content, translations: NullTranslations, now: datetime) -> bytes:
    """The whole calendar, windows in order of their start; deterministic for one ``now``."""
    from icalendar import Calendar

    _ = translations.gettext
    found = Calendar()
    found.add("prodid", f"-//inloop//inloop {__version__}//EN")
    found.add("version", "2.0")
    found.add("calscale", "GREGORIAN")
    found.add("method", "PUBLISH")
    title = strip_forbidden(config.title)
    found.add("x-wr-calname", f"{title}: {_('Maintenance')}")
    found.add("x-wr-caldesc", _("Maintenance windows of %(site)s.") % {"site": title})
    head = bytes(found.to_ical())
    end = b"END:VCALENDAR\r\n"
    assert head.endswith(end)
    stamp = dtstamp_line(now)
    events = []
    for window in sorted(content.maintenance, key=lambda m: (m.start, m.id)):
        body = event_bytes(window, config, translations)
        events.append(BEGIN_EVENT + stamp + body.removeprefix(BEGIN_EVENT))  # DTSTAMP first: the order is free
    return head[: -len(end)] + b"".join(events) + end
