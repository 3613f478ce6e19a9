"""Generated feeds import into sites that build, re-import as no-ops, and script nothing.

Hypothesis makes status histories in the three shapes ``inloop import`` reads
(RSS, Atom, the Statuspage API's JSON) with what real ones get wrong: one
timestamp, no timestamps, updates out of order, duplicate titles and links,
missing titles, links and dates, HTML of every kind, hostile HTML, and
characters XML 1.0 forbids (NUL, BEL, ESC, U+FFFE, lone surrogates: JSON
escapes in the API's shape, raw or as references in a feed).  Each is
imported into a fresh site, built with ``inloop build`` (in this process),
and imported again.

The normal run keeps to a few examples; ``INLOOP_LONG_PROPERTIES=1`` runs
many more (see docs/development.md, "Longer property-based runs").
"""

from __future__ import annotations

import html
import json
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
from click.testing import CliRunner
from hostile_html import active_in_email, active_in_html, active_in_json, active_in_xml, hostile_fragments
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inloop.build.builder import Builder
from inloop.cli.main import main
from inloop.importer import import_feed
from inloop.notify.channels import delivery_id, email_message
from inloop.notify.runner import Wording, collect_events
from inloop.notify.settings import Smtp, Subscriber

LONG = os.environ.get("INLOOP_LONG_PROPERTIES") == "1"
NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
NOW_TEXT = "2024-06-10 12:00 UTC"
EARLIEST = datetime(2021, 1, 1, tzinfo=UTC)
LATEST = datetime(2024, 6, 1, tzinfo=UTC)
STATUSES = ["Investigating", "Identified", "Update", "Monitoring", "Resolved", "Postmortem", "Weird status"]
MAINTENANCE = ["Scheduled", "In progress", "Verifying", "Completed"]
COMPONENTS = ["API", "Web app", "Email delivery", "Données", "Cache\x00\x1b[0m\ud800"]
#: What XML 1.0 forbids, and the site refuses in a content file: an import must leave it out.
FORBIDDEN = ["\x00", "\x07", "\x1b", "\x0b", "\x0c", "\ufffe", "\uffff", "\ud800", "\udfff"]
#: Controls XML allows (the importer's sanitizer drops them from text anyway).
CONTROLS = [*FORBIDDEN, "\x7f", "\x85"]
PROPERTY_SETTINGS = settings(
    max_examples=150 if LONG else 6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass
class Update:
    time: datetime | None  # None: the update has no timestamp of its own
    status: str
    body: str
    with_year: bool
    noise: str = ""  # forbidden characters after its time, in the API's shape (the time still reads)


@dataclass
class Item:
    title: str | None
    link: str | None
    published: datetime | None
    updates: list[Update]
    impact: str | None = None
    components: list[str] = field(default_factory=list)
    scheduled: tuple[datetime, datetime] | None = None

    def knowable(self, shape: str) -> bool:
        """Whether anything in it says when it happened (else the importer must leave it out)."""
        if shape == "api":  # an update without a time leaves its incident out
            return bool(self.updates) and all(u.time is not None for u in self.updates)
        return any(u.time is not None for u in self.updates) or self.published is not None


_times = st.datetimes(min_value=EARLIEST.replace(tzinfo=None), max_value=LATEST.replace(tzinfo=None)).map(
    lambda moment: moment.replace(second=0, microsecond=0, tzinfo=UTC)
)
_benign_html = st.sampled_from(
    [
        "We are investigating.",
        "<p>Fixed <b>it</b>.</p><ul><li>one</li><li>two</li></ul>",
        "<pre>code\n  indented</pre>",
        "Line one<br><br>Line two &amp; more",
        '<a href="https://example.com/x_y">details</a> * _ # > `',
        "<h2>Impact</h2><p>Some users.</p>",
        "",
    ]
)


_controls = st.text(st.sampled_from(CONTROLS), max_size=3)
#: (not "\ud800\udfff", which JSON reads as one real character, U+103FF, and no time ends with)
_forbidden = st.text(st.sampled_from(FORBIDDEN), max_size=3).filter(lambda text: "\ud800\udfff" not in text)


@st.composite
def with_controls(draw: st.DrawFn, text: st.SearchStrategy[str]) -> str:
    """``text``, with forbidden characters put in at a few places (half the time)."""
    value = draw(text)
    if draw(st.booleans()):
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(value)))
            value = value[:at] + draw(_controls) + value[at:]
    return value


