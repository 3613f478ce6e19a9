"""Templates compiled and read once a process and kept on disk (``render/compiled.py``), never served stale.

Every new ``Templates`` (a new builder, a template edit under ``serve``, each
site a test builds) finds the theme compiled already; what a compiled
template depends on besides its own text (the libraries whose text macros it
prints, the catalog it translated its literals with) is in the key.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from gettext import NullTranslations
from pathlib import Path
from typing import Any

import jinja2
import pytest

from inloop import i18n
from inloop.render import compiled
from inloop.render.templates import Templates

NAV = "{% from '_macros.html' import local %}<p>{{ _('History') }}</p>{{ local() }}"


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the templates Jinja compiles from now on, with the process's caches empty."""
    made: list[str] = []
    original = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: Any, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        made.append(str(name))
        return original(self, source, name, *args, **kwargs)

    monkeypatch.setattr(compiled, "_CODE", {})
    monkeypatch.setattr(compiled, "_FACTS", {})
    monkeypatch.setattr(compiled, "disk", lambda: None)  # this process's memory only (the disk: below)
    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    yield made


def site(folder: Path, files: dict[str, str]) -> Path:
    (folder / "templates").mkdir(parents=True)
    for name, text in files.items():
        (folder / "templates" / name).write_text(text, encoding="utf-8")
    return folder


def test_a_second_environment_compiles_nothing_and_renders_the_same(tmp_path: Path, compiles: list[str]) -> None:
    first = Templates(tmp_path, ".", i18n.translations("en"))
    assert first.check_syntax(["incident.html"]) == []
    assert "incident.html" in compiles and "base.html" in compiles
    compiles.clear()
    second = Templates(tmp_path, ".", i18n.translations("en"))
    assert second.check_syntax(["incident.html"]) == []
    assert compiles == []
    made = [t.env.get_template("_macros.html").module.local() for t in (first, second)]  # type: ignore[attr-defined]
    assert made[0] == made[1] == '<span class="local"></span>'


def test_a_library_edited_elsewhere_is_printed_anew(tmp_path: Path, compiles: list[str]) -> None:
    """The page's own text and file are the same; the ``local()`` it prints at compile time comes from another."""
    macros = "{% macro local() -%}<i>{{ 'one' }}</i>{%- endmacro %}"
    folder = site(tmp_path, {"page.html": NAV, "_macros.html": macros})
    first = Templates(folder, ".", i18n.translations("en")).render("page.html", {})
    (folder / "templates" / "_macros.html").write_text(macros.replace("one", "two"), encoding="utf-8")
    second = Templates(folder, ".", i18n.translations("en")).render("page.html", {})
    assert (first, second) == ("<p>History</p><i>one</i>", "<p>History</p><i>two</i>")
    assert compiles.count("page.html") == 2


def test_another_catalog_translates_the_literals_anew(tmp_path: Path, compiles: list[str]) -> None:
    folder = site(tmp_path, {"page.html": NAV})
    english = Templates(folder, ".", i18n.translations("en")).render("page.html", {})
    german = Templates(folder, ".", i18n.translations("de")).render("page.html", {})
    assert english.startswith("<p>History</p>") and german.startswith("<p>Verlauf</p>")
    assert Templates(folder, ".", i18n.translations("de")).render("page.html", {}) == german
    assert compiles.count("page.html") == 2


def test_translations_without_a_digest_are_never_cached(tmp_path: Path, compiles: list[str]) -> None:
    class Shouting(NullTranslations):
        def gettext(self, message: str) -> str:
            return message.upper()

    folder = site(tmp_path, {"page.html": NAV})
    assert Templates(folder, ".", i18n.translations("en")).render("page.html", {}).startswith("<p>History</p>")
    shouted = Templates(folder, ".", Shouting())
    assert shouted.env.bytecode_cache is None
    assert shouted.render("page.html", {}).startswith("<p>HISTORY</p>")


