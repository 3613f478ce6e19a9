"""The ``--format`` of ``check`` and ``build``: plain lines, GitHub Actions annotations, or JSON.

Every error and warning becomes one :class:`Entry` first, so the three formats
(and the step summary, :mod:`.github`) say the same thing.  GitHub's workflow
commands have an escaping of their own (``%``, CR and LF in the message; also
``:`` and ``,`` in a property), done as GitHub's own toolkit does it; otherwise a
message with a newline would end the annotation early, and a path with a comma
would cut the ``file=`` property short.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import Problem
from .runner import CheckReport

FORMATS = ("text", "github", "json")

#: The version of the JSON shape (``"version"`` in the document); raised when a field changes meaning or goes.
JSON_VERSION = 1

#: The ``rule`` of a build error (the site cannot be built, so no rule ran), and of a mistake in
#: the check's own switches (an unknown rule in an ignore comment or ``check: disable``).
BUILD_ERROR = "build-error"
CHECK_ERROR = "check-error"

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True, order=True)
class Entry:
    """One line of a report, whatever its format."""

    path: str
    line: int
    severity: Severity
    rule: str
    message: str

    def as_dict(self) -> dict[str, str | int]:
        return {
            "path": self.path,
            "line": self.line,
            "severity": self.severity,
            "rule": self.rule,
            "message": self.message,
        }


def error_entries(problems: Iterable[Problem], rule: str = BUILD_ERROR) -> list[Entry]:
    return [Entry(problem.path, problem.line, "error", rule, problem.message) for problem in problems]


def report_entries(report: CheckReport) -> list[Entry]:
    """Errors first (build errors when the check stopped, else the check's own), then warnings."""
    rule = BUILD_ERROR if report.stopped else CHECK_ERROR
    warnings = [Entry(found.path, found.line, "warning", found.code, found.message) for found in report.warnings]
    return [*error_entries(report.errors, rule), *warnings]


def checked_counts(report: CheckReport) -> dict[str, int] | None:
    """What the check looked at; ``None`` when build errors stopped it before it looked."""
    return None if report.stopped else {"incidents": report.incidents, "maintenance": report.maintenance}


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF percent-encoded (``%`` first)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as data, and also ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workspace_path(path: str) -> str:
    """``path`` relative to ``$GITHUB_WORKSPACE`` when it lies inside it, else as it was.

    GitHub places an annotation on a file by its path from the repository's
    root; a site in a subfolder (the action's ``working-directory``) prints
    paths from the site's folder.
    """
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return path
    try:
        full = (Path.cwd() / path).resolve()
        return full.relative_to(Path(workspace).resolve()).as_posix()
    except (OSError, ValueError, RuntimeError):
        return path


def annotation(entry: Entry) -> str:
    """``::error file=PATH,line=N,title=RULE::message`` (or ``::warning``)."""
    properties = ",".join(
        f"{name}={escape_property(value)}"
        for name, value in (("file", workspace_path(entry.path)), ("line", str(entry.line)), ("title", entry.rule))
    )
    return f"::{entry.severity} {properties}::{escape_data(entry.message)}"


def json_document(command: str, entries: Sequence[Entry], checked: dict[str, int] | None = None) -> str:
    """The ``--format json`` document (see docs/ci.md and tests/schemas/report.schema.json)."""
    errors = sum(1 for entry in entries if entry.severity == "error")
    document: dict[str, object] = {
        "version": JSON_VERSION,
        "command": command,
        "ok": not entries,
        "errors": errors,
        "warnings": len(entries) - errors,
        "checked": checked,
        "problems": [entry.as_dict() for entry in entries],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def render(output_format: str, command: str, entries: Sequence[Entry], checked: dict[str, int] | None = None) -> str:
    """What ``--format github`` or ``--format json`` prints on stdout (``text`` is printed line by line)."""
    if output_format == "json":
        return json_document(command, entries, checked)
    return "".join(annotation(entry) + "\n" for entry in entries)
