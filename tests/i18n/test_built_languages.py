"""The example site built in other languages: no English theme text left, dates in the language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from i18n_support import NOW, PLACEHOLDER, PSEUDO, BuildIn

from inloop import i18n
from inloop.build.builder import Builder, build_time

#: Elements whose text is not shown.
HIDDEN = {"script", "style", "template"}
#: Attributes whose text a reader meets (as a tooltip, or read out by a screen reader).
SHOWN_ATTRIBUTES = {"title", "alt", "aria-label", "aria-description", "placeholder"}
#: <meta> whose content is shown by browsers, search engines and link previews.
SHOWN_META = {"description", "og:title", "og:description", "og:site_name", "twitter:title", "twitter:description"}
#: Words that may stay as they are in any language: names of formats, products and zones.
NAMES = {"RSS", "Atom", "JSON", "Feed", "API", "SVG", "ICS", "CET", "CEST", "UTC", "GMT"}
#: Babel's words for dates, in English for a pseudo-locale (CLDR has no data for it).
DATE_WORDS = {
    name
    for kind in ("months", "days")
    for context in getattr(Locale.parse("en"), kind).values()
    for names in context.values()
    for name in names.values()
}


@dataclass(frozen=True)
class Text:
    """One piece of text of a page, and whether it is a date or time."""

    text: str
    in_time: bool


class PageText(HTMLParser):
    """The text of a page a reader sees or hears, piece by piece (html.parser; no script or style)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[Text] = []
        self.lang: str | None = None
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if tag == "meta" and (values.get("name") or values.get("property")) in SHOWN_META:
            self.add(values.get("content") or "")
        for name in SHOWN_ATTRIBUTES & values.keys():
            self.add(values[name] or "")
        if tag not in {"meta", "link", "br", "img", "input", "hr", "source", "wbr", "path", "circle", "rect"}:
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not HIDDEN & set(self._open):
            self.add(data)

    def add(self, text: str) -> None:
        text = " ".join(text.split())
        if text:
            self.pieces.append(Text(text, "time" in self._open))


def page_text(path: Path) -> PageText:
    parser = PageText()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def author_texts(source: Path) -> tuple[set[str], list[str]]:
    """What the site's author wrote: whole pieces (from their Markdown), and strings that may sit in a piece."""
    loaded = Builder(source, source / "unused-output", cache_dir=None).load(build_time(NOW))
    config = loaded.config.config
    assert config is not None
    html: list[str] = []
    strings = [config.title, config.description, config.timezone_name, config.base_url]
    for component in config.components:
        strings += [component.id, component.name, component.group or "", component.description or ""]
    for incident in loaded.content.incidents:
        strings += [incident.id, incident.title]
        html += [incident.summary_html, incident.cause_html or "", *(u.html for u in incident.updates)]
        html += [step.html for step in incident.prevention]
    for window in loaded.content.maintenance:
        strings += [window.id, window.title]
        html += [window.description_html or "", *(u.html for u in window.updates)]
    strings += project_template_texts(source / "templates")
    pieces: set[str] = set()
    for snippet in html:
        parser = PageText()
        parser.feed(snippet)
        parser.close()
        pieces |= {p.text for p in parser.pieces}
    return pieces, sorted({s for s in strings if s}, key=len, reverse=True)


def project_template_texts(folder: Path) -> list[str]:
    """Texts in the site's own templates: the author's, not the theme's (no catalog of ours has them)."""
    if not folder.is_dir():
        return []
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true", "silent": "false"}
    texts: list[str] = []
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(folder), [("**.html", "jinja2")], {"**.html": options}
    ):
        texts += [message] if isinstance(message, str) else [m for m in message if m]
    return texts


def fragments(template: Catalog) -> list[str]:
    """The English words of every theme text, cut at its placeholders: what must not show."""
    found: set[str] = set()
    for message in template:
        if not message.id:
            continue
        for form in [message.id] if isinstance(message.id, str) else message.id:
            for part in PLACEHOLDER.split(form):
                part = part.strip(" .,:;()–-")
                if len(re.findall(r"[A-Za-z]", part)) > 3 and part not in NAMES:
                    found.add(part)
    return sorted(found, key=len, reverse=True)


