"""``inloop update`` and ``inloop resolve``: surgical edits, placement, statuses, refusals."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inloop.authoring import files

INCIDENTS = Path("content/incidents")
MAINTENANCE = Path("content/maintenance")

#: Comments everywhere, a folded block scalar, keys in an odd order, a summary, newest-first updates.
HANDWRITTEN = """\
---
# Written by hand at 3 a.m.
components:            # what is affected
  - api                # the public one
impact: major
title: "Errors: on the API"
cause: >
  A load balancer change took half of the API servers
  out of rotation.

estimate: 2026-11-26 13:30 UTC   # when we expect service back
prevention:
  - step: Second reviewer for load balancer changes.
    done: 2026-11-27
# trailing comment
---
A summary paragraph.

## 2026-11-26 11:40 UTC — Identified
We found the change that caused it.

## 2026-11-26 11:02 UTC — Investigating
We see errors.
"""


def _write(site: Path, name: str, text: str | bytes, folder: Path = INCIDENTS) -> Path:
    path = site / folder / f"{name}.md"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8", newline="")
    return path


def _diff(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines removed and the lines added."""
    removed: list[str] = []
    added: list[str] = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


# -- byte-exact preservation ---------------------------------------------------


def test_only_the_intended_lines_change(site: Path, ok: Callable[..., Any]) -> None:
    path = _write(site, "lb", HANDWRITTEN)
    args = ["update", "lb", "Rolled back; errors are falling.", "--status", "monitoring",
            "--estimate", "2026-11-26 14:00 UTC", "--next-update", "2026-11-26 12:30 UTC",
            "--component", "dashboard=degraded_performance"]  # fmt: skip
    result = ok(args, site)
    after = path.read_text("utf-8")
    removed, added = _diff(HANDWRITTEN, after)
    assert removed == ["estimate: 2026-11-26 13:30 UTC   # when we expect service back"]
    assert added == [
        "estimate: 2026-11-26 14:00 UTC   # when we expect service back",
        "previous_estimates:",
        "  - 2026-11-26 13:30 UTC",
        "next_update: 2026-11-26 12:30 UTC",
        "",
        "## 2026-11-26 12:00 UTC — Monitoring",
        "Components: dashboard → degraded_performance",
        "",
        "Rolled back; errors are falling.",
    ]
    # newest-first: the new update goes on top, above the newest
    assert (
        "A summary paragraph.\n\n## 2026-11-26 12:00 UTC — Monitoring\n"
        "Components: dashboard → degraded_performance\n\n"
        "Rolled back; errors are falling.\n\n## 2026-11-26 11:40 UTC — Identified\n" in after
    )
    # every other byte as it was: the folded cause, the comments, the key order
    assert after.startswith(HANDWRITTEN[: HANDWRITTEN.index("estimate:")])
    assert "cause: >\n  A load balancer change took half of the API servers\n  out of rotation.\n\n" in after
    assert after.endswith("## 2026-11-26 11:02 UTC — Investigating\nWe see errors.\n")
    assert "posted Monitoring at 2026-11-26 12:00 UTC / 13:00 CET" in result.stdout
    assert "moved from 2026-11-26 13:30 UTC / 14:30 CET, kept in previous_estimates" in result.stdout


def test_crlf_and_byte_order_mark_are_kept(site: Path, ok: Callable[..., Any]) -> None:
    original = ("\ufeff" + HANDWRITTEN.replace("\n", "\r\n")).encode("utf-8")
    path = _write(site, "lb", original)
    ok(["update", "lb", "More.\nSecond line.", "--cause", "A bad change."], site)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf---\r\n# Written by hand")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"cause: A bad change.\r\n\r\nestimate:" in data
    assert b"## 2026-11-26 12:00 UTC \xe2\x80\x94 Update\r\nMore.\r\nSecond line.\r\n\r\n## 2026-11-26 11:40" in data


def test_a_file_without_a_final_newline(site: Path, ok: Callable[..., Any]) -> None:
    text = "---\ntitle: T\nimpact: minor\ncomponents: [api]\n---\n## 2026-11-26 11:00 UTC - Investigating\nA"
    path = _write(site, "t", text)
    ok(["update", "t", "B"], site)
    assert path.read_text("utf-8") == (
        "---\ntitle: T\nimpact: minor\ncomponents: [api]\n---\n## 2026-11-26 11:00 UTC - Investigating\nA"
        "\n\n## 2026-11-26 12:00 UTC - Update\nB\n"
    )


