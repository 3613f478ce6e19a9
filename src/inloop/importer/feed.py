"""Read a status page's RSS or Atom history feed into plain data.

Atlassian Statuspage puts every update of an incident into one feed item, newest
first, each as a paragraph::

    <p><small>Feb <var data-var='date'> 8</var>, <var data-var='time'>09:00</var> UTC</small>
    <br><strong>Resolved</strong> - This incident has been resolved.</p>

Older feeds have no ``<var>`` tags (``Jan  1, 09:09 PST``); other generators
give the year (``May 13, 2017, 06:45 UTC``).  Without a year, the year is that
of the item's date, one year back when the month is more than six months ahead
of it (and one year on when it is more than six months behind: a postmortem
posted in January for a December incident).  A zone abbreviation is read as
wall-clock time in the page's own time zone, whatever offset the abbreviation
would suggest (Statuspage writes ``PST`` in summer); ``UTC``/``GMT`` and numeric
offsets mean what they say.

Feeds are read with feedparser; :func:`read_source` fetches them from a file or
an http(s) URL.
"""

from __future__ import annotations

import http.client
import io
import re
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import feedparser

from inloop import __version__, slugs
from inloop.errors import UsageError
from inloop.xmlsafe import FORBIDDEN, strip_forbidden

from .html2md import html_to_markdown, markdown_from_feed_text
from .sanitize import plain_text

__all__ = [
    "INCIDENT_STATUSES",
    "MAINTENANCE_STATUSES",
    "Feed",
    "FeedItem",
    "FeedUpdate",
    "is_url",
    "parse_feed",
    "read_source",
    "slugify",
    "status_name",
]

#: Statuspage's incident statuses (lowercased) and how inloop spells them.
INCIDENT_STATUSES: Mapping[str, str] = {
    "investigating": "Investigating",
    "identified": "Identified",
    "update": "Update",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "postmortem": "Postmortem",
}
#: Statuspage's maintenance statuses (lowercased) and how inloop spells them.
MAINTENANCE_STATUSES: Mapping[str, str] = {
    "scheduled": "Scheduled",
    "in progress": "In progress",
    "verifying": "Verifying",
    "completed": "Completed",
}

MAX_FEED_BYTES = 64 * 1024 * 1024

_MONTHS = {
    name: number
    for number, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}
