"""What ``check`` leaves for GitHub Actions: a Markdown step summary and step outputs.

GitHub names two files in the environment of every step: ``GITHUB_STEP_SUMMARY``
(Markdown shown on the run's page) and ``GITHUB_OUTPUT`` (``name=value`` lines
that later steps read as ``steps.<id>.outputs.<name>``).  Both are appended to,
as other tools in the same step may write there too.  Text from content files
(messages quote phrases, file names and values) is escaped before it goes into
the Markdown, so that it reads as written and cannot break the table.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from .formats import Entry, workspace_path

#: The most rows the summary's table holds; GitHub refuses a summary over 1 MiB.
MAX_ROWS = 500

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&$^@])")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def markdown_text(text: str) -> str:
    """``text`` as literal Markdown on one line: specials backslash-escaped, line breaks as spaces."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _LINE_BREAKS.sub(" ", text))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _counts(entries: Sequence[Entry]) -> str:
    errors = sum(1 for entry in entries if entry.severity == "error")
    parts = [_plural(errors, "error")] if errors else []
    if len(entries) > errors:
        parts.append(_plural(len(entries) - errors, "warning"))
    return " and ".join(parts)


def _checked(checked: Mapping[str, int]) -> str:
    incidents = _plural(checked.get("incidents", 0), "incident")
    windows = _plural(checked.get("maintenance", 0), "maintenance window")
    return f"{incidents} and {windows}"


def summary_markdown(entries: Sequence[Entry], checked: Mapping[str, int] | None) -> str:
    """A heading line and a table of the findings, or one all-clear line."""
    if not entries and checked is not None:
        return f"✅ **inloop check**: checked {_checked(checked)}: no problems\n"
    if checked is None:
        head = f"❌ **inloop check** stopped: {_counts(entries)} to fix first (`inloop build` reports the same)"
    else:
        mark = "❌" if any(entry.severity == "error" for entry in entries) else "⚠️"
        head = f"{mark} **inloop check**: {_counts(entries)} in {_checked(checked)}"
    lines = [head, "", "| File | Line | Severity | Rule | Message |", "| --- | ---: | --- | --- | --- |"]
    for entry in entries[:MAX_ROWS]:
        cells = (
            markdown_text(workspace_path(entry.path)),
            str(entry.line),
            entry.severity,
            f"`{entry.rule}`",
            markdown_text(entry.message),
        )
        lines.append("| " + " | ".join(cells) + " |")
    if len(entries) > MAX_ROWS:
        lines += ["", f"… and {len(entries) - MAX_ROWS} more: run `inloop check` to see them all."]
    if checked is not None:
        lines += ["", "`inloop check --explain RULE` says why a rule matters and how to fix what it found."]
    return "\n".join(lines) + "\n"


def outputs(entries: Sequence[Entry]) -> str:
    """``errors=N``, ``warnings=N`` and ``ok=true|false``, one per line."""
    errors = sum(1 for entry in entries if entry.severity == "error")
    ok = "true" if not entries else "false"
    return f"errors={errors}\nwarnings={len(entries) - errors}\nok={ok}\n"


def _append(path: str, text: str) -> None:
    with Path(path).open("a", encoding="utf-8", newline="\n") as file:
        file.write(text)


def write_for_github(
    entries: Sequence[Entry], checked: Mapping[str, int] | None, environ: Mapping[str, str] = os.environ
) -> list[str]:
    """Append to the files GitHub names, if it names them; a warning line for each that failed."""
    warnings = []
    for variable, what, text in (
        ("GITHUB_STEP_SUMMARY", "the step summary", summary_markdown(entries, checked)),
        ("GITHUB_OUTPUT", "the step outputs", outputs(entries)),
    ):
        path = environ.get(variable)
        if not path:
            continue
        try:
            _append(path, text)
        except OSError as exc:
            warnings.append(f"warning: could not write {what} to ${variable} ({path}): {exc.strerror or exc}")
    return warnings
