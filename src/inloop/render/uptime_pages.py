"""The uptime pages: ``uptime/`` (every component's last 12 months, groups, overall) and ``uptime/<id>/`` (all months).

Each month is a calendar of its days, coloured by downtime as the 90-day
bars are, with the same words beside the colours.  What a page shows is
computed when it is planned, so that its key is what its bytes depend on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from inloop.model import Content, Incident
from inloop.render.status import last_updated, local_day_start
from inloop.render.uptime import Day, Figures, Month, Uptime, marked_days

if TYPE_CHECKING:
    from inloop.render.pages import Page, Planner

PATH = "uptime/"
#: Months of each component on ``uptime/``; all of them are on ``uptime/<id>/``.
MONTHS_ON_INDEX = 12


@dataclass(frozen=True, slots=True)
class MonthView:
    month: Month
    days: tuple[Day, ...]  # from the first of the month up to today
    weeks: tuple[tuple[Day | None, ...], ...]  # the calendar's rows, None where no day (yet) is

    @property
    def marked(self) -> tuple[Day, ...]:
        return marked_days(self.days)

    @property
    def any_without_data(self) -> bool:
        return any(day.downtime_minutes is None for day in self.days)


@dataclass(frozen=True, slots=True)
class ComponentView:
    figures: Figures
    months: tuple[MonthView, ...]  # newest first
    more: bool  # older months are on the component's own page


class Links:
    """The incidents that the days of the bars and calendars link: their titles, digests and updates."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner
        self._index: tuple[Content, dict[str, Incident], dict[str, str]] | None = None
        #: The pages that link each incident, and how to plan each again when only its words change.
        self.pages_of: dict[str, dict[str, Callable[[], Page]]] = {}
        self.cells = CalendarCells(planner.fmt.minutes)

    def replan(self, incident_id: str) -> list[Page]:
        """The pages that link ``incident_id``, planned again."""
        return [remake() for remake in list(self.pages_of.get(incident_id, {}).values())]

    def day_items(self, days: Sequence[Day], root: str) -> Markup:
        """The ``<li>`` of each day in words: its date, its downtime and its incidents, linked.

        Made here rather than in the template: a component's uptime page says
        thousands of days.
        """
        fmt, gettext, titles = self.planner.fmt, self.planner.translations.gettext, self.titles()
        prefix = f'<a href="{escape(root)}incidents/'
        items = []
        for day in days:
            links = ", ".join(f'{prefix}{escape(i)}/">{escape(titles.get(i, i))}</a>' for i in day.incidents)
            words = escape(downtime_words(day, fmt.minutes, gettext))
            items.append(f"<li>{escape(fmt.day(day.date))}: {words}{' · ' + links if links else ''}</li>\n")
        return Markup("".join(items))

    def titles(self) -> dict[str, str]:
        """Each incident's title by its id."""
        return self._incidents()[1]

    def linked(
        self, figures: Sequence[Figures | ComponentView], path: str, remake: Callable[[], Page]
    ) -> tuple[tuple[str, str], ...]:
        """The incidents the days of ``figures`` link, with their titles: a part of the key of the page at ``path``.

        The page is registered for each, with ``remake`` (see :meth:`Planner.patch`): a new
        title must reach every page that names it.  (Their times are in the figures.)
        """
        return self.register(linked_ids(figures), path, remake)

    def register(self, ids: Sequence[str], path: str, remake: Callable[[], Page]) -> tuple[tuple[str, str], ...]:
        """:meth:`linked`, for incidents already found."""
        for incident_id in ids:
            self.pages_of.setdefault(incident_id, {})[path] = remake
        by_id = self._incidents()[0]
        return tuple((incident_id, by_id[incident_id].title) for incident_id in ids if incident_id in by_id)

    def latest_update(self, linked: Sequence[tuple[str, str]]) -> datetime | None:
        """The time of the latest update of the incidents ``linked`` names: its page's "last updated"."""
        by_id = self._incidents()[0]
        return last_updated([by_id[incident_id] for incident_id, _ in linked])

    def _incidents(self) -> tuple[dict[str, Incident], dict[str, str]]:
        content = self.planner.state.content
        if self._index is None or self._index[0] is not content:
            by_id = {i.id: i for i in content.incidents}
            self._index = (content, by_id, {i.id: i.title for i in content.incidents})
        return self._index[1], self._index[2]


def downtime_words(day: Day, minutes: Callable[[float], str], gettext: Callable[[str], str]) -> str:
    """A day's downtime in words, as the bars' titles say it too (``_macros.html``: ``downtime_words``)."""
    if day.downtime_minutes is None:
        return gettext("no data")
    if day.downtime_minutes == 0:
        return gettext("no downtime")
    return gettext("%(minutes)s min of downtime") % {"minutes": minutes(day.downtime_minutes)}


def linked_ids(figures: Iterable[Figures | ComponentView]) -> list[str]:
    """Every incident the days of ``figures`` name, sorted."""
    found: set[str] = set()
    for item in figures:
        if isinstance(item, ComponentView):
            found.update(i for view in item.months for day in view.days for i in day.incidents)
            item = item.figures
        found.update(i for day in item.days for i in day.incidents)
    return sorted(found)


