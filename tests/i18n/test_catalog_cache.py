"""A catalog compiled once is kept on disk, where compiled templates are kept, for the next process.

Babel's reading and checking of the theme's English catalog took about 30 ms
before every build's fork; a process now reads the ``.mo`` bytes a process
before it compiled from the same catalog, with the same Babel and inloop.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inloop import i18n
from inloop.errors import BuildError
from inloop.render import compiled

PROBLEM_PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: de\\n"

msgid "Resolved %(name)s"
msgstr "Behoben %(other)s"
"""


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of this user's for compiled files, and an empty memory, as in a new process."""
    folder = tmp_path / "kept"
    monkeypatch.setenv(compiled.CACHE_ENV, str(folder))
    monkeypatch.setattr(compiled, "disk", compiled.DiskCache.for_user)
    a_new_process(monkeypatch)
    return folder


def a_new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "_compiled", {})
    monkeypatch.setattr(i18n, "_chains", {})


def catalogs(folder: Path) -> list[Path]:
    return sorted(folder.glob("catalog-*.mo"))


def compile_counted(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = i18n.compile_po

    def counted(data: bytes, path: Path) -> bytes:
        calls.append(path)
        return real(data, path)

    monkeypatch.setattr(i18n, "compile_po", counted)
    return calls


def test_a_new_process_reads_the_catalog_compiled_before(kept: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = compile_counted(monkeypatch)
    first = i18n.translations("de")
    assert len(calls) == 1 and len(catalogs(kept)) == 1
    a_new_process(monkeypatch)
    second = i18n.translations("de")
    assert len(calls) == 1  # read, not compiled
    assert second.gettext("History") == first.gettext("History") == "Verlauf"
    assert second.digest == first.digest


def test_a_damaged_catalog_on_disk_is_compiled_again(kept: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = compile_counted(monkeypatch)
    i18n.translations("de")
    [file] = catalogs(kept)
    data = file.read_bytes()
    file.write_bytes(data[:-10] + b"\0" * 10)
    a_new_process(monkeypatch)
    assert i18n.translations("de").gettext("History") == "Verlauf"
    assert len(calls) == 2
    assert file.read_bytes() == data  # written again whole


def test_a_catalog_with_a_mistake_is_never_kept(kept: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    (site / "locale").mkdir(parents=True)
    (site / "locale" / "de.po").write_text(PROBLEM_PO, encoding="utf-8")
    for _ in range(2):
        a_new_process(monkeypatch)
        with pytest.raises(BuildError) as raised:
            i18n.translations("de", site)
        assert "placeholders" in str(raised.value) or "%(name)s" in str(raised.value)
    kept_names = [file.name for file in catalogs(kept)]
    assert len(kept_names) <= 1  # the theme's German catalog at most, never the site's


def test_without_a_folder_every_process_compiles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(compiled.CACHE_ENV, "off")
    monkeypatch.setattr(compiled, "disk", compiled.DiskCache.for_user)
    calls = compile_counted(monkeypatch)
    for _ in range(2):
        a_new_process(monkeypatch)
        assert i18n.translations("de").gettext("History") == "Verlauf"
    assert len(calls) == 2
