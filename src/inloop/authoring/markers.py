"""The marks a template leaves on the text it filled in, so that ``inloop check`` can find it later.

Every mark is a YAML comment in the front matter, so that no page, feed or
API ever shows it:

- ``title: API errors  # inloop: template 1a2b3c4d`` at the end of a key's line
  marks that key's value (``title``, ``cause``, ``description``);
- ``# inloop: template update 2026-11-20T14:02:00Z 9a8b7c6d`` alone on a line
  marks the text of the update posted at that time;
- ``# inloop: template summary 5e6f7a8b`` marks the summary above the updates.

The last word is a hash of the text as it was filled in.  While the text
still has that hash, it is the template's unfilled default; once a person
rewrites it, the hash no longer matches and the mark means nothing (delete
the comment to keep a default as it is).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
MARK = "inloop: template"
_UPDATE = re.compile(r"(?:^|\s)#\s*inloop:\s*template\s+update\s+(?P<when>\S+)\s+(?P<hash>[0-9a-f]{8})\s*$")
_SUMMARY = re.compile(r"(?:^|\s)#\s*inloop:\s*template\s+summary\s+(?P<hash>[0-9a-f]{8})\s*$")
_KEY = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*:.*?\s#\s*inloop:\s*template\s+(?P<hash>[0-9a-f]{8})\s*$")


def text_hash(text: str) -> str:
    """Eight hex digits of the text with HTML comments and spacing ignored."""
    normal = " ".join(_HTML_COMMENT.sub(" ", text).split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:8]


def update_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def key_mark(text: str) -> str:
    return f"  # {MARK} {text_hash(text)}"


def update_mark(moment: datetime, text: str) -> str:
    return f"# {MARK} update {update_key(moment)} {text_hash(text)}"


def summary_mark(text: str) -> str:
    return f"# {MARK} summary {text_hash(text)}"


@dataclass(frozen=True, slots=True)
class Mark:
    """One mark found in a file: what it marks, on which line, and the hash of the default text."""

    line: int
    what: str  # a key ("title", "cause"), "update" or "summary"
    hash: str
    when: str | None = None  # for an update: its time, as :func:`update_key` writes it


def find_marks(front_lines: list[tuple[int, str]]) -> list[Mark]:
    """The marks in the front matter's lines, given as (line number, text)."""
    marks: list[Mark] = []
    for number, line in front_lines:
        if "inloop" not in line:
            continue
        update = _UPDATE.search(line)
        if update and line.lstrip().startswith("#"):
            marks.append(Mark(number, "update", update["hash"], update["when"]))
            continue
        summary = _SUMMARY.search(line)
        if summary and line.lstrip().startswith("#"):
            marks.append(Mark(number, "summary", summary["hash"]))
            continue
        keyed = _KEY.match(line)
        if keyed:
            marks.append(Mark(number, keyed["key"], keyed["hash"]))
    return marks