# -- prompts left by `new` -------------------------------------------------------


def test_prompts_are_replaced_in_place(site: Path, ok: Callable[..., Any]) -> None:
    ok(["new", "incident", "Slow", "-c", "api"], site, now="2026-11-26 11:00 UTC")
    path = site / INCIDENTS / "2026-11-26-slow.md"
    before = path.read_text("utf-8")
    args = ["update", "slow", "We found it.", "--status", "identified", "--cause", "A full disk.",
            "--estimate", "13:30", "--next-update", "30m", "--prevention", "Alert before disks fill up."]  # fmt: skip
    ok(args, site)
    after = path.read_text("utf-8")
    removed, added = _diff(before, after)
    assert removed == [
        "# cause: what is wrong, in words your customers understand",
        "# estimate: when you expect service to be restored, such as 2026-11-26 12:00 UTC",
        "# next_update: when you will post again, such as 2026-11-26 11:30 UTC",
        "# prevention:",
        "#   - what will change so that this does not happen again",
    ]
    assert added == [
        "cause: A full disk.",
        "estimate: 2026-11-26 12:30 UTC",  # 13:30 in Berlin
        "next_update: 2026-11-26 12:30 UTC",
        "prevention:",
        "  - Alert before disks fill up.",
        "",
        "## 2026-11-26 12:00 UTC — Identified",
        "We found it.",
    ]
    lines = after.splitlines()
    assert lines[5:10] == added[:5]  # where the prompts were


def test_a_long_cause_is_folded_and_a_multiline_one_kept(site: Path, ok: Callable[..., Any]) -> None:
    ok(["new", "incident", "Slow", "-c", "api"], site, now="2026-11-26 11:00 UTC")
    path = site / INCIDENTS / "2026-11-26-slow.md"
    long = "A storage node ran out of space: " + "more words " * 12 + "end."
    ok(["update", "slow", "x", "--cause", long], site)
    text = path.read_text("utf-8")
    assert "cause: >\n  A storage node ran out of space: more words" in text
    ok(["update", "slow", "y", "--cause", "Line one.\n\n- a list item"], site)
    text = path.read_text("utf-8")
    assert "cause: |\n  Line one.\n\n  - a list item\n# estimate:" in text


def test_two_prevention_steps_in_place_of_the_prompt(solo: Path, ok: Callable[..., Any]) -> None:
    """Issue 16: two --prevention on a new incident ended in 'AssertionError: overlapping edits'."""
    ok(["new", "incident", "Slow"], solo, now="2026-11-26 11:00 UTC")
    path = solo / INCIDENTS / "2026-11-26-slow.md"
    result = ok(["resolve", "slow", "Fixed.", "--prevention", "Alert on disk use.", "--prevention", "Bigger disks.",
                 "--cause", "A full disk."], solo)  # fmt: skip
    assert "  prevention: added 2 steps\n" in result.stdout
    text = path.read_text("utf-8")
    assert "cause: A full disk.\n# estimate:" in text
    assert "prevention:\n  - Alert on disk use.\n  - Bigger disks.\n---\n" in text
    ok(["new", "incident", "Again"], solo, now="2026-11-26 12:00 UTC")
    args = ["update", "again", "x", "--prevention", "A", "--prevention", "B", "--prevention", "C",
            "--estimate", "13:30", "--next-update", "30m"]  # fmt: skip
    ok(args, solo, now="2026-11-26 12:10 UTC")
    ok(["update", "again", "y", "--estimate", "14:30", "--prevention", "D"], solo, now="2026-11-26 12:20 UTC")
    text = (solo / INCIDENTS / "2026-11-26-again.md").read_text("utf-8")
    assert "estimate: 2026-11-26 13:30 UTC\nprevious_estimates:\n  - 2026-11-26 12:30 UTC\n" in text
    assert "prevention:\n  - A\n  - B\n  - C\n  - D\n---\n" in text


# -- previous_estimates ----------------------------------------------------------