@st.composite
def items(draw: st.DrawFn, hostile: bool) -> Item:
    body = with_controls(hostile_fragments() if hostile else st.one_of(_benign_html, st.text(max_size=40)))
    maintenance = draw(st.booleans()) and draw(st.booleans())
    statuses = [*MAINTENANCE, "Update"] if maintenance else STATUSES
    published = draw(st.one_of(st.none(), _times))
    updates = []
    for _ in range(draw(st.integers(0, 4))):
        moment = draw(st.one_of(st.none(), _times) if draw(st.booleans()) else _times)
        near = published is not None and moment is not None and abs(moment - published) < timedelta(days=150)
        with_year = not near or draw(st.booleans())
        updates.append(Update(moment, draw(st.sampled_from(statuses)), draw(body), with_year, draw(_forbidden)))
    title = draw(
        st.one_of(
            st.none(),
            st.sampled_from(["Outage", "Outage", "Slow API", "<b>Bold</b> title", "Errors: API & <web>"]),
            with_controls(hostile_fragments() if hostile else st.text(max_size=30)),
        )
    )
    slug = draw(st.sampled_from(["abc", "abc", "x1y2", "ABC", "m-1", ""]))
    kind = "maintenances" if maintenance and draw(st.booleans()) else "incidents"
    link = draw(st.sampled_from([None, f"https://status.example.com/{kind}/{slug}"]))
    scheduled = None
    if maintenance and draw(st.booleans()):
        start = draw(_times)
        scheduled = (start, start + timedelta(minutes=draw(st.integers(-30, 240))))
    return Item(
        title=title,
        link=link,
        published=published,
        updates=updates,
        impact=draw(st.sampled_from([None, "none", "minor", "major", "critical", "maintenance", "bogus"])),
        components=draw(st.lists(st.sampled_from(COMPONENTS), max_size=3)),
        scheduled=scheduled,
    )


def _when(update: Update) -> str:
    assert update.time is not None
    day = update.time.strftime("%b %d").replace(" 0", "  ")
    year = f", {update.time.year}" if update.with_year else ""
    return f"{day}{year}, {update.time:%H:%M} UTC"


def _description(item: Item) -> str:
    parts = []
    for update in reversed(item.updates):  # feeds list the newest first; None times sort anywhere
        if update.time is None:
            parts.append(f"<p>{update.body}</p>")
        else:
            parts.append(f"<p><small>{_when(update)}</small><br><strong>{update.status}</strong> - {update.body}</p>")
    return "".join(parts)


def rss(feed: list[Item]) -> bytes:
    entries = []
    for item in feed:
        parts = ["<item>"]
        if item.title is not None:
            parts.append(f"<title>{html.escape(item.title)}</title>")
        if item.link is not None:
            parts.append(f"<link>{html.escape(item.link)}</link><guid>{html.escape(item.link)}</guid>")
        if item.published is not None:
            parts.append(f"<pubDate>{item.published:%a, %d %b %Y %H:%M:%S +0000}</pubDate>")
        parts.append(f"<description>{html.escape(_description(item))}</description></item>")
        entries.append("".join(parts))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Example Status</title>'
        f"<link>https://status.example.com</link><description>x</description>{''.join(entries)}</channel></rss>\n"
    ).encode("utf-8", "xmlcharrefreplace")  # a lone surrogate: a reference to it


def atom(feed: list[Item]) -> bytes:
    entries = []
    for n, item in enumerate(feed):
        parts = [f"<entry><id>tag:status.example.com,2005:Incident/{n}</id>"]
        if item.published is not None:
            stamp = item.published.strftime("%Y-%m-%dT%H:%M:%SZ")
            parts.append(f"<published>{stamp}</published><updated>{stamp}</updated>")
        if item.link is not None:
            parts.append(f'<link rel="alternate" type="text/html" href="{html.escape(item.link)}"/>')
        if item.title is not None:
            parts.append(f"<title>{html.escape(item.title)}</title>")
        parts.append(f'<content type="html">{html.escape(_description(item))}</content></entry>')
        entries.append("".join(parts))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        '<id>tag:status.example.com,2005:/history</id><link rel="alternate" type="text/html" '
        'href="https://status.example.com"/><title>Example Status</title><updated>2024-06-01T00:00:00Z</updated>'
        f"{''.join(entries)}</feed>\n"
    ).encode("utf-8", "xmlcharrefreplace")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def api(feed: list[Item]) -> bytes:
    records = []
    for n, item in enumerate(feed):
        # ids are unique in an API document (the same id twice is one incident, imported once)
        record: dict[str, object] = {"id": f"r{n}x" if item.link is None else f"{item.link.rsplit('/', 1)[1]}{n}"}
        if item.title is not None:
            record["name"] = item.title
        if item.impact is not None:
            record["impact"] = item.impact
        record["components"] = [{"name": name} for name in item.components]
        if item.scheduled is not None:
            record["scheduled_for"], record["scheduled_until"] = (_iso(m) for m in item.scheduled)
        record["incident_updates"] = [
            {
                "status": update.status.lower().replace(" ", "_"),
                "body": update.body,
                **({"display_at": _iso(update.time) + update.noise} if update.time is not None else {}),
            }
            for update in reversed(item.updates)
        ]
        records.append(record)
    page = {"id": "p", "name": "Example Status", "url": "https://status.example.com"}
    return json.dumps({"page": page, "incidents": records}).encode()


