"""How times, dates and durations read on a page, in the site's language.

Babel formats the wall-clock time in the site's zone; the zone is then named
by its abbreviation (``CET``), which Babel would otherwise spell out or
translate.  Durations are words ("2 hours 5 minutes"), through gettext so
that every catalog can say them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from gettext import NullTranslations

from babel import Locale, UnknownLocaleError
from babel.dates import DateTimePattern, match_skeleton, parse_pattern
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from inloop.times import utc_stamp, zone_label

#: Pattern fields (CLDR letters) that read only the day, and only the hour and the minute.
DAY_FIELDS = frozenset("GyYuUQqMLdDFgEec")
CLOCK_FIELDS = frozenset("hHKkm")


def _fields_read(pattern: DateTimePattern) -> str:
    """``day``, ``clock`` or ``moment``: what a pattern's output depends on."""
    letters = {field[0] for field in re.findall(r"%\((\w+)\)", str(pattern.format))}
    if letters <= DAY_FIELDS:
        return "day"
    if letters <= CLOCK_FIELDS:
        return "clock"
    return "moment"


def babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


class Formatter:
    """Formats for one site: its zone, its language, its catalog."""

    def __init__(self, zone: tzinfo, language: str, translations: NullTranslations) -> None:
        self.zone = zone
        self.locale = babel_locale(language)
        self.translations = translations
        self._patterns: dict[str, DateTimePattern] = {}
        #: By day for date skeletons, by minute for clock ones: a few thousand entries for any site.
        self._formatted: dict[tuple[str, object], str] = {}
        self._reads: dict[str, str] = {}
        self._tags: dict[tuple[datetime, bool], Markup] = {}
        #: How the locale joins a date and a clock time: ``{1}, {0}`` in English.
        self._medium = str(self.locale.datetime_formats.get("medium", "{1} {0}"))

    def _pattern(self, skeleton: str) -> DateTimePattern:
        """The locale's pattern for a skeleton, matched and parsed once, not on every date.

        The same resolution as Babel's ``format_skeleton`` (fuzzy matching).
        """
        pattern = self._patterns.get(skeleton)
        if pattern is None:
            skeletons = self.locale.datetime_skeletons
            found = skeleton if skeleton in skeletons else match_skeleton(skeleton, skeletons) or skeleton
            pattern = self._patterns[skeleton] = parse_pattern(skeletons[found])
        return pattern

    def _skeleton(self, skeleton: str, moment: datetime | date) -> str:
        """A date or a clock time in a skeleton's form, each made once.

        Keyed by what the pattern reads: a day for ``yMMMd``, an hour and a
        minute for ``Hm``, so a site of ten years has a few thousand entries,
        not one for every moment it shows.
        """
        reads = self._reads.get(skeleton) or self._reads.setdefault(skeleton, _fields_read(self._pattern(skeleton)))
        if reads == "day":
            key: tuple[str, object] = (skeleton, moment.date() if isinstance(moment, datetime) else moment)
        elif reads == "clock":
            key = (skeleton, (moment.hour, moment.minute) if isinstance(moment, datetime) else (0, 0))
        else:
            key = (skeleton, moment)
        text = self._formatted.get(key)
        if text is None:
            # What Babel's format_datetime does before applying a pattern: a day is its midnight, naive is UTC.
            instant = moment if isinstance(moment, datetime) else datetime.combine(moment, time())
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=UTC)
            text = self._formatted[key] = self._pattern(skeleton).apply(instant, self.locale)
        return text

    def full(self, moment: datetime) -> str:
        """``Nov 20, 2026, 15:30 CET``: wall clock in the site's zone, zone named."""
        local = moment.astimezone(self.zone).replace(tzinfo=None)
        joined = self._medium.replace("{1}", self._skeleton("yMMMd", local)).replace("{0}", self._skeleton("Hm", local))
        return f"{joined.replace(chr(39), '')} {zone_label(moment, self.zone)}"

    def clock(self, moment: datetime) -> str:
        """``15:30 CET``: for times on the same day as their context."""
        local = moment.astimezone(self.zone).replace(tzinfo=None)
        return f"{self._skeleton('Hm', local)} {zone_label(moment, self.zone)}"

    def day(self, day: date) -> str:
        return self._skeleton("yMMMd", day)

    def short_day(self, day: date) -> str:
        return self._skeleton("MMMd", day)

    def month(self, day: date) -> str:
        return self._skeleton("yMMMM", day)

    def time_tag(self, moment: datetime, *, clock_only: bool = False) -> Markup:
        """``<time datetime="...Z">`` with the site-zone text inside.

        Made once per moment: a list page shows every time it lists on other pages too.
        """
        key = (moment, clock_only)
        tag = self._tags.get(key)
        if tag is None:
            shown = self.clock(moment) if clock_only else self.full(moment)
            tag = self._tags[key] = Markup(f'<time datetime="{utc_stamp(moment)}">{escape(shown)}</time>')
        return tag

    def forget_moments(self) -> None:
        """Drop the tags made for single moments, for a process that shows each moment once."""
        self._tags.clear()

    def percent(self, value: float) -> str:
        """``99.93`` (``99,93`` in German): an uptime, already rounded down to two decimals."""
        key = ("percent", value)
        found = self._formatted.get(key)
        if found is None:
            found = format_decimal(value, "#,##0.00", locale=self.locale, decimal_quantization=False)
            self._formatted[key] = found
        return found

    def minutes(self, value: float) -> str:
        """``12.5`` (``12,5``): downtime minutes, with the decimals they have, at most two; each value made once."""
        key = ("minutes", value)
        found = self._formatted.get(key)
        if found is None:
            found = self._formatted[key] = format_decimal(value, "#,##0.##", locale=self.locale)
        return found

    def day_tag(self, day: date) -> Markup:
        """``<time datetime="2026-11-21">Nov 21, 2026</time>``: a day as written, with no clock to invent."""
        return Markup(f'<time datetime="{day.isoformat()}">{escape(self.day(day))}</time>')

    def same_day(self, first: datetime, second: datetime) -> bool:
        return first.astimezone(self.zone).date() == second.astimezone(self.zone).date()

    def duration(self, span: timedelta) -> str:
        """Minutes up to 90, then hours and minutes, then days and hours."""
        ngettext = self.translations.ngettext
        minutes = max(0, int(span.total_seconds() // 60))
        if minutes <= 90:
            return ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes}
        hours, rest = divmod(minutes, 60)
        if hours < 24:
            text = ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours}
            if rest:
                text += " " + ngettext("%(num)d minute", "%(num)d minutes", rest) % {"num": rest}
            return text
        days, hours = divmod(hours, 24)
        text = ngettext("%(num)d day", "%(num)d days", days) % {"num": days}
        if hours:
            text += " " + ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours}
        return text

    def versus_estimate(self, restored: datetime, estimate: datetime) -> str:
        """ "restored 18 minutes before the estimate": the commands' report (pages say which estimate)."""
        gettext = self.translations.gettext
        delta = estimate - restored
        if abs(delta) < timedelta(minutes=1):
            return gettext("restored at the estimated time")
        if delta > timedelta(0):
            return gettext("restored %(duration)s before the estimate") % {"duration": self.duration(delta)}
        return gettext("restored %(duration)s after the estimate") % {"duration": self.duration(-delta)}

    def versus_first_estimate(self, restored: datetime, first: datetime) -> str:
        """ "restored 18 minutes before the first estimate of 15:30 CET": what a resolved page says.

        Always the first estimate, named with its time, so that a reader who
        sees later estimates in the list knows which one is meant.  The time
        has its date when it fell on another day than the restoration.  Plain
        text, not a ``<time>``: the reader's-time line after it describes the
        restoration alone.
        """
        gettext = self.translations.gettext
        when = self.clock(first) if self.same_day(restored, first) else self.full(first)
        delta = first - restored
        if abs(delta) < timedelta(minutes=1):
            return gettext("restored at the time of the first estimate, %(time)s") % {"time": when}
        if delta > timedelta(0):
            text = gettext("restored %(duration)s before the first estimate of %(time)s")
        else:
            text = gettext("restored %(duration)s after the first estimate of %(time)s")
        return text % {"duration": self.duration(abs(delta)), "time": when}

    def estimate_moved(self, old: datetime, new: datetime) -> str:
        """ "estimate moved from 15:30 to 16:30": dates appear when the move crosses a day."""
        gettext = self.translations.gettext
        if self.same_day(old, new):
            old_text = self._skeleton("Hm", old.astimezone(self.zone).replace(tzinfo=None))
            new_text = self.clock(new)
        else:
            old_text, new_text = self.full(old), self.full(new)
        return gettext("estimate moved from %(old)s to %(new)s") % {"old": old_text, "new": new_text}