def test_previous_estimates_grow(site: Path, ok: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    ok(["new", "incident", "Slow", "-c", "api"], site, now="2026-11-26 11:00 UTC")
    path = site / INCIDENTS / "2026-11-26-slow.md"
    ok(["update", "slow", "a", "--estimate", "2026-11-26 13:00 UTC"], site, now="2026-11-26 11:10 UTC")
    assert "previous_estimates" not in path.read_text("utf-8")
    ok(["update", "slow", "b", "--estimate", "2026-11-26 14:00 UTC"], site, now="2026-11-26 11:20 UTC")
    ok(["update", "slow", "c", "--estimate", "2026-11-26 15:00 UTC"], site, now="2026-11-26 11:30 UTC")
    result = ok(["update", "slow", "d", "--estimate", "2026-11-26 15:00 UTC"], site, now="2026-11-26 11:40 UTC")
    assert "estimate: unchanged" in result.stdout
    text = path.read_text("utf-8")
    assert (
        "estimate: 2026-11-26 15:00 UTC\nprevious_estimates:\n  - 2026-11-26 13:00 UTC\n  - 2026-11-26 14:00 UTC\n"
        in text
    )


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("previous_estimates: [2026-11-26 12:30 UTC]\n",
         "previous_estimates: [2026-11-26 12:30 UTC, 2026-11-26 13:00 UTC]\n"),
        ("previous_estimates: []\n", "previous_estimates: [2026-11-26 13:00 UTC]\n"),
        ("previous_estimates:\n    - 2026-11-26 12:30 UTC   # first\n",
         "previous_estimates:\n    - 2026-11-26 12:30 UTC   # first\n    - 2026-11-26 13:00 UTC\n"),
        ("previous_estimates:\n", "previous_estimates:\n  - 2026-11-26 13:00 UTC\n"),
    ],
)  # fmt: skip
def test_previous_estimates_in_any_form(site: Path, ok: Callable[..., Any], front: str, expected: str) -> None:
    text = (
        "---\ntitle: T\nimpact: minor\ncomponents: [api]\n"
        f'{front}estimate: "2026-11-26 13:00 UTC"\n---\n## 2026-11-26 11:00 UTC — Investigating\nA\n'
    )
    path = _write(site, "t", text)
    ok(["update", "t", "B", "--estimate", "14:30"], site)
    after = path.read_text("utf-8")
    assert after.startswith(f"---\ntitle: T\nimpact: minor\ncomponents: [api]\n{expected}")
    assert "estimate: 2026-11-26 13:30 UTC\n---" in after


# -- components ------------------------------------------------------------------


@pytest.mark.parametrize(
    "front",
    [
        "components:\n- api\n- email\n",
        "components: [api, email]  # both\n",
        "components:\n  api: degraded_performance  # slow\n  email: partial_outage\n",
        "components: {api: degraded_performance}\n",
    ],
)
def test_component_changes_go_into_the_update_not_the_front_matter(
    site: Path, ok: Callable[..., Any], front: str
) -> None:
    text = f"---\ntitle: T\nimpact: minor\n{front}---\n## 2026-11-26 11:00 UTC — Investigating\nA\n"
    path = _write(site, "t", text)
    ok(["update", "t", "Email too.", "--component", "email=major_outage"], site)
    assert path.read_text("utf-8") == text + (
        "\n## 2026-11-26 12:00 UTC — Update\nComponents: email → major_outage\n\nEmail too.\n"
    )


def test_component_statuses_in_one_status_line(site: Path, ok: Callable[..., Any]) -> None:
    text = (
        "---\ntitle: T\ncomponents:\n  api: partial_outage\nimpact: minor\n---\n"
        "## 2026-11-26 11:00 UTC — Investigating\nA\n"
    )
    path = _write(site, "t", text)
    result = ok(["update", "t", "Dashboard too; the API is back.", "-c", "dashboard", "-c", "api=Operational",
                 "--status", "monitoring"], site)  # fmt: skip
    assert path.read_text("utf-8") == text + (
        "\n## 2026-11-26 12:00 UTC — Monitoring\nComponents: dashboard → partial_outage, api → operational\n\n"
        "Dashboard too; the API is back.\n"
    )
    assert "  components: dashboard: operational → partial_outage, api: partial_outage → operational\n" in result.stdout
    result = ok(["update", "t", "Same.", "-c", "dashboard=partial_outage"], site, now="2026-11-26 12:05 UTC")
    assert "  components: dashboard: partial_outage (unchanged)\n" in result.stdout


