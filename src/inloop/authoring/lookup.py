"""Find an incident or maintenance window by its id, or by a unique beginning of it.

An exact id wins.  Otherwise the id may be shortened from the end
(``2026-11-26-sea``), or, since at 3 a.m. nobody types dates, given by the
beginning of the part after the date (``search``).  A reference that
matches several items lists them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from inloop.read.content import content_files

from ..errors import UsageError
from ..model import Kind

FOLDERS: dict[Kind, str] = {"incident": "incidents", "maintenance": "maintenance"}
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}-")
_SHOW = 8


@dataclass(frozen=True, slots=True)
class Found:
    kind: Kind
    id: str
    path: Path

    @property
    def label(self) -> str:
        return f"{self.id} ({'maintenance' if self.kind == 'maintenance' else 'incident'})"


def all_items(source: Path) -> list[Found]:
    items: list[Found] = []
    for kind, folder in FOLDERS.items():
        for path in content_files(source, folder):
            items.append(Found(kind, path.stem, path))
    return items


def find(source: Path, reference: str) -> Found:
    """The one item ``reference`` names, else a :class:`UsageError` that says why."""
    wanted = reference.strip().lower()
    if wanted.endswith(".md"):
        wanted = Path(wanted).stem
    if not wanted:
        raise UsageError("give the id of an incident or maintenance window (or its beginning)")
    items = all_items(source)
    for matches in (
        [i for i in items if i.id == wanted],
        [i for i in items if i.id.startswith(wanted)],
        [i for i in items if _DATE_PREFIX.sub("", i.id, count=1).startswith(wanted)],
    ):
        if len(matches) == 1:
            return matches[0]
        if matches:
            shown = ", ".join(m.label for m in sorted(matches, key=lambda m: m.id)[:_SHOW])
            more = f" and {len(matches) - _SHOW} more" if len(matches) > _SHOW else ""
            raise UsageError(f"'{reference}' matches {len(matches)} items: {shown}{more}; give more of the id")
    if not items:
        raise UsageError(f"no incident or maintenance window '{reference}': {source / 'content'} holds none")
    close = difflib.get_close_matches(wanted, [i.id for i in items], n=3, cutoff=0.6)
    hint = f": did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise UsageError(f"no incident or maintenance window '{reference}' in {source / 'content'}{hint}")