def test_an_edited_template_is_compiled_again(tmp_path: Path, compiles: list[str]) -> None:
    folder = site(tmp_path, {"page.html": "<p>{{ 1 + 1 }}</p>"})
    assert Templates(folder, ".", i18n.translations("en")).render("page.html", {}) == "<p>2</p>"
    (folder / "templates" / "page.html").write_text("<p>{{ 2 + 2 }}</p>", encoding="utf-8")
    assert Templates(folder, ".", i18n.translations("en")).render("page.html", {}) == "<p>4</p>"
    assert compiles.count("page.html") == 2


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts Jinja parses from now on."""
    texts: list[str] = []
    original = jinja2.Environment.parse

    def counting(self: jinja2.Environment, source: str, *args: Any, **kwargs: Any) -> Any:
        texts.append(source)
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "parse", counting)
    return texts


def test_each_text_is_parsed_once_for_its_facts(tmp_path: Path, compiles: list[str], parsed: list[str]) -> None:
    first = Templates(tmp_path, ".", i18n.translations("en"))
    fingerprint, inputs = first.fingerprint("incident.html"), first.inputs("incident.html")
    assert parsed and inputs is not None and "incident" in inputs
    parsed.clear()
    second = Templates(tmp_path, ".", i18n.translations("de"))
    assert (second.fingerprint("incident.html"), second.inputs("incident.html")) == (fingerprint, inputs)
    assert parsed == []


@pytest.fixture
def on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compiles: list[str]) -> Iterator[Path]:
    """A folder of this user's for compiled templates, and an empty memory, as in a new process."""
    folder = tmp_path / "kept"
    monkeypatch.setenv(compiled.CACHE_ENV, str(folder))
    monkeypatch.setattr(compiled, "disk", compiled.DiskCache.for_user)
    yield folder


def a_new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget what this process compiled and read: only the disk is left."""
    monkeypatch.setattr(compiled, "_CODE", {})
    monkeypatch.setattr(compiled, "_FACTS", {})


def test_a_new_process_finds_the_theme_compiled_on_disk(
    tmp_path: Path, on_disk: Path, compiles: list[str], parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = site(tmp_path / "site", {"page.html": NAV})
    first = Templates(folder, ".", i18n.translations("de"))
    assert first.check_syntax(["incident.html"]) == []
    made = first.render("page.html", {})
    assert "incident.html" in compiles and "page.html" in compiles
    assert {p.suffix for p in on_disk.iterdir()} - {".mo"} == {".code", ".facts"}  # and a catalog, if compiled now
    assert stat.S_IMODE(on_disk.stat().st_mode) == 0o700
    compiles.clear()
    parsed.clear()
    a_new_process(monkeypatch)
    second = Templates(folder, ".", i18n.translations("de"))
    assert second.check_syntax(["incident.html"]) == []
    assert second.render("page.html", {}) == made == '<p>Verlauf</p><span class="local"></span>'
    assert compiles == [] and parsed == []


@pytest.mark.parametrize("damage", [b"", b"not what Jinja wrote", None])
def test_a_damaged_file_on_disk_is_compiled_again(
    tmp_path: Path, on_disk: Path, compiles: list[str], monkeypatch: pytest.MonkeyPatch, damage: bytes | None
) -> None:
    folder = site(tmp_path / "site", {"page.html": "<p>{{ 1 + 1 }}</p>"})
    assert Templates(folder, ".", i18n.translations("en")).render("page.html", {}) == "<p>2</p>"
    for kept in on_disk.iterdir():
        if damage is None:  # the right start, then nothing Python can load
            kept.write_bytes(kept.read_bytes()[:40] + b"\xff" * 20)
        else:
            kept.write_bytes(damage)
    a_new_process(monkeypatch)
    compiles.clear()
    assert Templates(folder, ".", i18n.translations("en")).render("page.html", {}) == "<p>2</p>"
    assert compiles == ["page.html"]


def test_a_folder_others_may_write_to_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv(compiled.CACHE_ENV, str(shared))
    assert compiled.DiskCache.for_user() is None
    shared.chmod(0o755)
    assert compiled.DiskCache.for_user() is not None
    link = tmp_path / "link"
    link.symlink_to(shared)
    monkeypatch.setenv(compiled.CACHE_ENV, str(link))
    assert compiled.DiskCache.for_user() is None
    monkeypatch.setenv(compiled.CACHE_ENV, "off")
    assert compiled.DiskCache.for_user() is None


def test_the_default_folder_is_the_users_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(compiled.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    found = compiled.DiskCache.for_user()
    assert found is not None and found.folder == tmp_path / "xdg" / "inloop" / "templates"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    found = compiled.DiskCache.for_user()
    assert found is not None and found.folder == tmp_path / "home" / ".cache" / "inloop" / "templates"


def test_the_folder_keeps_the_newest_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled, "DISK_LIMIT", 5)
    kept = compiled.DiskCache(tmp_path)
    for number in range(8):
        (tmp_path / f"old-{number}").write_bytes(b"x")
        os.utime(tmp_path / f"old-{number}", ns=(number * 10**9, number * 10**9))
    kept.write("new", b"y")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new", "old-4", "old-5", "old-6", "old-7"]
