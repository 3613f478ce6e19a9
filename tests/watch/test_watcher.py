"""The Watcher class on real folders with a real watchdog observer, driven from a thread.

Each test makes real file changes the way editors, git and people make them,
then waits (with a timeout) for the rebuilds the watcher reports.  A change
that must not rebuild is followed by a sentinel change, and the next rebuild
must name only the sentinel.  After every change the watched site must equal,
byte for byte, a fresh full build of the same sources.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from watchdog.events import DirDeletedEvent, DirMovedEvent, FileDeletedEvent, FileMovedEvent, FileSystemEvent

from inloop.build.builder import Builder, BuildReport
from inloop.dev import watch
from inloop.dev.watch import RebuildOutcome, describe

from .support import (
    NOW,
    RESOLVED_ID,
    SAVES,
    WAIT,
    WATCHDOG_REREGISTERS,
    WatchSession,
    assert_same_site,
    incident,
    run_build,
    save_in_place,
    tree,
    tree_with_times,
    wait_until,
    write,
)

pytestmark = [
    pytest.mark.timeout(60),
    WATCHDOG_REREGISTERS,
]

RESOLVED = f"content/incidents/{RESOLVED_ID}.md"
OLD_SENTENCE = "Response times have stayed normal for 30 minutes."
NEW_SENTENCE = "Response times have stayed normal for 45 minutes."


def edit(path: Path, old: str, new: str, save: Callable[[Path, str], None] = save_in_place) -> None:
    text = path.read_text("utf-8")
    assert old in text
    save(path, text.replace(old, new, 1))


def page(site: Path, relative: str) -> str:
    return (site / relative).read_text("utf-8")


# -- every way of saving ----------------------------------------------------------------------------


@pytest.mark.parametrize("style", list(SAVES))
def test_each_way_of_saving_rebuilds_once(watching: WatchSession, style: str) -> None:
    edit(watching.source / RESOLVED, OLD_SENTENCE, NEW_SENTENCE, SAVES[style])
    outcome = watching.expect(RESOLVED)
    assert outcome.report is not None
    assert f"incidents/{RESOLVED_ID}/index.html" in outcome.report.written
    assert "45 minutes" in page(watching.output, f"incidents/{RESOLVED_ID}/index.html")
    # the swap files, probes, backups and temp files the save left behind or removed: no rebuild
    watching.sentinel()
    assert_same_site(watching.output, watching.source)
    watching.assert_quiet()


@pytest.mark.parametrize("style", ["vim", "vscode"])  # a backup by rename; a temp file renamed over it
def test_each_way_of_saving_a_template_rebuilds_once(watching: WatchSession, style: str) -> None:
    footer = watching.source / "templates" / "footer.html"
    edit(footer, "{% block extra %}<p>", "{% block extra %}<p>Saved by the test. ", SAVES[style])
    outcome = watching.expect("templates/footer.html")
    assert outcome.report is not None and "index.html" in outcome.report.written
    assert "Saved by the test." in page(watching.output, "index.html")
    watching.sentinel()
    assert_same_site(watching.output, watching.source)
    watching.assert_quiet()


def test_a_second_save_of_the_same_file_rebuilds_again(watching: WatchSession) -> None:
    path = watching.source / RESOLVED
    edit(path, OLD_SENTENCE, NEW_SENTENCE)
    watching.expect(RESOLVED)
    edit(path, NEW_SENTENCE, "Response times have stayed normal for an hour.")
    watching.expect(RESOLVED)
    assert "for an hour" in page(watching.output, f"incidents/{RESOLVED_ID}/index.html")
    assert_same_site(watching.output, watching.source)


# -- incidents come, go and change names ------------------------------------------------------------


def test_a_new_incident(watching: WatchSession) -> None:
    new = "content/incidents/2026-11-02-slow-exports.md"
    write(watching.source / new, incident("2026-11-02", "Slow exports", component="file-storage"))
    watching.expect(new)
    assert "Slow exports" in page(watching.output, "incidents/2026-11-02-slow-exports/index.html")
    assert_same_site(watching.output, watching.source)


def test_renaming_an_incident(watching: WatchSession) -> None:
    new = "content/incidents/2026-09-15-slow-api-responses.md"
    os.rename(watching.source / RESOLVED, watching.source / new)
    outcome = watching.expect(RESOLVED, new)
    assert outcome.report is not None
    assert f"incidents/{RESOLVED_ID}/index.html" in outcome.report.removed
    assert not (watching.output / "incidents" / RESOLVED_ID).exists()
    assert (watching.output / "incidents" / "2026-09-15-slow-api-responses" / "index.html").is_file()
    assert_same_site(watching.output, watching.source)
    watching.sentinel()


def test_deleting_an_incident(watching: WatchSession) -> None:
    (watching.source / RESOLVED).unlink()
    outcome = watching.expect(RESOLVED)
    assert outcome.report is not None
    assert f"incidents/{RESOLVED_ID}/index.html" in outcome.report.removed
    assert not (watching.output / "incidents" / RESOLVED_ID).exists()
    assert_same_site(watching.output, watching.source)


def test_an_incident_renamed_to_a_backup_name_is_gone(watching: WatchSession) -> None:
    os.rename(watching.source / RESOLVED, watching.source / f"{RESOLVED}~")
    watching.expect(RESOLVED)
    assert not (watching.output / "incidents" / RESOLVED_ID).exists()
    assert_same_site(watching.output, watching.source)


# -- config, templates and static files -------------------------------------------------------------


def test_a_new_component_in_the_config(watching: WatchSession) -> None:
    config = watching.source / "inloop.toml"
    with open(config, "a", encoding="utf-8") as stream:
        stream.write('\n[[components]]\nid = "status-page"\nname = "Status page"\ngroup = "Communication"\n')
    watching.expect("inloop.toml")
    assert "Status page" in page(watching.output, "components/status-page/index.html")
    assert "Status page" in page(watching.output, "index.html")
    assert_same_site(watching.output, watching.source)


def test_a_template_added_then_edited_then_removed(watching: WatchSession) -> None:
    override = watching.source / "templates" / "incident.html"
    head = '{% block head %}<meta name="x-test" content="one">{% endblock %}'
    write(override, '{% extends "!theme/incident.html" %}\n' + head + "\n")
    outcome = watching.expect("templates/incident.html")
    assert outcome.report is not None
    assert f"incidents/{RESOLVED_ID}/index.html" in outcome.report.written
    assert "index.html" not in outcome.report.written  # the home page does not use incident.html
    assert 'content="one"' in page(watching.output, f"incidents/{RESOLVED_ID}/index.html")
    assert_same_site(watching.output, watching.source)

    edit(override, 'content="one"', 'content="two"')
    watching.expect("templates/incident.html")
    assert 'content="two"' in page(watching.output, f"incidents/{RESOLVED_ID}/index.html")
    assert_same_site(watching.output, watching.source)

    override.unlink()
    watching.expect("templates/incident.html")
    assert "x-test" not in page(watching.output, f"incidents/{RESOLVED_ID}/index.html")
    assert_same_site(watching.output, watching.source)


def test_a_template_renamed_to_a_hidden_name_is_gone(watching: WatchSession) -> None:
    footer = watching.source / "templates" / "footer.html"
    assert "Quote its reference" in page(watching.output, "index.html")
    os.rename(footer, footer.with_name(".footer.html.old"))
    watching.expect("templates/footer.html")
    assert "Quote its reference" not in page(watching.output, "index.html")
    # not compared with a full build: the hidden file left in templates/ changes live.json
    # (test_leftovers_in_templates_do_not_change_the_site); static/ shows the rest below
    watching.sentinel()


def test_a_static_file_renamed_to_a_hidden_name_is_gone(watching: WatchSession) -> None:
    logo = watching.source / "static" / "logo.svg"
    write(logo, "<svg/>\n")
    watching.next()
    assert (watching.output / "logo.svg").is_file()
    os.rename(logo, logo.with_name(".logo.svg.old"))
    watching.expect("static/logo.svg")
    assert not (watching.output / "logo.svg").exists()
    assert_same_site(watching.output, watching.source)


def test_a_folder_of_templates_moved_out_of_the_source(watching: WatchSession, tmp_path: Path) -> None:
    partials = watching.source / "templates" / "parts"
    partials.mkdir()
    watching.sentinel()  # an empty folder is no change
    write(partials / "extra.html", "<p>From a partial.</p>\n")
    footer = watching.source / "templates" / "footer.html"
    include = '{% block extra %}{% include "parts/extra.html" ignore missing %}'
    save_in_place(footer, footer.read_text("utf-8").replace("{% block extra %}", include))
    watching.expect("templates/parts/extra.html", "templates/footer.html")
    assert "From a partial." in page(watching.output, "index.html")
    os.rename(partials, tmp_path / "parts-moved-away")
    watching.expect("templates/parts")
    assert "From a partial." not in page(watching.output, "index.html")
    assert_same_site(watching.output, watching.source)


def test_static_files_are_copied_as_they_are(watching: WatchSession) -> None:
    logo = watching.source / "static" / "logo.svg"
    logo.parent.mkdir()
    watching.sentinel()  # an empty folder is no change
    write(logo, '<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    watching.expect("static/logo.svg")
    assert (watching.output / "logo.svg").read_bytes() == logo.read_bytes()
    assert_same_site(watching.output, watching.source)

    icon = watching.source / "static" / "img" / "favicon.ico"
    icon.parent.mkdir()
    icon.write_bytes(bytes(range(256)))
    outcome = watching.next()  # the new folder, its file, or both: nothing else
    assert set(outcome.changed) <= {watching.path("static/img"), watching.path("static/img/favicon.ico")}
    assert (watching.output / "img" / "favicon.ico").read_bytes() == bytes(range(256))

    write(logo, '<svg xmlns="http://www.w3.org/2000/svg" width="2"/>\n')
    watching.expect("static/logo.svg")
    assert (watching.output / "logo.svg").read_bytes() == logo.read_bytes()

    logo.unlink()
    watching.expect("static/logo.svg")
    assert not (watching.output / "logo.svg").exists()
    assert_same_site(watching.output, watching.source)


def test_a_site_catalog_in_locale(watching: WatchSession) -> None:
    """``locale/<language>.po`` holds a site's own texts: an input like a template."""
    catalog = watching.source / "locale" / "en.po"
    catalog.parent.mkdir()
    watching.sentinel()  # an empty folder is no change
    write(
        catalog,
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Questions about an incident? Quote its reference when you contact us."\n'
        'msgstr "Ask us about any incident."\n',
    )
    watching.expect("locale/en.po")
    assert "Ask us about any incident." in page(watching.output, "index.html")
    assert_same_site(watching.output, watching.source)
    catalog.unlink()
    watching.expect("locale/en.po")
    assert "Quote its reference" in page(watching.output, "index.html")
    assert_same_site(watching.output, watching.source)


