"""Which paths are inputs, and which watchdog events name a change: no observer, no timing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirModifiedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileClosedNoWriteEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
)

from inloop.build.builder import Builder
from inloop.dev.watch import SourceFilter, Watcher

from .support import NOW, WATCHDOG_REREGISTERS, copy_example

pytestmark = [
    pytest.mark.timeout(30),
    WATCHDOG_REREGISTERS,
]

INPUTS = [
    "inloop.toml",
    "content/incidents/2026-11-20-api-errors.md",
    "content/maintenance/2026-12-03-upgrade.md",
    "content/incidents/2026/2026-01-02-old.md",
    "templates/footer.html",
    "templates/partials/banner.html",
    "templates/style.css",
    "static/logo.svg",
    "static/img/favicon.ico",
    "static/robots.txt",
]

NOT_INPUTS = [
    # the output folder, in and outside the source
    "site/index.html",
    "site/incidents/x/index.html",
    "site/.inloop-build.json",
    "site/.inloop-3kd9.tmp",
    # hidden files and folders: git during a checkout, caches, editors' swap files
    ".git/index",
    ".git/index.lock",
    ".git/objects/ab/cdef0123",
    ".inloop-cache/cache.sqlite3",
    ".inloop.toml.swp",
    "content/.hidden.md",
    "content/incidents/.2026-11-20-api-errors.md.swp",
    "content/incidents/.2026-11-20-api-errors.md.swx",
    "content/incidents/.2026-11-20-api-errors.md.swo",
    "content/incidents/.#2026-11-20-api-errors.md",
    "content/.drafts/2026-11-20-api-errors.md",
    "templates/.footer.html.swp",
    "static/.DS_Store",
    "static/.well-known/security.txt",
    # editors' leftovers
    "inloop.toml~",
    "content/incidents/2026-11-20-api-errors.md~",
    "content/incidents/#2026-11-20-api-errors.md#",
    "content/incidents/4913",
    "content/incidents/2026-11-20-api-errors.md___jb_tmp___",
    "content/incidents/2026-11-20-api-errors.md___jb_old___",
    "templates/footer.html~",
    "templates/4913",
    "templates/footer.html___jb_old___",
    "static/logo.svg___jb_tmp___",
    # not inputs at all
    "README.md",
    "notes.txt",
    "bench/run.py",
    "content/incidents/notes.txt",
    "content/incidents/2026-11-20-api-errors.markdown",
    "scripts/test",
]


@pytest.fixture
def source_filter(tmp_path: Path) -> SourceFilter:
    return SourceFilter(tmp_path / "src", tmp_path / "src" / "site")


@pytest.mark.parametrize("relative", INPUTS)
def test_inputs_matter(source_filter: SourceFilter, relative: str) -> None:
    assert source_filter.matters(str(source_filter.source / relative))


@pytest.mark.parametrize("relative", NOT_INPUTS)
def test_other_paths_do_not_matter(source_filter: SourceFilter, relative: str) -> None:
    assert not source_filter.matters(str(source_filter.source / relative))


def test_paths_outside_the_source_do_not_matter(tmp_path: Path) -> None:
    source_filter = SourceFilter(tmp_path / "src", tmp_path / "out")
    assert not source_filter.matters(str(tmp_path / "out" / "index.html"))
    assert not source_filter.matters(str(tmp_path / "elsewhere" / "content" / "incidents" / "x.md"))
    assert not source_filter.matters(str(tmp_path / "src"), is_directory=True)
    assert source_filter.matters(str(tmp_path / "src" / "inloop.toml"))


def test_an_output_folder_outside_site_is_ignored_too(tmp_path: Path) -> None:
    """``--output`` may name a folder inside the source other than site/ (it must not contain the source)."""
    source_filter = SourceFilter(tmp_path / "src", tmp_path / "src" / "static" / "preview")
    assert not source_filter.matters(str(tmp_path / "src" / "static" / "preview" / "index.html"))
    assert source_filter.matters(str(tmp_path / "src" / "static" / "logo.svg"))


def test_relative_event_paths_are_judged_from_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``inloop watch`` with the default ``--source .`` gets events named ``./content/...``."""
    (tmp_path / "src").mkdir()
    monkeypatch.chdir(tmp_path / "src")
    source_filter = SourceFilter(Path("."), Path("site"))
    assert source_filter.matters("./content/incidents/x.md")
    assert source_filter.matters("./inloop.toml")
    assert not source_filter.matters("./site/index.html")
    assert not source_filter.matters("./.git/HEAD")


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("content", True),
        ("content/incidents", True),
        ("content/incidents/2026", True),
        ("templates", True),
        ("templates/partials", True),
        ("static", True),
        ("static/img", True),
        ("site", False),
        ("site/incidents", False),
        (".git", False),
        (".git/refs", False),
        ("content/incidents/.drafts", False),
        ("bench", False),
    ],
)
def test_folders_that_may_hold_inputs(source_filter: SourceFilter, relative: str, expected: bool) -> None:
    assert source_filter.matters(str(source_filter.source / relative), is_directory=True) is expected


