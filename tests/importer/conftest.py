"""Feeds for the importer's tests: the real ones in tests/fixtures/real/feeds/ (copied unedited), and
small Statuspage-style feeds made to order (``make_feed``)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytest.register_assert_rewrite("hostile_html")

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "feeds"
STREAMYARD_RSS = FEEDS / "statuspage-streamyard-history.rss"
STREAMYARD_ATOM = FEEDS / "statuspage-streamyard-history.atom"
PARSE_RSS = FEEDS / "statuspage-parse-2014-history.rss"


@dataclass
class Item:
    """One Statuspage item; ``updates`` are (small text, status, HTML), newest first as in
    real feeds."""

    title: str
    link: str
    published: str  # RFC 822 for RSS, converted for Atom by the caller's choice
    updates: Sequence[tuple[str, str, str]]
    atom_published: str = "2024-01-01T00:00:00Z"
    extra: dict[str, str] = field(default_factory=dict)

    def description(self) -> str:
        return "".join(
            f"<p><small>{when}</small><br><strong>{status}</strong> - {text}</p>" for when, status, text in self.updates
        )


class FeedMaker:
    item = Item

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def rss(
        self,
        items: Sequence[Item],
        *,
        name: str = "history.rss",
        title: str = "Example Status - Incident History",
        link: str = "https://status.example.com",
        content_encoded: bool = False,
    ) -> Path:
        entries = []
        for item in items:
            body = html.escape(item.description())
            text = (
                f"<description>Summary</description><content:encoded>{body}</content:encoded>"
                if content_encoded
                else f"<description>{body}</description>"
            )
            entries.append(
                f"<item><title>{html.escape(item.title)}</title>{text}"
                f"<pubDate>{item.published}</pubDate><link>{html.escape(item.link)}</link>"
                f"<guid>{html.escape(item.link)}</guid></item>"
            )
        document = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>{html.escape(title)}</title><link>{html.escape(link)}</link>"
            f"<description>Statuspage</description>{''.join(entries)}</channel></rss>\n"
        )
        path = self.directory / name
        path.write_text(document, encoding="utf-8")
        return path

    def atom(
        self,
        items: Sequence[Item],
        *,
        name: str = "history.atom",
        title: str = "Example Status - Incident History",
        link: str = "https://status.example.com",
    ) -> Path:
        entries = [
            f"<entry><id>tag:status.example.com,2005:Incident/{n}</id>"
            f"<published>{item.atom_published}</published>"
            f"<updated>{item.atom_published}</updated>"
            f'<link rel="alternate" type="text/html" href="{html.escape(item.link)}"/>'
            f"<title>{html.escape(item.title)}</title>"
            f'<content type="html">{html.escape(item.description())}</content></entry>'
            for n, item in enumerate(items)
        ]
        document = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<feed xml:lang="en-US" xmlns="http://www.w3.org/2005/Atom">'
            "<id>tag:status.example.com,2005:/history</id>"
            f'<link rel="alternate" type="text/html" href="{html.escape(link)}"/>'
            f"<title>{html.escape(title)}</title><updated>2024-06-01T00:00:00Z</updated>"
            f"{''.join(entries)}</feed>\n"
        )
        path = self.directory / name
        path.write_text(document, encoding="utf-8")
        return path


@pytest.fixture
def make_feed(tmp_path: Path) -> FeedMaker:
    directory = tmp_path / "feeds"
    directory.mkdir()
    return FeedMaker(directory)


@pytest.fixture(scope="session")
def feeds_dir() -> Path:
    assert FEEDS.is_dir(), f"the real feeds are missing: {FEEDS}"
    return FEEDS