def test_a_component_change_in_the_past_reads_the_status_at_that_time(site: Path, ok: Callable[..., Any]) -> None:
    text = (
        "---\ntitle: T\ncomponents: {api: major_outage}\nimpact: minor\n---\n"
        "## 2026-11-26 10:00 UTC — Investigating\nA\n\n"
        "## 2026-11-26 11:00 UTC — Update\nComponents: api -> degraded_performance\n\nB\n"
    )
    path = _write(site, "t", text)
    result = ok(["update", "t", "Better.", "-c", "api=partial_outage", "--at", "2026-11-26 10:30 UTC"], site)
    assert "  components: api: major_outage → partial_outage\n" in result.stdout
    after = path.read_text("utf-8")
    assert "## 2026-11-26 10:30 UTC — Update\nComponents: api → partial_outage\n\nBetter.\n\n## 2026-11-26 11:00" in (
        after
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-c", "dashbord=operational"], "unknown component 'dashbord': did you mean 'dashboard'?"),
        (["-c", "api=fine"], "unknown component status 'fine': expected one of operational, degraded_performance, "
         "partial_outage, major_outage"),
        (["-c", "api=under_maintenance"], "unknown component status 'under_maintenance': expected one of "
         "operational, degraded_performance, partial_outage, major_outage"),
        (["-c", "api=", "-c", "email"], "--component 'api=': the status after '=' is missing"),
        (["-c", "api=operational", "-c", "api=major_outage"], "component 'api' is given twice"),
        (["--status", "resolved", "-c", "api=major_outage"],
         "the update would make the file invalid: {path}:13: component 'api' cannot be major_outage once the "
         "incident is resolved: at resolution every component is operational (reopen it with an Investigating "
         "update first); nothing was written"),
    ],
)  # fmt: skip
def test_component_errors_leave_the_file_alone(
    site: Path, fails: Callable[..., str], args: list[str], message: str
) -> None:
    path = _write(site, "t", OLDEST_FIRST)
    assert fails(["update", "t", "x", *args], site) == message.format(path=path)
    assert path.read_text("utf-8") == OLDEST_FIRST


# -- placement and headings ----------------------------------------------------------

OLDEST_FIRST = """\
---
title: T
impact: minor
components: [api]
---
## 2026-11-26 10:00 UTC — Investigating
A

## 2026-11-26 11:00 UTC — Identified
B
"""


def _headings(path: Path) -> list[str]:
    return [line for line in path.read_text("utf-8").splitlines() if line.startswith("## ")]


def test_placement_oldest_first(site: Path, ok: Callable[..., Any]) -> None:
    path = _write(site, "t", OLDEST_FIRST)
    ok(["update", "t", "C"], site)
    ok(["update", "t", "Between", "--at", "2026-11-26 10:30:15 UTC"], site)
    ok(["update", "t", "Tie", "--at", "2026-11-26 11:00 UTC"], site)
    ok(["update", "t", "Tie with the first", "--at", "2026-11-26 10:00 UTC"], site)
    assert _headings(path) == [
        "## 2026-11-26 10:00 UTC — Investigating",
        "## 2026-11-26 10:00 UTC — Update",
        "## 2026-11-26 10:30:15 UTC — Update",
        "## 2026-11-26 11:00 UTC — Identified",
        "## 2026-11-26 11:00 UTC — Update",
        "## 2026-11-26 12:00 UTC — Update",
    ]


def test_placement_newest_first(site: Path, ok: Callable[..., Any]) -> None:
    path = _write(site, "lb", HANDWRITTEN)
    ok(["update", "lb", "Now"], site)
    ok(["update", "lb", "Between", "--at", "12:20"], site)  # 12:20 in Berlin is 11:20 UTC
    ok(["update", "lb", "Middle", "--at", "2026-11-26 11:30 UTC"], site)
    ok(["update", "lb", "Tie with the first", "--at", "2026-11-26 11:02 UTC"], site)
    assert _headings(path) == [
        "## 2026-11-26 12:00 UTC — Update",
        "## 2026-11-26 11:40 UTC — Identified",
        "## 2026-11-26 11:30 UTC — Update",
        "## 2026-11-26 11:20 UTC — Update",
        "## 2026-11-26 11:02 UTC — Update",
        "## 2026-11-26 11:02 UTC — Investigating",
    ]


def test_one_update_means_oldest_first(site: Path, ok: Callable[..., Any]) -> None:
    text = "---\ntitle: T\nimpact: minor\ncomponents: [api]\n---\n\n## 2026-11-26 11:00 Z | Investigating\nA\n\n\n"
    path = _write(site, "t", text)
    ok(["update", "t", "B", "--status", "IDENTIFIED"], site, now="2026-11-26 12:07:59 UTC")
    assert path.read_text("utf-8") == text + "## 2026-11-26 12:07 UTC | Identified\nB\n"


