"""The uptime figures as files and text: ``uptime.json``, the uptime badges, ``inloop stats --uptime``.

Pure functions of an :class:`~inloop.render.uptime.Uptime`; the bytes are
deterministic (keys in a fixed order, the build time as the only clock).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from inloop.render import badges
from inloop.render.uptime import Day, Figures, Uptime, percent_text
from inloop.times import utc_stamp

BADGE_LABEL = "uptime"
#: A badge's colour by its 90-day uptime, highest first: white text on each keeps a contrast of 4.5:1.
BADGE_COLORS = ((99.9, "#1a7f37"), (99.0, "#9a6700"), (95.0, "#bc4c00"), (0.0, "#cf222e"))
NO_DATA_COLOR = "#57606a"


def _day(day: Day) -> dict[str, object]:
    return {"date": day.date.isoformat(), "downtime_minutes": day.downtime_minutes, "incidents": list(day.incidents)}


def _component(figures: Figures) -> dict[str, object]:
    return {
        "id": figures.id,
        "name": figures.name,
        "uptime_90d": figures.uptime_90d,
        "months": [
            {"month": m.month.strftime("%Y-%m"), "uptime": m.uptime, "downtime_minutes": m.downtime_minutes}
            for m in figures.months
        ],
        "days": [_day(day) for day in figures.days],
    }


def weights_json(uptime: Uptime) -> dict[str, float]:
    return {str(status): weight for status, weight in uptime.config.uptime_weights}


def since_date(uptime: Uptime) -> str:
    return uptime.since.astimezone(uptime.config.zone).date().isoformat()


def uptime_json(uptime: Uptime, components: list[Figures]) -> bytes:
    """``uptime.json``: each component's 90-day uptime, its months (newest first) and its last 90 days."""
    document = {
        "generated_at": utc_stamp(uptime.now),
        "since": since_date(uptime),
        "weights": weights_json(uptime),
        "components": [_component(figures) for figures in components],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def badge_message(value: float | None) -> tuple[str, str]:
    """The message and colour of an uptime badge: ``99.93%`` on green, or ``no data`` on grey."""
    if value is None:
        return "no data", NO_DATA_COLOR
    color = next(color for floor, color in BADGE_COLORS if value >= floor)
    return f"{percent_text(value)}%", color


def badge_svg(value: float | None) -> bytes:
    message, color = badge_message(value)
    return badges.svg(BADGE_LABEL, message, color)


def badge_endpoint(value: float | None) -> bytes:
    """shields.io's endpoint JSON for ``https://img.shields.io/endpoint?url=...``."""
    message, color = badge_message(value)
    document = {"schemaVersion": 1, "label": BADGE_LABEL, "message": message, "color": color}
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


# -- inloop stats --uptime ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    kind: str  # "component", "group" or "overall"
    id: str
    name: str
    uptime: float | None
    downtime_minutes: float


def month_rows(uptime: Uptime, month: date) -> list[Row]:
    """A month's figures: every component, every group, and the whole site."""
    rows = []
    for component in uptime.config.components:
        found = uptime.month((component.id,), month)
        rows.append(Row("component", component.id, component.name, found.uptime, found.downtime_minutes))
    for group, members in uptime.groups():
        found = uptime.month(members, month)
        rows.append(Row("group", group, group, found.uptime, found.downtime_minutes))
    found = uptime.month(uptime.overall_ids(), month)
    rows.append(Row("overall", "", "All components", found.uptime, found.downtime_minutes))
    return rows


def stats_json(uptime: Uptime, month: date) -> str:
    rows = month_rows(uptime, month)

    def entry(row: Row) -> dict[str, object]:
        return {"uptime": row.uptime, "downtime_minutes": row.downtime_minutes}

    document = {
        "month": month.strftime("%Y-%m"),
        "since": since_date(uptime),
        "weights": weights_json(uptime),
        "components": [{"id": r.id, "name": r.name, **entry(r)} for r in rows if r.kind == "component"],
        "groups": [{"name": r.name, **entry(r)} for r in rows if r.kind == "group"],
        "overall": next(entry(r) for r in rows if r.kind == "overall"),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def stats_table(uptime: Uptime, month: date) -> str:
    """The month's figures as a table; a month with no data (before ``since``, or to come) says so."""
    rows = month_rows(uptime, month)
    names = [("group: " if r.kind == "group" else "") + r.name for r in rows]
    width = max(len(n) for n in [*names, "component"])
    lines = [f"uptime {month:%Y-%m} (since {since_date(uptime)})", ""]
    lines.append(f"{'component':<{width}}  {'uptime':>8}  {'downtime':>12}")
    for name, row in zip(names, rows, strict=True):
        shown = "no data" if row.uptime is None else f"{percent_text(row.uptime)} %"
        lines.append(f"{name:<{width}}  {shown:>8}  {row.downtime_minutes:>8.2f} min")
    weights = ", ".join(f"{status} {weight:g}" for status, weight in weights_json(uptime).items())
    lines += ["", f"downtime: minutes in each status x its weight ({weights}); maintenance is never downtime."]
    return "\n".join(lines) + "\n"
