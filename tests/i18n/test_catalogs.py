"""The message catalogs: in step with the sources, complete, and read the way gettext reads them."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from i18n_support import PLACEHOLDER, REPO, read_catalog

from inloop import i18n, model
from inloop.errors import BuildError
from inloop.render import pages
from inloop.render import status as derive

#: The languages the package ships: every catalog in it is held to the same rules.
LANGUAGES = sorted(p.parent.parent.name for p in i18n.LOCALE_DIR.glob(f"*/LC_MESSAGES/{i18n.DOMAIN}.po"))
#: GNU gettext's plural rules for the languages this issue asked for.
PLURAL_FORMS = {
    "en": (2, "(n != 1)"),
    "de": (2, "(n != 1)"),
    "fr": (2, "(n > 1)"),
    "es": (2, "(n != 1)"),
    "ja": (1, "0"),
}


def keys(catalog: Catalog) -> set[tuple[object, str | None]]:
    return {(m.id, m.context) for m in catalog if m.id}


def forms(value: object) -> list[str]:
    """A message's id or string as a list of its plural forms."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple | list):
        return [str(form) for form in value]
    return [""]


def placeholders(text: str) -> list[str]:
    return sorted(p for p in PLACEHOLDER.findall(text) if p != "%%")


def catalog_path(language: str) -> Path:
    return i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


# -- the template ------------------------------------------------------------------------


def test_the_template_is_up_to_date_with_the_sources(tmp_path: Path, template: Catalog) -> None:
    fresh = tmp_path / "fresh.pot"
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "i18n"), "extract", "--output", str(fresh)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    extracted = read_catalog(fresh)
    added = sorted(map(repr, keys(extracted) - keys(template)))
    gone = sorted(map(repr, keys(template) - keys(extracted)))
    assert not added and not gone, (
        f"src/inloop/locale/inloop.pot is stale: run scripts/i18n and translate. New: {added}; gone: {gone}"
    )


def test_texts_translated_from_tables_are_in_the_template(template: Catalog) -> None:
    wanted = {
        *model.STATUS_LABELS.values(),
        *derive.OVERALL_SENTENCES.values(),
        *model.INCIDENT_STATUSES,
        *model.MAINTENANCE_STATUSES,
        *pages.IMPACT_LABELS.values(),
        *pages.UPDATE_STATUSES,
    }
    assert wanted <= {m.id for m in template}, sorted(wanted - {m.id for m in template})


def test_extraction_sees_calls_inside_f_strings() -> None:
    source = b"""
def label(_, translations, item):
    # TRANSLATORS: a heading
    head = f"<p>{_('We promised')}: {item}</p>"
    return head + translations.ngettext("%(num)d day", "%(num)d days", 2) + _(item.status)
"""
    found = list(i18n.extract_python(io.BytesIO(source), ["_", "ngettext"], ["TRANSLATORS:"], {}))
    assert found == [
        (4, "_", ("We promised",), ["TRANSLATORS: a heading"]),
        (5, "ngettext", ("%(num)d day", "%(num)d days", None), []),
    ]