def test_clock_time_at_is_today(site: Path, ok: Callable[..., Any], fails: Callable[..., str]) -> None:
    path = _write(site, "t", OLDEST_FIRST)
    ok(["update", "t", "x", "--at", "12:30"], site, now="2026-11-26 12:00 UTC")  # 12:30 Berlin = 11:30 UTC
    assert _headings(path)[-1] == "## 2026-11-26 11:30 UTC — Update"
    ok(["update", "t", "y", "--at", "11:45 UTC"], site, now="2026-11-26 12:00 UTC")
    assert _headings(path)[-1] == "## 2026-11-26 11:45 UTC — Update"


def test_clock_time_at_later_today_is_an_error(site: Path, fails: Callable[..., str]) -> None:
    """Issue 16: '--at 16:45' at 16:31 posted the update yesterday, silently."""
    path = _write(site, "t", OLDEST_FIRST.replace("2026-11-26", "2026-12-05"))
    before = path.read_bytes()
    now = "2026-12-06 15:31 UTC"  # 16:31 in Berlin
    assert fails(["update", "t", "x", "--at", "16:45"], site, now=now) == (
        '16:45 CET today is in the future; for yesterday write --at "2026-12-05 16:45"'
    )
    assert fails(["resolve", "t", "x", "--at", "16:45"], site, now=now) == (
        '16:45 CET today is in the future; for yesterday write --at "2026-12-05 16:45"'
    )
    assert fails(["update", "t", "x", "--at", "15:32 UTC"], site, now=now) == (
        '15:32 UTC today is in the future; for yesterday write --at "2026-12-05 15:32 UTC"'
    )
    assert path.read_bytes() == before


def test_an_update_before_the_start_is_an_error(site: Path, fails: Callable[..., str]) -> None:
    path = _write(site, "t", OLDEST_FIRST)
    assert fails(["update", "t", "x", "--at", "2026-11-26 09:59 UTC"], site) == (
        "--at 2026-11-26 09:59 UTC / 10:59 CET is before the incident started (2026-11-26 10:00 UTC / 11:00 CET): "
        "an update cannot move its start"
    )
    assert fails(["update", "t", "x", "--at", "10:30"], site) == (  # 09:30 UTC
        "--at 2026-11-26 09:30 UTC / 10:30 CET is before the incident started (2026-11-26 10:00 UTC / 11:00 CET): "
        "an update cannot move its start"
    )
    assert path.read_text("utf-8") == OLDEST_FIRST


def test_started_sets_the_start(site: Path, ok: Callable[..., Any], fails: Callable[..., str]) -> None:
    path = _write(site, "t", OLDEST_FIRST.replace("impact: minor", "impact: minor\nstarted: 2026-11-26 09:00 UTC"))
    ok(["update", "t", "Early", "--at", "2026-11-26 09:30 UTC"], site)
    assert _headings(path)[0] == "## 2026-11-26 09:30 UTC — Update"
    assert fails(["update", "t", "x", "--at", "2026-11-26 08:59 UTC"], site).startswith(
        "--at 2026-11-26 08:59 UTC / 09:59 CET is before the incident started (2026-11-26 09:00 UTC / 10:00 CET)"
    )


def test_estimate_clock_times_follow_the_update(site: Path, ok: Callable[..., Any]) -> None:
    """Issue 16: an --estimate in the same command followed --at into yesterday."""
    path = _write(site, "t", OLDEST_FIRST)
    result = ok(["update", "t", "x", "--at", "12:30", "--estimate", "13:00", "--next-update", "12:45"], site)
    text = path.read_text("utf-8")
    assert "estimate: 2026-11-26 12:00 UTC\n" in text  # 13:00 Berlin, after the update at 12:30 Berlin
    assert "next_update: 2026-11-26 11:45 UTC\n" in text
    assert "posted Update at 2026-11-26 11:30 UTC / 12:30 CET" in result.stdout
    assert "estimate: 2026-11-26 12:00 UTC / 13:00 CET" in result.stdout
    assert "next update: by 2026-11-26 11:45 UTC / 12:45 CET" in result.stdout
    # a clock time before the update's time is the next day's
    ok(["update", "t", "y", "--estimate", "12:15", "--next-update", "13:00"], site, now="2026-11-26 12:05 UTC")
    text = path.read_text("utf-8")
    assert "estimate: 2026-11-27 11:15 UTC\n" in text
    assert "next_update: 2026-11-27 12:00 UTC\n" in text


