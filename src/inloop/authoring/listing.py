"""``inloop list``: what is going on now, one item a line, or as JSON for scripts.

Open incidents first (the most recently updated first), then maintenance in
progress and upcoming (the soonest first); with ``--all`` the resolved
incidents and finished windows follow, the newest first.  Every file is
parsed as ``build`` parses it; a file that does not build is reported, the
others are still listed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..model import Incident, Maintenance, SiteConfig
from ..times import utc_stamp
from .lookup import all_items
from .site import load_site, parse_item, shown_path
from .values import show_time

#: The version of the ``--json`` shape: it changes only when a key changes meaning or goes away.
JSON_VERSION = 1


@dataclass(frozen=True, slots=True)
class Row:
    item: Incident | Maintenance
    path: str
    status: str
    open: bool
    last_update: datetime | None

    @property
    def impact(self) -> str | None:
        return str(self.item.impact) if isinstance(self.item, Incident) else None


@dataclass(frozen=True, slots=True)
class Listing:
    config: SiteConfig
    now: datetime
    rows: list[Row]
    problems: list[Problem]


def _row(item: Incident | Maintenance, path: str, now: datetime) -> Row:
    last = item.updates[-1].time if item.updates else None
    if isinstance(item, Incident):
        return Row(item, path, item.status, not item.resolved, last)
    return Row(item, path, item.state(now), item.in_progress(now) or item.upcoming(now), last)


def _order(row: Row) -> tuple[int, float]:
    """Open incidents (newest update first), windows in progress, upcoming (soonest first), then the rest."""
    item = row.item
    if isinstance(item, Incident):
        if row.open:
            return 0, -(row.last_update or item.start).timestamp()
        return 3, -(item.end or item.start).timestamp()
    if not row.open:
        return 3, -item.end.timestamp()
    return (1 if row.status != "Scheduled" else 2), item.start.timestamp()


def list_items(source: Path, shown_source: str, now: datetime, *, everything: bool) -> Listing:
    config = load_site(source, shown_source)
    rows: list[Row] = []
    problems: list[Problem] = []
    for found in all_items(source):
        shown = shown_path(shown_source, found.path.relative_to(source).as_posix())
        try:
            data = found.path.read_bytes()
        except OSError as exc:
            problems.append(Problem(shown, 1, f"cannot read the file: {exc.strerror}"))
            continue
        item, found_problems = parse_item(found.kind, data, found.id, shown, config)
        problems += found_problems
        if item is None or found_problems:
            continue
        row = _row(item, shown, now)
        if row.open or everything:
            rows.append(row)
    rows.sort(key=lambda row: (*_order(row), row.item.id))
    return Listing(config, now, rows, sorted(set(problems)))


def text_lines(listing: Listing, *, everything: bool) -> list[str]:
    """One line an item: id, status, impact (``maintenance`` for a window), last update, title."""
    if not listing.rows:
        if everything:
            return ["no incidents or maintenance windows"]
        return ["no open incidents, and no maintenance in progress or upcoming"]
    zone = listing.config.zone
    cells = [
        (
            row.item.id,
            row.status,
            row.impact or "maintenance",
            show_time(row.last_update, zone) if row.last_update else "no updates",
            row.item.title,
        )
        for row in listing.rows
    ]
    widths = [max(len(cell[i]) for cell in cells) for i in range(4)]
    return ["  ".join([*(c.ljust(w) for c, w in zip(cell[:4], widths, strict=True)), cell[4]]) for cell in cells]


def json_text(listing: Listing) -> str:
    """The ``--json`` document: see docs/authoring.md ("What is open: inloop list") for its keys."""
    base = listing.config.base_url
    items: list[dict[str, Any]] = []
    for row in listing.rows:
        item = row.item
        folder = "incidents" if item.kind == "incident" else "maintenance"
        entry: dict[str, Any] = {
            "id": item.id,
            "kind": item.kind,
            "title": item.title,
            "status": row.status,
            "impact": row.impact,
            "open": row.open,
            "last_update": utc_stamp(row.last_update) if row.last_update else None,
            "start": utc_stamp(item.start),
            "end": _end(item),
            "components": list(item.component_ids),
            "path": row.path,
            "url": f"{base}{folder}/{item.id}/",
        }
        items.append(entry)
    document = {"version": JSON_VERSION, "now": utc_stamp(listing.now), "items": items}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _end(item: Incident | Maintenance) -> str | None:
    if isinstance(item, Incident):
        return utc_stamp(item.end) if item.end is not None else None
    return utc_stamp(item.end)
