"""``inloop watch`` as a person runs it: a subprocess, its exact stdout lines, Ctrl-C and SIGTERM.

The source is given relative to the working folder (``--source acme``), so
the paths in the output are the ones the person typed.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from .support import (
    NOW_TEXT,
    RESOLVED_ID,
    Process,
    assert_same_site,
    copy_example,
    run_build,
    save_in_place,
    tree,
)

pytestmark = pytest.mark.timeout(60)

Inloop = Callable[..., Process]
RESOLVED = f"acme/content/incidents/{RESOLVED_ID}.md"
REBUILT = r"rebuilt in \d+ ms: (\d+) files written \((.+)\)"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    save_in_place(path, text.replace(old, new, 1))


def changed_files(before: dict[str, bytes], after: dict[str, bytes]) -> int:
    """Files whose bytes changed or that are new (the build record aside)."""
    return sum(1 for path, data in after.items() if path != ".inloop-build.json" and before.get(path) != data)


def build_errors(acme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What ``inloop build --source acme`` prints before its last line, run from acme's parent."""
    with monkeypatch.context() as context:
        context.chdir(acme.parent)
        status, _, stderr = run_build(Path("acme"), tmp_path / "errors-build")
    assert status == 1
    lines = stderr.splitlines()
    assert lines[-1].startswith("build failed: ") and "Traceback" not in stderr
    return lines[:-1]


def start_watch(inloop: Inloop, acme: Path, *extra: str, env: dict[str, str] | None = None) -> Process:
    process = inloop(["watch", "--source", "acme", *extra], cwd=acme.parent, env=env)
    process.expect(r"watching acme \(Ctrl-C to stop\)")
    return process


def test_watch_prints_stable_lines_and_stops_on_ctrl_c(
    inloop: Inloop, acme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = acme / "site"
    process = start_watch(inloop, acme, "--now", NOW_TEXT)
    written, cause = process.expect(REBUILT).groups()
    assert cause == "initial build"
    assert int(written) == len(tree(site)) - 1  # every file but the build record

    # one save: the line names the file as typed and counts the files whose bytes changed
    before = tree(site)
    edit(acme / RESOLVED.removeprefix("acme/"), "for 30 minutes", "for 45 minutes")
    written, cause = process.expect(REBUILT).groups()
    assert cause == RESOLVED
    assert int(written) == changed_files(before, tree(site)) > 0

    # a bad save: the failure line, then exactly the lines `inloop build` prints
    before = tree(site)
    edit(acme / RESOLVED.removeprefix("acme/"), "impact: minor", "impact: tiny")
    assert process.line() == "rebuild failed: 1 error, kept the last good site"
    expected = build_errors(acme, tmp_path, monkeypatch)
    assert len(expected) == 1 and expected[0].startswith(f"{RESOLVED}:3: ")
    assert process.line() == expected[0]
    assert tree(site) == before

    # two files at once: the first named, the other counted
    edit(acme / RESOLVED.removeprefix("acme/"), "impact: tiny", "impact: minor")
    edit(acme / "templates" / "footer.html", "Questions", "Any questions")
    written, cause = process.expect(REBUILT).groups()
    assert cause == f"{RESOLVED} and 1 more"
    assert int(written) == changed_files(before, tree(site))

    assert process.stop(signal.SIGINT) == 0
    assert process.stderr == []
    assert_same_site(site, acme)


def test_sigterm_stops_watch_cleanly(inloop: Inloop, acme: Path) -> None:
    """SOURCE_DATE_EPOCH fixes the build time as --now does."""
    process = start_watch(inloop, acme, env={"SOURCE_DATE_EPOCH": "1795694400"})  # 2026-11-26 12:00 UTC
    assert process.expect(REBUILT).group(2) == "initial build"
    assert process.stop(signal.SIGTERM) == 0
    assert process.stderr == []
    assert_same_site(acme / "site", acme)


def test_ctrl_c_during_a_rebuild_stops_cleanly(inloop: Inloop, acme: Path) -> None:
    process = start_watch(inloop, acme, "--now", NOW_TEXT)
    process.expect(REBUILT)
    edit(acme / RESOLVED.removeprefix("acme/"), "for 30 minutes", "for 45 minutes")
    assert process.stop(signal.SIGINT) == 0
    assert process.stderr == []


def test_a_failing_first_build_does_not_stop_watch(inloop: Inloop, acme: Path) -> None:
    edit(acme / RESOLVED.removeprefix("acme/"), "impact: minor", "impact: tiny")
    process = start_watch(inloop, acme, "--now", NOW_TEXT)
    assert process.line() == "rebuild failed: 1 error, kept the last good site"
    assert process.line().startswith(f"{RESOLVED}:3: ")
    edit(acme / RESOLVED.removeprefix("acme/"), "impact: tiny", "impact: minor")
    written, cause = process.expect(REBUILT).groups()
    assert cause == RESOLVED
    assert int(written) == len(tree(acme / "site")) - 1
    assert process.stop(signal.SIGINT) == 0
    assert process.stderr == []


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("{% block extra %}\n<p>{% if %}</p>\n{% endblock %}", 3, "template syntax error: "),
        ("{% block extra %}\n<p>\n{{ nope.attribute }}</p>\n{% endblock %}", 4, "template error: 'nope' is undefined"),
        ("{% block extra %}\n{{ 1 // 0 }}\n{% endblock %}", 3, "template error (ZeroDivisionError): "),
    ],
    ids=["syntax", "undefined", "exception"],
)
def test_template_errors_are_path_line_in_build_and_in_watch(
    inloop: Inloop, acme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, line: int, message: str
) -> None:
    footer = acme / "templates" / "footer.html"
    good = footer.read_text("utf-8")
    save_in_place(footer, '{% extends "!theme/footer.html" %}\n' + body + "\n")
    expected = build_errors(acme, tmp_path, monkeypatch)
    assert len(expected) == 1 and expected[0].startswith(f"acme/templates/footer.html:{line}: {message}"), expected

    process = start_watch(inloop, acme, "--now", NOW_TEXT)
    assert process.line() == "rebuild failed: 1 error, kept the last good site"
    assert process.line() == expected[0]
    save_in_place(footer, good)
    assert process.expect(REBUILT).group(2) == "acme/templates/footer.html"
    assert process.stop(signal.SIGINT) == 0
    assert process.stderr == []