# -- every catalog ---------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_a_translation(language: str, template: Catalog) -> None:
    catalog = read_catalog(catalog_path(language))
    missing = sorted(map(repr, keys(template) - keys(catalog)))
    assert not missing, f"{language}: not in the catalog (run scripts/i18n): {missing}"
    empty = [m.id for m in catalog if m.id and not all(forms(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not empty, f"{language}: untranslated: {empty}"
    assert not fuzzy, f"{language}: fuzzy (shown in English until checked): {fuzzy}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_forms_are_gettexts(language: str) -> None:
    catalog = read_catalog(catalog_path(language))
    if language in PLURAL_FORMS:
        assert (catalog.num_plurals, catalog.plural_expr) == PLURAL_FORMS[language]
    for message in catalog:
        if message.id and message.pluralizable:
            assert len(forms(message.string)) == catalog.num_plurals, f"{language}: {message.id!r}"


def test_the_asked_for_languages_are_shipped() -> None:
    assert set(PLURAL_FORMS) <= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_and_format(language: str) -> None:
    catalog = read_catalog(catalog_path(language))
    for message in catalog:
        if not message.id:
            continue
        wanted = placeholders(forms(message.id)[-1])
        for form in forms(message.string):
            assert placeholders(form) == wanted, f"{language}: {message.id!r} → {form!r}"
            # Jinja's newstyle gettext always applies %, so a lone % would break a page.
            form % {name: 1 for name in placeholder_names(form)}
    assert not [error for _, errors in catalog.check() for error in errors]


def placeholder_names(text: str) -> list[str]:
    return [p[2:].split(")")[0] for p in PLACEHOLDER.findall(text) if p.startswith("%(")]


def test_the_english_catalog_says_what_the_sources_say() -> None:
    catalog = read_catalog(catalog_path("en"))
    for message in catalog:
        if message.id:
            assert forms(message.string) == forms(message.id)


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_catalogs_are_translations_not_copies(language: str) -> None:
    catalog = read_catalog(catalog_path(language))
    messages = [m for m in catalog if m.id]
    same = [m.id for m in messages if forms(m.string) == forms(m.id)[: len(forms(m.string))]]
    assert len(same) <= len(messages) // 10, f"{language}: left in English: {same}"


# -- reading at run time -----------------------------------------------------------------


def test_a_language_tag_tries_the_region_then_the_language() -> None:
    assert i18n.candidates("pt-BR") == ["pt_BR", "pt"]
    assert i18n.candidates("zh_Hant_TW") == ["zh_Hant_TW", "zh_Hant", "zh"]
    assert i18n.candidates("de") == ["de"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "Behoben"), ("fr", "Résolu"), ("es", "Resuelto"), ("ja", "解決済み"), ("en", "Resolved")],
)
def test_the_shipped_catalogs_load(language: str, expected: str) -> None:
    assert i18n.translations(language).gettext("Resolved") == expected


def test_a_region_falls_back_to_its_language_and_an_unknown_language_to_english() -> None:
    assert i18n.translations("de-AT").gettext("Resolved") == "Behoben"
    assert i18n.translations("xx").gettext("Resolved") == "Resolved"
    assert i18n.translations("xx").ngettext("%(num)d day", "%(num)d days", 2) == "%(num)d days"


def test_plurals_follow_each_language() -> None:
    def day(language: str, n: int) -> str:
        return i18n.translations(language).ngettext("%(num)d day", "%(num)d days", n) % {"num": n}

    assert [day("fr", n) for n in (0, 1, 2)] == ["0 jour", "1 jour", "2 jours"]
    assert [day("de", n) for n in (0, 1, 2)] == ["0 Tage", "1 Tag", "2 Tage"]
    assert [day("ja", n) for n in (1, 5)] == ["1日", "5日"]


PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Resolved"
msgstr "{resolved}"

#, fuzzy
msgid "Investigating"
msgstr "Guessed"

msgid "Monitoring"
msgstr ""
"""


def write_catalog(folder: Path, language: str, text: str) -> Path:
    path = folder / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_fuzzy_and_empty_entries_stay_english(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_catalog(tmp_path, "qq", PO.format(resolved="Fixed"))
    monkeypatch.setenv(i18n.LOCALE_DIR_ENV, str(tmp_path))
    found = i18n.translations("qq")
    assert found.gettext("Resolved") == "Fixed"
    assert found.gettext("Investigating") == "Investigating"
    assert found.gettext("Monitoring") == "Monitoring"


def test_an_edited_catalog_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_catalog(tmp_path, "qq", PO.format(resolved="Fixed"))
    monkeypatch.setenv(i18n.LOCALE_DIR_ENV, str(tmp_path))
    first = i18n.translations("qq")
    assert i18n.translations("qq") is first  # parsed once
    path.write_text(PO.format(resolved="Done"), encoding="utf-8")
    later = time.time() + 5
    os.utime(path, (later, later))
    again = i18n.translations("qq")
    assert again.gettext("Resolved") == "Done"
    assert i18n.catalog_digest(again) != i18n.catalog_digest(first)


def test_a_site_catalog_comes_first_and_falls_back_to_the_package(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "locale").mkdir(parents=True)
    (site / "locale" / "de.po").write_text(PO.format(resolved="Erledigt"), encoding="utf-8")
    found = i18n.translations("de", site=site)
    assert found.gettext("Resolved") == "Erledigt"  # the site's word
    assert found.gettext("Investigating") == "Wird untersucht"  # fuzzy in the site's: the package's
    assert found.gettext("Monitoring") == "Wird beobachtet"
    assert i18n.translations("de").gettext("Resolved") == "Behoben"  # other sites are not affected


def test_a_site_can_add_a_language_in_one_file(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "locale").mkdir(parents=True)
    (site / "locale" / "pt-BR.po").write_text(PO.format(resolved="Resolvido"), encoding="utf-8")
    assert i18n.translations("pt-BR", site=site).gettext("Resolved") == "Resolvido"
    assert i18n.translations("pt", site=site).gettext("Resolved") == "Resolved"


def test_a_broken_catalog_is_an_error_with_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = PO.format(resolved="Fixed").replace('msgid "Monitoring"', 'msgid: "Monitoring"')
    path = write_catalog(tmp_path, "qq", broken)
    monkeypatch.setenv(i18n.LOCALE_DIR_ENV, str(tmp_path))
    with pytest.raises(BuildError) as caught:
        i18n.translations("qq")
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == (str(path), 13)


def test_a_translation_with_other_placeholders_is_an_error(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "locale").mkdir(parents=True)
    text = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    text += '#, python-format\nmsgid "By %(time)s."\nmsgstr "Bis %(zeit)s."\n'
    (site / "locale" / "de.po").write_text(text, encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        i18n.translations("de", site=site)
    [problem] = caught.value.problems
    assert problem.line == 6 and "zeit" in problem.message  # the msgid's line


def test_every_shipped_catalog_compiles() -> None:
    for language in LANGUAGES:
        path = catalog_path(language)
        assert i18n.compile_po(path.read_bytes(), path)