_MARKER = re.compile(
    r"<small\b[^>]*>(?P<when>(?:(?!<small\b).)*?)</small>\s*(?:<br\s*/?>\s*)?"
    r"<(?P<tag>strong|b)\b[^>]*>(?P<status>.*?)</(?P=tag)>\s*(?:[-\u2013\u2014:]\s*)?",
    re.IGNORECASE | re.DOTALL,
)
_WHEN = re.compile(
    r"""^(?P<mon>[A-Za-z]{3,9})\.?\s*(?P<day>\d{1,2})(?:st|nd|rd|th)?
        (?:\s*,?\s*(?P<year>\d{4}))?
        \s*[,-]?\s*(?:at\s+)?
        (?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?
        \s*(?P<ampm>[AaPp]\.?[Mm]\.?)?
        \s*(?P<zone>[A-Za-z]+(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2})?\s*$""",
    re.VERBOSE,
)
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_WS = re.compile(r"\s+")
_TRAILING_PARAGRAPH = re.compile(r"(?:\s*</p\s*>)?\s*(?:<p\b[^>]*>)?\s*$", re.IGNORECASE)
_UTC_NAMES = frozenset({"utc", "gmt", "z", "ut"})
_CHARACTER_REFERENCE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """One update as the feed gave it; ``status`` is one of the statuses above, spelled as
    inloop spells them (an unknown status becomes ``Update``)."""

    time: datetime
    status: str
    text: str


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One incident or maintenance window; ``updates`` are oldest first."""

    title: str
    link: str
    published: datetime | None
    updates: tuple[FeedUpdate, ...]
    maintenance: bool
    position: int
    #: What the Statuspage API says and feeds never do: the impact, the names of the
    #: affected components, and a maintenance's announced (start, end).
    impact: str | None = None
    components: tuple[str, ...] = ()
    scheduled: tuple[datetime, datetime | None] | None = None
    #: The id to use when the link gives none (the API's own incident id).
    fallback_id: str = ""
    #: No dated updates: one final update at the item's own date stands for them.
    undated: bool = False

    @property
    def base_id(self) -> str:
        """The id the link gives (``.../incidents/abc123xyz`` -> ``abc123xyz``)."""
        segments = [s for s in urlsplit(self.link).path.split("/") if s]
        from_link = slugify(segments[-1]) if segments else ""
        return from_link or slugify(self.fallback_id) or slugify(self.title) or "incident"

    @property
    def first_time(self) -> datetime:
        return self.updates[0].time


@dataclass(frozen=True, slots=True)
class Feed:
    title: str
    link: str
    items: tuple[FeedItem, ...]
    warnings: tuple[str, ...]
    #: The page's own components (name, group name), in its order: the API's summary.json says.
    components: tuple[tuple[str, str | None], ...] = ()


def slugify(text: str) -> str:
    """Lowercase ASCII slug of ``[a-z0-9-]``, no leading, trailing or doubled dashes."""
    return slugs.slug(text)


# --- reading -----------------------------------------------------------------


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


#: How long ``inloop import`` may take to fetch a URL, in all: connecting, waiting, reading.
DEFAULT_DEADLINE = 60.0


def read_source(source: str, *, deadline: float = DEFAULT_DEADLINE) -> tuple[bytes, dict[str, str]]:
    """The feed's bytes and (for a URL) the response headers; failures are UsageErrors.

    A URL must be read whole within ``deadline`` seconds: a server that
    trickles a byte now and then cannot hold the import for longer.
    """
    if is_url(source):
        return _fetch(source, deadline)
    if "://" in source:
        raise UsageError(f"cannot import {source}: give a file or an http(s) URL")
    path = Path(source)
    try:
        return path.read_bytes(), {}
    except FileNotFoundError:
        raise UsageError(f"cannot read {source}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"cannot read {source}: it is a directory, not a feed") from None
    except OSError as error:
        raise UsageError(f"cannot read {source}: {error.strerror or error}") from None


class _Deadline:
    """The sockets of one fetch, each given only the time that is left before every wait."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.sockets: list[socket.socket] = []

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline")
        for sock in self.sockets:
            if sock.fileno() != -1:  # a redirect's connection is closed by now
                sock.settimeout(left)
        return left

    def opener(self) -> urllib.request.OpenerDirector:
        deadline = self

        class Connection(http.client.HTTPConnection):
            def connect(self) -> None:
                super().connect()
                deadline.sockets.append(self.sock)

        class SecureConnection(http.client.HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                deadline.sockets.append(self.sock)

        context = ssl.create_default_context()

        class Handler(urllib.request.HTTPHandler):
            def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
                return self.do_open(Connection, req)

        class SecureHandler(urllib.request.HTTPSHandler):
            def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
                return self.do_open(SecureConnection, req, context=context)

        return urllib.request.build_opener(Handler, SecureHandler(context=context))


def _fetch(source: str, seconds: float) -> tuple[bytes, dict[str, str]]:
    request = urllib.request.Request(
        source,
        headers={
            "User-Agent": f"inloop/{__version__} (status page import)",
            "Accept": "application/rss+xml, application/atom+xml, application/json;q=0.9, "
            "application/xml;q=0.9, */*;q=0.1",
        },
    )
    deadline = _Deadline(seconds)
    too_slow = (
        f"cannot fetch {source}: no complete answer within {seconds:g} seconds (the deadline; give more with --timeout)"
    )
    chunks: list[bytes] = []
    size = 0
    try:
        with deadline.opener().open(request, timeout=deadline.left()) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            while True:
                deadline.left()
                chunk = response.read1(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_FEED_BYTES:
                    raise UsageError(f"cannot import {source}: larger than {MAX_FEED_BYTES} bytes")
    except urllib.error.HTTPError as error:
        error.close()  # it holds the response, and its socket
        raise UsageError(f"cannot fetch {source}: HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise UsageError(too_slow) from None
        raise UsageError(f"cannot fetch {source}: {error.reason}") from None
    except TimeoutError:
        raise UsageError(too_slow) from None
    except (OSError, ValueError, http.client.HTTPException) as error:
        raise UsageError(f"cannot fetch {source}: {error}") from None
    return b"".join(chunks), headers


# --- parsing -----------------------------------------------------------------


def _struct_to_datetime(value: Any) -> datetime | None:
    if isinstance(value, time.struct_time):
        try:
            return datetime(*value[:6], tzinfo=UTC)
        except ValueError:
            return None
    return None


def _entry_date(entry: Any) -> datetime | None:
    # dict.get: feedparser's own get() warns when it maps updated_parsed to published_parsed
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        found = _struct_to_datetime(dict.get(entry, key))
        if found is not None:
            return found
    return None


def _plain(fragment: str) -> str:
    return _WS.sub(" ", unescape(_TAG.sub(" ", fragment))).strip()


class _Times:
    """Turns Statuspage's ``Mon D, HH:MM ZONE`` into UTC, and notes odd zones."""

    def __init__(self, zone: ZoneInfo, now: datetime | None = None) -> None:
        self.zone = zone
        self.now = now
        self.unexpected_abbreviations: dict[str, int] = {}

    def parse(self, text: str, reference: datetime | None) -> datetime | None:
        match = _WHEN.match(text)
        if not match:
            return None
        month = _MONTHS.get(match["mon"][:3].lower())
        if month is None:
            return None
        hour = int(match["hour"])
        if match["ampm"]:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if match["ampm"][0] in "Pp" else 0)
        zone_name = match["zone"] or ""
        tz: tzinfo = self.zone
        abbreviation: str | None = None
        if zone_name.lower() in _UTC_NAMES:
            tz = UTC
        elif zone_name:
            offset = _OFFSET.match(zone_name)
            if offset:
                sign = -1 if offset[1] == "-" else 1
                tz = timezone(sign * timedelta(hours=int(offset[2]), minutes=int(offset[3] or 0)))
            else:
                abbreviation = zone_name.upper()
        latest: datetime | None = None
        if match["year"]:
            year = int(match["year"])
        elif reference is None and self.now is not None:
            # nothing dates the item: the year that puts the time nearest before now
            latest = self.now
            year = self.now.astimezone(tz).year
        elif reference is not None:
            local_ref = reference.astimezone(tz)
            year = local_ref.year
            if month - local_ref.month > 6:
                year -= 1
            elif local_ref.month - month > 6:
                year += 1
        else:
            return None
        try:
            local = datetime(
                year,
                month,
                int(match["day"]),
                hour,
                int(match["minute"]),
                int(match["second"] or 0),
                tzinfo=tz,
            )
        except (ValueError, OverflowError):
            return None
        if latest is not None and local > latest:
            try:
                local = local.replace(year=year - 1)
            except ValueError:  # 29 February
                return None
        if abbreviation is not None and abbreviation not in self._names(year):
            self.unexpected_abbreviations.setdefault(abbreviation, 0)
            self.unexpected_abbreviations[abbreviation] += 1
        try:
            return local.astimezone(UTC)
        except (ValueError, OverflowError):  # year 1 or 9999 with an offset
            return None

    def _names(self, year: int) -> set[str]:
        names = set()
        for month in range(1, 13):
            name = datetime(year, month, 1, 12, tzinfo=self.zone).tzname()
            if name:
                names.add(name.upper())
        return names


def status_name(raw: str) -> str | None:
    key = _WS.sub(" ", _plain(raw).lower().replace("-", "").replace("_", " ")).strip(" :")
    key = {"inprogress": "in progress", "post mortem": "postmortem"}.get(key, key)
    return INCIDENT_STATUSES.get(key) or MAINTENANCE_STATUSES.get(key)


def _entry_html(entry: Mapping[str, Any]) -> str:
    candidates: list[str] = [str(content.get("value", "")) for content in entry.get("content", []) or []]
    candidates.append(str(entry.get("summary", "") or ""))
    for candidate in candidates:
        if _MARKER.search(candidate):
            return candidate
    return next((c for c in candidates if c.strip()), "")


def _entry_title(entry: Mapping[str, Any]) -> str:
    """A title is plain text: no tag survives, whatever type the feed gives it."""
    return plain_text(str(entry.get("title", "") or ""))


def _entry_link(entry: Mapping[str, Any]) -> str:
    """The item's link (else an http(s) guid), without what XML 1.0 forbids: the file's source and id."""
    link = strip_forbidden(str(entry.get("link", "") or ""))
    if not link:
        guid = strip_forbidden(str(entry.get("id", "") or ""))
        link = guid if guid.lower().startswith(("http://", "https://")) else ""
    return link.strip()


def _undated_item(title: str, link: str, published: datetime | None, fragment: str, position: int) -> FeedItem | None:
    """An item without Statuspage's dated updates (another generator's feed): one update at the
    item's own date, saying what the item says, and final, since a history holds what is over."""
    if published is None:
        return None
    maintenance = "/maintenances/" in urlsplit(link).path.lower()
    update = FeedUpdate(published, "Completed" if maintenance else "Resolved", html_to_markdown(fragment))
    return FeedItem(title, link, published, (update,), maintenance, position, undated=True)


def _allowed_reference(match: re.Match[bytes]) -> bytes:
    """A character reference as written, or nothing when it names what XML 1.0 forbids.

    feedparser's lenient parser (the one a broken feed gets) turns ``&#xD800;``
    or ``&#x110000;`` into a character it then cannot encode, and fails.
    """
    hexadecimal, decimal = match.groups()
    digits = (hexadecimal or decimal).lstrip(b"0") or b"0"
    if len(digits) > 7:
        return b""
    code = int(digits, 16 if hexadecimal else 10)
    return b"" if code > 0x10FFFF or FORBIDDEN.match(chr(code)) else match.group()


def parse_feed(
    data: bytes,
    *,
    source_timezone: ZoneInfo,
    headers: Mapping[str, str] | None = None,
    origin: str = "the feed",
    now: datetime | None = None,
) -> Feed:
    """Parse a Statuspage-style history feed.  Items whose updates cannot be read are
    left out, each with a warning; a document that is no feed at all is a UsageError.
    ``now`` dates a time without a year in an item and a feed without dates."""
    # feedparser's own sanitizer is off: it can mangle hostile HTML so far that an update's time
    # goes, and every fragment passes nh3 (see .sanitize) before it becomes Markdown anyway
    data = _CHARACTER_REFERENCE.sub(_allowed_reference, data)
    parsed = feedparser.parse(io.BytesIO(data), response_headers=dict(headers or {}), sanitize_html=False)
    feed_info = parsed.get("feed", {})
    entries = parsed.get("entries", [])
    if parsed.get("bozo") and not entries and not feed_info.get("title"):
        reason = parsed.get("bozo_exception")
        raise UsageError(f"cannot import {origin}: not an RSS or Atom feed ({reason})")
    if not entries and not parsed.get("version"):
        raise UsageError(f"cannot import {origin}: not an RSS or Atom feed")
    feed_date = _entry_date(feed_info)
    times = _Times(source_timezone, now)
    warnings: list[str] = []
    items: list[FeedItem] = []
    for position, entry in enumerate(entries):
        title = _entry_title(entry) or "Untitled incident"
        link = _entry_link(entry)
        name = link or repr(title)
        published = _entry_date(entry)
        reference = published or feed_date
        fragment = _entry_html(entry)
        markers: list[tuple[re.Match[str], datetime]] = []
        lead = ""  # unreadable updates above the first readable one
        for marker in _MARKER.finditer(fragment):
            when_text = _plain(marker["when"])
            when = times.parse(when_text, reference)
            if when is None:
                # kept as text of the update next to it: one unreadable time costs no history
                warnings.append(f"{name}: cannot read the time {when_text!r}; kept as text of the update next to it")
                if not markers and not lead:
                    lead = fragment[marker.start() :]
            else:
                if lead and not markers:
                    lead = lead[: len(lead) - (len(fragment) - marker.start())]
                markers.append((marker, when))
        if not markers:
            undated = _undated_item(title, link, published, fragment, position)
            if undated is None:
                warnings.append(f"left out {name}: no dated Statuspage updates in it, and no date of its own")
            else:
                items.append(undated)
            continue
        updates: list[FeedUpdate] = []
        for index, (marker, when) in enumerate(markers):
            end = markers[index + 1][0].start() if index + 1 < len(markers) else len(fragment)
            body = _TRAILING_PARAGRAPH.sub("", fragment[marker.end() : end] + (lead if index == 0 else ""))
            status = status_name(marker["status"])
            if status is None:
                warnings.append(f"{name}: unknown status {_plain(marker['status'])!r} imported as Update")
                status = "Update"
            text = markdown_from_feed_text(body) if status == "Postmortem" else html_to_markdown(body)
            updates.append(FeedUpdate(time=when, status=status, text=text))
        # The feed lists newest first; same-minute updates keep that order reversed.
        updates.reverse()
        updates.sort(key=lambda update: update.time)
        maintenance = "/maintenances/" in urlsplit(link).path.lower() or any(
            u.status in MAINTENANCE_STATUSES.values() for u in updates
        )
        items.append(
            FeedItem(
                title=title,
                link=link,
                published=published,
                updates=tuple(updates),
                maintenance=maintenance,
                position=position,
            )
        )
    for abbreviation, count in sorted(times.unexpected_abbreviations.items()):
        warnings.append(
            f"{count} update time(s) are labelled {abbreviation}, which {source_timezone.key} "
            f"never uses; they were read as wall-clock times in {source_timezone.key} "
            "(give the status page's own time zone if that is wrong)"
        )
    return Feed(
        title=plain_text(str(feed_info.get("title", "") or "")),
        link=strip_forbidden(str(feed_info.get("link", "") or "")).strip(),
        items=tuple(items),
        warnings=tuple(warnings),
    )