def test_a_missing_include_is_reported_at_the_including_line(
    acme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    footer = acme / "templates" / "footer.html"
    include = '{% block extra %}\n{% include "nothere.html" %}\n{% endblock %}\n'
    save_in_place(footer, '{% extends "!theme/footer.html" %}\n' + include)
    expected = build_errors(acme, tmp_path, monkeypatch)
    assert expected == ["acme/templates/footer.html:3: template not found: nothere.html"]


def test_a_template_that_is_not_utf8_is_a_path_line_error(
    acme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    footer = acme / "templates" / "footer.html"
    footer.write_bytes(b"\xff\xfe" + footer.read_bytes())
    expected = build_errors(acme, tmp_path, monkeypatch)
    assert len(expected) == 1 and expected[0].startswith("acme/templates/footer.html:1: ")


def test_watching_a_folder_that_does_not_exist_is_a_clear_error(inloop: Inloop, tmp_path: Path) -> None:
    process = inloop(["watch", "--source", "nowhere", "--now", NOW_TEXT], cwd=tmp_path)
    assert process.wait() == 1
    assert process.stdout == []
    assert process.stderr == ["error: cannot watch nowhere: there is no such folder"]


def test_serving_a_folder_that_does_not_exist_is_a_clear_error(inloop: Inloop, tmp_path: Path) -> None:
    process = inloop(["serve", "--source", "nowhere", "--now", NOW_TEXT, "--port", "0"], cwd=tmp_path)
    assert process.wait() == 1
    assert process.stderr == ["error: cannot watch nowhere: there is no such folder"]
    assert not (tmp_path / "nowhere").exists()


def test_builds_that_fork_workers_do_not_hang(inloop: Inloop, tmp_path: Path) -> None:
    """A cold build renders every page, on all cores in forked workers when there are enough.

    The workers inherited the watcher's SIGTERM handler, ignored the SIGTERM their pool ends
    them with, and the first build waited for them forever, most of the time.
    """
    acme = copy_example(tmp_path / "acme")  # no build cache: every page is rendered
    process = start_watch(inloop, acme, "--now", NOW_TEXT)
    assert process.expect(REBUILT).group(2) == "initial build"
    footer = acme / "templates" / "footer.html"
    for number in range(4):  # every page uses the footer: each save renders them all again (a race each time)
        old, new = ("Questions", "More questions") if number % 2 == 0 else ("More questions", "Questions")
        edit(footer, old, new)
        assert process.expect(REBUILT).group(2) == "acme/templates/footer.html"
    assert process.stop(signal.SIGINT) == 0
    assert process.stderr == []
    assert_same_site(acme / "site", acme)