def test_a_new_folder_matters_only_when_it_holds_an_input(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source_filter = SourceFilter(source, source / "site")
    empty = source / "content" / "incidents" / "2026"
    empty.mkdir(parents=True)
    assert not source_filter.folder_matters(str(empty))
    (empty / "notes.txt").write_text("not an incident")
    (empty / ".x.md.swp").write_text("swap")
    assert not source_filter.folder_matters(str(empty))
    (empty / "deep" / "er").mkdir(parents=True)
    (empty / "deep" / "er" / "2026-01-02-x.md").write_text("an incident")
    assert source_filter.folder_matters(str(empty))
    hidden = source / "content" / "incidents" / "2025"
    (hidden / ".git").mkdir(parents=True)
    (hidden / ".git" / "x.md").write_text("hidden")
    assert not source_filter.folder_matters(str(hidden))


# -- events -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def watcher(tmp_path_factory: pytest.TempPathFactory, built_example: Path) -> Watcher:
    """A watcher whose builder has built the example once (so it knows its inputs); no observer.

    Shared by the tests below, which only ask it about events (one adds a folder of its own).
    """
    source = copy_example(tmp_path_factory.mktemp("filter") / "acme", warm_from=built_example)
    (source / "static").mkdir()
    (source / "static" / "logo.svg").write_text("<svg/>")
    outcomes: list[object] = []
    watcher = Watcher(Builder(source, source / "site"), lambda: NOW, follow_clock=False, on_rebuild=outcomes.append)
    watcher.rebuild([])
    return watcher


def at(watcher: Watcher, relative: str) -> str:
    return os.path.join(str(watcher.builder.source), relative)


INCIDENT = "content/incidents/2026-09-15-api-latency.md"


def test_opening_and_closing_a_file_is_no_change(watcher: Watcher) -> None:
    path = at(watcher, INCIDENT)
    for event in (FileOpenedEvent(path), FileClosedEvent(path), FileClosedNoWriteEvent(path)):
        assert watcher.relevant_paths(event) == []
    assert watcher.relevant_paths(FileModifiedEvent(path)) == [path]
    assert watcher.relevant_paths(FileCreatedEvent(path)) == [path]
    assert watcher.relevant_paths(FileDeletedEvent(path)) == [path]


def test_a_folder_modified_event_is_no_change(watcher: Watcher) -> None:
    assert watcher.relevant_paths(DirModifiedEvent(at(watcher, "content/incidents"))) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # vim's backup: the input goes away under an ignored name, then comes back by itself
        (INCIDENT, INCIDENT + "~", [INCIDENT]),
        # JetBrains: the input goes away, then the temp file takes its name
        (INCIDENT, INCIDENT + "___jb_old___", [INCIDENT]),
        (INCIDENT + "___jb_tmp___", INCIDENT, [INCIDENT]),
        # a temp file that was never an input, renamed onto one: judged by its new path
        ("content/incidents/.x.md.tmp", INCIDENT, [INCIDENT]),
        ("templates/footer.html.vsctmp", "templates/footer.html", ["templates/footer.html"]),
        # a real rename of an incident: both the old and the new id
        (INCIDENT, "content/incidents/2026-09-15-api-slow.md", [INCIDENT, "content/incidents/2026-09-15-api-slow.md"]),
        # an input renamed out of the inputs
        (INCIDENT, "content/incidents/2026-09-15-api-latency.txt", [INCIDENT]),
        ("templates/footer.html", "templates/.footer.html.old", ["templates/footer.html"]),
        ("static/logo.svg", "static/logo.svg~", ["static/logo.svg"]),
        # leftovers renamed among themselves
        (INCIDENT + "~", INCIDENT + "~~", []),
        ("content/incidents/.x.swp", "content/incidents/.x.swo", []),
    ],
)
def test_a_rename_is_judged_by_its_new_path(watcher: Watcher, old: str, new: str, expected: list[str]) -> None:
    event = FileMovedEvent(at(watcher, old), at(watcher, new))
    assert watcher.relevant_paths(event) == [at(watcher, p) for p in expected]


