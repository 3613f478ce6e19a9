"""Status lines: an update saying which components' statuses it changes.

An update of an incident may hold lines such as::

    Components: api → operational, dashboard → degraded_performance

A status line starts (after at most three spaces) with ``Components:`` or
``Component:``, in any case, and holds an arrow (``→`` or ``->``); a line
without an arrow is prose, as it always was, so existing files keep their
meaning.  Lines inside fenced code are never status lines.  The lines are
taken out of the update's text: the pages show the changes in words of
their own, and the API lists them in ``affected_components``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from inloop.errors import Problem
from inloop.model import INCIDENT_COMPONENT_STATUSES, ComponentStatus, StatusSetting
from inloop.read.config import did_you_mean

ARROW = "\u2192"  # →, what ``inloop update --component`` writes
_STATUS_LINE = re.compile(r"^ {0,3}components?[ \t]*:(?P<entries>.*(?:\u2192|->).*)$", re.IGNORECASE)
_ENTRY = re.compile(r"^\s*(?P<id>\S(?:.*?\S)?)\s*(?:\u2192|->)\s*(?P<status>.*?)\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_WORDS = re.compile(r"[\s_-]+")
ALLOWED = tuple(str(s) for s in INCIDENT_COMPONENT_STATUSES)
EXAMPLE = f"'ID {ARROW} STATUS', such as 'api {ARROW} operational'"


def might_hold(text: str) -> bool:
    """Whether ``text`` can hold a status line at all: most updates cannot, and cost nothing."""
    return (ARROW in text or "->" in text) and ":" in text


def format_line(settings: Sequence[tuple[str, ComponentStatus]]) -> str:
    """The status line that sets these statuses, as ``inloop update`` writes it."""
    return "Components: " + ", ".join(f"{cid} {ARROW} {status}" for cid, status in settings)


def status_of(text: str) -> ComponentStatus | None:
    """The status ``text`` names: any case, with ``_``, ``-`` or spaces between its words."""
    wanted = _WORDS.sub("_", text.strip()).lower()
    return ComponentStatus(wanted) if wanted in ALLOWED else None


def _status_problem(text: str, component: str) -> str:
    wanted = _WORDS.sub("_", text.strip()).lower()
    starting = [status for status in ALLOWED if wanted and status.startswith(wanted)]
    close = f"did you mean '{starting[0]}'?" if len(starting) == 1 else did_you_mean(wanted, ALLOWED)
    hint = close if close.startswith("did you mean") else "expected one of " + ", ".join(ALLOWED)
    return f"unknown status '{text}' for component '{component}': {hint}"


def status_line_numbers(text: str) -> list[int]:
    """The indexes of the status lines among ``text``'s lines (outside fenced code)."""
    found: list[int] = []
    fence: str | None = None
    for index, line in enumerate(text.split("\n")):
        fence_match = _FENCE.match(line)
        if fence is not None:
            mark = fence_match.group(1) if fence_match else ""
            if mark[:1] == fence[0] and len(mark) >= len(fence) and not line.strip()[len(mark) :].strip():
                fence = None
            continue
        if fence_match:
            fence = fence_match.group(1)
            continue
        if _STATUS_LINE.match(line):
            found.append(index)
    return found


def extract(
    body: str, first_line: int, path: str, known: frozenset[str] | None, problems: list[Problem]
) -> tuple[str, tuple[StatusSetting, ...]]:
    """An update's text without its status lines, and what they set.

    ``first_line`` is the line of the text's first line in the file;
    ``known`` the site's component ids (None: not known, any id goes).
    Problems are added to ``problems``, each at its line.
    """
    if not might_hold(body):
        return body, ()
    numbers = status_line_numbers(body)
    if not numbers:
        return body, ()
    lines = body.split("\n")
    settings: list[StatusSetting] = []
    seen: set[str] = set()
    for index in numbers:
        line_number = first_line + index
        match = _STATUS_LINE.match(lines[index])
        assert match is not None
        for entry in match["entries"].split(","):
            if not entry.strip():
                continue
            parsed = _ENTRY.match(entry)
            if parsed is None or not parsed["status"]:
                problems.append(Problem(path, line_number, f"'{entry.strip()}' in a status line: expected {EXAMPLE}"))
                continue
            component, status_text = parsed["id"], parsed["status"]
            status = status_of(status_text)
            ok = True
            if known is not None and component not in known:
                hint = did_you_mean(component.lower(), sorted(known))
                problems.append(Problem(path, line_number, f"unknown component '{component}': {hint}"))
                ok = False
            if status is None:
                problems.append(Problem(path, line_number, _status_problem(status_text, component)))
                ok = False
            if not ok or status is None:
                continue
            if component in seen:
                problems.append(Problem(path, line_number, f"component '{component}' is given twice in this update"))
                continue
            seen.add(component)
            settings.append(StatusSetting(component, status, line_number))
    kept = [line for index, line in enumerate(lines) if index not in set(numbers)]
    return "\n".join(kept).strip(), tuple(settings)


def misplaced(text: str, first_line: int, path: str, message: str, problems: list[Problem]) -> None:
    """Report every status line of a text that may hold none (a summary, a maintenance update)."""
    if might_hold(text):
        for index in status_line_numbers(text):
            problems.append(Problem(path, first_line + index, message))