def test_estimate_before_the_update_is_an_error(site: Path, fails: Callable[..., str]) -> None:
    path = _write(site, "t", OLDEST_FIRST)
    assert fails(["update", "t", "x", "--estimate", "2026-11-26 11:59 UTC"], site) == (
        "--estimate 2026-11-26 11:59 UTC / 12:59 CET is before the update's time (2026-11-26 12:00 UTC / 13:00 CET): "
        "it must be later"
    )
    assert fails(["update", "t", "x", "--at", "11:00", "--next-update", "2026-11-26 09:00 UTC"], site) == (
        "--next-update 2026-11-26 09:00 UTC / 10:00 CET is before the update's time (2026-11-26 10:00 UTC / "
        "11:00 CET): it must be later"
    )
    assert path.read_text("utf-8") == OLDEST_FIRST


# -- statuses: resolve, reopen, maintenance ------------------------------------------------


def test_resolve_and_reopen(site: Path, ok: Callable[..., Any], fails: Callable[..., str]) -> None:
    path = _write(site, "t", OLDEST_FIRST)
    result = ok(["resolve", "t", "Fixed."], site)
    assert _headings(path)[-1] == "## 2026-11-26 12:00 UTC — Resolved"
    assert "t is resolved after 2 hours" in result.stdout
    assert fails(["resolve", "t", "Again."], site, now="2026-11-26 12:10 UTC") == (
        "t is already resolved (at 2026-11-26 12:00 UTC): use 'inloop update' to add to it"
    )
    assert fails(["update", "t", "More."], site, now="2026-11-26 12:10 UTC") == (
        "t is resolved (at 2026-11-26 12:00 UTC): add --reopen to post to it again, which reopens the incident"
    )
    assert fails(["update", "t", "More.", "--reopen", "--status", "update"], site, now="2026-11-26 12:10 UTC") == (
        "--reopen needs a status that reopens the incident, such as Investigating"
    )
    result = ok(["update", "t", "It is back.", "--reopen"], site, now="2026-11-26 12:10 UTC")
    assert _headings(path)[-1] == "## 2026-11-26 12:10 UTC — Investigating"
    assert "t is reopened: status Investigating" in result.stdout
    ok(["update", "t", "Fixed again.", "--status", "resolved"], site, now="2026-11-26 12:20 UTC")
    # an update backdated to before the resolution needs no --reopen, and keeps it resolved
    ok(["update", "t", "Forgot this one.", "--at", "2026-11-26 12:15 UTC"], site, now="2026-11-26 12:30 UTC")
    assert _headings(path)[-2:] == ["## 2026-11-26 12:15 UTC — Update", "## 2026-11-26 12:20 UTC — Resolved"]


def test_resolve_must_be_the_latest(site: Path, fails: Callable[..., str]) -> None:
    _write(site, "t", OLDEST_FIRST)
    assert fails(["resolve", "t", "Fixed.", "--at", "2026-11-26 10:30 UTC"], site) == (
        "--at 2026-11-26 10:30 UTC / 11:30 CET is before the latest update (2026-11-26 11:00 UTC / 12:00 CET): "
        "the Resolved update must be the latest"
    )


def test_maintenance_statuses(site: Path, ok: Callable[..., Any], fails: Callable[..., str]) -> None:
    args = ["new", "maintenance", "Upgrade", "--start", "2026-11-26 13:00 UTC", "--end", "1h", "-c", "api"]
    ok(args, site, now="2026-11-25 12:00 UTC")
    path = site / MAINTENANCE / "2026-11-26-upgrade.md"
    ok(["update", "upgrade", "Started.", "--status", "in progress"], site, now="2026-11-26 13:00 UTC")
    ok(["update", "upgrade", "Email too.", "-c", "email", "-c", "api"], site, now="2026-11-26 13:10 UTC")
    ok(["update", "upgrade", "Checking.", "--status", "Verifying"], site, now="2026-11-26 13:40 UTC")
    result = ok(["resolve", "upgrade", "Done."], site, now="2026-11-26 13:50 UTC")
    assert "upgrade status: Completed" in result.stdout.replace("2026-11-26-upgrade status", "upgrade status")
    assert _headings(path) == [
        "## 2026-11-25 12:00 UTC — Scheduled",
        "## 2026-11-26 13:00 UTC — In progress",
        "## 2026-11-26 13:10 UTC — Update",
        "## 2026-11-26 13:40 UTC — Verifying",
        "## 2026-11-26 13:50 UTC — Completed",
    ]
    assert "components:\n  - api\n  - email\nstart:" in path.read_text("utf-8")
    now = "2026-11-26 14:00 UTC"
    assert fails(["resolve", "upgrade", "x"], site, now=now).startswith("2026-11-26-upgrade is already completed")
    assert fails(["update", "upgrade", "x"], site, now=now).endswith("which reopens the maintenance window")
    assert fails(["update", "upgrade", "x", "--status", "resolved", "--reopen"], site, now=now) == (
        "unknown maintenance window status 'resolved': expected one of Scheduled, In progress, Verifying, "
        "Completed, Update ('inloop resolve' completes a maintenance window)"
    )
    assert fails(["update", "upgrade", "x", "--cause", "y", "--reopen"], site, now=now) == (
        "--cause is for incidents: a maintenance window has none"
    )
    ok(["update", "upgrade", "Reopened.", "--reopen"], site, now=now)
    assert _headings(path)[-1] == "## 2026-11-26 14:00 UTC — In progress"