# -- folders and bursts -----------------------------------------------------------------------------


def test_a_whole_folder_created(watching: WatchSession) -> None:
    """``content/incidents/2026/`` with two incidents: a folder named for a year is no vim probe (``4913``)."""
    folder = watching.source / "content" / "incidents" / "2026"
    folder.mkdir()
    write(folder / "2026-03-01-a.md", incident("2026-03-01", "First archived"))
    write(folder / "2026-03-02-b.md", incident("2026-03-02", "Second archived"))
    outcome = watching.next()
    assert outcome.ok, outcome.problems
    assert outcome.changed, "the rebuild names what changed"
    assert all(path.startswith(str(folder)) for path in outcome.changed), outcome.changed
    assert "First archived" in page(watching.output, "incidents/2026-03-01-a/index.html")
    assert "Second archived" in page(watching.output, "incidents/2026-03-02-b/index.html")
    watching.sentinel()
    assert_same_site(watching.output, watching.source)


def test_a_folder_moved_in_from_outside_and_out_again(watching: WatchSession, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "2025"
    write(outside / "2026-04-01-a.md", incident("2026-04-01", "Imported one"))
    write(outside / "older" / "2026-04-02-b.md", incident("2026-04-02", "Imported two"))
    inside = watching.source / "content" / "incidents" / "2025"
    os.rename(outside, inside)
    outcome = watching.next()
    assert outcome.ok, outcome.problems
    assert outcome.changed == [watching.path("content/incidents/2025")]
    assert (watching.output / "incidents" / "2026-04-02-b" / "index.html").is_file()
    assert_same_site(watching.output, watching.source)

    os.rename(inside, tmp_path / "elsewhere" / "gone")
    watching.expect("content/incidents/2025")
    assert not (watching.output / "incidents" / "2026-04-02-b").exists()
    assert_same_site(watching.output, watching.source)
    watching.sentinel()


def _moved_out_events(inside: Path, outside: Path) -> dict[str, list[FileSystemEvent]]:
    """The ways platforms and watchdog versions report ``inside`` (with its two incidents) moved to ``outside``."""
    files = [Path("2026-04-01-a.md"), Path("older/2026-04-02-b.md")]
    return {
        "the folder moved": [DirMovedEvent(str(inside), str(outside))],
        "the folder and its folders moved": [
            DirMovedEvent(str(inside), str(outside)),
            DirMovedEvent(str(inside / "older"), str(outside / "older")),
            *(FileMovedEvent(str(inside / f), str(outside / f)) for f in files),
        ],
        "the folder and its folders deleted": [
            DirDeletedEvent(str(inside)),
            DirDeletedEvent(str(inside / "older")),
        ],
        "only the files deleted": [FileDeletedEvent(str(inside / f)) for f in files],
        "only the files moved": [FileMovedEvent(str(inside / f), str(outside / f)) for f in files],
        "the files, then the folders deleted": [
            *(FileDeletedEvent(str(inside / f)) for f in files),
            DirDeletedEvent(str(inside / "older")),
            DirDeletedEvent(str(inside)),
        ],
    }


@pytest.mark.parametrize("events", list(_moved_out_events(Path("in"), Path("out"))))
def test_a_folder_moved_out_is_named_whatever_events_report_it(
    acme: Path, tmp_path: Path, make_watch: Callable[..., WatchSession], events: str
) -> None:
    """Each platform's events for a folder moved out of the source (issue 16): the folder is named, once.

    The folder really moves; the events come from the list instead of an
    observer, so that every platform's way is tried on this one.
    """
    inside = acme / "content" / "incidents" / "2025"
    write(inside / "2026-04-01-a.md", incident("2026-04-01", "Imported one"))
    write(inside / "older" / "2026-04-02-b.md", incident("2026-04-02", "Imported two"))
    session = make_watch(acme)
    session.thread.start()  # the loop alone: no observer adds events of its own
    assert session.next().ok
    assert (session.output / "incidents" / "2026-04-02-b" / "index.html").is_file()

    outside = tmp_path / "elsewhere"
    os.rename(inside, outside)
    for event in _moved_out_events(inside, outside)[events]:
        session.watcher.notice(event)
    outcome = session.expect("content/incidents/2025")
    assert describe(outcome)[0].endswith(f"({session.path('content/incidents/2025')})")
    assert not (session.output / "incidents" / "2026-04-02-b").exists()
    assert_same_site(session.output, acme)


def test_a_burst_of_200_files_like_a_git_checkout(watching: WatchSession) -> None:
    git = watching.source / ".git"
    write(git / "HEAD", "ref: refs/heads/main\n")
    write(git / "index.lock", "lock")
    new = []
    for number in range(200):
        day = f"2026-{1 + number % 10:02d}-{1 + number % 28:02d}"
        relative = f"content/incidents/{day}-burst-{number:03d}.md"
        write(watching.source / relative, incident(day, f"Burst {number}", text=f"Burst incident {number}."))
        write(git / "objects" / f"{number:02x}" / "object", f"blob {number}")
        new.append(relative)
    edit(watching.source / "templates" / "footer.html", "Questions", "Any questions")
    new.append("templates/footer.html")
    os.replace(git / "index.lock", git / "index")
    outcome = watching.expect(*new)
    assert outcome.report is not None
    assert f"incidents/{Path(new[199]).stem}/index.html" in outcome.report.written
    watching.sentinel()
    assert_same_site(watching.output, watching.source)
    watching.assert_quiet()


def test_an_input_folder_replaced_at_the_top(watching: WatchSession, tmp_path: Path) -> None:
    """``content/`` swapped for another (a branch's copy): one rebuild, and the new folder is watched."""
    other = tmp_path / "other-content"
    shutil.copytree(watching.source / "content", other)
    (other / "incidents" / f"{RESOLVED_ID}.md").unlink()
    write(other / "incidents" / "2026-11-05-swapped.md", incident("2026-11-05", "Swapped in"))
    os.rename(watching.source / "content", tmp_path / "old-content")
    os.rename(other, watching.source / "content")
    outcome = watching.next()
    assert outcome.ok and watching.path("content") in outcome.changed
    assert (watching.output / "incidents" / "2026-11-05-swapped" / "index.html").is_file()
    assert not (watching.output / "incidents" / RESOLVED_ID).exists()
    assert_same_site(watching.output, watching.source)
    # the new folder is watched; the old one, outside the source now, is not
    write(tmp_path / "old-content" / "incidents" / "2026-11-06-gone.md", incident("2026-11-06", "Not here"))
    new = "content/incidents/2026-11-07-later.md"
    write(watching.source / new, incident("2026-11-07", "Later"))
    watching.expect(new)
    assert_same_site(watching.output, watching.source)


def test_the_templates_folder_removed_and_made_again(watching: WatchSession) -> None:
    templates = watching.source / "templates"
    shutil.rmtree(templates)
    outcome = watching.next()
    assert outcome.ok and all(p.startswith(str(templates)) for p in outcome.changed)
    assert "Quote its reference" not in page(watching.output, "index.html")
    assert_same_site(watching.output, watching.source)
    templates.mkdir()
    watching.sentinel()
    footer = '{% extends "!theme/footer.html" %}\n{% block extra %}<p>Back.</p>{% endblock %}\n'
    write(templates / "footer.html", footer)
    watching.expect("templates/footer.html")
    assert "Back." in page(watching.output, "index.html")
    assert_same_site(watching.output, watching.source)


def test_the_builder_is_told_what_changed(watching: WatchSession, tmp_path: Path) -> None:
    """Builder.build re-reads only the paths it is given; a folder's coming or going makes it look at all."""
    assert watching.gate.hints == [None]  # the first build looks at every file
    edit(watching.source / RESOLVED, OLD_SENTENCE, NEW_SENTENCE)
    watching.expect(RESOLVED)
    assert watching.gate.hints[-1] == [os.path.abspath(watching.path(RESOLVED))]
    write(tmp_path / "archive" / "2026-03-01-a.md", incident("2026-03-01", "Archived"))
    os.rename(tmp_path / "archive", watching.source / "content" / "incidents" / "archive")
    watching.next()
    assert watching.gate.hints[-1] is None
    assert_same_site(watching.output, watching.source)
    os.rename(watching.source / "content" / "incidents" / "archive", tmp_path / "archive")
    watching.expect("content/incidents/archive")
    assert watching.gate.hints[-1] is None
    assert_same_site(watching.output, watching.source)


def test_lost_events_make_a_full_rebuild(watching: WatchSession, monkeypatch: pytest.MonkeyPatch) -> None:
    """When inotify's queue overflows, watchdog can only log it: then every file is looked at again."""
    dropped: list[str] = []
    with monkeypatch.context() as deaf:  # as if the kernel dropped the events
        deaf.setattr(watching.watcher, "notice", lambda event: dropped.append(os.fsdecode(event.src_path)))
        edit(watching.source / RESOLVED, OLD_SENTENCE, NEW_SENTENCE)
        marker = watching.source / "content" / "incidents" / "marker.txt"
        write(marker, "events come in order: once this one is dropped, so are the edit's")
        wait_until(lambda: str(marker) in dropped, "the edit's events to be dropped")
    logging.getLogger("watchdog.observers.inotify_c").warning("Inotify queue overflowed; filesystem events were lost")
    outcome = watching.next()
    assert outcome.ok and outcome.changed == [str(watching.source)]
    assert watching.gate.hints[-1] is None
    assert "45 minutes" in page(watching.output, f"incidents/{RESOLVED_ID}/index.html")
    assert_same_site(watching.output, watching.source)
    watching.sentinel()


# -- what must not rebuild --------------------------------------------------------------------------


def _git_checkout_noise(source: Path) -> None:
    git = source / ".git"
    write(git / "index.lock", "lock")
    write(git / "objects" / "ab" / "cdef", "blob")
    write(git / "refs" / "heads" / "main", "0" * 40)
    os.replace(git / "index.lock", git / "index")
    shutil.rmtree(git / "objects")


def _output_writes(source: Path) -> None:
    site = source / "site"
    write(site / "index.html", (site / "index.html").read_text("utf-8") + "<!-- touched -->")
    write(site / "extra" / "note.txt", "someone else's file")
    os.replace(site / "extra" / "note.txt", site / "extra" / "renamed.txt")


def _editor_leftovers(source: Path) -> None:
    folder = source / "content" / "incidents"
    name = f"{RESOLVED_ID}.md"
    for leftover in (
        f".{name}.swp",
        f".{name}.swx",
        f".{name}.swo",
        "4913",
        f"{name}~",
        f"#{name}#",
        f"{name}___jb_tmp___",
        f"{name}___jb_old___",
    ):
        write(folder / leftover, "leftover")
        (folder / leftover).unlink()
    os.symlink("ops@host.1234", folder / f".#{name}")
    (folder / f".#{name}").unlink()
    for leftover in (".footer.html.swp", "footer.html~", "footer.html___jb_old___", "4913"):
        write(source / "templates" / leftover, "leftover")  # gone again before the sentinel: see
        (source / "templates" / leftover).unlink()  # test_leftovers_in_templates_do_not_change_the_site
    write(source / "static" / ".DS_Store", "finder")
    write(source / ".inloop.toml.swp", "swap")
    write(source / "inloop.toml~", "backup")


def _not_inputs(source: Path) -> None:
    write(source / "README.md", "# notes")
    write(source / "notes.txt", "notes")
    write(source / "bench" / "run.py", "print()")
    write(source / "content" / "incidents" / "notes.txt", "not an incident")
    (source / "content" / "incidents" / "drafts").mkdir()
    (source / "content" / "incidents" / "drafts").rmdir()
    write(source / ".inloop-cache" / "other", "cache")


def _reading(source: Path) -> None:
    for path in (source / "inloop.toml", source / RESOLVED, source / "templates" / "footer.html"):
        path.read_bytes()
    list((source / "content").rglob("*"))


def _touching_leftovers_of_an_input_folder(source: Path) -> None:
    hidden = source / "content" / "incidents" / ".trash"
    write(hidden / "2026-01-01-x.md", incident("2026-01-01", "Deleted one"))
    shutil.rmtree(hidden)


@pytest.mark.parametrize(
    "change",
    [
        _git_checkout_noise,
        _output_writes,
        _editor_leftovers,
        _not_inputs,
        _reading,
        _touching_leftovers_of_an_input_folder,
    ],
    ids=lambda change: change.__name__.strip("_"),
)
def test_changes_that_do_not_matter_do_not_rebuild(watching: WatchSession, change: Callable[[Path], None]) -> None:
    (watching.source / "static").mkdir(exist_ok=True)
    (watching.source / "bench").mkdir(exist_ok=True)
    before = tree_with_times(watching.output)
    change(watching.source)
    outcome = watching.sentinel()
    assert outcome.report is not None
    if change is not _output_writes:
        assert outcome.report.written == []
        assert tree_with_times(watching.output) == before
    watching.assert_quiet()


def test_leftovers_in_templates_do_not_change_the_site(acme: Path, tmp_path: Path) -> None:
    assert run_build(acme, tmp_path / "clean")[0] == 0
    write(acme / "templates" / ".footer.html.swp", "swap")
    write(acme / "templates" / "footer.html~", "backup")
    assert run_build(acme, tmp_path / "with-leftovers")[0] == 0
    assert tree(tmp_path / "with-leftovers") == tree(tmp_path / "clean")


def test_the_watcher_does_not_rebuild_in_a_loop_on_its_own_output(watching: WatchSession) -> None:
    edit(watching.source / RESOLVED, OLD_SENTENCE, NEW_SENTENCE)
    outcome = watching.expect(RESOLVED)
    assert outcome.report is not None and outcome.report.written  # it wrote files into site/ ...
    watching.sentinel()  # ... and those writes caused no rebuild of their own
    watching.assert_quiet()


# -- timing: merged bursts, changes during a rebuild ------------------------------------------------


def test_changes_close_together_merge_into_one_rebuild(watching: WatchSession) -> None:
    paths = [RESOLVED, "templates/footer.html", "content/incidents/2026-11-03-new.md"]
    edit(watching.source / RESOLVED, OLD_SENTENCE, NEW_SENTENCE)
    time.sleep(0.03)  # spacing the saves, well under the ~100 ms the watcher waits for things to settle
    edit(watching.source / "templates" / "footer.html", "Questions", "Any questions")
    time.sleep(0.03)
    write(watching.source / paths[2], incident("2026-11-03", "New"))
    time.sleep(0.03)
    edit(watching.source / RESOLVED, NEW_SENTENCE, "Response times have stayed normal for an hour.")
    outcome = watching.expect(*paths)
    assert outcome.changed[0] == watching.path(RESOLVED)  # in the order they came
    watching.sentinel()
    assert_same_site(watching.output, watching.source)


def test_changes_during_a_rebuild_cause_exactly_one_more(watching: WatchSession) -> None:
    gate = watching.gate
    gate.open.clear()
    gate.entered.clear()
    edit(watching.source / RESOLVED, OLD_SENTENCE, NEW_SENTENCE)
    assert gate.entered.wait(WAIT), "no rebuild started"
    # the rebuild is now under way: change three more files
    later = ["templates/footer.html", "content/incidents/2026-11-03-new.md", "inloop.toml"]
    edit(watching.source / "templates" / "footer.html", "Questions", "Any questions")
    write(watching.source / later[1], incident("2026-11-03", "New"))
    edit(watching.source / "inloop.toml", 'title = "Acme Status"', 'title = "Acme Service Status"')
    wanted = {watching.path(p) for p in later}
    wait_until(lambda: wanted <= set(watching.pending()), "the watcher to notice the changes")
    gate.open.set()
    watching.expect(RESOLVED)
    watching.expect(*later)
    assert "Acme Service Status" in page(watching.output, "index.html")
    watching.sentinel()
    assert_same_site(watching.output, watching.source)
    watching.assert_quiet()


def test_endless_changes_still_rebuild_now_and_then(watching: WatchSession, monkeypatch: pytest.MonkeyPatch) -> None:
    """Changes that never settle (a script saving every 30 ms) still rebuild, at most MAX_SETTLE_SECONDS late."""
    monkeypatch.setattr(watch, "MAX_SETTLE_SECONDS", 0.3)
    path = watching.source / RESOLVED
    text = path.read_text("utf-8")
    deadline = time.monotonic() + WAIT
    number = 0
    while watching.outcomes.empty():
        assert time.monotonic() < deadline, "no rebuild while changes kept coming"
        number += 1
        save_in_place(path, text.replace(OLD_SENTENCE, f"Saved {number} times."))
        time.sleep(0.03)
    watching.next()
    final = watching.next()  # the saves after the first rebuild
    assert final.changed == [watching.path(RESOLVED)]
    assert f"Saved {number} times." in page(watching.output, f"incidents/{RESOLVED_ID}/index.html")
    assert_same_site(watching.output, watching.source)


# -- mistakes ---------------------------------------------------------------------------------------


def build_errors(source: Path, tmp_path: Path) -> list[str]:
    """The ``path:line: message`` lines ``inloop build`` prints for ``source``."""
    status, stdout, stderr = run_build(source, tmp_path / "build-errors")
    assert status == 1, stdout
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert lines[-1].startswith("build failed:")
    return lines[:-1]


def test_a_bad_edit_keeps_the_last_good_site_and_a_good_save_heals_it(watching: WatchSession, tmp_path: Path) -> None:
    path = watching.source / RESOLVED
    good = tree_with_times(watching.output)
    edit(path, "impact: minor", "impact: tiny")
    outcome = watching.expect(RESOLVED, ok=False)
    expected = build_errors(watching.source, tmp_path)
    assert [str(p) for p in outcome.problems] == expected
    assert len(expected) == 1 and expected[0].startswith(f"{path}:3: ")
    assert "impact" in expected[0] and "minor" in expected[0]  # says what is allowed
    assert describe(outcome) == ["rebuild failed: 1 error, kept the last good site", *expected]
    assert tree_with_times(watching.output) == good

    # a second mistake in another file: both reported, still the same site
    other = watching.source / "content" / "incidents" / "2026-11-26-search-failures.md"
    edit(other, "## 2026-11-26 10:42 UTC — Investigating", "## 2026-11-26 10:42 UTC — Looking")
    outcome = watching.expect("content/incidents/2026-11-26-search-failures.md", ok=False)
    assert [str(p) for p in outcome.problems] == build_errors(watching.source, tmp_path)
    assert len(outcome.problems) == 2
    assert describe(outcome)[0] == "rebuild failed: 2 errors, kept the last good site"
    assert tree_with_times(watching.output) == good

    edit(other, "— Looking", "— Investigating")
    watching.expect("content/incidents/2026-11-26-search-failures.md", ok=False)
    edit(path, "impact: tiny", "impact: major")
    outcome = watching.expect(RESOLVED)
    assert outcome.report is not None and f"incidents/{RESOLVED_ID}/index.html" in outcome.report.written
    assert_same_site(watching.output, watching.source)
    watching.assert_quiet()


def test_a_broken_config_keeps_the_last_good_site(watching: WatchSession, tmp_path: Path) -> None:
    good = tree_with_times(watching.output)
    edit(watching.source / "inloop.toml", 'timezone = "Europe/Berlin"', 'timezone = "Europe/Berlim"')
    outcome = watching.expect("inloop.toml", ok=False)
    assert [str(p) for p in outcome.problems] == build_errors(watching.source, tmp_path)
    assert str(outcome.problems[0]).startswith(f"{watching.source / 'inloop.toml'}:6: ")
    assert tree_with_times(watching.output) == good
    edit(watching.source / "inloop.toml", "Europe/Berlim", "Europe/Berlin")
    watching.expect("inloop.toml")
    assert_same_site(watching.output, watching.source)


@pytest.mark.parametrize(
    ("template", "line", "message"),
    [
        ("{% block extra %}\n<p>{% if %}</p>\n{% endblock %}", 3, "template syntax error: "),
        ("{% block extra %}\n<p>\n{{ nope.attribute }}</p>\n{% endblock %}", 4, "template error: 'nope' is undefined"),
    ],
    ids=["syntax", "render"],
)
def test_template_errors_are_path_line_messages(
    watching: WatchSession, tmp_path: Path, template: str, line: int, message: str
) -> None:
    footer = watching.source / "templates" / "footer.html"
    good_template = footer.read_text("utf-8")
    good = tree_with_times(watching.output)
    save_in_place(footer, '{% extends "!theme/footer.html" %}\n' + template + "\n")
    outcome = watching.expect("templates/footer.html", ok=False)
    lines = [str(p) for p in outcome.problems]
    assert lines == build_errors(watching.source, tmp_path)
    assert len(lines) == 1 and lines[0].startswith(f"{footer}:{line}: {message}"), lines
    assert tree_with_times(watching.output) == good
    save_in_place(footer, good_template)
    outcome = watching.expect("templates/footer.html")
    assert outcome.report is not None and outcome.report.written == []  # back to the same bytes
    assert_same_site(watching.output, watching.source)


def test_a_template_that_is_not_utf8_does_not_stop_the_watcher(watching: WatchSession) -> None:
    footer = watching.source / "templates" / "footer.html"
    good_template = footer.read_bytes()
    good = tree_with_times(watching.output)
    footer.write_bytes(b"\xff\xfe" + good_template)
    outcome = watching.expect("templates/footer.html", ok=False)
    assert len(outcome.problems) == 1
    assert describe(outcome)[0] == "rebuild failed: 1 error, kept the last good site"
    assert tree_with_times(watching.output) == good
    watching.assert_running()
    footer.write_bytes(good_template)
    watching.expect("templates/footer.html")
    assert_same_site(watching.output, watching.source)


def test_a_failing_first_build_does_not_stop_the_watcher(acme: Path, make_watch: Callable[..., WatchSession]) -> None:
    path = acme / RESOLVED
    edit(path, "impact: minor", "impact: tiny")
    session = make_watch(acme)
    first = session.start()
    assert not first.ok and first.changed == []
    assert str(first.problems[0]).startswith(f"{path}:3: ")
    assert not (acme / "site" / "index.html").exists()
    edit(path, "impact: tiny", "impact: minor")
    outcome = session.expect(RESOLVED)
    assert outcome.report is not None and "index.html" in outcome.report.written
    assert_same_site(session.output, acme)
    session.sentinel()
    session.assert_quiet()


# -- the clock, paths, stopping ---------------------------------------------------------------------


def test_it_rebuilds_when_time_crosses_a_boundary(acme: Path, make_watch: Callable[..., WatchSession]) -> None:
    """Without --now the output changes with the clock (a window ends, a day begins): rebuild then."""
    clock = [NOW]
    session = make_watch(acme, now=lambda: clock[0], follow_clock=True)
    assert session.start().ok
    boundary = session.builder.next_boundary
    assert boundary is not None and NOW < boundary < NOW + timedelta(days=2)
    clock[0] = boundary
    outcome = session.next()
    assert outcome.ok and outcome.changed == []
    assert describe(outcome)[0].endswith("(time passed)")
    assert outcome.report is not None and outcome.report.written
    assert_same_site(session.output, acme, now=boundary.isoformat())
    assert session.builder.next_boundary is not None and session.builder.next_boundary > boundary


def test_a_source_given_through_a_symlink(acme: Path, tmp_path: Path, make_watch: Callable[..., WatchSession]) -> None:
    link = tmp_path / "link-to-acme"
    link.symlink_to(acme, target_is_directory=True)
    session = make_watch(link)
    assert session.start().ok
    edit(link / RESOLVED, OLD_SENTENCE, NEW_SENTENCE)
    session.expect(RESOLVED)
    assert "45 minutes" in page(acme / "site", f"incidents/{RESOLVED_ID}/index.html")
    session.sentinel()
    session.assert_quiet()


def test_an_input_folder_given_through_a_symlink(
    acme: Path, tmp_path: Path, make_watch: Callable[..., WatchSession]
) -> None:
    """``content/`` may be a symlink to another folder of the project (never to one outside it)."""
    shared = acme / "shared-content"
    os.rename(acme / "content", shared)
    (acme / "content").symlink_to(shared, target_is_directory=True)
    session = make_watch(acme)
    assert session.start().ok
    edit(shared / "incidents" / f"{RESOLVED_ID}.md", OLD_SENTENCE, NEW_SENTENCE)
    session.expect(RESOLVED)
    assert "45 minutes" in page(acme / "site", f"incidents/{RESOLVED_ID}/index.html")
    session.sentinel()
    assert_same_site(session.output, acme)


def test_an_output_folder_outside_the_source(
    acme: Path, tmp_path: Path, make_watch: Callable[..., WatchSession]
) -> None:
    builder = Builder(acme, tmp_path / "public", shown_source=str(acme))
    session = make_watch(acme, builder=builder)
    assert session.start().ok
    edit(acme / RESOLVED, OLD_SENTENCE, NEW_SENTENCE)
    session.expect(RESOLVED)
    assert not (acme / "site").exists()
    assert_same_site(tmp_path / "public", acme)


def test_stopping_is_prompt(acme: Path, make_watch: Callable[..., WatchSession]) -> None:
    session = make_watch(acme)
    assert session.start().ok
    started = time.monotonic()
    session.close()
    assert time.monotonic() - started < 0.9  # not the loop's 1 s wait for the clock


def test_the_rebuild_line_names_one_change_alone(watching: WatchSession) -> None:
    """One change is named alone: "and 0 more" was printed after it (issue 16)."""
    new = "content/incidents/2026-05-01-one.md"
    write(watching.source / new, incident("2026-05-01", "One"))
    outcome = watching.expect(new)
    [line] = describe(outcome)
    shown = re.fullmatch(r"rebuilt in \d+ ms: \d+ files written \((.*)\)", line)
    assert shown is not None and shown[1] == watching.path(new)


@pytest.mark.parametrize(
    ("changed", "cause"),
    [
        ([], "time passed"),
        (["acme/inloop.toml"], "acme/inloop.toml"),
        (["acme/inloop.toml", "acme/static/logo.svg"], "acme/inloop.toml and 1 more"),
        (["a/1.md", "a/2.md", "a/3.md"], "a/1.md and 2 more"),
    ],
)
def test_the_rebuild_line_counts_the_changes_after_the_first(changed: list[str], cause: str) -> None:
    outcome = RebuildOutcome(True, BuildReport(written=["index.html", "feed.xml"]), [], changed, 0.0125)
    assert describe(outcome) == [f"rebuilt in 12 ms: 2 files written ({cause})"]