# -- the pseudo-locale -------------------------------------------------------------------


@pytest.fixture(scope="module")
def pseudo_site(build_in: BuildIn, pseudo_locale_dir: Path) -> Path:
    return build_in(PSEUDO, env={i18n.LOCALE_DIR_ENV: str(pseudo_locale_dir)})


def test_a_pseudo_locale_build_shows_no_english_theme_text(pseudo_site: Path, template: Catalog) -> None:
    whole_pieces, strings = author_texts(pseudo_site.parent / "source")
    words = [(word, re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")) for word in fragments(template)]
    found: dict[str, list[str]] = {}  # the same piece of text recurs on every page: judged once

    def english_in(text: str) -> list[str]:
        rest = text
        for string in strings:
            rest = rest.replace(string, " ")
        rest = re.sub(r"\[!! .*? !!\]", " ", rest)
        # a theme text the catalog did not reach (the substring test only skips the regex where it cannot match)
        left = [f"{word!r} in {text!r}" for word, pattern in words if word in rest and pattern.search(rest)]
        # English not in any catalog: theme text not wrapped in _()
        stray = [w for w in re.findall(r"[A-Za-z]{2,}", rest) if w not in NAMES | DATE_WORDS]
        if stray:
            left.append(f"untranslatable {stray} in {text!r}")
        return left

    leftovers: list[str] = []
    pages = html_pages(pseudo_site)
    assert len(pages) > 10
    for page in pages:
        parsed = page_text(page)
        shown = " ".join(p.text for p in parsed.pieces)
        assert "[!! " in shown, f"{page}: the pseudo catalog was not used"
        for piece in parsed.pieces:
            if piece.in_time or piece.text in whole_pieces:
                continue  # a date (Babel's, in English for the pseudo-locale), or the author's words
            if piece.text not in found:
                found[piece.text] = english_in(piece.text)
            leftovers += [f"{page.relative_to(pseudo_site)}: {left}" for left in found[piece.text]]
    assert not leftovers, "English theme text in a pseudo-locale build:\n" + "\n".join(sorted(set(leftovers)))


def test_the_pseudo_locale_sets_html_lang(pseudo_site: Path) -> None:
    assert page_text(pseudo_site / "index.html").lang == PSEUDO


# -- the shipped languages ---------------------------------------------------------------

LANGUAGES = ["de", "fr", "es", "ja"]
ENGLISH_MONTHS = list(Locale.parse("en").months["format"]["abbreviated"].values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_example_builds_in_each_language(build_in: BuildIn, language: str) -> None:
    site = build_in(language)
    gettext = i18n.translations(language).gettext
    for page in html_pages(site):
        parsed = page_text(page)
        assert parsed.lang == language, page
    home = page_text(site / "index.html")
    shown = [p.text for p in home.pieces]
    for english in ("History", "Components", "Subscribe", "Skip to content"):
        assert gettext(english) != english
        assert gettext(english) in shown, f"{language}: {gettext(english)!r} is not on the home page"


@pytest.mark.parametrize("language", LANGUAGES)
def test_dates_follow_the_language(build_in: BuildIn, language: str) -> None:
    site = build_in(language)
    months = Locale.parse(language).months
    local = {name for width in ("abbreviated", "wide") for name in months["format"][width].values()}
    english = set(ENGLISH_MONTHS) - {name.rstrip(".") for name in local}
    times = [p.text for page in html_pages(site) for p in page_text(page).pieces if p.in_time]
    assert times
    assert any(name in text for text in times for name in local), f"{language}: no month name in {times[:5]}"
    wrong = [t for t in times if any(re.search(rf"(?<!\w){m}(?!\w)", t) for m in english)]
    assert not wrong, f"{language}: English month names in {wrong[:5]}"