def weeks(days: Sequence[Day], first_weekday: int) -> tuple[tuple[Day | None, ...], ...]:
    """The days of a month as the rows of a calendar that starts its weeks on ``first_weekday`` (0: Monday)."""
    if not days:
        return ()
    rows: list[list[Day | None]] = [[None] * ((days[0].date.weekday() - first_weekday) % 7)]
    for day in days:
        if len(rows[-1]) == 7:
            rows.append([])
        rows[-1].append(day)
    rows[-1] += [None] * (7 - len(rows[-1]))
    return tuple(tuple(row) for row in rows)


def month_view(uptime: Uptime, ids: tuple[str, ...], month: Month, first_weekday: int) -> MonthView:
    days = uptime.month_days(ids, month.month)
    return MonthView(month, days, weeks(days, first_weekday))


def component_view(uptime: Uptime, figures: Figures, first_weekday: int, limit: int | None) -> ComponentView:
    months = figures.months if limit is None else figures.months[:limit]
    views = tuple(month_view(uptime, (figures.id,), month, first_weekday) for month in months)
    return ComponentView(figures, views, len(figures.months) > len(months))


def summary(uptime: Uptime) -> list[Figures]:
    """The whole site, then each group: every minute counted once, at the worst status of any member."""
    rows = [uptime.figures("", "", uptime.overall_ids())]
    rows += [uptime.figures(group, group, members) for group, members in uptime.groups()]
    return rows


class CalendarCells:
    """The cells of the months' calendars, each made once: a day's cell is its number and its downtime.

    A component's uptime page has a calendar for every month since ``since``,
    a few thousand cells, most of them the same few (a day without downtime).
    """

    def __init__(self, minutes: Callable[[float], str]) -> None:
        self.minutes = minutes
        self._cells: dict[tuple[int, float | None], str] = {}

    def cell(self, day: Day | None) -> str:
        if day is None:
            return "<td></td>"
        key = (day.date.day, day.downtime_minutes)
        found = self._cells.get(key)
        if found is None:
            shown = "–" if day.downtime_minutes is None else escape(self.minutes(day.downtime_minutes))
            found = self._cells[key] = f'<td class="day-{day.level}"><span>{day.date.day}</span> {shown}</td>'
        return found

    def rows(self, view: MonthView) -> Markup:
        """The rows of a month's calendar: each day's number and downtime in minutes ("–": no data)."""
        cell = self.cell
        return Markup("".join("<tr>" + "".join(map(cell, week)) + "</tr>\n" for week in view.weeks))


def weekday_names(planner: Planner) -> list[tuple[str, str]]:
    """The abbreviated and the full name of each weekday, in the locale's order."""
    locale = planner.fmt.locale
    first = locale.first_week_day
    names = locale.days["format"]
    return [(str(names["abbreviated"][(first + n) % 7]), str(names["wide"][(first + n) % 7])) for n in range(7)]


def plan(planner: Planner) -> list[Page]:
    """``uptime/index.html`` and one ``uptime/<id>/index.html`` per component."""
    pages = [index_page(planner)]
    pages += [component_page(planner, component.id) for component in planner.state.config.components]
    return pages


def _common(planner: Planner) -> dict[str, Any]:
    return {
        "weekdays": weekday_names(planner),
        "weights": dict(planner.state.config.uptime_weights),
        "calendar_rows": planner.links.cells.rows,
    }


def index_page(planner: Planner) -> Page:
    """Every component's last 12 months, and the overall and group figures."""
    uptime = planner.state.uptime
    first_weekday = planner.fmt.locale.first_week_day
    rows = summary(uptime)
    views = [component_view(uptime, figures, first_weekday, MONTHS_ON_INDEX) for figures in uptime.components()]
    months = [m.month for m in rows[0].months[:MONTHS_ON_INDEX]]
    path = PATH + "index.html"
    linked = planner.links.linked(views, path, lambda: index_page(planner))
    updated = planner.links.latest_update(linked)

    def values() -> dict[str, Any]:
        return {
            **_common(planner),
            "component": None,
            "summary": rows,
            "summary_months": months,
            "views": views,
            "updated": updated,
        }

    key = (uptime.since_day(), [uptime.key_of(row) for row in rows], uptime.key_of(views), linked)
    return planner.page(path, "uptime.html", key, values, updated)


def component_page(planner: Planner, component_id: str) -> Page:
    """All the months of one component.

    Its calendars are made when it renders (in a worker, beside the other
    pages), not when it is planned: its key is what they are made from, the
    component's stretches of trouble and the build time.
    """
    uptime = planner.state.uptime
    segments = tuple(uptime.segments.get(component_id, ()))
    shown_from = local_day_start(uptime.since_day().replace(day=1), uptime.config)
    ids = {s.incident for s in segments if s.start < uptime.now and (s.end is None or s.end > shown_from)}
    path = f"{PATH}{component_id}/index.html"
    linked = planner.links.register(sorted(ids), path, lambda: component_page(planner, component_id))
    updated = planner.links.latest_update(linked)

    def values() -> dict[str, Any]:
        view = component_view(uptime, uptime.component(component_id), planner.fmt.locale.first_week_day, None)
        return {
            **_common(planner),
            "component": planner.state.config.component(component_id),
            "summary": [],
            "summary_months": [],
            "views": [view],
            "updated": updated,
        }

    key = (uptime.since, uptime.now, uptime.segments_key(component_id), linked)
    return planner.page(path, "uptime.html", key, values, updated)