def test_maintenance_without_updates(site: Path, ok: Callable[..., Any]) -> None:
    text = "---\ntitle: W\ncomponents: api\nstart: 2026-11-26 13:00 UTC\nend: 2026-11-26 14:00 UTC\n---\n"
    path = _write(site, "w", text, MAINTENANCE)
    ok(["update", "w", "Announced.", "--status", "scheduled", "-c", "email"], site)
    assert path.read_text("utf-8") == (
        "---\ntitle: W\ncomponents: [api, email]\nstart: 2026-11-26 13:00 UTC\nend: 2026-11-26 14:00 UTC\n---\n"
        "\n## 2026-11-26 12:00 UTC — Scheduled\nAnnounced.\n"
    )


# -- ids -----------------------------------------------------------------------------


def test_ids_by_prefix(site: Path, ok: Callable[..., Any], fails: Callable[..., str]) -> None:
    for name in ("2026-11-20-api-errors", "2026-11-20-api-errors-2", "2026-11-21-email-delays"):
        _write(site, name, OLDEST_FIRST)
    _write(site, "2026-11-22-email-move", OLDEST_FIRST.replace("components: [api]", "components: [email]")
           .replace("impact: minor\n", "start: 2026-11-26 13:00 UTC\nend: 2026-11-26 14:00 UTC\n")
           .replace("Investigating", "Scheduled").replace("Identified", "Update"), MAINTENANCE)  # fmt: skip
    # an exact id wins over the longer one it begins
    assert "2026-11-20-api-errors.md: posted" in ok(["update", "2026-11-20-api-errors", "x"], site).stdout
    assert "2026-11-20-api-errors-2.md: posted" in ok(["update", "2026-11-20-api-errors-", "x"], site).stdout
    assert "2026-11-21-email-delays.md: posted" in ok(["update", "2026-11-21", "x"], site).stdout
    # the part after the date
    assert "2026-11-22-email-move.md: posted" in ok(["update", "email-m", "x"], site).stdout
    assert fails(["update", "2026-11-2", "x"], site) == (
        "'2026-11-2' matches 4 items: 2026-11-20-api-errors (incident), 2026-11-20-api-errors-2 (incident), "
        "2026-11-21-email-delays (incident), 2026-11-22-email-move (maintenance); give more of the id"
    )
    assert fails(["update", "email", "x"], site).startswith("'email' matches 2 items: 2026-11-21-email-delays (inc")
    assert fails(["update", "2026-11-20-api-erors", "x"], site) == (
        f"no incident or maintenance window '2026-11-20-api-erors' in {site / 'content'}: "
        "did you mean '2026-11-20-api-errors' or '2026-11-20-api-errors-2'?"
    )


# -- refusals ------------------------------------------------------------------------


