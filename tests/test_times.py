"""Every time format an author may write, the mistakes they make, and how zones are named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from gettext import NullTranslations
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inloop.render.formatting import Formatter
from inloop.times import (
    TIME_FORMAT_HINT,
    parse_date_or_time,
    parse_now,
    parse_time,
    parse_zone,
    utc_stamp,
    zone_label,
)

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # explicit zones
        ("2026-11-20 14:02 UTC", utc(2026, 11, 20, 14, 2)),
        ("2026-11-20 14:02 utc", utc(2026, 11, 20, 14, 2)),
        ("2026-11-20 14:02 Z", utc(2026, 11, 20, 14, 2)),
        ("2026-11-20 14:02Z", utc(2026, 11, 20, 14, 2)),
        ("2026-11-20 14:02 z", utc(2026, 11, 20, 14, 2)),
        ("2026-11-20 14:02 +01:00", utc(2026, 11, 20, 13, 2)),
        ("2026-11-20 14:02 +0100", utc(2026, 11, 20, 13, 2)),
        ("2026-11-20 14:02 -05:30", utc(2026, 11, 20, 19, 32)),
        ("2026-11-20 14:02 +00:00", utc(2026, 11, 20, 14, 2)),
        # seconds
        ("2026-11-20 14:02:09 UTC", utc(2026, 11, 20, 14, 2, 9)),
        ("2026-11-20 14:02:09", utc(2026, 11, 20, 13, 2, 9)),
        # no zone: the site's zone, CET in winter, CEST in summer
        ("2026-11-20 14:02", utc(2026, 11, 20, 13, 2)),
        ("2026-07-20 14:02", utc(2026, 7, 20, 12, 2)),
        ("2026-11-20 9:05", utc(2026, 11, 20, 8, 5)),
        # ISO 8601
        ("2026-11-20T14:02:00Z", utc(2026, 11, 20, 14, 2)),
        ("2026-11-20T14:02:00+01:00", utc(2026, 11, 20, 13, 2)),
        ("2026-11-20T14:02", utc(2026, 11, 20, 13, 2)),
        ("2026-07-20T14:02:00", utc(2026, 7, 20, 12, 2)),
        # surrounding space is not the author's intent
        ("  2026-11-20 14:02 UTC  ", utc(2026, 11, 20, 14, 2)),
    ],
)
def test_parse_time_formats(text: str, expected: datetime) -> None:
    parsed = parse_time(text, BERLIN)
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_daylight_saving_switches_in_the_site_zone() -> None:
    # the last day of CEST and the first of CET: the same wall clock, an hour apart in UTC
    assert parse_time("2026-10-24 12:00", BERLIN) == utc(2026, 10, 24, 10, 0)
    assert parse_time("2026-10-26 12:00", BERLIN) == utc(2026, 10, 26, 11, 0)
    assert parse_time("2026-03-28 12:00", BERLIN) == utc(2026, 3, 28, 11, 0)
    assert parse_time("2026-03-30 12:00", BERLIN) == utc(2026, 3, 30, 10, 0)


def test_wall_clock_times_that_do_not_exist_or_exist_twice_still_parse() -> None:
    # 02:30 on 29 March does not exist in Berlin; 02:30 on 25 October exists twice.
    # Neither is an error: the earlier reading (fold=0) is taken.
    assert parse_time("2026-03-29 02:30", BERLIN) == utc(2026, 3, 29, 1, 30)
    assert parse_time("2026-10-25 02:30", BERLIN) == utc(2026, 10, 25, 0, 30)


def test_a_time_without_zone_follows_the_zone_it_is_given() -> None:
    assert parse_time("2026-11-20 14:02", UTC) == utc(2026, 11, 20, 14, 2)
    assert parse_time("2026-11-20 14:02", ZoneInfo("America/New_York")) == utc(2026, 11, 20, 19, 2)
    assert parse_time("2026-11-20 14:02", timezone(timedelta(hours=5, minutes=45))) == utc(2026, 11, 20, 8, 17)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tomorrow", f"cannot read time 'tomorrow': expected {TIME_FORMAT_HINT}"),
        ("", f"cannot read time '': expected {TIME_FORMAT_HINT}"),
        ("20 Nov 2026 14:02", f"cannot read time '20 Nov 2026 14:02': expected {TIME_FORMAT_HINT}"),
        ("2026-11-20", f"'2026-11-20' is a date without a time: expected {TIME_FORMAT_HINT}"),
        ("2026-11-31 14:02", "cannot read time '2026-11-31 14:02': day is out of range for month"),
        ("2026-13-01 14:02", "cannot read time '2026-13-01 14:02': month must be in 1..12"),
        ("2026-11-20 25:00", "cannot read time '2026-11-20 25:00': hour must be in 0..23"),
        ("2026-11-20 14:60 UTC", "cannot read time '2026-11-20 14:60 UTC': minute must be in 0..59"),
        ("2026-11-20 14:02 +25:00", "cannot read time '2026-11-20 14:02 +25:00': bad zone offset '+25:00'"),
        (
            "2026-11-20 14:02 CET",
            "cannot read time '2026-11-20 14:02 CET': zone 'CET' is not understood; "
            "write UTC, Z or an offset such as +01:00, or no zone for the site's time zone",
        ),
        (
            "2026-11-20 14:02 Europe/Berlin",
            "cannot read time '2026-11-20 14:02 Europe/Berlin': zone 'Europe/Berlin' is not understood; "
            "write UTC, Z or an offset such as +01:00, or no zone for the site's time zone",
        ),
        (
            "2026-11-20 14:02 UTC+1",
            "cannot read time '2026-11-20 14:02 UTC+1': zone 'UTC+1' is not understood; "
            "write UTC, Z or an offset such as +01:00, or no zone for the site's time zone",
        ),
    ],
)
def test_bad_times_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_time(text, BERLIN)
    assert str(caught.value) == message


def test_parse_zone() -> None:
    assert parse_zone("UTC") is UTC
    assert parse_zone("z") is UTC
    assert parse_zone("+05:45") == timezone(timedelta(hours=5, minutes=45))
    assert parse_zone("-0300") == timezone(-timedelta(hours=3))
    with pytest.raises(ValueError, match="bad zone offset"):
        parse_zone("+12:75")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-27", utc(2026, 11, 26, 23, 0)),  # the start of that day in the site's zone
        ("2026-07-01", utc(2026, 6, 30, 22, 0)),
        ("2026-11-27 10:00 UTC", utc(2026, 11, 27, 10, 0)),
        ("2026-11-27 10:00", utc(2026, 11, 27, 9, 0)),
    ],
)
def test_parse_date_or_time(text: str, expected: datetime) -> None:
    assert parse_date_or_time(text, BERLIN) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-11-32", "cannot read date '2026-11-32': expected YYYY-MM-DD"),
        ("soon", f"cannot read date or time 'soon': expected YYYY-MM-DD or {TIME_FORMAT_HINT}"),
    ],
)
def test_bad_dates(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_date_or_time(text, BERLIN)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26 12:00 UTC", utc(2026, 11, 26, 12, 0)),
        ("2026-11-26 12:00", utc(2026, 11, 26, 12, 0)),  # --now has no site zone: UTC
        ("2026-11-26T13:00:00+01:00", utc(2026, 11, 26, 12, 0)),
        ("1795694400", utc(2026, 11, 26, 12, 0)),  # Unix seconds, like SOURCE_DATE_EPOCH
    ],
)
def test_parse_now(text: str, expected: datetime) -> None:
    assert parse_now(text) == expected


@pytest.mark.parametrize("text", ["100000000000000000", "9223372036854775808"])
def test_parse_now_out_of_range(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_now(text)
    assert str(caught.value) == f"'{text}' is out of range as Unix seconds"


def test_utc_stamp() -> None:
    assert utc_stamp(utc(2026, 11, 20, 14, 2)) == "2026-11-20T14:02:00Z"
    assert utc_stamp(datetime(2026, 11, 20, 15, 2, 7, tzinfo=BERLIN)) == "2026-11-20T14:02:07Z"
    assert utc_stamp(utc(999, 1, 2, 3, 4)) == "999-01-02T03:04:00Z"  # as strftime has it


@settings(max_examples=500, deadline=None)
@given(
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)),  # noqa: DTZ001 - walls
    st.sampled_from(
        [UTC, BERLIN, ZoneInfo("Asia/Kolkata"), ZoneInfo("America/St_Johns"), timezone(timedelta(hours=-3))]
    ),
)
def test_utc_stamp_is_strftimes_form(wall: datetime, zone: timezone) -> None:
    moment = wall.replace(tzinfo=zone)
    assert utc_stamp(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("zone", "winter", "summer"),
    [
        ("Europe/Berlin", "CET", "CEST"),
        ("Europe/London", "GMT", "BST"),
        ("America/New_York", "EST", "EDT"),
        ("UTC", "UTC", "UTC"),
        ("Etc/UTC", "UTC", "UTC"),
        # zones whose tzname() is a number: the offset is shown instead
        ("America/Sao_Paulo", "UTC-03:00", "UTC-03:00"),
        ("Asia/Kathmandu", "UTC+05:45", "UTC+05:45"),
        ("Asia/Dubai", "UTC+04:00", "UTC+04:00"),
        ("Etc/GMT+5", "UTC-05:00", "UTC-05:00"),
    ],
)
def test_zone_label(zone: str, winter: str, summer: str) -> None:
    tz = ZoneInfo(zone)
    assert zone_label(utc(2026, 1, 15, 12, 0), tz) == winter
    assert zone_label(utc(2026, 7, 15, 12, 0), tz) == summer


def test_zone_label_of_fixed_offsets() -> None:
    assert zone_label(utc(2026, 1, 15, 12, 0), UTC) == "UTC"
    assert zone_label(utc(2026, 1, 15, 12, 0), timezone(timedelta(hours=-3))) == "UTC-03:00"
    assert zone_label(utc(2026, 1, 15, 12, 0), timezone(timedelta(0))) == "UTC"


def test_time_tags_carry_utc_and_show_the_site_zone() -> None:
    fmt = Formatter(BERLIN, "en", NullTranslations())
    winter = fmt.time_tag(utc(2026, 11, 20, 14, 30))
    summer = fmt.time_tag(utc(2026, 7, 20, 14, 30))
    assert str(winter) == '<time datetime="2026-11-20T14:30:00Z">Nov 20, 2026, 15:30 CET</time>'
    assert str(summer) == '<time datetime="2026-07-20T14:30:00Z">Jul 20, 2026, 16:30 CEST</time>'
    assert str(fmt.time_tag(utc(2026, 11, 20, 14, 30), clock_only=True)) == (
        '<time datetime="2026-11-20T14:30:00Z">15:30 CET</time>'
    )
    sao_paulo = Formatter(ZoneInfo("America/Sao_Paulo"), "en", NullTranslations())
    assert sao_paulo.full(utc(2026, 11, 20, 14, 30)) == "Nov 20, 2026, 11:30 UTC-03:00"


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0 minutes"),
        (1, "1 minute"),
        (90, "90 minutes"),
        (125, "2 hours 5 minutes"),
        (120, "2 hours"),
        (60 * 24 + 60, "1 day 1 hour"),
        (60 * 48, "2 days"),
    ],
)
def test_durations_in_words(minutes: int, text: str) -> None:
    fmt = Formatter(BERLIN, "en", NullTranslations())
    assert fmt.duration(timedelta(minutes=minutes)) == text


def test_restoration_against_the_estimate() -> None:
    fmt = Formatter(BERLIN, "en", NullTranslations())
    estimate = utc(2026, 11, 20, 15, 30)
    assert fmt.versus_estimate(utc(2026, 11, 20, 15, 12), estimate) == "restored 18 minutes before the estimate"
    assert fmt.versus_estimate(utc(2026, 11, 20, 16, 0), estimate) == "restored 30 minutes after the estimate"
    assert fmt.versus_estimate(estimate, estimate) == "restored at the estimated time"
