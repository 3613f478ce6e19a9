"""``inloop prevention add`` and ``inloop prevention done``: follow-through without reopening."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import pytest

INCIDENTS = Path("content/incidents")

RESOLVED = """\
---
title: Disk full
impact: minor
components: [api]
prevention:
  - Alert on disk use.   # the first promise
---
## 2026-11-26 10:00 UTC — Investigating
A

## 2026-11-26 11:00 UTC — Resolved
B
"""


def _write(site: Path, text: str, name: str = "2026-11-26-disk") -> Path:
    path = site / INCIDENTS / f"{name}.md"
    path.write_text(text, "utf-8")
    return path


def _body(text: str) -> str:
    return text.split("\n---\n", 1)[1]


def test_add_to_a_resolved_incident_keeps_it_resolved(site: Path, ok: Callable[..., Any]) -> None:
    path = _write(site, RESOLVED)
    result = ok(["prevention", "add", "disk", "Bigger disks: twice the size."], site)
    text = path.read_text("utf-8")
    assert text == RESOLVED.replace(
        "# the first promise\n", '# the first promise\n  - "Bigger disks: twice the size."\n'
    )
    assert _body(text) == _body(RESOLVED)  # no update, no status change
    assert result.stdout.splitlines() == [
        f"{path}: added prevention step 2: Bigger disks: twice the size.",
        "2026-11-26-disk status: Resolved (unchanged)",
        "when it is done: inloop prevention done 2026-11-26-disk 2",
    ]


def test_add_in_place_of_the_prompt_of_a_new_incident(solo: Path, ok: Callable[..., Any]) -> None:
    ok(["new", "incident", "Slow"], solo, now="2026-11-26 11:00 UTC")
    path = solo / INCIDENTS / "2026-11-26-slow.md"
    ok(["prevention", "add", "slow", "One"], solo)
    ok(["prevention", "add", "slow", "Two"], solo)
    text = path.read_text("utf-8")
    assert "such as 2026-11-26 11:30 UTC\nprevention:\n  - One\n  - Two\n---\n" in text
    assert text.endswith("## 2026-11-26 11:00 UTC — Investigating\nTODO\n")


def test_done_marks_the_step_and_the_feed_announces_it(
    site: Path, ok: Callable[..., Any], build: Callable[..., Path]
) -> None:
    path = _write(site, RESOLVED)
    ok(["prevention", "add", "disk", "Bigger disks."], site)
    result = ok(["prevention", "done", "disk", "1", "--at", "2026-11-27"], site, now="2026-11-28 09:00 UTC")
    assert result.stdout.splitlines()[0] == (
        f"{path}: prevention step 1 done on 2026-11-27 (from 2026-11-26 23:00 UTC / 2026-11-27 00:00 CET): "
        "Alert on disk use."
    )
    result = ok(["prevention", "done", "disk", "2"], site, now="2026-11-28 09:30:40 UTC")
    assert result.stdout.splitlines()[0] == (
        f"{path}: prevention step 2 done at 2026-11-28 09:30 UTC / 10:30 CET: Bigger disks."
    )
    text = path.read_text("utf-8")
    assert (
        "prevention:\n  - step: Alert on disk use.\n    done: 2026-11-27   # the first promise\n"
        "  - step: Bigger disks.\n    done: 2026-11-28 09:30 UTC\n---\n" in text
    )
    assert _body(text) == _body(RESOLVED)
    output = build(site, None, "2026-11-28 10:00 UTC")
    feed = feedparser.parse((output / "feed.xml").read_bytes())
    links = [entry.link for entry in feed.entries]
    assert "https://status.test.example/incidents/2026-11-26-disk/#prevention-1" in links[:2]
    assert "https://status.test.example/incidents/2026-11-26-disk/#prevention-2" in links[:2]


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("prevention: [one, {step: two}]\n", "prevention: [{step: one, done: 2026-11-27}, {step: two}]\n"),
        ("prevention: one\n", "prevention: [{step: one, done: 2026-11-27}]\n"),
        ("prevention:\n  - step: one\n    id: alerts\n",
         "prevention:\n  - step: one\n    id: alerts\n    done: 2026-11-27\n"),
        ("prevention:\n  - {step: one}\n", "prevention:\n  - {step: one, done: 2026-11-27}\n"),
        ("prevention:\n  - step: one\n    done:\n", "prevention:\n  - step: one\n    done: 2026-11-27\n"),
    ],
)  # fmt: skip
def test_done_in_any_form(site: Path, ok: Callable[..., Any], front: str, expected: str) -> None:
    text = f"---\ntitle: T\nimpact: minor\ncomponents: [api]\n{front}---\n## 2026-11-26 10:00 UTC — Investigating\nA\n"
    path = _write(site, text, "t")
    ok(["prevention", "done", "t", "1", "--at", "2026-11-27"], site, now="2026-11-28 12:00 UTC")
    assert path.read_text("utf-8").startswith(f"---\ntitle: T\nimpact: minor\ncomponents: [api]\n{expected}---\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["prevention", "add", "nope", "x"], "no incident or maintenance window 'nope' in {content}"),
        (["prevention", "add", "disk", "  "], "the step is empty: say what will change so that this does not happen "
         "again"),
        (["prevention", "add", "disk", "Alert  on disk use."], "2026-11-26-disk has this step already: step 1"),
        (["prevention", "done", "nope", "1"], "no incident or maintenance window 'nope' in {content}"),
        (["prevention", "done", "disk", "2"], "2026-11-26-disk has no prevention step 2: it has step 1"),
        (["prevention", "done", "disk", "0"], "2026-11-26-disk has no prevention step 0: it has step 1"),
        (["prevention", "done", "disk", "one"], "step number 'one' is not a number: give N as the page numbers the "
         "steps"),
        (["prevention", "done", "disk", "1", "--at", "2026-11-27"], "--at 2026-11-27 is in the future (today is "
         "2026-11-26)"),
        (["prevention", "done", "disk", "1", "--at", "2026-11-25"], "--at 2026-11-25 is before the incident started "
         "(2026-11-26 10:00 UTC / 11:00 CET)"),
        (["prevention", "done", "disk", "1", "--at", "10:30"], "--at 2026-11-26 09:30 UTC / 10:30 CET is before the "
         "incident started (2026-11-26 10:00 UTC / 11:00 CET)"),
        (["prevention", "done", "disk", "1", "--at", "13:30"], '13:30 CET today is in the future; for yesterday '
         'write --at "2026-11-25 13:30"'),
        (["prevention", "done", "disk", "1", "--at", "soon"], "--at: cannot read time 'soon': expected "
         "'YYYY-MM-DD HH:MM[:SS] [UTC|Z|+HH:MM]' or ISO 8601, a clock time such as 15:30"),
    ],
)  # fmt: skip
def test_errors_leave_the_file_alone(site: Path, fails: Callable[..., str], args: list[str], message: str) -> None:
    path = _write(site, RESOLVED)
    assert fails(args, site) == message.format(content=site / "content")
    assert path.read_text("utf-8") == RESOLVED


def test_no_steps_a_done_step_and_maintenance(site: Path, ok: Callable[..., Any], fails: Callable[..., str]) -> None:
    _write(site, RESOLVED.replace("prevention:\n  - Alert on disk use.   # the first promise\n", ""))
    assert fails(["prevention", "done", "disk", "1"], site) == (
        "2026-11-26-disk has no prevention steps: add one with 'inloop prevention add 2026-11-26-disk \"...\"'"
    )
    ok(["prevention", "add", "disk", "Alerts."], site)
    ok(["prevention", "done", "disk", "1"], site)
    assert fails(["prevention", "done", "disk", "#1"], site, now="2026-11-26 13:00 UTC") == (
        "step 1 of 2026-11-26-disk is already done (2026-11-26 12:00 UTC / 13:00 CET): nothing was written"
    )
    window = "---\ntitle: W\ncomponents: [api]\nstart: 2026-11-27 10:00 UTC\nend: 2026-11-27 11:00 UTC\n---\n"
    (site / "content" / "maintenance" / "w.md").write_text(window, "utf-8")
    message = fails(["prevention", "add", "w", "x"], site)
    assert message == "w is a maintenance window: prevention steps belong to incidents"


def test_help_says_neither_touches_the_status(run_cli: Callable[..., Any]) -> None:
    result = run_cli(["prevention", "--help"])
    assert result.exit_code == 0
    assert "Neither posts an update nor changes the incident's status" in " ".join(result.stdout.split())