def test_refuses_when_the_file_changed_meanwhile(
    site: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(site, "t", OLDEST_FIRST)
    concurrent = OLDEST_FIRST + "\nAn edit saved in an editor meanwhile.\n"

    def meanwhile(target: Path) -> None:
        target.write_text(concurrent, "utf-8")

    monkeypatch.setattr(files, "before_replace_hook", meanwhile)
    result = run_cli(["update", "t", "x", "--source", str(site), "--now", "2026-11-26 12:00 UTC"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {path} changed while inloop was editing it (saved in an editor?): "
        "nothing was written; run the command again\n"
    )
    assert path.read_text("utf-8") == concurrent
    assert sorted(p.name for p in path.parent.iterdir()) == ["t.md"]  # no temporary file left


def test_refuses_a_touched_file(site: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    path = _write(site, "t", OLDEST_FIRST)
    monkeypatch.setattr(files, "before_replace_hook", lambda target: os.utime(target, ns=(1, 1)))
    result = run_cli(["update", "t", "x", "--source", str(site), "--now", "2026-11-26 12:00 UTC"])
    assert result.exit_code == 1
    assert "changed while inloop was editing it" in result.stderr
    assert path.read_text("utf-8") == OLDEST_FIRST


def test_replace_if_unchanged_directly(tmp_path: Path) -> None:
    path = tmp_path / "f.md"
    path.write_bytes(b"one")
    path.chmod(0o640)
    snapshot = files.Snapshot.read(path)
    files.replace_if_unchanged(snapshot, b"two", "f.md")
    assert path.read_bytes() == b"two"
    assert path.stat().st_mode & 0o777 == 0o640
    from inloop.errors import UsageError

    with pytest.raises(UsageError, match="changed while inloop was editing it"):
        files.replace_if_unchanged(snapshot, b"three", "f.md")  # the snapshot is of "one"
    assert path.read_bytes() == b"two"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["update", "t", "x\n\n## Heading in the message"],
         "the update would make the file invalid: {path}:15: malformed update heading '## Heading in the message': "
         "expected '## YYYY-MM-DD HH:MM[:SS] [UTC|Z|+HH:MM] — Status'; nothing was written"),
        (["update", "t", "  "], "the message is empty: say what customers need to know"),
        (["update", "t", "x", "--at", "2026-11-26 12:01 UTC"],
         "--at 2026-11-26 12:01 UTC / 13:01 CET is in the future"),
        (["update", "t", "x", "--at", "soon"], "--at: cannot read time 'soon': expected 'YYYY-MM-DD HH:MM[:SS] "
         "[UTC|Z|+HH:MM]' or ISO 8601, a clock time such as 15:30"),
        (["update", "t", "x", "--at", "2026-11-26 10:30 UTC", "--estimate", "2026-11-26 09:00 UTC"],
         "--estimate 2026-11-26 09:00 UTC / 10:00 CET is before the update's time (2026-11-26 10:30 UTC / 11:30 CET): "
         "it must be later"),
        (["update", "t", "x", "--status", "scheduled"], "unknown incident status 'scheduled': expected one of "
         "Investigating, Identified, Monitoring, Update, Resolved"),
        (["update", "t", "x", "-c", "billing"], "unknown component 'billing': expected one of 'api', 'dashboard', "
         "'email'"),
        (["update", "t", "x", "--cause", " "], "--cause is empty"),
        (["update", "nothing", "x"], "no incident or maintenance window 'nothing' in {content}"),
    ],
)  # fmt: skip
def test_errors_leave_the_file_alone(site: Path, fails: Callable[..., str], args: list[str], message: str) -> None:
    path = _write(site, "t", OLDEST_FIRST)
    assert fails(args, site) == message.format(path=path, content=site / "content")
    assert path.read_text("utf-8") == OLDEST_FIRST


def test_refuses_a_file_that_does_not_build(site: Path, fails: Callable[..., str]) -> None:
    broken = OLDEST_FIRST.replace("impact: minor", "impact: huge")
    path = _write(site, "t", broken)
    assert fails(["update", "t", "x"], site) == (
        f"{path}:3: 'impact' must be one of none, minor, major, critical; found 'huge'; "
        f"fix {path} first: inloop only edits files that build"
    )
    assert path.read_text("utf-8") == broken


def test_refuses_a_broken_config(site: Path, fails: Callable[..., str]) -> None:
    _write(site, "t", OLDEST_FIRST)
    (site / "inloop.toml").write_text('title = "x"\n', "utf-8")
    assert fails(["update", "t", "x"], site) == (
        f"{site / 'inloop.toml'}:1: at least one [[components]] table is required (and 1 more); fix inloop.toml first"
    )


def test_the_real_program_prints_one_line(site: Path, run_inloop: Callable[..., Any]) -> None:
    _write(site, "t", OLDEST_FIRST)
    result = run_inloop(["resolve", "nope", "x", "--now", "2026-11-26 12:00 UTC"], cwd=site)
    assert result.exit_code == 1
    assert result.stderr == "error: no incident or maintenance window 'nope' in content\n"
    result = run_inloop(["resolve", "t", "Fixed.", "--now", "2026-11-26 12:00 UTC"], cwd=site)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("content/incidents/t.md: posted Resolved at 2026-11-26 12:00 UTC / 13:00 CET\n")
