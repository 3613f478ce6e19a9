"""The shortcuts that make rendering fast say exactly what the slow way said."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from gettext import NullTranslations
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_skeleton

from inloop.formatting import Formatter, babel_locale

LANGUAGES = ["en", "de", "fr", "es", "ja", "pt-BR", "fi", "xx"]


def wall(*args: int) -> datetime:
    """A wall-clock time, as the formatter gets it: naive, already in the site's zone."""
    return datetime(*args, tzinfo=UTC).replace(tzinfo=None)


MOMENTS = [wall(2026, 1, 1, 0, 5), wall(2026, 3, 29, 1, 59), wall(2026, 11, 20, 15, 30)]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("skeleton", ["yMMMd", "Hm", "MMMd", "yMMMM", "yMMd", "MMMEd"])
def test_resolved_skeletons_format_as_babel_does(language: str, skeleton: str) -> None:
    fmt = Formatter(UTC, language, NullTranslations())
    locale = babel_locale(language)
    for moment in MOMENTS:
        for instant in (moment, moment.date()):
            expected = format_skeleton(skeleton, instant, locale=locale)
            assert fmt._skeleton(skeleton, instant) == expected
            assert fmt._skeleton(skeleton, instant) == expected  # from the memo, too


def test_a_date_and_its_midnight_are_kept_apart() -> None:
    fmt = Formatter(UTC, "en", NullTranslations())
    assert fmt.day(date(2026, 11, 20)) == "Nov 20, 2026"
    assert fmt._skeleton("Hm", wall(2026, 11, 20)) == "00:00"
    assert fmt.month(date(2026, 11, 20)) == "November 2026"


def test_time_tags_are_the_same_each_time_and_escape_nothing_twice() -> None:
    berlin = Formatter(ZoneInfo("Europe/Berlin"), "de", NullTranslations())
    moment = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    first = berlin.time_tag(moment)
    assert str(first) == '<time datetime="2026-11-20T14:30:00Z">20. Nov. 2026, 15:30 CET</time>'
    assert berlin.time_tag(moment) == first
    # The same instant written in another zone is the same tag.
    assert berlin.time_tag(moment.astimezone(ZoneInfo("Asia/Tokyo"))) == first
    assert str(berlin.time_tag(moment, clock_only=True)) == '<time datetime="2026-11-20T14:30:00Z">15:30 CET</time>'
    assert str(berlin.time_tag(moment + timedelta(days=200))).endswith("CEST</time>")