@st.composite
def feeds(draw: st.DrawFn, hostile: bool = False) -> tuple[str, bytes, list[Item]]:
    shape = draw(st.sampled_from(["rss", "atom", "api"]))
    feed = draw(st.lists(items(hostile), min_size=1, max_size=5))
    document = {"rss": rss, "atom": atom, "api": api}[shape](feed)
    return shape, document, feed


# --- running inloop ----------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def build(site: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--source", str(site), "--now", NOW_TEXT], catch_exceptions=False)
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr


def html_tags(text: str) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return [tag.name for tag in BeautifulSoup(text, "html.parser").find_all(True)]


@dataclass
class Imported:
    site: Path
    shape: str
    feed: list[Item]


def imported(shape: str, document: bytes, feed: list[Item]) -> Iterator[Imported]:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / {"rss": "history.rss", "atom": "history.atom", "api": "incidents.json"}[shape]
        source.write_bytes(document)
        site = Path(folder) / "site"
        report = import_feed(str(source), site, now=NOW)
        left_out = [w for w in report.warnings if w.startswith("left out")]
        expected = sum(1 for item in feed if item.knowable(shape))
        assert report.incidents_written + report.maintenance_written == expected, "\n".join(report.lines())
        assert len(left_out) == len(feed) - expected, left_out
        for path in report.written:
            if path.suffix == ".md":  # the Markdown written holds no HTML tag at all
                assert active_in_html(path.read_text(encoding="utf-8")) == []
                assert not html_tags(path.read_text(encoding="utf-8").split("\n---\n", 1)[1]), path
        if report.written:
            build(site)
            before = snapshot(site)
            again = import_feed(str(source), site, now=NOW)
            assert again.written == [] and again.components_added == []
            assert snapshot(site) == before  # inloop.toml included
        yield Imported(site, shape, feed)


@pytest.mark.timeout(3600 if LONG else 300)
@PROPERTY_SETTINGS
@given(feeds())
def test_generated_feeds_import_build_and_reimport_as_no_ops(generated: tuple[str, bytes, list[Item]]) -> None:
    for _ in imported(*generated):
        pass


# --- hostile feeds: nothing active anywhere ------------------------------------------------


def emails(site: Path) -> list[EmailMessage]:
    """Each update's notification email, as ``inloop notify`` words and builds it."""
    loaded = Builder(site, site / "site", shown_source=str(site), cache_dir=None).load(NOW)
    config = loaded.config.config
    assert config is not None and not loaded.problems
    wording = Wording(config, loaded.content, NOW)
    smtp = Smtp(host="127.0.0.1", sender="status@example.com")
    subscriber = Subscriber("reader@example.com", None, ())
    made = []
    for event in collect_events(loaded.content, NOW):
        message = wording.message(event, None)
        made.append(email_message(message, subscriber, smtp, delivery_id(event.id, "x"), "status.example.com"))
    return made


def active_anywhere(site: Path) -> list[str]:
    out = site / "site"
    found: list[str] = []
    for page in sorted(out.rglob("*.html")):
        found.extend(f"{page.relative_to(out)}: {hit}" for hit in active_in_html(page.read_text("utf-8"), theme=True))
    for name in ("feed.xml", "atom.xml"):
        found.extend(f"{name}: {hit}" for hit in active_in_xml((out / name).read_bytes()))
    found.extend(f"feed.json: {hit}" for hit in active_in_json((out / "feed.json").read_bytes()))
    for email in emails(site):
        found.extend(f"email {email['Subject']!r}: {hit}" for hit in active_in_email(email))
    return found


@pytest.mark.timeout(3600 if LONG else 300)
@PROPERTY_SETTINGS
@given(feeds(hostile=True))
def test_hostile_feeds_script_no_page_feed_or_email(generated: tuple[str, bytes, list[Item]]) -> None:
    for result in imported(*generated):
        if (result.site / "site").is_dir():
            assert active_anywhere(result.site) == []


def test_the_checks_see_an_active_page(tmp_path: Path) -> None:
    """The reader of outputs is no formality: it finds what the sanitizer must keep out."""
    assert active_in_html('<p><img src="x" onerror="alert(1)"></p>') == ["<img onerror>"]
    assert active_in_html('<a href=" jav&#x09;ascript:alert(1)">x</a>') == ["<a href=' jav\\tascript:alert(1)'>"]
    assert active_in_html('<script src="../inloop.0123abcd.js"></script>', theme=True) == []
    assert active_in_html('<script src="https://evil.example/x.js"></script>', theme=True) == ["<script>"]
    assert active_in_html('<base target="_blank">', theme=True) == []
    assert active_in_html('<base href="https://evil.example/" target="_blank">', theme=True) == ["<base>"]
    assert active_in_html('<base target="_blank">') == ["<base>"]
    assert active_in_xml(b"<rss><item><description>&lt;iframe src=x&gt;</description></item></rss>") == [
        "description: <iframe>"
    ]
    assert active_in_json(b'{"items": [{"content_html": "<svg onload=alert(1)>"}]}') == [
        "$.items[0].content_html: <svg>",
        "$.items[0].content_html: <svg onload>",
    ]