def test_a_folder_of_incidents_moved_away_or_deleted_is_a_change(watcher: Watcher) -> None:
    incidents = at(watcher, "content/incidents")
    assert watcher.relevant_paths(DirDeletedEvent(incidents)) == [incidents]
    assert watcher.relevant_paths(DirMovedEvent(incidents, at(watcher, "content/.old"))) == [incidents]
    assert watcher.relevant_paths(DirDeletedEvent(at(watcher, "templates"))) == [at(watcher, "templates")]
    assert watcher.relevant_paths(DirDeletedEvent(at(watcher, "static"))) == [at(watcher, "static")]
    # folders that held no input
    assert watcher.relevant_paths(DirDeletedEvent(at(watcher, "content/incidents/drafts"))) == []
    assert watcher.relevant_paths(DirDeletedEvent(at(watcher, ".git/refs"))) == []
    assert watcher.relevant_paths(DirDeletedEvent(at(watcher, "site/incidents"))) == []


def test_a_folder_created_or_moved_in_is_a_change_when_it_holds_inputs(watcher: Watcher) -> None:
    source = watcher.builder.source
    folder = source / "content" / "incidents" / "2026"
    folder.mkdir()
    assert watcher.relevant_paths(DirCreatedEvent(str(folder))) == []
    (folder / "2026-01-02-x.md").write_text("an incident")
    assert watcher.relevant_paths(DirCreatedEvent(str(folder))) == [str(folder)]
    moved = source / "content" / "incidents" / "archive"
    os.rename(folder, moved)
    assert watcher.relevant_paths(DirMovedEvent(str(folder), str(moved))) == [str(moved)]


def test_output_events_are_never_a_change(watcher: Watcher) -> None:
    site = watcher.builder.output
    for event in (
        FileCreatedEvent(str(site / ".inloop-x.tmp")),
        FileModifiedEvent(str(site / "index.html")),
        FileMovedEvent(str(site / ".inloop-x.tmp"), str(site / "index.html")),
        FileDeletedEvent(str(site / "incidents" / "x" / "index.html")),
        DirDeletedEvent(str(site / "incidents" / "x")),
        DirCreatedEvent(str(site / "incidents" / "y")),
    ):
        assert watcher.relevant_paths(event) == []


def test_changes_noticed_out_of_order_are_named_in_the_order_they_were_saved(watcher: Watcher) -> None:
    """Each watched folder has its own watchdog thread: a later save elsewhere may be noticed first."""
    import threading

    incident, footer = Path(at(watcher, INCIDENT)), Path(at(watcher, "templates/footer.html"))
    incident.write_bytes(incident.read_bytes())
    footer.write_bytes(footer.read_bytes())
    gone = at(watcher, "content/incidents/2026-01-01-never-there.md")
    watcher.notice(FileModifiedEvent(str(footer)))
    watcher.notice(FileDeletedEvent(gone))  # no file to ask: it keeps the time it was noticed
    watcher.notice(FileModifiedEvent(str(incident)))
    assert watcher._take_settled(threading.Event()) == [str(incident), str(footer), gone]


def test_a_file_saved_again_before_the_rebuild_keeps_the_place_of_its_first_save(watcher: Watcher) -> None:
    """Saved first, then another file, then the first again: the first is still named first."""
    import threading

    incident, footer = Path(at(watcher, INCIDENT)), Path(at(watcher, "templates/footer.html"))
    start = time.time_ns() - 60 * 10**9  # saves a minute ago, a second apart: no clock can blur them
    incident.write_bytes(incident.read_bytes())
    os.utime(incident, ns=(start, start))
    watcher.notice(FileModifiedEvent(str(incident)))
    footer.write_bytes(footer.read_bytes())
    os.utime(footer, ns=(start + 10**9, start + 10**9))
    watcher.notice(FileModifiedEvent(str(footer)))
    os.utime(incident, ns=(start + 2 * 10**9, start + 2 * 10**9))  # saved again, after the footer
    watcher.notice(FileModifiedEvent(str(incident)))
    assert watcher._take_settled(threading.Event()) == [str(incident), str(footer)]
